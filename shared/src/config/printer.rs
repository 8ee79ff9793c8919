//! `[printer]`: the ticket printer and its defaults.

use super::*;

/// Default printer baud rate.
pub const DEFAULT_BAUD: u32 = 9600;

/// Default printer width in dots (80 mm paper).
pub const DEFAULT_WIDTH_DOTS: u32 = 576;

/// Baud rates a serial printer is accepted at.
pub const BAUD_RATES: [u32; 8] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

/// Printer widths in dots: 58 mm, 72 mm print area and 80 mm paper.
pub const WIDTHS_DOTS: [u32; 3] = [384, 512, 576];

/// `[printer]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printer {
    /// The port as configured (`/dev/ttyUSB0`, `usb:/dev/usb/lp0`, `tcp://HOST:PORT`,
    /// `virtual:DIR`): names the printer in messages.
    pub port: String,
    /// What `port` means.
    pub link: PortKind,
    /// Whether the printer is asked for its real-time status (`[printer] status`).
    pub status: StatusPolicy,
    /// Baud rate, one of [`BAUD_RATES`].
    pub baud: u32,
    /// Printable width in dots, one of [`WIDTHS_DOTS`].
    pub width_dots: u32,
    /// Serial flow control.
    pub flow_control: FlowControl,
    /// How the status QR code is printed.
    pub qr: QrMode,
    /// A short line printed at the bottom of every ticket.
    pub footer: Option<String>,
    /// How long to wait for the printer's answer to a status query.
    pub status_timeout: Duration,
    /// What the kiosk does when the printer is not ready.
    pub when_not_ready: WhenNotReady,
}

/// Where the printer is (`[printer] port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    /// A serial port (`/dev/ttyUSB0`, `/dev/ttyS0`, a pty).
    Serial(PathBuf),
    /// The kernel's USB printer device (`usb:/dev/usb/lp0`, usblp).
    Usb(PathBuf),
    /// A LAN printer's raw TCP port (`tcp://192.168.1.50:9100`).
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port (9100 when not given).
        port: u16,
    },
    /// The virtual printer: files in a folder (`virtual:DIR`).
    Virtual(PathBuf),
}

/// The raw TCP port of LAN printers (`tcp://HOST` without a port).
pub const DEFAULT_TCP_PORT: u16 = 9100;

/// Whether the printer's status is read (`[printer] status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPolicy {
    /// Ask `DLE EOT` before and after each ticket (default): paper out, cover open and a
    /// silent printer stop the kiosk before a number is issued.
    Query,
    /// Never ask: for printers that do not answer status on their link (some USB printers).
    /// Paper out is not seen; a ticket whose bytes were sent counts as printed.
    None,
}

/// Serial flow control (`[printer] flow_control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    /// No flow control (default).
    None,
    /// RTS/CTS.
    Hardware,
    /// XON/XOFF.
    Software,
}

/// How the QR code is printed (`[printer] qr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrMode {
    /// The printer's own QR command, `GS ( k` (default; smallest).
    Native,
    /// A raster picture, for printers without `GS ( k`.
    Raster,
}

/// What the kiosk does when the printer is not ready (`[printer] when_not_ready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenNotReady {
    /// Refuse to issue until the printer is ready (default).
    Refuse,
    /// Issue anyway and show the number on screen.
    ShowOnScreen,
}

/// Default time to wait for a printer status answer (NOTES.md: no answer in ~500 ms = off).
pub const DEFAULT_STATUS_TIMEOUT_MS: u32 = 500;

/// Longest footer line accepted, in characters.
pub const MAX_FOOTER_CHARS: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrinter {
    port: Spanned<String>,
    baud: Option<Spanned<i64>>,
    width_dots: Option<Spanned<i64>>,
    flow_control: Option<Spanned<String>>,
    qr: Option<Spanned<String>>,
    footer: Option<Spanned<String>>,
    status_timeout_ms: Option<Spanned<i64>>,
    when_not_ready: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
}

