//! The office config file (TOML, CONTRACT.md): parsed once, validated as a whole, typed.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "MOTCUA_CONFIG";
/// Config file used when neither `--config` nor [`CONFIG_ENV`] is given.
pub const DEFAULT_CONFIG_FILE: &str = "motcua.toml";
/// Default first number of a service's day.
pub const DEFAULT_FIRST_NUMBER: u32 = 1;
/// Default number of digits a ticket value is zero-padded to.
pub const DEFAULT_DIGITS: u8 = 3;
/// Default: after this many priority calls in a row, a waiting normal ticket goes next.
pub const DEFAULT_PRIORITY_RATIO: u32 = 3;
/// Default: a ticket that has waited this long goes to the front of its counters' queues.
pub const DEFAULT_MAX_WAIT_MINUTES: u32 = 45;
/// Default printer baud rate.
pub const DEFAULT_BAUD: u32 = 9600;
/// Default printer width in dots (80 mm paper).
pub const DEFAULT_WIDTH_DOTS: u32 = 576;
/// Baud rates a serial printer is accepted at.
pub const BAUD_RATES: [u32; 8] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
/// Printer widths in dots: 58 mm, 72 mm print area and 80 mm paper.
pub const WIDTHS_DOTS: [u32; 3] = [384, 512, 576];

/// The whole validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the file was read from.
    pub path: PathBuf,
    /// `[office]`.
    pub office: Office,
    /// `[[services]]`, in file order.
    pub services: Vec<Service>,
    /// `[[counters]]`, in file order.
    pub counters: Vec<Counter>,
    /// `[[priorities]]`, in file order.
    pub priorities: Vec<Priority>,
    /// `[status]`, when citizens' phones can reach the office host.
    pub status: Option<StatusPage>,
    /// `[printer]`, when tickets are printed.
    pub printer: Option<Printer>,
    /// `[queue]`: fairness rules.
    pub queue: QueueRules,
    /// `[kiosk]`: the touchscreen.
    pub kiosk: KioskSettings,
    /// `[board]`: the waiting-room display.
    pub board: BoardSettings,
    /// `[[devices]]`: kiosks and boards that use the office API with a token.
    pub devices: Vec<Device>,
}

pub use crate::roles::{DeviceRole, Role};

/// `[[devices]]`: one kiosk or board on the LAN and the hash of its API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Short name, e.g. `board-hall`.
    pub name: String,
    /// What it may do.
    pub role: DeviceRole,
    /// argon2 hash of its token (`counter device-token` makes both).
    pub token_hash: String,
}

/// `[board]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardSettings {
    /// The scrolling notice line at the bottom.
    pub notice: String,
    /// Frame size in pixels.
    pub size: (u32, u32),
    /// How long a fresh call blinks.
    pub blink: Duration,
    /// A folder of recorded clips that replace the shipped voice (same file names).
    pub voice_dir: Option<PathBuf>,
}

/// Default board notice.
pub const DEFAULT_NOTICE: &str =
    "Công dân vui lòng giữ phiếu và chú ý màn hình, loa gọi số. Xin cảm ơn!";

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings {
            notice: DEFAULT_NOTICE.to_string(),
            size: (1920, 1080),
            blink: Duration::from_secs(10),
            voice_dir: None,
        }
    }
}

/// A short identifier: 1 to 32 of a-z, 0-9, '_' and '-' (priority codes, device names).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Parses "WxH" (e.g. 1920x1080) within 320..=7680 each way.
pub fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once(['x', 'X'])?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    ((320..=7680).contains(&w) && (320..=7680).contains(&h)).then_some((w, h))
}

/// Screen orientation of the kiosk (`[kiosk] orientation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// 1920×1080.
    Landscape,
    /// 1080×1920.
    Portrait,
}

impl Orientation {
    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Orientation::Landscape => (1920, 1080),
            Orientation::Portrait => (1080, 1920),
        }
    }
}

/// `[kiosk]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSettings {
    /// Screen orientation.
    pub orientation: Orientation,
    /// How long the "take your ticket" screen stays before going home by itself.
    pub auto_return: Duration,
    /// Argon2 hash of the staff PIN that opens the settings (`kiosk hash-pin`); none: no settings.
    pub staff_pin_hash: Option<String>,
    /// Service time assumed for the estimated wait until today has finished tickets.
    pub average_service: Duration,
    /// A short greeting on the home screen.
    pub greeting: String,
}

