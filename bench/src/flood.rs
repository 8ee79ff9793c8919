//! `motcua-bench flood`: the office server under a LAN flood (#17). While idle connections,
//! stalled uploads, failed sign-ins with random logins and replays from event 0 run against
//! `counter serve`, officers keep acting; their latency and the server's memory are printed.
//!
//! The attackers connect from their own loopback addresses (127.0.0.66–73), as other machines
//! on the office LAN would; the officers from 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use motcua::{Config, Store};
use motcua_testkit::OfficeToml;
use tokio::sync::watch;

use super::{
    Served, add_officers, officers_act, percentile, proc_mib, server_binary, tempfile_dir,
};

/// What the flood is made of.
#[derive(clap::Args)]
pub struct Flood {
    /// Officers acting at once.
    #[arg(long, default_value_t = 20)]
    pub officers: u32,
    /// Actions per officer (a pause of 0–200 ms before each).
    #[arg(long, default_value_t = 100)]
    pub actions: u32,
    /// Idle connections held open (re-opened when the server closes them).
    #[arg(long, default_value_t = 1000)]
    pub idle: u32,
    /// Uploads that send a few bytes of their body and stall.
    #[arg(long, default_value_t = 100)]
    pub stalled: u32,
    /// Failed sign-ins with random logins.
    #[arg(long, default_value_t = 1000)]
    pub sign_ins: u32,
    /// Replays of the event stream from id 0.
    #[arg(long, default_value_t = 10)]
    pub replays: u32,
    /// Events of earlier days in the database (what a replay from 0 used to load).
    #[arg(long, default_value_t = 20000)]
    pub history: u32,
}

fn attacker(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 66 + n)
}

/// A TCP connection to `to` from the local address `from`.
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let s = tokio::net::TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(from.into(), 0))?;
    s.connect(to).await
}

