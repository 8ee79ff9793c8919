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
    /// Serial port path, or `virtual:DIR`.
    pub port: String,
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
}

impl Validator<'_> {
    /// Validates `printer`.
    pub(super) fn printer(&self, raw: Option<RawPrinter>, base: &Path) -> Result<Option<Printer>> {
        let printer = match raw {
            None => None,
            Some(p) => {
                let port_span = p.port.span();
                let port = p.port.into_inner().trim().to_string();
                if port.is_empty() || port == "virtual:" {
                    return Err(self.err(
                        port_span,
                        "`printer.port` must name a serial port (e.g. /dev/ttyUSB0) or virtual:DIR",
                    ));
                }
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
                Some(Printer {
                    port: if let Some(dir) = port.strip_prefix("virtual:") {
                        format!("virtual:{}", base.join(dir).display())
                    } else {
                        port
                    },
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