/// Default greeting on the kiosk's home screen.
pub const DEFAULT_GREETING: &str = "Kính chào quý công dân. Vui lòng chọn lĩnh vực cần giải quyết.";
/// Default seconds the done screen stays.
pub const DEFAULT_AUTO_RETURN_SECONDS: u32 = 8;
/// Default assumed minutes per citizen.
pub const DEFAULT_AVERAGE_SERVICE_MINUTES: u32 = 5;

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings {
            orientation: Orientation::Landscape,
            auto_return: Duration::from_secs(DEFAULT_AUTO_RETURN_SECONDS.into()),
            staff_pin_hash: None,
            average_service: Duration::from_secs(u64::from(DEFAULT_AVERAGE_SERVICE_MINUTES) * 60),
            greeting: DEFAULT_GREETING.to_string(),
        }
    }
}

/// `[office]`.
#[derive(Debug, Clone)]
pub struct Office {
    /// Printed on tickets and shown on the board.
    pub name: String,
    /// The shared SQLite file, resolved against the config file's folder.
    pub database: PathBuf,
    /// Office time zone: the service day and its reset.
    pub timezone: Tz,
    /// Local time when numbering restarts.
    pub reset_at: NaiveTime,
}

/// One `[[services]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// 1-4 of A-Z 0-9, unique.
    pub code: String,
    /// Vietnamese name shown to citizens.
    pub name: String,
    /// Printed before the zero-padded value.
    pub prefix: String,
    /// The value of the day's first ticket.
    pub first_number: u32,
    /// Zero-padding width of the value.
    pub digits: u8,
    /// Local opening hours (start, end); empty means always open.
    pub hours: Vec<(NaiveTime, NaiveTime)>,
}

impl Service {
    /// Whether the service takes tickets at local time `t`; if not, when it opens next today.
    pub fn open_at(&self, t: NaiveTime) -> Result<(), Option<NaiveTime>> {
        if self.hours.is_empty() || self.hours.iter().any(|(a, b)| *a <= t && t < *b) {
            return Ok(());
        }
        Err(self.hours.iter().map(|(a, _)| *a).filter(|a| *a > t).min())
    }
}

/// One `[[counters]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// Unique, at least 1.
    pub number: u32,
    /// Shown on the board and the console.
    pub name: String,
    /// Service codes this counter calls, in preference order.
    pub services: Vec<String>,
}

/// One `[[priorities]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    /// Machine code, e.g. `elderly`.
    pub code: String,
    /// Vietnamese name shown to citizens.
    pub name: String,
}

/// `[status]`.
#[derive(Debug, Clone)]
pub struct StatusPage {
    /// Base URL without a trailing slash.
    pub base_url: String,
}

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

/// `[queue]`: who goes next when several wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRules {
    /// After this many priority calls in a row at a counter, a waiting normal ticket goes next.
    pub priority_ratio: u32,
    /// A ticket that has waited this long goes before every ticket that has not; `None` disables.
    pub max_wait: Option<Duration>,
}

impl Default for QueueRules {
    fn default() -> Self {
        QueueRules {
            priority_ratio: DEFAULT_PRIORITY_RATIO,
            max_wait: Some(Duration::from_secs(
                u64::from(DEFAULT_MAX_WAIT_MINUTES) * 60,
            )),
        }
    }
}

impl Config {
    /// Which config file to read: `--config`, else `$MOTCUA_CONFIG`, else `./motcua.toml`.
    pub fn resolve_path(flag: Option<&Path>) -> PathBuf {
        if let Some(p) = flag {
            return p.to_path_buf();
        }
        match std::env::var_os(CONFIG_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => PathBuf::from(DEFAULT_CONFIG_FILE),
        }
    }

    /// Reads and validates the config file chosen by [`Config::resolve_path`].
    pub fn load(flag: Option<&Path>) -> Result<Config> {
        let path = Config::resolve_path(flag);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::ConfigRead {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text, &path)
    }

