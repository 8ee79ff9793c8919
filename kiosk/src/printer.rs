//! The printer adapter: an ESC/POS printer on a serial port, the kernel's USB printer device or
//! a LAN socket (or the virtual printer), its real-time status, and sending a ticket's bytes.
//!
//! **Invariant:** this is the only module that opens a printer. Status queries and printing
//! share one handle (`serialport` opens ports exclusively; usblp and most LAN printers take one
//! client at a time).

use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use motcua::config::{self, FlowControl, PortKind, StatusPolicy};
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
    #[error("printer does not answer on {port} ({hint})")]
    NoAnswer {
        /// The configured port.
        port: String,
        /// What usually causes it on this kind of link.
        hint: &'static str,
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

/// A byte link to a printer: a serial port, the kernel's USB printer device, a LAN printer's
/// TCP socket; a fake in tests.
pub trait Link: Read + Write + Send {
    /// Sets the timeout of later reads and writes.
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()>;
    /// Drops bytes received but not read yet.
    fn clear_input(&mut self) -> io::Result<()>;
    /// Waits until every byte written has left, at most `within` (a printer stalled by flow
    /// control must not hang the kiosk): `TimedOut` after that.
    fn drain(&mut self, within: Duration) -> io::Result<()>;
}

impl<L: Link + ?Sized> Link for Box<L> {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        (**self).set_timeout(timeout)
    }
    fn clear_input(&mut self) -> io::Result<()> {
        (**self).clear_input()
    }
    fn drain(&mut self, within: Duration) -> io::Result<()> {
        (**self).drain(within)
    }
}

/// A serial port (`port = "/dev/ttyUSB0"`).
pub struct SerialLink(pub Box<dyn serialport::SerialPort>);

impl Read for SerialLink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for SerialLink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Link for SerialLink {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.0.set_timeout(timeout).map_err(io::Error::other)
    }

    fn drain(&mut self, within: Duration) -> io::Result<()> {
        // Not `flush` (tcdrain): it has no timeout. The output queue is polled instead.
        let deadline = Instant::now() + within;
        loop {
            if self.0.bytes_to_write().map_err(io::Error::other)? == 0 {
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
        self.0
            .clear(serialport::ClearBuffer::Input)
            .map_err(io::Error::other)
    }
}

/// The kernel's USB printer device (`port = "usb:/dev/usb/lp0"`, the usblp driver): one file
/// opened for reading and writing. Every read and write waits with `poll(2)` for at most the
/// timeout, so a printer that never answers status costs the status timeout, never a hang.
///
/// `std::fs::File` has no timeouts and no crate wraps usblp, hence the few lines of `poll`.
/// When the path is a terminal (a pty standing in for the printer in tests) it is put in raw
/// mode, so that the bytes pass unchanged; a real usblp device is not a terminal.
pub struct UsbLink {
    file: fs::File,
    timeout: Duration,
}

impl UsbLink {
    /// Opens `path` for reading and writing, non-blocking.
    pub fn open(path: &std::path::Path, timeout: Duration) -> io::Result<UsbLink> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)?;
        let fd = file.as_raw_fd();
        // SAFETY: `fd` is open for the whole block; `t` is a plain C struct filled by tcgetattr.
        unsafe {
            if libc::isatty(fd) == 1 {
                let mut t: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(fd, &mut t) == 0 {
                    libc::cfmakeraw(&mut t);
                    libc::tcsetattr(fd, libc::TCSANOW, &t);
                }
            }
        }
        Ok(UsbLink { file, timeout })
    }

    /// Waits until the device is ready for `events`, at most the timeout: false when it is not.
    fn wait(&self, events: libc::c_short) -> io::Result<bool> {
        use std::os::unix::io::AsRawFd;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fds = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events,
                revents: 0,
            };
            let ms = left.as_millis().min(i32::MAX as u128) as libc::c_int;
            // SAFETY: one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&mut fds, 1, ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                return Ok(false);
            }
            if fds.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the USB printer went away (unplugged or switched off)",
                ));
            }
            // POLLHUP with data still readable: let the read see it.
            return Ok(true);
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

