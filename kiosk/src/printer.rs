//! The printer adapter: a serial ESC/POS printer (or the virtual one), its real-time status, and
//! sending a ticket's bytes.
//!
//! **Invariant:** this is the only module that opens a serial port. Status queries and printing
//! share one handle (`serialport` opens ports exclusively).

use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use motcua::config::{self, FlowControl};
use motcua::escpos::{BadStatusByte, STATUS_REQUEST, Status};
use motcua::raster::Bitmap;

/// Why a ticket cannot be printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The serial port could not be opened (missing, unplugged, no permission).
    #[error("printer port {port} cannot be opened: {detail}; check the cable and [printer] port")]
    PortMissing {
        /// The configured port.
        port: String,
        /// The system's reason.
        detail: String,
    },
    /// The printer did not answer a status request in time.
    #[error("printer does not answer on {port} (switched off, unplugged or wrong baud rate)")]
    NoAnswer {
        /// The configured port.
        port: String,
    },
    /// The answer was not an ESC/POS status byte.
    #[error(transparent)]
    BadReply(#[from] BadStatusByte),
    /// The printer answered that it cannot print now.
    #[error("printer not ready: {}", describe(.0))]
    NotReady(Status),
    /// Sending the ticket failed part-way.
    #[error("sending the ticket to the printer failed: {0}")]
    Write(io::Error),
}

fn describe(s: &Status) -> &'static str {
    if s.paper_out {
        "paper out"
    } else if s.cover_open {
        "cover open"
    } else if s.offline {
        "offline"
    } else {
        "ready"
    }
}

impl PrintError {
    /// There is no `[printer]` in the config.
    pub fn not_configured() -> PrintError {
        PrintError::PortMissing {
            port: "(none)".into(),
            detail: "no [printer] in the config".into(),
        }
    }

    /// True when the printer was not ready to start (CONTRACT.md exit code 3: no ticket issued).
    pub fn is_not_ready(&self) -> bool {
        !matches!(self, PrintError::Write(_))
    }

    /// The message for the kiosk screen, in Vietnamese.
    pub fn vi(&self) -> &'static str {
        match self {
            PrintError::NotReady(s) if s.paper_out => {
                "Máy in tạm hết giấy, vui lòng liên hệ cán bộ hướng dẫn"
            }
            PrintError::NotReady(s) if s.cover_open => {
                "Nắp máy in đang mở, vui lòng liên hệ cán bộ hướng dẫn"
            }
            PrintError::NotReady(_) => "Máy in đang tạm dừng, vui lòng liên hệ cán bộ hướng dẫn",
            PrintError::PortMissing { .. }
            | PrintError::NoAnswer { .. }
            | PrintError::BadReply(_) => "Máy in chưa sẵn sàng, vui lòng liên hệ cán bộ hướng dẫn",
            PrintError::Write(_) => "In phiếu không thành công, vui lòng liên hệ cán bộ hướng dẫn",
        }
    }

    /// A short machine-readable name, stored as the printer's device status.
    pub fn code(&self) -> &'static str {
        match self {
            PrintError::NotReady(s) if s.paper_out => "paper_out",
            PrintError::NotReady(s) if s.cover_open => "cover_open",
            PrintError::NotReady(_) => "offline",
            PrintError::PortMissing { .. } => "port_missing",
            PrintError::NoAnswer { .. } => "no_answer",
            PrintError::BadReply(_) => "bad_reply",
            PrintError::Write(_) => "write_failed",
        }
    }
}

/// A byte link to a printer: a serial port in production, a fake in tests.
pub trait Link: Read + Write + Send {
    /// Sets the timeout of later reads and writes.
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()>;
    /// Drops bytes received but not read yet.
    fn clear_input(&mut self) -> io::Result<()>;
    /// Waits until every byte written has left, at most `within` (a printer stalled by flow
    /// control must not hang the kiosk): `TimedOut` after that.
    fn drain(&mut self, within: Duration) -> io::Result<()>;
}

