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

mod board;
mod centre;
mod devices;
mod kiosk;
mod office;
mod printer;
mod queue;
mod rating;
mod services;
mod status;

pub use board::*;
pub use centre::*;
pub use devices::*;
pub use kiosk::*;
pub use office::*;
pub use printer::*;
pub use queue::*;
pub use rating::*;
pub use services::*;
pub use status::*;

/// Environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "MOTCUA_CONFIG";
/// Config file used when neither `--config` nor [`CONFIG_ENV`] is given.
pub const DEFAULT_CONFIG_FILE: &str = "motcua.toml";
/// The installed config (the Debian package's conffile), read when neither `--config` nor
/// [`CONFIG_ENV`] is given and there is no [`DEFAULT_CONFIG_FILE`] in the current folder.
pub const SYSTEM_CONFIG_FILE: &str = "/etc/motcua/motcua.toml";

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
    /// `[rating]`: the rating tablet at the counter.
    pub rating: RatingSettings,
    /// `[centre]`: where the office's events are shipped; `None`: not shipped.
    pub centre: Option<CentreLink>,
}

pub use crate::roles::{DeviceRole, Role};

/// A short identifier: 1 to 32 of a-z, 0-9, '_' and '-' (priority codes, device names).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// [`Config::resolve_path`] with its inputs given: the flag, the environment variable, the
/// local file and the installed file.
fn lookup(
    flag: Option<&Path>,
    env: Option<std::ffi::OsString>,
    local: &Path,
    system: &Path,
) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    match env {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ if !local.exists() && system.exists() => system.to_path_buf(),
        _ => local.to_path_buf(),
    }
}

impl Config {
    /// Which config file to read: `--config`, else `$MOTCUA_CONFIG`, else `./motcua.toml` when
    /// it exists, else the installed [`SYSTEM_CONFIG_FILE`] when it exists, else
    /// `./motcua.toml` (so the error names the file a new user is expected to write).
    pub fn resolve_path(flag: Option<&Path>) -> PathBuf {
        lookup(
            flag,
            std::env::var_os(CONFIG_ENV),
            Path::new(DEFAULT_CONFIG_FILE),
            Path::new(SYSTEM_CONFIG_FILE),
        )
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

    /// The wait a ticket of `service` is measured against in reports: the service's own
    /// `target_wait_minutes`, else `[queue] target_wait_minutes` (also for a code no longer
    /// configured).
    pub fn target_wait(&self, service: &str) -> std::time::Duration {
        self.service(service)
            .ok()
            .and_then(|s| s.target_wait)
            .unwrap_or(self.queue.target_wait)
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
    rating: Option<RawRating>,
    centre: Option<RawCentre>,
}

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
}

/// The longest office name (it is the ticket's and the board's heading).
pub const MAX_OFFICE_NAME_CHARS: usize = 120;
/// The longest service name (a kiosk button, two lines of a ticket).
pub const MAX_SERVICE_NAME_CHARS: usize = 80;
/// The longest counter name.
pub const MAX_COUNTER_NAME_CHARS: usize = 40;
/// The longest priority class name (a kiosk button).
pub const MAX_PRIORITY_NAME_CHARS: usize = 60;
/// The longest board notice (one scrolling line).
pub const MAX_NOTICE_CHARS: usize = 500;
/// The longest kiosk greeting.
pub const MAX_GREETING_CHARS: usize = 200;

impl Validator<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> Error {
        Error::Config {
            file: self.file.to_string(),
            line: line_of(self.text, span.start),
            message: message.into(),
        }
    }