/// Holds `count` idle connections from 8 addresses until `stop`, re-opening each one the server
/// closes (after its header timeout). Returns how many times the server closed one.
async fn idle_connections(to: SocketAddr, count: u32, stop: watch::Receiver<bool>) -> u64 {
    use tokio::io::AsyncReadExt;
    let closed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..count {
        let (mut stop, closed) = (stop.clone(), closed.clone());
        tasks.push(tokio::spawn(async move {
            while !*stop.borrow() {
                let Ok(mut s) = connect_from(attacker((i % 8) as u8), to).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let mut b = [0u8; 16];
                // Wait until the server closes it (or the flood ends).
                tokio::select! {
                    _ = s.read(&mut b) => { closed.fetch_add(1, Ordering::Relaxed); }
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    closed.load(Ordering::Relaxed)
}

/// Uploads that promise a 4,000-byte sign-in body, send 100 bytes and stall, again and again.
async fn stalled_uploads(to: SocketAddr, count: u32, stop: watch::Receiver<bool>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tasks = Vec::new();
    for _ in 0..count {
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            while !*stop.borrow() {
                let Ok(mut s) = connect_from(attacker(8), to).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n";
                if s.write_all(head.as_bytes()).await.is_err()
                    || s.write_all(&[b'a'; 100]).await.is_err()
                {
                    continue;
                }
                let mut b = [0u8; 512];
                // Until the server gives up on the body (and closes), or the flood ends.
                loop {
                    tokio::select! {
                        r = s.read(&mut b) => if matches!(r, Ok(0) | Err(_)) { break },
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// One raw HTTP/1.1 request from `from`; the whole answer (the server closes after it).
fn raw_request(from: Ipv4Addr, to: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = connect_from(from, to).await?;
        s.write_all(request.as_bytes()).await?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).await?;
        Ok(out)
    })
}

/// `sign_ins` failed sign-ins with random logins, from one address, 4 at a time.
fn failed_sign_ins(to: SocketAddr, sign_ins: u32) -> anyhow::Result<(u32, u32)> {
    let page = raw_request(
        attacker(9),
        to,
        "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )?;
    let page = String::from_utf8_lossy(&page);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("sign-in page without a CSRF field")?
        .to_string();
    let refused = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let per = sign_ins.div_ceil(4);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (csrf, refused, other) = (csrf.clone(), refused.clone(), other.clone());
            std::thread::spawn(move || {
                for _ in 0..per {
                    let login: String = (0..12).map(|_| fastrand::alphanumeric()).collect();
                    let body = format!("login={login}&pin=000000&counter=1&csrf={csrf}");
                    let req = format!(
                        "POST /login HTTP/1.1\r\nHost: x\r\nCookie: motcua_login_csrf={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    match raw_request(attacker(9), to, &req) {
                        Ok(a) if a.starts_with(b"HTTP/1.1 401") => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            other.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    Ok((
        refused.load(Ordering::Relaxed) as u32,
        other.load(Ordering::Relaxed) as u32,
    ))
}

/// A board replaying the event stream from id 0: the events it got before `stop`.
fn replay_from_zero(to: SocketAddr, token: &str, stop: Arc<AtomicBool>) -> std::io::Result<u64> {
    let mut s = std::net::TcpStream::connect(to)?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nLast-Event-ID: 0\r\n\r\n"
    )?;
    let mut r = BufReader::new(s);
    let mut events = 0;
    let mut line = String::new();
    while !stop.load(Ordering::Relaxed) {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line.starts_with("id:") => events += 1,
            Ok(_) => {}
            Err(_) => {}
        }
    }
    Ok(events)
}

/// Fills the database: `history` issue events of yesterday (what a replay from 0 used to load
/// whole), and enough of today's tickets for every officer's calls.
fn seed(cfg: &Config, officers: u32, actions: u32, history: u32) -> anyhow::Result<()> {
    let mut store = Store::open(cfg)?;
    add_officers(&mut store, officers)?;
    let yesterday = Utc::now() - chrono::TimeDelta::days(1);
    for _ in 0..history {
        store.issue("TP", None, yesterday)?;
    }
    for _ in 0..(officers * actions / 2 + 10) {
        store.issue("TP", None, Utc::now())?;
    }
    Ok(())
}

/// Runs the flood and prints the figures.
pub fn flood_bench(f: Flood) -> anyhow::Result<()> {
    let server_bin = server_binary()?;
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let token = format!("board-flood.{}", "ab".repeat(24));
    let hash = motcua::secret::hash_token(&token).map_err(anyhow::Error::msg)?;
    let config = OfficeToml::bench("flood.db", f.officers)
        .section(&format!(
            "[[devices]]\nname = \"board-flood\"\nrole = \"board\"\ntoken_hash = \"{hash}\""
        ))
        .build();
    let cfg_path = dir.join("flood.toml");
    std::fs::write(&cfg_path, config)?;
    let cfg = Config::load(Some(&cfg_path))?;
    let t = Instant::now();
    seed(&cfg, f.officers, f.actions, f.history)?;
    println!(
        "seeded {} events of yesterday and today's tickets in {:.1} s",
        f.history,
        t.elapsed().as_secs_f64()
    );
    let result = run_flood(&server_bin, &cfg_path, &token, &f);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_flood(server_bin: &Path, cfg_path: &Path, token: &str, f: &Flood) -> anyhow::Result<()> {
    let server = Served::start(server_bin, cfg_path, Stdio::null())?;
    let (base, pid) = (server.base.clone(), server.pid.clone());
    let addr: SocketAddr = base.trim_start_matches("http://").parse()?;
    let result = (|| -> anyhow::Result<()> {
        println!("server RSS at start: {:.1} MiB", proc_mib(&pid, "VmRSS:"));
        let officers = server.sign_in_officers(f.officers)?;
        let stop = Arc::new(AtomicBool::new(false));

        // The flood.
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        let idle = rt.spawn(idle_connections(addr, f.idle, stop_rx.clone()));
        let stalled = rt.spawn(stalled_uploads(addr, f.stalled, stop_rx));
        let replays: Vec<_> = (0..f.replays)
            .map(|_| {
                let (stop, token) = (stop.clone(), token.to_string());
                std::thread::spawn(move || replay_from_zero(addr, &token, stop).unwrap_or(0))
            })
            .collect();
        let sign_ins = {
            let n = f.sign_ins;
            std::thread::spawn(move || failed_sign_ins(addr, n))
        };
        // Let the flood build up: every idle connection open.
        std::thread::sleep(Duration::from_secs(2));
        let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| d.count())
            .unwrap_or(0);
        println!(
            "flood running: server has {open} open files, RSS {:.1} MiB",
            proc_mib(&pid, "VmRSS:")
        );

        // The officers keep working: a pause of 0–200 ms before each button.
        let (lat, secs) = officers_act(officers, f.actions, 100)?;
        let (refused, other) = sign_ins.join().expect("sign-in thread")?;
        stop.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(true);
        let replayed: Vec<u64> = replays.into_iter().map(|h| h.join().unwrap_or(0)).collect();
        let closed = rt.block_on(idle).unwrap_or(0);
        let _ = rt.block_on(stalled);
        println!(
            "{} officers × {} actions under the flood ({:.0} s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            f.officers,
            f.actions,
            secs,
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "flood: {} idle connections (closed by the server {closed} times), {} stalled uploads, {} failed sign-ins ({refused} answered 401, {other} otherwise), {} replays from 0 (events each: {:?})",
            f.idle, f.stalled, f.sign_ins, f.replays, replayed
        );
        println!(
            "server RSS after the flood: {:.1} MiB (peak {:.1} MiB)",
            proc_mib(&pid, "VmRSS:"),
            proc_mib(&pid, "VmHWM:")
        );
        Ok(())
    })();
    drop(server);
    result
}