impl Read for UsbLink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.wait(libc::POLLIN)? {
            return Err(timed_out("no answer from the USB printer"));
        }
        match self.file.read(buf) {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the USB printer went away",
            )),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(timed_out("no answer from the USB printer"))
            }
            r => r,
        }
    }
}

impl Write for UsbLink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.wait(libc::POLLOUT)? {
            return Err(timed_out("the USB printer stopped taking data"));
        }
        match self.file.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(timed_out("the USB printer stopped taking data"))
            }
            r => r,
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Link for UsbLink {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.timeout = timeout;
        Ok(())
    }
    fn clear_input(&mut self) -> io::Result<()> {
        let mut buf = [0u8; 64];
        loop {
            match self.file.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
    fn drain(&mut self, _within: Duration) -> io::Result<()> {
        // usblp hands each write to the printer before it returns (bounded by `wait`).
        Ok(())
    }
}

/// How long connecting to a LAN printer may take before it counts as off.
pub const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A LAN printer's raw port (`port = "tcp://192.168.1.50:9100"`): one connection, read and
/// write timeouts, `DLE EOT` over the socket. A connection the printer closed (many close idle
/// ones) is opened again by [`Printer`].
pub struct TcpLink {
    stream: std::net::TcpStream,
}

impl TcpLink {
    /// Connects to `host:port`, each address at most [`TCP_CONNECT_TIMEOUT`].
    pub fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<TcpLink> {
        use std::net::ToSocketAddrs;
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"));
        for addr in (host, port).to_socket_addrs()? {
            match std::net::TcpStream::connect_timeout(&addr, TCP_CONNECT_TIMEOUT) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    let mut link = TcpLink { stream };
                    link.set_timeout(timeout)?;
                    return Ok(link);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl Read for TcpLink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.read(buf) {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed the connection",
            )),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(timed_out("no answer from the LAN printer"))
            }
            r => r,
        }
    }
}

impl Write for TcpLink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.stream.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(timed_out("the LAN printer stopped taking data"))
            }
            r => r,
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Link for TcpLink {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        let t = Some(timeout.max(Duration::from_millis(1)));
        self.stream.set_read_timeout(t)?;
        self.stream.set_write_timeout(t)
    }
    fn clear_input(&mut self) -> io::Result<()> {
        self.stream.set_nonblocking(true)?;
        let mut buf = [0u8; 64];
        let r = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the printer closed the connection",
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.stream.set_nonblocking(false)?;
        r
    }
    fn drain(&mut self, _within: Duration) -> io::Result<()> {
        // The kernel sends what was written; the status read after it confirms the printer took it.
        Ok(())
    }
}

/// An ESC/POS printer on a [`Link`].
pub struct LinkPrinter<L: Link> {
    link: L,
    port: String,
    baud: u32,
    status_timeout: Duration,
    policy: StatusPolicy,
    hint: &'static str,
    /// The link failed with something other than a timeout (closed, reset, unplugged).
    broken: bool,
}

/// Why a serial printer may be silent.
const SERIAL_HINT: &str = "switched off, unplugged or wrong baud rate";
/// Why a USB printer may be silent.
const USB_HINT: &str = "switched off or unplugged; a USB printer that never answers status needs [printer] status = \"none\"";
/// Why a LAN printer may be silent.
const TCP_HINT: &str = "switched off, off the network, or another computer holds its connection";
/// The speed given to USB and TCP links for sizing waits: they are not the bottleneck.
const FAST_LINK_BAUD: u32 = 1_000_000;

impl<L: Link> LinkPrinter<L> {
    /// A printer on `link`; `port` names it in messages, `baud` sizes write timeouts.
    pub fn new(link: L, port: &str, baud: u32, status_timeout: Duration) -> Self {
        LinkPrinter {
            link,
            port: port.to_string(),
            baud,
            status_timeout,
            policy: StatusPolicy::Query,
            hint: SERIAL_HINT,
            broken: false,
        }
    }

    /// Whether status is asked (`[printer] status`).
    pub fn with_policy(mut self, policy: StatusPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn with_hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }

    /// True once the link failed other than by a timeout: it must be opened again.
    pub fn broken(&self) -> bool {
        self.broken
    }

    fn no_answer(&self) -> PrintError {
        PrintError::NoAnswer {
            port: self.port.clone(),
            hint: self.hint,
        }
    }

    /// The link failed other than by a timeout: no answer, and the link must be opened again.
    fn lost(&mut self) -> PrintError {
        self.broken = true;
        self.no_answer()
    }

    fn query(&mut self, n: u8, timeout: Duration) -> Result<u8, PrintError> {
        // Stale bytes (a late answer to an earlier query) would be read as this answer.
        if let Err(e) = self.link.clear_input()
            && e.kind() != io::ErrorKind::TimedOut
        {
            return Err(self.lost());
        }
        if self.link.set_timeout(timeout).is_err()
            || self
                .link
                .write_all(&[STATUS_REQUEST[0], STATUS_REQUEST[1], n])
                .and_then(|()| self.link.flush())
                .is_err()
        {
            return Err(self.lost());
        }
        let deadline = Instant::now() + timeout;
        let mut b = [0u8; 1];
        loop {
            match self.link.read(&mut b) {
                Ok(1) => return Ok(b[0]),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(self.lost()),
            }
            if Instant::now() >= deadline {
                return Err(self.no_answer());
            }
        }
    }

    /// Real-time status: `DLE EOT` 1, 2 and 4.
    pub fn status(&mut self) -> Result<Status, PrintError> {
        self.status_within(self.status_timeout)
    }

