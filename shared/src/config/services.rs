//! `[[services]]`, `[[counters]]` and `[[priorities]]`: what the office serves, where, and who goes first.

use super::*;

/// Default first number of a service's day.
pub const DEFAULT_FIRST_NUMBER: u32 = 1;

/// Default number of digits a ticket value is zero-padded to.
pub const DEFAULT_DIGITS: u8 = 3;

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
    /// The wait reports measure this service against (`target_wait_minutes`); `None`: the
    /// office's `[queue] target_wait_minutes`.
    pub target_wait: Option<Duration>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    code: Spanned<String>,
    name: Spanned<String>,
    prefix: Option<Spanned<String>>,
    first_number: Option<Spanned<i64>>,
    digits: Option<Spanned<i64>>,
    hours: Option<Vec<Spanned<String>>>,
    target_wait_minutes: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCounter {
    number: Spanned<i64>,
    name: Spanned<String>,
    services: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriority {
    code: Spanned<String>,
    name: Spanned<String>,
}

impl Validator<'_> {
    /// Validates `services`.
    pub(super) fn services(&self, raw: Vec<RawService>) -> Result<Vec<Service>> {
        if raw.is_empty() {
            return Err(Error::Config {
                file: self.file.to_string(),
                line: 0,
                message: "at least one [[services]] entry is required".into(),
            });
        }
        let mut services = Vec::new();
        let mut codes = HashSet::new();
        for (i, s) in raw.into_iter().enumerate() {
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
            let name = self.text(&format!("{key}.name"), s.name, MAX_SERVICE_NAME_CHARS)?;
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
            let target_wait = match s.target_wait_minutes {
                None => None,
                Some(m) => Some(Duration::from_secs(
                    60 * self.int(&format!("{key}.target_wait_minutes"), Some(m), 1..241, 0)?
                        as u64,
                )),
            };
            services.push(Service {
                code,
                name,
                prefix,
                first_number,
                digits,
                hours,
                target_wait,
            });
        }
        Ok(services)
    }
}

impl Validator<'_> {
    /// Validates `counters`.
    pub(super) fn counters(
        &self,
        raw: Vec<RawCounter>,
        services: &[Service],
    ) -> Result<Vec<Counter>> {
        let codes: HashSet<&str> = services.iter().map(|s| s.code.as_str()).collect();
        if raw.is_empty() {
            return Err(Error::Config {
                file: self.file.to_string(),
                line: 0,
                message: "at least one [[counters]] entry is required".into(),
            });
        }
        let mut counters: Vec<Counter> = Vec::new();
        for (i, c) in raw.into_iter().enumerate() {
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
            let name = self.text(&format!("{key}.name"), c.name, MAX_COUNTER_NAME_CHARS)?;
            let list_span = c.services.span();
            let mut served = Vec::new();
            for s in c.services.into_inner() {
                let span = s.span();
                let s = s.into_inner();
                if !codes.contains(s.as_str()) {
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
        Ok(counters)
    }
}

impl Validator<'_> {
    /// Validates `priorities`.
    pub(super) fn priorities(&self, raw: Vec<RawPriority>) -> Result<Vec<Priority>> {
        let mut priorities: Vec<Priority> = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            let key = format!("priorities[{i}]");
            let code = self.slug(&format!("{key}.code"), p.code, |c| {
                priorities.iter().any(|o| o.code == c)
            })?;
            let name = self.text(&format!("{key}.name"), p.name, MAX_PRIORITY_NAME_CHARS)?;
            priorities.push(Priority { code, name });
        }
        Ok(priorities)
    }
}
