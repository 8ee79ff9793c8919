//! #11: printer links that fail the way real ones do. A LAN printer whose connection dies in
//! the middle of a ticket (a proxy between the kiosk and emupos cuts it), a USB printer that
//! never answers status (`status = "none"`), and a USB printer unplugged before it confirmed the
//! ticket: a ticket
//! already committed is kept (exit 4, marked not printed) and `kiosk recover --reprint` prints
//! it once the printer is back.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_e2e::emupos::{Emupos, wait_for};
use motcua_e2e::{OFFICE_CONFIG, Office, json};

fn office_with_port(port: &str, extra: &str) -> Office {
    Office::with_config(&format!(
        "{}\n[printer]\nport = \"{port}\"\n{extra}",
        OFFICE_CONFIG.as_str()
    ))
}

/// `(print_pending, printed)` of ticket `number`.
fn print_state(office: &Office, number: &str) -> (i64, bool) {
    office
        .open_db()
        .query_row(
            "SELECT print_pending, printed_at IS NOT NULL FROM ticket WHERE number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

fn tickets(office: &Office) -> i64 {
    if !office.db().exists() {
        return 0;
    }
    office
        .open_db()
        .query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get(0))
        .unwrap()
}

/// A TCP proxy in front of a LAN printer that closes each connection once `cut` bytes went
/// from the kiosk to the printer (`usize::MAX`: never).
struct Proxy {
    addr: String,
    cut: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(printer: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cut = Arc::new(AtomicUsize::new(usize::MAX));
        let limit = cut.clone();
        std::thread::spawn(move || {
            for kiosk in listener.incoming().map_while(Result::ok) {
                let Ok(up) = TcpStream::connect(&printer) else {
                    continue;
                };
                let limit = limit.clone();
                let (mut k_in, mut up_out) = (kiosk.try_clone().unwrap(), up.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut sent = 0usize;
                    let mut buf = [0u8; 256];
                    while let Ok(n) = k_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let room = limit.load(Ordering::SeqCst).saturating_sub(sent).min(n);
                        if up_out.write_all(&buf[..room]).is_err() {
                            break;
                        }
                        sent += room;
                        if room < n {
                            // The cable is pulled: both sides see the connection end.
                            let _ = up_out.shutdown(Shutdown::Both);
                            let _ = k_in.shutdown(Shutdown::Both);
                            break;
                        }
                    }
                });
                let (mut up_in, mut k_out) = (up, kiosk);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_in, &mut k_out);
                    let _ = k_out.shutdown(Shutdown::Both);
                });
            }
        });
        Proxy { addr, cut }
    }
}

#[test]
fn a_lan_link_that_dies_mid_ticket_keeps_the_ticket_and_recover_reprints() {
    let emu = Emupos::start();
    let proxy = Proxy::start(emu.tcp_addr());
    let office = office_with_port(&format!("tcp://{}", proxy.addr), "");

    // Status queries (3 bytes each) pass; the ticket's raster lines do not.
    proxy.cut.store(600, Ordering::SeqCst);
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let v = json(&out);
    assert_eq!(v["printed"], false);
    let number = v["ticket"]["number"].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("kiosk reprint --number {number}")),
        "{err}"
    );
    assert_eq!(
        print_state(&office, &number),
        (2, false),
        "kept in the queue, marked: its print failed after the number was given"
    );

    // The printer is back (a new connection): recovery prints it, once.
    proxy.cut.store(usize::MAX, Ordering::SeqCst);
    let out = office.run("kiosk", &["recover", "--reprint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("Đã in lại số {number}")));
    let printed = wait_for("the reprinted slip", Duration::from_secs(20), || {
        emu.receipts().into_iter().find(|(_, text, boundary)| {
            boundary == "cut" && text.lines().any(|l| l.trim() == number)
        })
    });
    assert_eq!(printed.2, "cut");
    assert_eq!(print_state(&office, &number), (0, true));
    let out = office.run("kiosk", &["recover", "--reprint"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Không có phiếu nào bị sót"));
}

/// A pty standing in for a printer's device: the kiosk opens its slave path as it opens
/// `/dev/usb/lp0` (`usb:`) or a serial port; the test holds the master side.
struct PtyDevice {
    master: Option<OwnedFd>,
    _slave: OwnedFd,
    path: std::path::PathBuf,
}

impl PtyDevice {
    fn open() -> PtyDevice {
        let (mut m, mut s) = (0, 0);
        // SAFETY: out-pointers to two ints; no name, termios or window size.
        let rc = unsafe {
            libc::openpty(
                &mut m,
                &mut s,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        // SAFETY: both descriptors were just opened and are owned here only.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
        let path = std::fs::read_link(format!("/proc/self/fd/{s}")).unwrap();
        PtyDevice {
            master: Some(master),
            _slave: slave,
            path,
        }
    }

    /// A printer on the device: reads what the kiosk sends and, when `answers`, answers each
    /// `DLE EOT n` with "ready". When `vanish`, it goes away (its side closes) at the first
    /// status request after a cut: the kiosk cannot confirm the ticket, as when a USB printer
    /// is unplugged while its buffer still holds the slip. Returns the bytes read so far.
    fn printer(&mut self, answers: bool, vanish: bool) -> Arc<Mutex<Vec<u8>>> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let f = std::fs::File::from(self.master.take().unwrap());
        let sink = got.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let mut reader = &f;
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut g = sink.lock().unwrap();
                let start = g.len().saturating_sub(2);
                g.extend_from_slice(&buf[..n]);
                let queries = g[start..]
                    .windows(3)
                    .filter(|w| w[0] == 0x10 && w[1] == 0x04 && matches!(w[2], 1 | 2 | 4))
                    .count();
                if queries == 0 {
                    continue;
                }
                if vanish && has(&g, b"\x1dV") {
                    break; // drops `f`: unplugged
                }
                if answers {
                    let mut w = &f;
                    let _ = w.write_all(&vec![0x12; queries]);
                }
            }
        });
        got
    }
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_usb_printer_that_never_answers_status_refuses_then_prints_with_status_none() {
    let mut usb = PtyDevice::open();
    let got = usb.printer(false, false);
    let link = usb.path.display().to_string();

    // Asking a printer that never answers: exit 3 after the status timeout, the way out named.
    let office = office_with_port(&format!("usb:{link}"), "");
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("status = \"none\""), "{err}");
    assert_eq!(tickets(&office), 0, "nothing issued");

    // `status = "none"`: no question asked, the ticket's bytes go out whole.
    std::fs::write(
        office.config(),
        std::fs::read_to_string(office.config()).unwrap() + "status = \"none\"\n",
    )
    .unwrap();
    got.lock().unwrap().clear();
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["printed"], true);
    let number = v["ticket"]["number"].as_str().unwrap().to_string();
    let bytes = wait_for("the ticket's bytes", Duration::from_secs(20), || {
        let g = got.lock().unwrap();
        has(&g, b"\x1dV").then(|| g.clone())
    });
    assert!(bytes.starts_with(b"\x1b@"), "initialised first");
    assert!(!has(&bytes, b"\x10\x04"), "no status request was sent");
    assert!(has(&bytes, number.as_bytes()), "the number as text");
}