    /// Parses and validates config text; `path` names the file in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let file = path.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            let mut message = e.message().trim().to_string();
            if let Some(src) = text
                .lines()
                .nth(line.saturating_sub(1))
                .filter(|_| line > 0)
            {
                message = format!("{message} (in `{}`)", src.trim());
            }
            Error::Config {
                file: file.clone(),
                line,
                message,
            }
        })?;
        let v = Validator { text, file: &file };
        v.build(raw, path)
    }

    /// The service with this code.
    pub fn service(&self, code: &str) -> Result<&Service> {
        self.services
            .iter()
            .find(|s| s.code == code)
            .ok_or_else(|| Error::UnknownService(code.to_string()))
    }

    /// The counter with this number.
    pub fn counter(&self, number: u32) -> Result<&Counter> {
        self.counters
            .iter()
            .find(|c| c.number == number)
            .ok_or(Error::UnknownCounter(number))
    }

    /// The priority class with this code.
    pub fn priority(&self, code: &str) -> Result<&Priority> {
        self.priorities
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| Error::UnknownPriority(code.to_string()))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    office: RawOffice,
    #[serde(default)]
    services: Vec<RawService>,
    #[serde(default)]
    counters: Vec<RawCounter>,
    #[serde(default)]
    priorities: Vec<RawPriority>,
    status: Option<RawStatus>,
    printer: Option<RawPrinter>,
    queue: Option<RawQueue>,
    kiosk: Option<RawKiosk>,
    board: Option<RawBoard>,
    #[serde(default)]
    devices: Vec<RawDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    role: Option<Spanned<String>>,
    token_hash: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    notice: Option<Spanned<String>>,
    size: Option<Spanned<String>>,
    blink_seconds: Option<Spanned<i64>>,
    voice_dir: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKiosk {
    orientation: Option<Spanned<String>>,
    auto_return_seconds: Option<Spanned<i64>>,
    staff_pin_hash: Option<Spanned<String>>,
    average_service_minutes: Option<Spanned<i64>>,
    greeting: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffice {
    name: Spanned<String>,
    database: Spanned<String>,
    timezone: Spanned<String>,
    reset_at: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    code: Spanned<String>,
    name: Spanned<String>,
    prefix: Option<Spanned<String>>,
    first_number: Option<Spanned<i64>>,
    digits: Option<Spanned<i64>>,
    hours: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCounter {
    number: Spanned<i64>,
    name: Spanned<String>,
    services: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    code: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    base_url: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinter {
    port: Spanned<String>,
    baud: Option<Spanned<i64>>,
    width_dots: Option<Spanned<i64>>,
    flow_control: Option<Spanned<String>>,
    qr: Option<Spanned<String>>,
    footer: Option<Spanned<String>>,
    status_timeout_ms: Option<Spanned<i64>>,
    when_not_ready: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueue {
    priority_ratio: Option<Spanned<i64>>,
    max_wait_minutes: Option<Spanned<i64>>,
}

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
}

impl Validator<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error::Config {
            file: self.file.to_string(),
            line: line_of(self.text, span.start),
            message: message.into(),
        }
    }

    fn text(&self, key: &str, v: Spanned<String>) -> Result<String> {
        let span = v.span();
        let s: String = v.into_inner().trim().nfc().collect();
        if s.is_empty() {
            return Err(self.err(span, format!("`{key}` must not be empty")));
        }
        Ok(s)
    }

    /// One of a fixed set of words; `None` gives `default`.
    /// A short identifier ([`is_slug`]) that `taken` says is not used yet.
    fn slug(&self, key: &str, v: Spanned<String>, taken: impl Fn(&str) -> bool) -> Result<String> {
        let span = v.span();
        let s = v.into_inner();
        if !is_slug(&s) {
            return Err(self.err(
                span,
                format!("`{key}` = '{s}': use 1-32 of a-z, 0-9, '_' and '-'"),
            ));
        }
        if taken(&s) {
            return Err(self.err(span, format!("`{key}` = '{s}' is used twice")));
        }
        Ok(s)
    }

    fn choice<T: Copy>(
        &self,
        key: &str,
        v: Option<Spanned<String>>,
        options: &[(&str, T)],
        default: T,
    ) -> Result<T> {
        let Some(v) = v else { return Ok(default) };
        options
            .iter()
            .find(|(name, _)| *name == v.get_ref())
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.err(
                    v.span(),
                    format!(
                        "`{key}` = '{}': use one of {}",
                        v.get_ref(),
                        names.join(", ")
                    ),
                )
            })
    }

    fn int(
        &self,
        key: &str,
        v: Option<Spanned<i64>>,
        range: Range<i64>,
        default: i64,
    ) -> Result<i64> {
        match v {
            None => Ok(default),
            Some(v) if range.contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(self.err(
                v.span(),
                format!(
                    "`{key}` = {} is out of range: use {} to {}",
                    v.get_ref(),
                    range.start,
                    range.end - 1
                ),
            )),
        }
    }

    fn build(&self, raw: RawConfig, path: &Path) -> Result<Config> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let office = self.office(raw.office, &base)?;

        if raw.services.is_empty() {
            return Err(Error::Config {
                file: self.file.to_string(),
                line: 0,
                message: "at least one [[services]] entry is required".into(),
            });
        }
        let mut services = Vec::new();
        let mut codes = HashSet::new();
        for (i, s) in raw.services.into_iter().enumerate() {
            let key = format!("services[{i}]");
            let code_span = s.code.span();
            let code = s.code.into_inner();
            if code.is_empty()
                || code.len() > 4
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(self.err(
                    code_span,
                    format!("`{key}.code` = '{code}': use 1-4 characters of A-Z and 0-9"),
                ));
            }
            if !codes.insert(code.clone()) {
                return Err(self.err(code_span, format!("`{key}.code` = '{code}' is used twice")));
            }
            let name = self.text(&format!("{key}.name"), s.name)?;
            let prefix = match s.prefix {
                None => String::new(),
                Some(p) => {
                    let span = p.span();
                    let p = p.into_inner();
                    if p.len() > 3 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(self.err(
                            span,
                            format!("`{key}.prefix` = '{p}': use at most 3 ASCII letters or digits (it is printed as native text)"),
                        ));
                    }
                    p
                }
            };
            let digits = self.int(
                &format!("{key}.digits"),
                s.digits,
                1..7,
                DEFAULT_DIGITS.into(),
            )? as u8;
            let first_number = self.int(
                &format!("{key}.first_number"),
                s.first_number,
                0..10i64.pow(digits.into()),
                DEFAULT_FIRST_NUMBER.into(),
            )? as u32;
            let mut hours = Vec::new();
            for h in s.hours.unwrap_or_default() {
                let span = h.span();
                let text = h.into_inner();
                let parsed = text.split_once('-').and_then(|(a, b)| {
                    let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
                    let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
                    (a < b).then_some((a, b))
                });
                let Some(range) = parsed else {
                    return Err(self.err(
                        span,
                        format!("`{key}.hours`: '{text}' is not a time range: use \"HH:MM-HH:MM\", e.g. \"07:30-11:30\""),
                    ));
                };
                hours.push(range);
            }
            hours.sort();
            services.push(Service {
                code,
                name,
                prefix,
                first_number,
                digits,
                hours,
            });
        }

        if raw.counters.is_empty() {
            return Err(Error::Config {
                file: self.file.to_string(),
                line: 0,
                message: "at least one [[counters]] entry is required".into(),
            });
        }
        let mut counters: Vec<Counter> = Vec::new();
        for (i, c) in raw.counters.into_iter().enumerate() {
            let key = format!("counters[{i}]");
            let number = self.int(
                &format!("{key}.number"),
                Some(c.number.clone()),
                1..10_000,
                0,
            )? as u32;
            if counters.iter().any(|o| o.number == number) {
                return Err(self.err(
                    c.number.span(),
                    format!("`{key}.number` = {number} is used twice"),
                ));
            }
            let name = self.text(&format!("{key}.name"), c.name)?;
            let list_span = c.services.span();
            let mut served = Vec::new();
            for s in c.services.into_inner() {
                let span = s.span();
                let s = s.into_inner();
                if !codes.contains(&s) {
                    return Err(self.err(
                        span,
                        format!("`{key}.services`: counter {number} serves unknown service '{s}'"),
                    ));
                }
                if served.contains(&s) {
                    return Err(self.err(span, format!("`{key}.services` lists '{s}' twice")));
                }
                served.push(s);
            }
            if served.is_empty() {
                return Err(self.err(
                    list_span,
                    format!("`{key}.services`: counter {number} must serve at least one service"),
                ));
            }
            counters.push(Counter {
                number,
                name,
                services: served,
            });
        }

        let mut priorities: Vec<Priority> = Vec::new();
        for (i, p) in raw.priorities.into_iter().enumerate() {
            let key = format!("priorities[{i}]");
            let code = self.slug(&format!("{key}.code"), p.code, |c| {
                priorities.iter().any(|o| o.code == c)
            })?;
            let name = self.text(&format!("{key}.name"), p.name)?;
            priorities.push(Priority { code, name });
        }

        let status = match raw.status {
            None => None,
            Some(s) => {
                let span = s.base_url.span();
                let url = s.base_url.into_inner();
                let url = url.trim().trim_end_matches('/').to_string();
                let rest = url
                    .strip_prefix("http://")
                    .or_else(|| url.strip_prefix("https://"));
                if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                    return Err(self.err(
                        span,
                        format!("`status.base_url` = '{url}': use an address like http://192.168.1.10:8080"),
                    ));
                }
                Some(StatusPage { base_url: url })
            }
        };

        let printer = match raw.printer {
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

        let queue = match raw.queue {
            None => QueueRules::default(),
            Some(q) => {
                let ratio = self.int(
                    "queue.priority_ratio",
                    q.priority_ratio,
                    1..1000,
                    DEFAULT_PRIORITY_RATIO.into(),
                )? as u32;
                let max = self.int(
                    "queue.max_wait_minutes",
                    q.max_wait_minutes,
                    0..24 * 60,
                    DEFAULT_MAX_WAIT_MINUTES.into(),
                )? as u64;
                QueueRules {
                    priority_ratio: ratio,
                    max_wait: (max > 0).then(|| Duration::from_secs(max * 60)),
                }
            }
        };

        let kiosk = match raw.kiosk {
            None => KioskSettings::default(),
            Some(k) => {
                let orientation = self.choice(
                    "kiosk.orientation",
                    k.orientation,
                    &[
                        ("landscape", Orientation::Landscape),
                        ("portrait", Orientation::Portrait),
                    ],
                    Orientation::Landscape,
                )?;
                let secs = self.int(
                    "kiosk.auto_return_seconds",
                    k.auto_return_seconds,
                    2..121,
                    DEFAULT_AUTO_RETURN_SECONDS.into(),
                )? as u64;
                let minutes = self.int(
                    "kiosk.average_service_minutes",
                    k.average_service_minutes,
                    1..241,
                    DEFAULT_AVERAGE_SERVICE_MINUTES.into(),
                )? as u64;
                let staff_pin_hash = match k.staff_pin_hash {
                    None => None,
                    Some(h) => {
                        let span = h.span();
                        let h = h.into_inner();
                        if !h.starts_with("$argon2") {
                            return Err(self.err(span, "`kiosk.staff_pin_hash` must be an argon2 hash: make one with `kiosk hash-pin` (never put the PIN itself here)"));
                        }
                        Some(h)
                    }
                };
                let greeting = match k.greeting {
                    None => DEFAULT_GREETING.to_string(),
                    Some(g) => self.text("kiosk.greeting", g)?,
                };
                KioskSettings {
                    orientation,
                    auto_return: Duration::from_secs(secs),
                    staff_pin_hash,
                    average_service: Duration::from_secs(minutes * 60),
                    greeting,
                }
            }
        };

        let board = match raw.board {
            None => BoardSettings::default(),
            Some(b) => {
                let notice = match b.notice {
                    None => DEFAULT_NOTICE.to_string(),
                    Some(n) => self.text("board.notice", n)?,
                };
                let size = match b.size {
                    None => (1920, 1080),
                    Some(sz) => parse_size(sz.get_ref()).ok_or_else(|| {
                        self.err(
                            sz.span(),
                            format!(
                                "`board.size` = '{}': use WIDTHxHEIGHT, e.g. 1920x1080",
                                sz.get_ref()
                            ),
                        )
                    })?,
                };
                let blink = self.int("board.blink_seconds", b.blink_seconds, 0..61, 10)? as u64;
                BoardSettings {
                    notice,
                    size,
                    blink: Duration::from_secs(blink),
                    voice_dir: b.voice_dir.map(|d| base.join(d.into_inner())),
                }
            }
        };

        let mut devices: Vec<Device> = Vec::new();
        for (i, d) in raw.devices.into_iter().enumerate() {
            let key = format!("devices[{i}]");
            let name = self.slug(&format!("{key}.name"), d.name, |n| {
                devices.iter().any(|o| o.name == n)
            })?;
            let role = self.choice(
                &format!("{key}.role"),
                d.role,
                &[("board", DeviceRole::Board), ("kiosk", DeviceRole::Kiosk)],
                DeviceRole::Board,
            )?;
            let hash_span = d.token_hash.span();
            let token_hash = d.token_hash.into_inner();
            if !token_hash.starts_with("$argon2") {
                return Err(self.err(hash_span, format!("`{key}.token_hash` must be an argon2 hash: make one with `counter device-token` (never put the token itself here)")));
            }
            devices.push(Device {
                name,
                role,
                token_hash,
            });
        }

        Ok(Config {
            devices,
            board,
            kiosk,
            path: path.to_path_buf(),
            office,
            services,
            counters,
            priorities,
            status,
            printer,
            queue,
        })
    }

    fn office(&self, o: RawOffice, base: &Path) -> Result<Office> {
        let name = self.text("office.name", o.name)?;
        let db_span = o.database.span();
        let database = o.database.into_inner();
        if database.trim().is_empty() {
            return Err(self.err(db_span, "`office.database` must name the SQLite file"));
        }
        let tz_span = o.timezone.span();
        let tz_name = o.timezone.into_inner();
        let timezone: Tz = tz_name.parse().map_err(|_| {
            self.err(
                tz_span,
                format!("`office.timezone` = '{tz_name}' is not a known time zone: use e.g. Asia/Ho_Chi_Minh"),
            )
        })?;
        let reset_at = match o.reset_at {
            None => NaiveTime::MIN,
            Some(r) => {
                let span = r.span();
                let r = r.into_inner();
                NaiveTime::parse_from_str(&r, "%H:%M").map_err(|_| {
                    self.err(
                        span,
                        format!("`office.reset_at` = '{r}': use a local time HH:MM, e.g. 00:00"),
                    )
                })?
            }
        };
        Ok(Office {
            name,
            database: base.join(database),
            timezone,
            reset_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[office]
name = "UBND phường Hòa Khê"
database = "motcua.db"
timezone = "Asia/Ho_Chi_Minh"
reset_at = "00:00"

[[services]]
code = "TP"
name = "Tư pháp - Hộ tịch"
first_number = 1001
digits = 4

[[services]]
code = "DD"
name = "Đất đai"
prefix = "A"

[[counters]]
number = 1
name = "Quầy 1"
services = ["TP", "DD"]

[[priorities]]
code = "elderly"
name = "Người cao tuổi"
"#;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/etc/motcua/office.toml"))
    }

    /// Asserts that `text` fails with a config error on `line` whose message contains `needle`.
    fn check_err(text: &str, line: usize, needle: &str) {
        match parse(text) {
            Err(Error::Config {
                line: l, message, ..
            }) => {
                assert_eq!(l, line, "wrong line for: {message}");
                assert!(message.contains(needle), "'{message}' lacks '{needle}'");
                assert!(!message.contains('\n'), "error must be one line: {message}");
            }
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn good_config_parses_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.office.database, Path::new("/etc/motcua/motcua.db"));
        assert_eq!(c.office.timezone, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(c.services[0].first_number, 1001);
        assert_eq!(c.services[1].digits, DEFAULT_DIGITS);
        assert_eq!(c.services[1].first_number, DEFAULT_FIRST_NUMBER);
        assert_eq!(c.services[1].prefix, "A");
        assert_eq!(c.counters[0].services, vec!["TP", "DD"]);
        assert_eq!(c.queue, QueueRules::default());
        assert!(c.printer.is_none() && c.status.is_none());
        assert_eq!(c.priority("elderly").unwrap().name, "Người cao tuổi");
        assert!(matches!(c.service("XX"), Err(Error::UnknownService(_))));
        assert!(matches!(c.counter(9), Err(Error::UnknownCounter(9))));
    }

    #[test]
    fn names_are_nfc_normalised() {
        // "Hòa" written with a combining grave accent must come out precomposed.
        let text = GOOD.replace("Hòa", "Ho\u{0300}a");
        let c = parse(&text).unwrap();
        assert_eq!(c.office.name, "UBND phường Hòa Khê");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        check_err(&GOOD.replace("reset_at", "reset_time"), 6, "reset_time");
    }

    #[test]
    fn wrong_type_names_the_line() {
        check_err(
            &GOOD.replace("digits = 4", "digits = \"four\""),
            12,
            "digits = \"four\"",
        );
    }

    #[test]
    fn counter_serving_unknown_service() {
        check_err(
            &GOOD.replace("[\"TP\", \"DD\"]", "[\"TP\", \"XY\"]"),
            22,
            "counter 1 serves unknown service 'XY'",
        );
    }

    #[test]
    fn duplicate_service_code() {
        check_err(
            &GOOD.replace("\"DD\"\nname", "\"TP\"\nname"),
            15,
            "used twice",
        );
    }

    #[test]
    fn bad_service_code() {
        check_err(
            &GOOD.replace("code = \"TP\"", "code = \"tp-x\""),
            9,
            "1-4 characters",
        );
    }

    #[test]
    fn duplicate_counter_number() {
        let text =
            format!("{GOOD}\n[[counters]]\nnumber = 1\nname = \"Quầy 1b\"\nservices = [\"TP\"]\n");
        check_err(&text, 29, "`counters[1].number` = 1 is used twice");
    }

    #[test]
    fn counter_number_zero() {
        check_err(
            &GOOD.replace("number = 1\n", "number = 0\n"),
            20,
            "counters[0].number",
        );
    }

    #[test]
    fn bad_timezone() {
        check_err(
            &GOOD.replace("Asia/Ho_Chi_Minh", "Asia/Hanoi_City"),
            5,
            "office.timezone",
        );
    }

    #[test]
    fn bad_reset_time() {
        check_err(
            &GOOD.replace("\"00:00\"", "\"25:00\""),
            6,
            "office.reset_at",
        );
    }

    #[test]
    fn bad_baud() {
        let text = format!("{GOOD}\n[printer]\nport = \"/dev/ttyUSB0\"\nbaud = 9601\n");
        check_err(&text, 30, "printer.baud");
    }

    #[test]
    fn bad_width() {
        let text = format!("{GOOD}\n[printer]\nport = \"/dev/ttyUSB0\"\nwidth_dots = 600\n");
        check_err(&text, 30, "printer.width_dots");
    }

    #[test]
    fn bad_status_url() {
        let text = format!("{GOOD}\n[status]\nbase_url = \"192.168.1.10\"\n");
        check_err(&text, 29, "status.base_url");
    }

    #[test]
    fn first_number_must_fit_digits() {
        check_err(
            &GOOD.replace("first_number = 1001", "first_number = 10001"),
            11,
            "first_number",
        );
    }

    #[test]
    fn empty_name_refused() {
        check_err(
            &GOOD.replace("\"Đất đai\"", "\"  \""),
            16,
            "services[1].name",
        );
    }

    #[test]
    fn missing_services_refused() {
        let text = GOOD.split("[[services]]").next().unwrap();
        assert!(
            matches!(parse(text), Err(Error::Config { message, .. }) if message.contains("[[services]]"))
        );
    }

    #[test]
    fn queue_rules_parse_and_zero_disables_max_wait() {
        let text = format!("{GOOD}\n[queue]\npriority_ratio = 2\nmax_wait_minutes = 0\n");
        let c = parse(&text).unwrap();
        assert_eq!(c.queue.priority_ratio, 2);
        assert_eq!(c.queue.max_wait, None);
        check_err(
            &format!("{GOOD}\n[queue]\npriority_ratio = 0\n"),
            29,
            "queue.priority_ratio",
        );
    }

    #[test]
    fn service_hours_and_kiosk_settings() {
        let text = GOOD.replace(
            "prefix = \"A\"",
            "prefix = \"A\"\nhours = [\"13:30-17:00\", \"07:30-11:30\"]",
        ) + "\n[kiosk]\norientation = \"portrait\"\nauto_return_seconds = 5\n";
        let c = parse(&text).unwrap();
        let dd = c.service("DD").unwrap();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(dd.open_at(t(8, 0)), Ok(()));
        assert_eq!(dd.open_at(t(12, 0)), Err(Some(t(13, 30))));
        assert_eq!(dd.open_at(t(17, 0)), Err(None));
        assert_eq!(dd.open_at(t(6, 0)), Err(Some(t(7, 30))));
        assert_eq!(c.service("TP").unwrap().open_at(t(3, 0)), Ok(()));
        assert_eq!(c.kiosk.orientation, Orientation::Portrait);
        assert_eq!(c.kiosk.orientation.size(), (1080, 1920));
        assert_eq!(c.kiosk.auto_return, Duration::from_secs(5));
        check_err(
            &GOOD.replace(
                "prefix = \"A\"",
                "prefix = \"A\"\nhours = [\"11:30-07:30\"]",
            ),
            18,
            "services[1].hours",
        );
        check_err(
            &format!("{GOOD}\n[kiosk]\nstaff_pin_hash = \"1234\"\n"),
            29,
            "kiosk hash-pin",
        );
    }

    #[test]
    fn devices() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA";
        let c = parse(&format!(
            "{GOOD}\n[[devices]]\nname = \"board-hall\"\ntoken_hash = \"{hash}\"\n\n[[devices]]\nname = \"kiosk-1\"\nrole = \"kiosk\"\ntoken_hash = \"{hash}\"\n"
        ))
        .unwrap();
        let roles: Vec<_> = c
            .devices
            .iter()
            .map(|d| (d.name.as_str(), d.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("board-hall", DeviceRole::Board),
                ("kiosk-1", DeviceRole::Kiosk)
            ]
        );
        check_err(
            &format!("{GOOD}\n[[devices]]\nname = \"b\"\ntoken_hash = \"plain-token\"\n"),
            30,
            "counter device-token",
        );
        check_err(
            &format!(
                "{GOOD}\n[[devices]]\nname = \"b\"\nrole = \"printer\"\ntoken_hash = \"{hash}\"\n"
            ),
            30,
            "`devices[0].role` = 'printer': use one of board, kiosk",
        );
        check_err(
            &format!("{GOOD}\n[[devices]]\nname = \"Board 1\"\ntoken_hash = \"{hash}\"\n"),
            29,
            "devices[0].name",
        );
    }

    #[test]
    fn printer_options() {
        let text = format!(
            "{GOOD}\n[printer]\nport = \"/dev/ttyS0\"\nqr = \"raster\"\nflow_control = \"hardware\"\nfooter = \"Xin cảm ơn\"\nwhen_not_ready = \"show\"\n"
        );
        let p = parse(&text).unwrap().printer.unwrap();
        assert_eq!(
            (p.qr, p.flow_control, p.when_not_ready),
            (
                QrMode::Raster,
                FlowControl::Hardware,
                WhenNotReady::ShowOnScreen
            )
        );
        assert_eq!(p.footer.as_deref(), Some("Xin cảm ơn"));
        assert_eq!(
            (p.baud, p.width_dots, p.status_timeout),
            (9600, 576, Duration::from_millis(500))
        );
        check_err(
            &format!("{GOOD}\n[printer]\nport = \"/dev/ttyS0\"\nqr = \"svg\"\n"),
            30,
            "`printer.qr` = 'svg': use one of native, raster",
        );
    }

    #[test]
    fn virtual_printer_dir_is_relative_to_config() {
        let text = format!("{GOOD}\n[printer]\nport = \"virtual:tickets\"\n");
        let c = parse(&text).unwrap();
        assert_eq!(c.printer.unwrap().port, "virtual:/etc/motcua/tickets");
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = Config::load(Some(Path::new("/nonexistent/motcua.toml"))).unwrap_err();
        assert!(matches!(err, Error::ConfigRead { .. }));
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    }
}