    fn status_within(&mut self, timeout: Duration) -> Result<Status, PrintError> {
        if self.policy == StatusPolicy::None {
            // Documented: such a printer is taken as ready; paper out is not seen.
            return Ok(Status::default());
        }
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
        let broken = |p: &mut Self, e: io::Error| {
            p.broken = true;
            PrintError::Write(e)
        };
        if let Err(e) = self.link.set_timeout(budget) {
            return Err(broken(self, e));
        }
        for chunk in bytes.chunks(1024) {
            if let Err(e) = self.link.write_all(chunk) {
                return Err(broken(self, e));
            }
        }
        if let Err(e) = self.link.drain(budget) {
            return Err(broken(self, e));
        }
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
                hint: "DIR/fault says no-answer",
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

/// A serial port the system knows (`kiosk printers`).
pub struct SerialPortInfo {
    /// Its path, e.g. `/dev/ttyUSB0`.
    pub path: String,
    /// A USB-serial adapter's vendor id, product id, maker and model.
    pub usb: Option<(u16, u16, Option<String>, Option<String>)>,
}

/// The serial ports of this machine, USB-serial adapters first.
pub fn serial_ports() -> Vec<SerialPortInfo> {
    let mut ports: Vec<SerialPortInfo> = serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|p| SerialPortInfo {
            path: p.port_name,
            usb: match p.port_type {
                serialport::SerialPortType::UsbPort(u) => {
                    Some((u.vid, u.pid, u.manufacturer, u.product))
                }
                _ => None,
            },
        })
        .collect();
    ports.sort_by(|a, b| (a.usb.is_none(), &a.path).cmp(&(b.usb.is_none(), &b.path)));
    ports
}

/// The configured printer.
pub enum Printer {
    /// An ESC/POS printer on a serial port, a USB printer device or a TCP socket.
    Link {
        /// The printer.
        printer: LinkPrinter<Box<dyn Link>>,
        /// Its config, to connect again after the link broke.
        cfg: config::Printer,
    },
    /// The virtual printer.
    Virtual(VirtualPrinter),
}

/// What staff read when another program holds the printer (it opens exclusively).
const HELD: &str = "another program holds the printer, usually the running kiosk touchscreen: reprint from its staff menu (\"In lại số\") or stop it first";

/// A port that cannot be opened, saying so when it is held by another program.
fn port_missing(port: &str, detail: String, busy: bool) -> PrintError {
    PrintError::PortMissing {
        port: port.to_string(),
        detail: if busy || detail.to_lowercase().contains("busy") {
            format!("{detail}: {HELD}")
        } else {
            detail
        },
    }
}

/// Opens the link of `cfg` (not the virtual printer).
fn open_link(cfg: &config::Printer) -> Result<LinkPrinter<Box<dyn Link>>, PrintError> {
    let missing = |e: io::Error| {
        let busy = e.kind() == io::ErrorKind::ResourceBusy;
        port_missing(&cfg.port, e.to_string(), busy)
    };
    let p = match &cfg.link {
        PortKind::Serial(path) => {
            let flow = match cfg.flow_control {
                FlowControl::None => serialport::FlowControl::None,
                FlowControl::Hardware => serialport::FlowControl::Hardware,
                FlowControl::Software => serialport::FlowControl::Software,
            };
            let port = serialport::new(path.to_string_lossy(), cfg.baud)
                .flow_control(flow)
                .timeout(cfg.status_timeout)
                .open()
                .map_err(|e| {
                    let mut detail = e.to_string();
                    if detail.contains("Not a typewriter") {
                        // usblp devices are not serial ports (#11).
                        detail = format!(
                            "{detail}: this is not a serial port; for a USB printer write port = \"usb:{}\"",
                            path.display()
                        );
                    }
                    port_missing(&cfg.port, detail, false)
                })?;
            let link: Box<dyn Link> = Box::new(SerialLink(port));
            LinkPrinter::new(link, &cfg.port, cfg.baud, cfg.status_timeout)
        }
        PortKind::Usb(path) => {
            let link: Box<dyn Link> =
                Box::new(UsbLink::open(path, cfg.status_timeout).map_err(missing)?);
            LinkPrinter::new(link, &cfg.port, FAST_LINK_BAUD, cfg.status_timeout)
                .with_hint(USB_HINT)
        }
        PortKind::Tcp { host, port } => {
            let link: Box<dyn Link> =
                Box::new(TcpLink::connect(host, *port, cfg.status_timeout).map_err(missing)?);
            LinkPrinter::new(link, &cfg.port, FAST_LINK_BAUD, cfg.status_timeout)
                .with_hint(TCP_HINT)
        }
        PortKind::Virtual(_) => unreachable!("the virtual printer has no link"),
    };
    Ok(p.with_policy(cfg.status))
}

impl Printer {
    /// Opens the printer of `[printer]`.
    pub fn open(cfg: &config::Printer) -> Result<Printer, PrintError> {
        if let PortKind::Virtual(dir) = &cfg.link {
            return VirtualPrinter::new(dir.clone())
                .map(Printer::Virtual)
                .map_err(|e| PrintError::PortMissing {
                    port: cfg.port.clone(),
                    detail: e.to_string(),
                });
        }
        Ok(Printer::Link {
            printer: open_link(cfg)?,
            cfg: cfg.clone(),
        })
    }

    /// Real-time status. A LAN printer that closed an idle connection is connected again once.
    pub fn status(&mut self) -> Result<Status, PrintError> {
        match self {
            Printer::Link { printer, cfg } => {
                let first = printer.status();
                if first.is_err() && printer.broken() && matches!(cfg.link, PortKind::Tcp { .. }) {
                    tracing::info!(port = %cfg.port, "connecting to the printer again");
                    *printer = open_link(cfg)?;
                    return printer.status();
                }
                first
            }
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
            Printer::Link { printer, .. } => printer.send(bytes),
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

    /// #11: `status = "none"` never asks (a USB printer that never answers must not hang or
    /// refuse): the ticket bytes are all that goes out.
    #[test]
    fn status_none_never_asks() {
        let mut p = printer(&[]).with_policy(StatusPolicy::None);
        assert!(p.status().unwrap().ready());
        p.send(b"ticket").unwrap();
        assert_eq!(p.link.written, b"ticket");
        assert!(p.link.pending.is_empty());
        // And a silent printer with the default policy is "no answer".
        let mut p = printer(&[]);
        assert!(matches!(p.status(), Err(PrintError::NoAnswer { .. })));
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