#[test]
fn a_usb_printer_unplugged_before_confirming_keeps_the_ticket_and_recover_reprints() {
    gone_before_confirming(|stable| format!("usb:{}", stable.display()));
}

/// The same on a serial link.
#[test]
fn a_serial_printer_gone_before_confirming_keeps_the_ticket_and_recover_reprints() {
    gone_before_confirming(|stable| stable.display().to_string());
}

/// A printer behind a stable name (`port_of` it gives `[printer] port`) answers status, takes
/// the ticket and goes away before confirming it: exit 4, kept and marked. Plugged in again
/// (the name points at the new device), `kiosk recover --reprint` prints it.
fn gone_before_confirming(port_of: impl Fn(&std::path::Path) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let stable = dir.path().join("motcua-printer");
    let mut first = PtyDevice::open();
    std::os::unix::fs::symlink(&first.path, &stable).unwrap();
    first.printer(true, true);
    let office = office_with_port(&port_of(&stable), "");
    let out = office.run("kiosk", &["issue", "--service", "DD", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let number = json(&out)["ticket"]["number"].as_str().unwrap().to_string();
    assert_eq!(print_state(&office, &number), (2, false));

    let mut again = PtyDevice::open();
    let got = again.printer(true, false);
    std::fs::remove_file(&stable).unwrap();
    std::os::unix::fs::symlink(&again.path, &stable).unwrap();
    let out = office.run("kiosk", &["recover", "--reprint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for("the reprinted slip", Duration::from_secs(20), || {
        let g = got.lock().unwrap();
        (has(&g, b"\x1dV") && has(&g, number.as_bytes())).then_some(())
    });
    assert_eq!(print_state(&office, &number), (0, true));
}

#[test]
fn kiosk_printers_lists_candidates_and_the_lan_hint() {
    let office = Office::new();
    let out = office.run("kiosk", &["printers"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[printer] port"), "{text}");
    assert!(text.lines().last().unwrap().contains("tcp://"), "{text}");
    // A device that is not a serial port (as /dev/usb/lp0 is not), given as one: exit 3, and
    // the message says what to write instead.
    let office = office_with_port("/dev/null", "");
    let out = office.run("kiosk", &["issue", "--service", "TP"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("port = \"usb:/dev/null\""), "{err}");
}

/// #11.3: while the touchscreen holds the printer (ports are opened exclusively, as usblp
/// devices are), `kiosk reprint` from a shell says so and where to reprint instead. The kiosk
/// runs as an unprivileged user here, as in an office (root may open an exclusive terminal).
#[test]
fn a_printer_held_by_the_running_kiosk_is_named_as_such() {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    const NOBODY: u32 = 65534;
    let mut dev = PtyDevice::open();
    dev.printer(true, false);
    std::fs::set_permissions(&dev.path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&dev.path)
        .unwrap();
    // SAFETY: an open descriptor; TIOCEXCL takes no argument.
    assert_eq!(unsafe { libc::ioctl(held.as_raw_fd(), libc::TIOCEXCL) }, 0);
    for port in [
        dev.path.display().to_string(),
        format!("usb:{}", dev.path.display()),
    ] {
        let office = office_with_port(&port, "");
        let dir = office.config().parent().unwrap().to_path_buf();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let as_nobody = |args: &[&str]| {
            let mut c = office.command("kiosk");
            c.args(args);
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } == 0 {
                c.uid(NOBODY).gid(NOBODY);
            }
            c.output().unwrap()
        };
        let out = as_nobody(&["issue", "--service", "TP", "--no-print"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = as_nobody(&["reprint", "--number", "1001"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{port}: {err}");
        assert!(
            err.contains("another program holds the printer") && err.contains("In lại số"),
            "{port}: {err}"
        );
    }
}
