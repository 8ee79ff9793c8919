//! #17: a real `counter serve` holds against one laptop on the office LAN: its connections are
//! capped per address, an oversized body is refused before it is read, and the officers keep
//! working meanwhile (loopback only, 300 connections, about a second).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use motcua_e2e::Office;
use motcua_e2e::console::{Client, add_user, serve};

/// A connection from the local address `from` (the laptop), as another machine would make.
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> tokio::net::TcpStream {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(from.into(), 0)).unwrap();
    s.connect(to).await.unwrap()
}

#[test]
fn one_laptop_cannot_lock_the_counters_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    let server = serve(&office);
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let laptop = Ipv4Addr::new(127, 0, 0, 66);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // 300 idle connections from the laptop: the server keeps 128 (its per-address cap) and
    // closes the others at once.
    let held: Vec<tokio::net::TcpStream> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..300 {
            v.push(connect_from(laptop, addr).await);
        }
        v
    });
    let (open, closed): (Vec<_>, Vec<_>) = rt.block_on(async {
        let reads: Vec<_> = held
            .into_iter()
            .map(|mut s| {
                tokio::spawn(async move {
                    let mut b = [0u8; 8];
                    match tokio::time::timeout(Duration::from_secs(1), s.read(&mut b)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => (None, true),
                        _ => (Some(s), false),
                    }
                })
            })
            .collect();
        let mut out = Vec::new();
        for r in reads {
            out.push(r.await.unwrap());
        }
        out.into_iter().partition(|(_, closed)| !closed)
    });
    assert_eq!((open.len(), closed.len()), (128, 172));

    // Meanwhile an officer (another address) signs in and calls.
    office.issue(&["TP"]);
    let mut officer = Client::new(&server);
    assert_eq!(officer.login("lan", "246810", 1), 303);
    let (status, v) = officer.act("call", serde_json::Value::Null, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ticket"]["number"], "1001");

    // A body larger than any route takes is refused from its length, before it is sent.
    let answer = rt.block_on(async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 1900000\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        out
    });
    assert!(
        answer.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    drop(open);
}