impl Link for Box<dyn serialport::SerialPort> {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        serialport::SerialPort::set_timeout(self.as_mut(), timeout).map_err(io::Error::other)
    }

    fn drain(&mut self, within: Duration) -> io::Result<()> {
        // Not `flush` (tcdrain): it has no timeout. The output queue is polled instead.
        let deadline = Instant::now() + within;
        loop {
            if self.bytes_to_write().map_err(io::Error::other)? == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the printer stopped taking data (flow control held)",
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn clear_input(&mut self) -> io::Result<()> {
        self.clear(serialport::ClearBuffer::Input)
            .map_err(io::Error::other)
    }
}

/// An ESC/POS printer on a [`Link`].
pub struct LinkPrinter<L: Link> {
    link: L,
    port: String,
    baud: u32,
    status_timeout: Duration,
}

impl<L: Link> LinkPrinter<L> {
    /// A printer on `link`; `port` names it in messages, `baud` sizes write timeouts.
    pub fn new(link: L, port: &str, baud: u32, status_timeout: Duration) -> Self {
        LinkPrinter {
            link,
            port: port.to_string(),
            baud,
            status_timeout,
        }
    }

    fn query(&mut self, n: u8, timeout: Duration) -> Result<u8, PrintError> {
        let no_answer = || PrintError::NoAnswer {
            port: self.port.clone(),
        };
        // Stale bytes (a late answer to an earlier query) would be read as this answer.
        let _ = self.link.clear_input();
        self.link.set_timeout(timeout).map_err(|_| no_answer())?;
        self.link
            .write_all(&[STATUS_REQUEST[0], STATUS_REQUEST[1], n])
            .and_then(|()| self.link.flush())
            .map_err(|_| no_answer())?;
        let deadline = Instant::now() + timeout;
        let mut b = [0u8; 1];
        loop {
            match self.link.read(&mut b) {
                Ok(1) => return Ok(b[0]),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(no_answer()),
            }
            if Instant::now() >= deadline {
                return Err(no_answer());
            }
        }
    }

    /// Real-time status: `DLE EOT` 1, 2 and 4.
    pub fn status(&mut self) -> Result<Status, PrintError> {
        self.status_within(self.status_timeout)
    }

    fn status_within(&mut self, timeout: Duration) -> Result<Status, PrintError> {
        let a = self.query(1, timeout)?;
        let b = self.query(2, timeout)?;
        let c = self.query(4, timeout)?;
        Ok(Status::parse(a, b, c)?)
    }

    /// How long `n` bytes take on the wire at this baud rate (10 bits a byte).
    pub fn wire_time(&self, n: usize) -> Duration {
        Duration::from_secs_f64(n as f64 * 10.0 / f64::from(self.baud.max(1)))
    }

    /// Sends `bytes`, then reads the status again; an error if the printer stopped. Every wait
    /// is bounded and sized to the ticket: writing and draining get twice its wire time (at
    /// least 2 s), and the status after it the status timeout plus that, because a buffering
    /// link (a USB adapter, the printer's own buffer) answers only once the ticket has gone.
    pub fn send(&mut self, bytes: &[u8]) -> Result<Status, PrintError> {
        let budget = (self.wire_time(bytes.len()) * 2).max(Duration::from_secs(2));
        self.link.set_timeout(budget).map_err(PrintError::Write)?;
        for chunk in bytes.chunks(1024) {
            self.link.write_all(chunk).map_err(PrintError::Write)?;
        }
        self.link.drain(budget).map_err(PrintError::Write)?;
        let after = self.status_within(self.status_timeout + budget)?;
        if after.ready() {
            Ok(after)
        } else {
            Err(PrintError::NotReady(after))
        }
    }
}

/// The virtual printer (`port = "virtual:DIR"`): each ticket's bytes and a PNG of it in DIR.
///
/// Its status is read from `DIR/fault` when that file exists, holding one of `paper-out`,
/// `cover-open`, `offline`, `paper-near-end` or `no-answer`: a way to rehearse printer trouble.
pub struct VirtualPrinter {
    dir: PathBuf,
}

impl VirtualPrinter {
    /// A virtual printer writing into `dir` (created if missing).
    pub fn new(dir: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        Ok(VirtualPrinter { dir })
    }

    /// The status, from `DIR/fault`.
    pub fn status(&self) -> Result<Status, PrintError> {
        let fault = fs::read_to_string(self.dir.join("fault")).unwrap_or_default();
        let ok = Status::default();
        match fault.trim() {
            "" => Ok(ok),
            "paper-out" => Ok(Status {
                paper_out: true,
                ..ok
            }),
            "cover-open" => Ok(Status {
                cover_open: true,
                offline: true,
                ..ok
            }),
            "offline" => Ok(Status {
                offline: true,
                ..ok
            }),
            "paper-near-end" => Ok(Status {
                paper_near_end: true,
                ..ok
            }),
            _ => Err(PrintError::NoAnswer {
                port: format!("virtual:{}", self.dir.display()),
            }),
        }
    }

    /// Writes `name.bin` and `name.png` (atomically: a reader never sees half a file).
    pub fn send(&self, name: &str, bytes: &[u8], picture: &Bitmap) -> Result<Status, PrintError> {
        let png = motcua::ticket::png(picture).map_err(PrintError::Write)?;
        for (ext, data) in [("bin", bytes), ("png", png.as_slice())] {
            let tmp = self.dir.join(format!(".{name}.{ext}.tmp"));
            fs::write(&tmp, data)
                .and_then(|()| fs::rename(&tmp, self.dir.join(format!("{name}.{ext}"))))
                .map_err(PrintError::Write)?;
        }
        self.status()
    }
}

/// The configured printer.
pub enum Printer {
    /// A serial ESC/POS printer.
    Serial(LinkPrinter<Box<dyn serialport::SerialPort>>),
    /// The virtual printer.
    Virtual(VirtualPrinter),
}

impl Printer {
    /// Opens the printer of `[printer]`.
    pub fn open(cfg: &config::Printer) -> Result<Printer, PrintError> {
        if let Some(dir) = cfg.port.strip_prefix("virtual:") {
            return VirtualPrinter::new(PathBuf::from(dir))
                .map(Printer::Virtual)
                .map_err(|e| PrintError::PortMissing {
                    port: cfg.port.clone(),
                    detail: e.to_string(),
                });
        }
        let flow = match cfg.flow_control {
            FlowControl::None => serialport::FlowControl::None,
            FlowControl::Hardware => serialport::FlowControl::Hardware,
            FlowControl::Software => serialport::FlowControl::Software,
        };
        let port = serialport::new(&cfg.port, cfg.baud)
            .flow_control(flow)
            .timeout(cfg.status_timeout)
            .open()
            .map_err(|e| PrintError::PortMissing {
                port: cfg.port.clone(),
                detail: e.to_string(),
            })?;
        Ok(Printer::Serial(LinkPrinter::new(
            port,
            &cfg.port,
            cfg.baud,
            cfg.status_timeout,
        )))
    }

    /// Real-time status.
    pub fn status(&mut self) -> Result<Status, PrintError> {
        match self {
            Printer::Serial(p) => p.status(),
            Printer::Virtual(p) => p.status(),
        }
    }

    /// Sends a ticket: `name` names the virtual printer's files, `picture` is what they show.
    pub fn send(
        &mut self,
        name: &str,
        bytes: &[u8],
        picture: impl FnOnce() -> Bitmap,
    ) -> Result<Status, PrintError> {
        match self {
            Printer::Serial(p) => p.send(bytes),
            Printer::Virtual(p) => p.send(name, bytes, &picture()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scripted printer: answers each status request with the next byte of `answers`.
    struct Fake {
        answers: VecDeque<u8>,
        pending: VecDeque<u8>,
        written: Vec<u8>,
        fail_writes: bool,
        /// Flow control holds the data: draining never ends.
        stalled: bool,
        /// Every timeout set, in order.
        timeouts: Vec<Duration>,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.pending.pop_front() {
                Some(b) => {
                    buf[0] = b;
                    Ok(1)
                }
                None => Err(io::Error::new(io::ErrorKind::TimedOut, "timeout")),
            }
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.fail_writes {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out"));
            }
            if buf.len() == 3 && buf[..2] == STATUS_REQUEST {
                if let Some(a) = self.answers.pop_front() {
                    self.pending.push_back(a);
                }
            } else {
                self.written.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Link for Fake {
        fn set_timeout(&mut self, t: Duration) -> io::Result<()> {
            self.timeouts.push(t);
            Ok(())
        }
        fn drain(&mut self, within: Duration) -> io::Result<()> {
            if self.stalled {
                // What the serial link does: give up at the deadline (not waited for here).
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("stalled for {within:?}"),
                ));
            }
            Ok(())
        }
        fn clear_input(&mut self) -> io::Result<()> {
            self.pending.clear();
            Ok(())
        }
    }

    fn printer(answers: &[u8]) -> LinkPrinter<Fake> {
        let fake = Fake {
            answers: answers.iter().copied().collect(),
            pending: VecDeque::new(),
            written: Vec::new(),
            fail_writes: false,
            stalled: false,
            timeouts: Vec::new(),
        };
        LinkPrinter::new(fake, "/dev/fake", 9600, Duration::from_millis(20))
    }

    #[test]
    fn ready_printer_prints_and_rechecks() {
        let mut p = printer(&[0x12, 0x12, 0x12, 0x12, 0x12, 0x1e]);
        assert!(p.status().unwrap().ready());
        let after = p.send(b"ticket").unwrap();
        assert!(after.paper_near_end);
        assert_eq!(p.link.written, b"ticket");
    }

    #[test]
    fn paper_out_cover_open_offline_are_not_ready() {
        for (answers, code) in [
            ([0x1a, 0x32, 0x7e], "paper_out"),
            ([0x1a, 0x16, 0x12], "cover_open"),
            ([0x1a, 0x12, 0x12], "offline"),
        ] {
            let st = printer(&answers).status().unwrap();
            let e = PrintError::NotReady(st);
            assert!(e.is_not_ready());
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn silence_is_no_answer_and_garbage_is_a_bad_reply() {
        assert!(matches!(
            printer(&[]).status(),
            Err(PrintError::NoAnswer { .. })
        ));
        assert!(matches!(
            printer(&[0x12, 0x12]).status(),
            Err(PrintError::NoAnswer { .. })
        ));
        assert!(matches!(
            printer(&[0xff, 0x12, 0x12]).status(),
            Err(PrintError::BadReply(_))
        ));
    }

    #[test]
    fn paper_out_after_sending_is_an_error() {
        let mut p = printer(&[0x1a, 0x32, 0x7e]);
        let e = p.send(b"ticket").unwrap_err();
        assert!(matches!(e, PrintError::NotReady(s) if s.paper_out));
    }

    #[test]
    fn failed_write_is_a_print_failure_not_a_readiness_one() {
        let mut p = printer(&[]);
        p.link.fail_writes = true;
        let e = p.send(b"ticket").unwrap_err();
        assert!(!e.is_not_ready());
        assert_eq!(
            e.vi(),
            "In phiếu không thành công, vui lòng liên hệ cán bộ hướng dẫn"
        );
    }

    /// #17.24: a printer stalled by flow control ends in a print failure, not a hang; the waits
    /// are sized to the ticket and the baud rate.
    #[test]
    fn waits_are_bounded_and_sized_to_the_ticket() {
        let mut p = printer(&[0x12, 0x12, 0x12]);
        p.link.stalled = true;
        let e = p.send(&[0u8; 100]).unwrap_err();
        assert!(
            matches!(&e, PrintError::Write(io) if io.kind() == io::ErrorKind::TimedOut),
            "{e}"
        );

        // A 24 KB ticket at 9600 baud is 25 s on the wire: the status after it waits for that.
        let mut p = printer(&[0x12, 0x12, 0x12]);
        let ticket = vec![0u8; 24_000];
        let wire = p.wire_time(ticket.len());
        assert_eq!(wire, Duration::from_secs(25));
        p.send(&ticket).unwrap();
        let status_wait = *p.link.timeouts.last().unwrap();
        assert_eq!(status_wait, Duration::from_millis(20) + wire * 2);
        assert_eq!(p.link.timeouts[0], wire * 2, "write budget");
        // A small ticket keeps the short waits.
        let mut p = printer(&[0x12, 0x12, 0x12]);
        p.send(b"ticket").unwrap();
        assert_eq!(p.link.timeouts[0], Duration::from_secs(2));
    }

    #[test]
    fn virtual_printer_writes_files_and_reads_faults() {
        let dir = tempfile::tempdir().unwrap();
        let v = VirtualPrinter::new(dir.path().join("out")).unwrap();
        assert!(v.status().unwrap().ready());
        v.send("t1", b"bytes", &Bitmap::new(8, 1)).unwrap();
        assert_eq!(fs::read(dir.path().join("out/t1.bin")).unwrap(), b"bytes");
        assert!(
            fs::read(dir.path().join("out/t1.png"))
                .unwrap()
                .starts_with(b"\x89PNG")
        );
        fs::write(dir.path().join("out/fault"), "paper-out\n").unwrap();
        assert!(v.status().unwrap().paper_out);
        fs::write(dir.path().join("out/fault"), "no-answer").unwrap();
        assert!(v.status().is_err());
    }
}
