//! SIGTERM (what systemd sends) stops every long-running binary cleanly within 2 s, even with
//! event streams open, and nothing committed is lost.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use motcua_e2e::console::{add_device, serve};
use motcua_e2e::{Office, json};

/// How long a stop may take.
pub(crate) const STOP_WITHIN: Duration = Duration::from_secs(2);

/// Sends SIGTERM and waits for the exit: its status and how long it took.
pub(crate) fn terminate(mut child: Child) -> (std::process::ExitStatus, Duration) {
    let pid = child.id().to_string();
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {pid}");
    std::thread::spawn(move || {
        let status = child.wait().unwrap();
        let _ = tx.send((status, start.elapsed()));
    });
    rx.recv_timeout(STOP_WITHIN + Duration::from_secs(3))
        .expect("the process ended after SIGTERM")
}

/// Opens `/api/events` as a device and waits for the response headers.
fn open_stream(base: &str, token: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Last-Event-ID: 0\r\n\r\n"
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    s
}

#[test]
fn sigterm_stops_the_server_with_20_event_streams_and_a_board() {
    let office = Office::new();
    let token = add_device(&office, "board-hall", "board");
    let mut server = serve(&office);
    let streams: Vec<TcpStream> = (0..20).map(|_| open_stream(&server.base, &token)).collect();
    // A board following the database, and one ticket committed through the API meanwhile.
    let mut board = office
        .command("display-board")
        .args(["--mute", "follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let issued = office.issue(&["TP"]);
    let call = office.run("counter", &["call", "--counter", "1", "--json"]);
    assert_eq!(json(&call)["ticket"]["number"], "1001");
    // The board has seen the call: it is running its loop.
    let mut line = String::new();
    BufReader::new(board.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("\"number\":\"1001\""), "{line}");

    // Take the child out of the guard so the test waits for it itself.
    let child = std::mem::replace(
        &mut server.child,
        std::process::Command::new("true").spawn().unwrap(),
    );
    let (status, took) = terminate(child);
    assert!(status.success(), "counter serve exited with {status}");
    assert!(took <= STOP_WITHIN, "counter serve took {took:?} to stop");
    // Every stream was ended by the server (end of body or connection closed).
    for mut s in streams {
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    }

    let (status, took) = terminate(board);
    assert!(status.success(), "the board exited with {status}");
    assert!(took <= STOP_WITHIN, "the board took {took:?} to stop");

    let db = office.open_db();
    let (n, status): (i64, String) = db
        .query_row(
            "SELECT COUNT(*), MAX(status) FROM ticket WHERE id = ?1",
            [issued["ticket"]["id"].as_i64().unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (n, status.as_str()),
        (1, "called"),
        "nothing committed lost"
    );
}

#[test]
fn the_server_tells_systemd_it_is_ready_once_it_listens_and_logs_sign_ins_by_default() {
    // What systemd gives a Type=notify service: a datagram socket in $NOTIFY_SOCKET.
    let office = Office::new();
    motcua_e2e::console::add_user(&office, "lan", "246810", "officer");
    let sock_path = office.dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let log = office.dir.path().join("serve.log");
    let mut child = office
        .command("counter")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("NOTIFY_SOCKET", &sock_path)
        .env_remove("MOTCUA_LOG")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = motcua_e2e::console::listening(&mut child);
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).expect("READY=1 on the notify socket");
    assert_eq!(std::str::from_utf8(&buf[..n]).unwrap().trim(), "READY=1");
    // Ready means it answers.
    let mut client = motcua_e2e::console::Client::at(&base);
    assert_eq!(client.login("lan", "246810", 1), 303);
    let (status, _) = terminate(child);
    assert!(status.success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("signed in") && log.contains("login=lan"),
        "the default log level keeps sign-ins:\n{log}"
    );
    assert!(
        !log.contains('\x1b'),
        "no colour codes in the journal:\n{log}"
    );
}