    /// A name or line of text: not empty, at most `max` characters, no control characters.
    fn text(&self, key: &str, v: Spanned<String>, max: usize) -> Result<String> {
        let span = v.span();
        let s: String = v.into_inner().trim().nfc().collect();
        if s.is_empty() {
            return Err(self.err(span, format!("`{key}` must not be empty")));
        }
        let n = s.chars().count();
        if n > max {
            return Err(self.err(
                span,
                format!("`{key}` is {n} characters long: use at most {max}"),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(self.err(
                span,
                format!("`{key}` must be one line, without control characters"),
            ));
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

        let services = self.services(raw.services)?;
        let counters = self.counters(raw.counters, &services)?;
        let priorities = self.priorities(raw.priorities)?;
        let status = self.status(raw.status)?;
        let printer = self.printer(raw.printer, &base)?;
        let queue = self.queue(raw.queue)?;
        let kiosk = self.kiosk(raw.kiosk, &priorities, &base)?;
        let board = self.board(raw.board, &base)?;
        let devices = self.devices(raw.devices, &counters)?;
        let rating = self.rating(raw.rating)?;
        let centre = self.centre(raw.centre, &base)?;

        Ok(Config {
            centre,
            rating,
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_config_is_looked_up_flag_then_environment_then_here_then_etc() {
        use super::lookup;
        use std::path::Path;
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().join("motcua.toml");
        let etc = dir.path().join("etc-motcua.toml");
        let flag = Path::new("/srv/office.toml");
        let env = || Some(std::ffi::OsString::from("/run/env.toml"));
        // Neither file exists: the local name, for the error a new user reads.
        assert_eq!(lookup(None, None, &here, &etc), here);
        std::fs::write(&etc, "").unwrap();
        assert_eq!(lookup(None, None, &here, &etc), etc);
        assert_eq!(lookup(None, Some("".into()), &here, &etc), etc);
        std::fs::write(&here, "").unwrap();
        assert_eq!(lookup(None, None, &here, &etc), here);
        assert_eq!(lookup(None, env(), &here, &etc), Path::new("/run/env.toml"));
        assert_eq!(lookup(Some(flag), env(), &here, &etc), flag);
    }

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

    /// The example of docs/config.md loads, and says what the table says.
    #[test]
    fn the_documented_example_loads() {
        let doc = include_str!("../../../docs/config.md");
        let example = doc
            .split("## Example")
            .nth(1)
            .and_then(|s| s.split("```toml").nth(1))
            .and_then(|s| s.split("```").next())
            .expect("docs/config.md ends with a TOML example");
        let cfg = parse(example).unwrap();
        assert_eq!(
            cfg.office.name,
            "Trung tâm Phục vụ hành chính công phường Hòa Khê"
        );
        assert_eq!(cfg.services[0].hours.len(), 2);
        assert_eq!(
            cfg.target_wait("DD"),
            std::time::Duration::from_secs(30 * 60)
        );
        assert_eq!(
            cfg.target_wait("TP"),
            std::time::Duration::from_secs(20 * 60),
            "the default"
        );
        assert_eq!(cfg.kiosk.cccd_priority.as_deref(), Some("elderly"));
        assert_eq!(cfg.rating.show_for, std::time::Duration::from_secs(30));
        assert_eq!(cfg.board.blink, std::time::Duration::from_secs(10));
    }

    #[test]
    fn a_target_wait_out_of_range_is_refused_naming_its_key() {
        for (extra, key) in [
            (
                "[queue]\ntarget_wait_minutes = 0\n",
                "queue.target_wait_minutes",
            ),
            (
                "[queue]\ntarget_wait_minutes = 241\n",
                "queue.target_wait_minutes",
            ),
        ] {
            let text = format!("{GOOD}\n{extra}");
            let lines = text.lines().count();
            check_err(&text, lines, key);
        }
        let text = GOOD.replacen(
            "[[services]]\n",
            "[[services]]\ntarget_wait_minutes = -5\n",
            1,
        );
        assert!(
            matches!(parse(&text), Err(Error::Config { message, .. }) if message.contains("services[0].target_wait_minutes")),
            "{:?}",
            parse(&text)
        );
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
    fn the_centre_link_is_off_by_default_and_checked_when_set() {
        assert!(parse(GOOD).unwrap().centre.is_none());
        let lines = GOOD.lines().count();
        let with = |body: &str| format!("{GOOD}\n[centre]\n{body}");
        let c = parse(&with(
            "url = \"nats://trungtam.example.vn:4222\"\noffice_id = \"phuong-hoa-khe\"\ncredentials = \"centre.nk\"",
        ))
        .unwrap()
        .centre
        .unwrap();
        assert_eq!(c.office_id, "phuong-hoa-khe");
        assert_eq!(c.credentials, Path::new("/etc/motcua/centre.nk"));
        assert_eq!(c.state_every, Duration::from_secs(5));
        check_err(
            &with("url = \"http://x\"\noffice_id = \"a\"\ncredentials = \"k\""),
            lines + 3,
            "centre.url",
        );
        check_err(
            &with("url = \"tls://x:4222\"\noffice_id = \"Hòa Khê\"\ncredentials = \"k\""),
            lines + 4,
            "centre.office_id",
        );
        check_err(
            &with("url = \"nats://x\"\noffice_id = \"a\"\ncredentials = \"k\"\nstate_seconds = 0"),
            lines + 6,
            "centre.state_seconds",
        );
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

    /// #17.13-15: names, notices and paths with limits named in the error.
    #[test]
    fn limits_are_named() {
        let long = |n: usize| "x".repeat(n);
        let name_line = GOOD.lines().position(|l| l.starts_with("name")).unwrap() + 1;
        let office_name = GOOD.lines().find(|l| l.starts_with("name")).unwrap();
        check_err(
            &GOOD.replacen(office_name, &format!("name = \"{}\"", long(40_000)), 1),
            name_line,
            "office.name` is 40000 characters long: use at most 120",
        );
        let notice = format!("{GOOD}\n[board]\nnotice = \"{}\"\n", long(100_000));
        check_err(
            &notice,
            29,
            "board.notice` is 100000 characters long: use at most 500",
        );
        let url = format!(
            "{GOOD}\n[status]\nbase_url = \"http://192.168.1.10:8080/{}\"\n",
            long(7_060)
        );
        check_err(&url, 29, "QR code holds an address of at most 200");
        let db = GOOD.lines().find(|l| l.starts_with("database")).unwrap();
        let db_line = GOOD
            .lines()
            .position(|l| l.starts_with("database"))
            .unwrap()
            + 1;
        check_err(
            &GOOD.replacen(db, "database = \"queue\\u0000.db\"", 1),
            db_line,
            "without control characters",
        );
        check_err(
            &GOOD.replacen(db, &format!("database = \"{}.db\"", long(300)), 1),
            db_line,
            "office.database` is too long",
        );
        // Within the limits all is well.
        let ok = format!(
            "{GOOD}\n[status]\nbase_url = \"http://192.168.1.10:8080/{}\"\n",
            long(170)
        );
        parse(&ok).unwrap();
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
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        // #17.5: a hash whose settings would stall every sign-in is refused at load.
        check_err(
            &format!(
                "{GOOD}\n[[devices]]\nname = \"b\"\ntoken_hash = \"{}\"\n",
                hash.replace("t=2", "t=1000000")
            ),
            30,
            "above the limits",
        );
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
            "`devices[0].role` = 'printer': use one of board, kiosk, rating",
        );
        // #12: a rating tablet belongs to one configured counter; other devices to none.
        let rating = |extra: &str| {
            format!(
                "{GOOD}\n[[devices]]\nname = \"tablet-1\"\nrole = \"rating\"\n{extra}token_hash = \"{hash}\"\n"
            )
        };
        let c = parse(&rating("counter = 1\n")).unwrap();
        assert_eq!(
            (c.devices[0].role, c.devices[0].counter),
            (DeviceRole::Rating, Some(1))
        );
        check_err(&rating(""), 29, "add `counter = N`");
        check_err(
            &rating("counter = 99\n"),
            31,
            "`devices[0].counter` = 99 is not a counter",
        );
        check_err(
            &format!("{GOOD}\n[[devices]]\nname = \"b\"\ncounter = 1\ntoken_hash = \"{hash}\"\n"),
            30,
            "only a rating device belongs to a counter",
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

    /// #12: `[rating]`: seconds on screen and the reasons a low mark chooses from.
    #[test]
    fn rating_seconds_and_reasons() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.rating.show_for, Duration::from_secs(30));
        assert_eq!(c.rating.reasons[0], "Chờ lâu");
        let c = parse(&format!(
            "{GOOD}\n[rating]\nseconds = 20\nreasons = [\"Chờ lâu\", \"Thủ tục phức tạp\"]\n"
        ))
        .unwrap();
        assert_eq!(c.rating.show_for, Duration::from_secs(20));
        assert_eq!(c.rating.reasons, ["Chờ lâu", "Thủ tục phức tạp"]);
        check_err(
            &format!("{GOOD}\n[rating]\nseconds = 1\n"),
            29,
            "`rating.seconds` = 1 is out of range",
        );
        check_err(
            &format!("{GOOD}\n[rating]\nreasons = []\n"),
            29,
            "give 1 to 8 reasons",
        );
        check_err(
            &format!("{GOOD}\n[rating]\nreasons = [\"Chờ lâu\", \"Chờ lâu\"]\n"),
            29,
            "listed twice",
        );
    }

    /// #12: `[status] listen` is an address and port.
    #[test]
    fn status_listen_is_a_socket_address() {
        let text = format!(
            "{GOOD}\n[status]\nbase_url = \"http://192.168.1.10:8081\"\nlisten = \"0.0.0.0:8081\"\n"
        );
        let s = parse(&text).unwrap().status.unwrap();
        assert_eq!(s.listen, Some("0.0.0.0:8081".parse().unwrap()));
        check_err(
            &format!(
                "{GOOD}\n[status]\nbase_url = \"http://192.168.1.10:8081\"\nlisten = \"guest-wifi\"\n"
            ),
            30,
            "`status.listen` = 'guest-wifi'",
        );
    }

    /// #11: the ID-card scan offers the elderly class by default when the office has it.
    #[test]
    fn cccd_scan_names_a_priority_class_or_off() {
        let base = parse(GOOD).unwrap();
        let has_elderly = base.priorities.iter().any(|p| p.code == "elderly");
        assert_eq!(
            base.kiosk.cccd_priority.is_some(),
            has_elderly,
            "default follows the priority classes"
        );
        assert!(!base.kiosk.speak);
        let c = parse(&format!(
            "{GOOD}\n[kiosk]\ncccd_scan = \"off\"\nspeak = true\nvoice_dir = \"voice\"\n"
        ))
        .unwrap();
        assert_eq!(c.kiosk.cccd_priority, None);
        assert!(c.kiosk.speak);
        assert_eq!(
            c.kiosk.voice_dir.as_deref(),
            Some(Path::new("/etc/motcua/voice"))
        );
        check_err(
            &format!("{GOOD}\n[kiosk]\ncccd_scan = \"veteran\"\n"),
            29,
            "`kiosk.cccd_scan` = 'veteran'",
        );
    }

    /// #11: one `port` key names a serial, USB (usblp), LAN or virtual printer.
    #[test]
    fn printer_ports_of_every_kind() {
        let kind = |port: &str| {
            let text = format!("{GOOD}\n[printer]\nport = \"{port}\"\n");
            parse(&text).map(|c| c.printer.unwrap().link)
        };
        assert_eq!(
            kind("/dev/ttyUSB0").unwrap(),
            PortKind::Serial("/dev/ttyUSB0".into())
        );
        assert_eq!(
            kind("usb:/dev/usb/lp0").unwrap(),
            PortKind::Usb("/dev/usb/lp0".into())
        );
        assert_eq!(
            kind("tcp://192.168.1.50:9100").unwrap(),
            PortKind::Tcp {
                host: "192.168.1.50".into(),
                port: 9100
            }
        );
        assert_eq!(
            kind("tcp://printer.lan").unwrap(),
            PortKind::Tcp {
                host: "printer.lan".into(),
                port: DEFAULT_TCP_PORT
            }
        );
        assert_eq!(
            kind("tcp://[fe80::1]:9101").unwrap(),
            PortKind::Tcp {
                host: "fe80::1".into(),
                port: 9101
            }
        );
        for (bad, needle) in [
            ("usb:lp0", "usb:/dev/usb/lp0"),
            ("tcp://:9100", "tcp://ADDRESS:PORT"),
            ("tcp://10.0.0.5:0", "tcp://ADDRESS:PORT"),
            ("tcp://10.0.0.5:99999", "tcp://ADDRESS:PORT"),
            ("tcp://10.0.0.5/x y", "tcp://ADDRESS:PORT"),
            ("http://10.0.0.5", "not a printer port"),
            ("COM3", "kiosk printers"),
            ("virtual:", "virtual:DIR"),
        ] {
            check_err(
                &format!("{GOOD}\n[printer]\nport = \"{bad}\"\n"),
                29,
                needle,
            );
        }
        let text = format!("{GOOD}\n[printer]\nport = \"usb:/dev/usb/lp0\"\nstatus = \"none\"\n");
        assert_eq!(
            parse(&text).unwrap().printer.unwrap().status,
            StatusPolicy::None
        );
        check_err(
            &format!("{GOOD}\n[printer]\nport = \"/dev/ttyS0\"\nstatus = \"never\"\n"),
            30,
            "use one of query, none",
        );
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = Config::load(Some(Path::new("/nonexistent/motcua.toml"))).unwrap_err();
        assert!(matches!(err, Error::ConfigRead { .. }));
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    }
}