/// What `port` names, or why it names nothing usable.
fn port_kind(port: &str, base: &Path) -> std::result::Result<PortKind, String> {
    if let Some(dir) = port.strip_prefix("virtual:") {
        if dir.is_empty() {
            return Err("`printer.port` = \"virtual:\" needs a folder: virtual:DIR".into());
        }
        return Ok(PortKind::Virtual(base.join(dir)));
    }
    if let Some(path) = port.strip_prefix("usb:") {
        if !path.starts_with('/') {
            return Err(format!(
                "`printer.port` = {port:?}: after usb: give the device path, e.g. usb:/dev/usb/lp0"
            ));
        }
        return Ok(PortKind::Usb(PathBuf::from(path)));
    }
    if let Some(rest) = port.strip_prefix("tcp://") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let bad = || {
            format!(
                "`printer.port` = {port:?}: write a LAN printer as tcp://ADDRESS:PORT, e.g. tcp://192.168.1.50:9100"
            )
        };
        // `[v6]:port`, `host:port` or `host`.
        let (host, tcp_port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (h, None),
                p => (h, Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !valid_host {
            return Err(bad());
        }
        let tcp_port = match tcp_port {
            None => DEFAULT_TCP_PORT,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
        };
        return Ok(PortKind::Tcp {
            host: host.to_string(),
            port: tcp_port,
        });
    }
    if port.contains("://") || !port.starts_with('/') {
        return Err(format!(
            "`printer.port` = {port:?} is not a printer port: use a serial port (/dev/ttyUSB0), \
             usb:/dev/usb/lp0, tcp://ADDRESS:9100 or virtual:DIR (`kiosk printers` lists candidates)"
        ));
    }
    Ok(PortKind::Serial(PathBuf::from(port)))
}

impl Validator<'_> {
    /// Validates `printer`.
    pub(super) fn printer(&self, raw: Option<RawPrinter>, base: &Path) -> Result<Option<Printer>> {
        let printer = match raw {
            None => None,
            Some(p) => {
                let port_span = p.port.span();
                let port = p.port.into_inner().trim().to_string();
                if port.is_empty() || port.len() > 512 || port.chars().any(char::is_control) {
                    return Err(self.err(
                        port_span,
                        "`printer.port` must name a serial port (e.g. /dev/ttyUSB0), usb:/dev/usb/lp0, tcp://ADDRESS:9100 or virtual:DIR",
                    ));
                }
                let link = port_kind(&port, base).map_err(|m| self.err(port_span.clone(), m))?;
                let baud = match p.baud {
                    None => DEFAULT_BAUD,
                    Some(b) if BAUD_RATES.iter().any(|r| i64::from(*r) == *b.get_ref()) => {
                        *b.get_ref() as u32
                    }
                    Some(b) => {
                        return Err(self.err(
                            b.span(),
                            format!("`printer.baud` = {} is not a usual serial speed: use one of {BAUD_RATES:?}", b.get_ref()),
                        ));
                    }
                };
                let width_dots = match p.width_dots {
                    None => DEFAULT_WIDTH_DOTS,
                    Some(w) if WIDTHS_DOTS.iter().any(|r| i64::from(*r) == *w.get_ref()) => {
                        *w.get_ref() as u32
                    }
                    Some(w) => {
                        return Err(self.err(
                            w.span(),
                            format!("`printer.width_dots` = {}: use 576 for 80 mm paper or 384 for 58 mm (also 512)", w.get_ref()),
                        ));
                    }
                };
                let flow_control = self.choice(
                    "printer.flow_control",
                    p.flow_control,
                    &[
                        ("none", FlowControl::None),
                        ("hardware", FlowControl::Hardware),
                        ("software", FlowControl::Software),
                    ],
                    FlowControl::None,
                )?;
                let qr = self.choice(
                    "printer.qr",
                    p.qr,
                    &[("native", QrMode::Native), ("raster", QrMode::Raster)],
                    QrMode::Native,
                )?;
                let when_not_ready = self.choice(
                    "printer.when_not_ready",
                    p.when_not_ready,
                    &[
                        ("refuse", WhenNotReady::Refuse),
                        ("show", WhenNotReady::ShowOnScreen),
                    ],
                    WhenNotReady::Refuse,
                )?;
                let footer = match p.footer {
                    None => None,
                    Some(f) => {
                        let span = f.span();
                        let f: String = f.into_inner().trim().nfc().collect();
                        if f.chars().count() > MAX_FOOTER_CHARS || f.contains(['\n', '\r']) {
                            return Err(self.err(span, format!("`printer.footer`: use one line of at most {MAX_FOOTER_CHARS} characters")));
                        }
                        (!f.is_empty()).then_some(f)
                    }
                };
                let timeout = self.int(
                    "printer.status_timeout_ms",
                    p.status_timeout_ms,
                    50..10_001,
                    DEFAULT_STATUS_TIMEOUT_MS.into(),
                )? as u64;
                let status = self.choice(
                    "printer.status",
                    p.status,
                    &[("query", StatusPolicy::Query), ("none", StatusPolicy::None)],
                    StatusPolicy::Query,
                )?;
                Some(Printer {
                    port: match &link {
                        PortKind::Virtual(dir) => format!("virtual:{}", dir.display()),
                        _ => port,
                    },
                    link,
                    status,
                    baud,
                    width_dots,
                    flow_control,
                    qr,
                    footer,
                    status_timeout: Duration::from_millis(timeout),
                    when_not_ready,
                })
            }
        };
        Ok(printer)
    }
}
