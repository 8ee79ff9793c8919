//! The wire format: one serde type for every JSON shape the CLI, `counter serve`, the LAN board
//! and the tests exchange (CONTRACT.md). Each type is built from domain values on one side and
//! read back with serde on the other, so both directions share one definition.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::{Config, Role};
use crate::queue::{EventKind, Status};
use crate::report::{self, Figures};
use crate::store;

/// An instant as the office reads it: RFC 3339 with the office's UTC offset, whole seconds
/// (`2026-11-24T08:30:05+07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OfficeTime(pub DateTime<FixedOffset>);

impl OfficeTime {
    /// `t` in the office's time zone.
    pub fn of(t: DateTime<Utc>, cfg: &Config) -> OfficeTime {
        OfficeTime(t.with_timezone(&cfg.office.timezone).fixed_offset())
    }

    /// The same instant in UTC.
    pub fn utc(self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }
}

impl std::fmt::Display for OfficeTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, false))
    }
}

impl Serialize for OfficeTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OfficeTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(OfficeTime)
            .map_err(serde::de::Error::custom)
    }
}

/// The citizen's status page address for a ticket, when `[status]` is configured.
pub fn status_url(t: &crate::Ticket, cfg: &Config) -> Option<String> {
    cfg.status
        .as_ref()
        .map(|s| format!("{}/t/{}", s.base_url, t.token))
}

/// The ticket object `T` of CONTRACT.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Database id.
    pub id: i64,
    /// The number as printed, e.g. "1005".
    pub number: String,
    /// Service code now (after transfers).
    pub service: String,
    /// The service's name.
    pub service_name: Option<String>,
    /// The service it was issued for (its number belongs to that sequence).
    pub origin_service: String,
    /// Priority class code.
    pub priority: Option<String>,
    /// Where it is in its life.
    pub status: Status,
    /// Its service day.
    pub business_date: NaiveDate,
    /// When it was issued.
    pub issued_at: OfficeTime,
    /// Latest call.
    pub called_at: Option<OfficeTime>,
    /// Service start.
    pub started_at: Option<OfficeTime>,
    /// Service end.
    pub finished_at: Option<OfficeTime>,
    /// The counter it was called to.
    pub counter: Option<u32>,
    /// Times it was called again.
    pub recalls: u32,
    /// People waiting before it when it was issued.
    pub waiting_ahead: u32,
    /// Printed on paper.
    pub printed: bool,
    /// The citizen's status page; only where the citizen's own ticket is shown (CLI, kiosk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

impl Ticket {
    /// The wire form of `t`, with its status page address when configured.
    pub fn of(t: &crate::Ticket, cfg: &Config) -> Ticket {
        let time = |v: Option<DateTime<Utc>>| v.map(|v| OfficeTime::of(v, cfg));
        Ticket {
            id: t.id,
            number: t.number.clone(),
            service: t.service.clone(),
            service_name: cfg.service(&t.service).map(|s| s.name.clone()).ok(),
            origin_service: t.origin_service.clone(),
            priority: t.priority.clone(),
            status: t.status,
            business_date: t.business_date,
            issued_at: OfficeTime::of(t.issued_at, cfg),
            called_at: time(t.called_at),
            started_at: time(t.started_at),
            finished_at: time(t.finished_at),
            counter: t.counter,
            recalls: t.recalls,
            waiting_ahead: t.waiting_ahead,
            printed: t.printed_at.is_some(),
            status_url: status_url(t, cfg),
        }
    }
}

impl Ticket {
    /// Back to the store's form (a kiosk printing a ticket the office server issued). The status
    /// page token is read back from `status_url`; fields the wire omits take neutral values.
    pub fn into_store(self) -> crate::Ticket {
        let token = self
            .status_url
            .as_deref()
            .and_then(|u| u.rsplit_once("/t/"))
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        let utc = |t: Option<OfficeTime>| t.map(OfficeTime::utc);
        crate::Ticket {
            id: self.id,
            service: self.service,
            origin_service: self.origin_service,
            business_date: self.business_date,
            seq: 0,
            number: self.number,
            priority: self.priority,
            status: self.status,
            queue_at: self.issued_at.utc(),
            issued_at: self.issued_at.utc(),
            called_at: utc(self.called_at),
            started_at: utc(self.started_at),
            finished_at: utc(self.finished_at),
            counter: self.counter,
            recalls: self.recalls,
            waiting_ahead: self.waiting_ahead,
            token,
            printed_at: self.printed.then(|| self.issued_at.utc()),
        }
    }
}

/// `{"ticket": T}` (`counter call` and the other counter actions; `null` when nobody waits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketReply {
    /// The ticket acted on.
    pub ticket: Option<Ticket>,
}

/// `{"ticket": T, "printed": bool}` (`kiosk issue`, `POST /api/tickets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issued {
    /// The new ticket.
    pub ticket: Ticket,
    /// Whether it reached the paper.
    pub printed: bool,
    /// Its estimated wait at issue (what the screen and the slip say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<crate::estimate::Estimate>,
}

/// One event of the log (`/api/events`, `display-board follow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Increasing id.
    pub id: i64,
    /// What happened (`"kind": "called"`, and `from` for a transfer).
    #[serde(flatten)]
    pub kind: EventKind,
    /// When.
    pub at: OfficeTime,
    /// The ticket's id.
    pub ticket_id: i64,
    /// The ticket's number.
    pub number: String,
    /// Its service after the change.
    pub service: String,
    /// The counter involved.
    pub counter: Option<u32>,
}

impl Event {
    /// The wire form of a logged event.
    pub fn of(e: &store::Event, cfg: &Config) -> Event {
        Event {
            id: e.id,
            kind: e.kind.clone(),
            at: OfficeTime::of(e.at, cfg),
            ticket_id: e.ticket_id,
            number: e.number.clone(),
            service: e.service.clone(),
            counter: e.counter,
        }
    }

    /// Back to the store's form (a board following a server).
    pub fn into_store(self) -> store::Event {
        store::Event {
            id: self.id,
            at: self.at.utc(),
            kind: self.kind,
            ticket_id: self.ticket_id,
            number: self.number,
            service: self.service,
            counter: self.counter,
        }
    }
}

/// A message on `/api/events`: a logged event (with its SSE `id:`), or a change that writes no
/// event (a counter paused, an officer signed in, a rating, a printer status: ARCHITECTURE.md),
/// after which clients read the state again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Message {
    /// A logged event.
    Event(Event),
    /// State changed without an event.
    Changed(Changed),
}

/// `{"kind": "changed"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changed {
    /// Always `changed`.
    pub kind: ChangedKind,
}

/// The tag of [`Changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangedKind {
    /// State changed without an event.
    Changed,
}

impl Message {
    /// The change without an event.
    pub const CHANGED: Message = Message::Changed(Changed {
        kind: ChangedKind::Changed,
    });

    /// The SSE `id:` (logged events only).
    pub fn id(&self) -> Option<i64> {
        match self {
            Message::Event(e) => Some(e.id),
            Message::Changed(_) => None,
        }
    }

    /// The SSE `event:` name: the event's kind, or `changed`.
    pub fn kind(&self) -> String {
        match self {
            Message::Event(e) => serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string))
                .unwrap_or_else(|| "event".into()),
            Message::Changed(_) => "changed".into(),
        }
    }
}

/// Waiting tickets of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    /// Service code.
    pub service: String,
    /// Tickets waiting.
    pub waiting: u32,
    /// The estimated wait of a ticket taken now ("khoảng 15–25 phút"; `GET /api/state` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
}

/// One counter in the queue state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterNow {
    /// Counter number.
    pub counter: u32,
    /// Paused ("Tạm dừng").
    pub paused: bool,
    /// Its current (called or serving) ticket.
    pub ticket: Option<Ticket>,
}

/// `GET /api/clock`: the server's time, and whether the kernel keeps its clock synchronised
/// (`null`: it cannot tell). Screens on the LAN compare it with their own clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockNow {
    /// The server's time.
    pub now: OfficeTime,
    /// Whether the server's clock is synchronised.
    pub synchronised: Option<bool>,
}

/// The queue state (`counter queue --json`, `display-board state --json`, `GET /api/state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueState {
    /// The service day.
    pub business_date: NaiveDate,
    /// The newest event included.
    pub last_event_id: i64,
    /// Waiting per service, in config order.
    pub waiting: Vec<Waiting>,
    /// Every counter, in config order.
    pub counters: Vec<CounterNow>,
    /// Where today's events start (`GET /api/state` only): a board replays from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_start_event_id: Option<i64>,
}

impl QueueState {
    /// Puts each service's estimated wait ([`crate::Store::service_estimates`]) beside its count.
    pub fn set_waits(&mut self, waits: &[(String, crate::estimate::Estimate)]) {
        for w in &mut self.waiting {
            w.wait = waits
                .iter()
                .find(|(s, _)| *s == w.service)
                .map(|(_, e)| e.vi());
        }
    }

    /// The wire form of the store's state.
    pub fn of(s: &store::QueueState, cfg: &Config) -> QueueState {
        QueueState {
            business_date: s.business_date,
            last_event_id: s.last_event_id,
            waiting: s
                .waiting
                .iter()
                .map(|(service, n)| Waiting {
                    service: service.clone(),
                    waiting: *n,
                    wait: None,
                })
                .collect(),
            counters: s
                .counters
                .iter()
                .map(|(n, t)| CounterNow {
                    counter: *n,
                    paused: s.paused.contains(n),
                    ticket: t.as_ref().map(|t| Ticket::of(t, cfg).for_staff()),
                })
                .collect(),
            day_start_event_id: None,
        }
    }
}

impl Ticket {
    /// The ticket as staff and boards see it: without the citizen's status page address (its
    /// token is the key to the rating).
    pub fn for_staff(mut self) -> Ticket {
        self.status_url = None;
        self
    }
}

/// Waiting tickets of one of a counter's services (`GET /api/counter`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceWaiting {
    /// Service code.
    pub service: String,
    /// Its name.
    pub name: Option<String>,
    /// Tickets waiting.
    pub waiting: u32,
}

/// One counter as its officer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterState {
    /// Counter number.
    pub counter: u32,
    /// Paused.
    pub paused: bool,
    /// Its current ticket.
    pub ticket: Option<Ticket>,
    /// Waiting in the services it calls.
    pub waiting: Vec<ServiceWaiting>,
}

/// `GET /api/counter`: who is signed in and their counter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterView {
    /// The officer's login.
    pub officer: String,
    /// Their role.
    pub role: Role,
    /// The counter.
    pub state: CounterState,
}

/// `{"counter": N, "paused": bool}` (pause and resume).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paused {
    /// Counter number.
    pub counter: u32,
    /// Paused now.
    pub paused: bool,
}

/// A counter on the supervisor's monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorCounter {
    /// Counter number.
    pub counter: u32,
    /// Its name.
    pub name: Option<String>,
    /// The officer signed in there.
    pub officer: Option<String>,
    /// Paused.
    pub paused: bool,
    /// Its current ticket.
    pub ticket: Option<Ticket>,
}

/// A service on the monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorService {
    /// Service code.
    pub service: String,
    /// Its name.
    pub name: Option<String>,
    /// Tickets waiting.
    pub waiting: u32,
    /// The longest wait of a waiting ticket, in seconds.
    pub longest_wait_s: Option<i64>,
}

/// A device's last reported state on the monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceState {
    /// Device name.
    pub device: String,
    /// Short state code.
    pub status: String,
    /// Detail.
    pub detail: String,
}

/// `GET /api/monitor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// Every counter.
    pub counters: Vec<MonitorCounter>,
    /// Waiting per service.
    pub services: Vec<MonitorService>,
    /// Waiting and held tickets in queue order.
    pub waiting: Vec<Ticket>,
    /// Devices' states.
    pub devices: Vec<DeviceState>,
}

/// One call as `display-board follow` prints it (a JSON line each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardCall {
    /// The event it came from.
    pub event_id: i64,
    /// The number as printed.
    pub number: String,
    /// The counter called to.
    pub counter: u32,
    /// The service code.
    pub service: String,
    /// A recall of a number already called.
    pub recall: bool,
    /// Made before the board caught up: shown, not announced.
    pub replayed: bool,
}

/// One service's report figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceFigures {
    /// Service code.
    pub service: String,
    /// Its name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One priority class's report figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorityFigures {
    /// Priority class code; `""` for tickets without one.
    pub priority: String,
    /// Its name ("Thông thường" for tickets without a class).
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One counter's report figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterFigures {
    /// Counter number (as text, as the contract's report has it).
    pub counter: String,
    /// Its name.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One officer's report figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficerFigures {
    /// Login.
    pub officer: String,
    /// What is shown for them.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// `counter report --format json`: totals and per service, counter and officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// First service day.
    pub from: NaiveDate,
    /// Last service day.
    pub to: NaiveDate,
    /// Every ticket of the range.
    pub totals: Figures,
    /// Per service.
    pub services: Vec<ServiceFigures>,
    /// Per counter.
    pub counters: Vec<CounterFigures>,
    /// Per officer.
    pub officers: Vec<OfficerFigures>,
    /// Per priority class.
    #[serde(default)]
    pub priorities: Vec<PriorityFigures>,
}

impl Report {
    /// The wire form of a report.
    pub fn of(r: &report::Report) -> Report {
        Report {
            from: r.from,
            to: r.to,
            totals: r.totals.clone(),
            services: r
                .services
                .iter()
                .map(|g| ServiceFigures {
                    service: g.key.clone(),
                    name: g.name.clone(),
                    figures: g.figures.clone(),
                })
                .collect(),
            counters: r
                .counters
                .iter()
                .map(|g| CounterFigures {
                    counter: g.key.clone(),
                    name: g.name.clone(),
                    figures: g.figures.clone(),
                })
                .collect(),
            officers: r
                .officers
                .iter()
                .map(|g| OfficerFigures {
                    officer: g.key.clone(),
                    name: g.name.clone(),
                    figures: g.figures.clone(),
                })
                .collect(),
            priorities: r
                .priorities
                .iter()
                .map(|g| PriorityFigures {
                    priority: g.key.clone(),
                    name: g.name.clone(),
                    figures: g.figures.clone(),
                })
                .collect(),
        }
    }
}

/// `{"error": "…"}`: every refused API request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// What is wrong, in Vietnamese.
    pub error: String,
}

/// The body of a counter action (`POST /api/counter/{action}`); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionBody {
    /// Supervisors: the counter to act at.
    pub counter: Option<u32>,
    /// Transfer: the service to move to.
    pub to: Option<String>,
    /// A numbered action: the number.
    pub number: Option<String>,
    /// A numbered action: the service, when the number is ambiguous.
    pub service: Option<String>,
}

/// `POST /api/tickets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssueBody {
    /// Service code.
    pub service: Option<String>,
    /// Priority class code.
    pub priority: Option<String>,
    /// The kiosk prints it: the ticket stays "print pending" until the kiosk reports
    /// `printed` (or `print-failed`), so a kiosk that died in between finds it at start-up.
    #[serde(default)]
    pub print: bool,
}

/// `GET /api/rate/{counter}`: what the counter's rating tablet shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateState {
    /// The counter.
    pub counter: u32,
    /// Its name, e.g. "Quầy 3".
    pub counter_name: String,
    /// The officer signed in there.
    pub officer: Option<String>,
    /// The ticket called or being served there now.
    pub current: Option<Ticket>,
    /// The ticket just finished there and not rated yet, while `[rating] seconds` last.
    pub to_rate: Option<Ticket>,
    /// Seconds left to rate `to_rate`.
    pub seconds_left: u32,
    /// The reasons a low mark chooses from.
    pub reasons: Vec<String>,
    /// A mark at or below this asks for a reason.
    pub ask_reason_at_or_below: u8,
}

/// `POST /api/rate/{counter}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RateBody {
    /// The ticket rated (the tablet's `to_rate`).
    pub ticket: Option<i64>,
    /// 1 (Rất không hài lòng) to 5 (Rất hài lòng).
    pub score: Option<u8>,
    /// One of the configured reasons; required for a low mark.
    pub reason: Option<String>,
}

/// A counter by its name, for a browser screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterName {
    /// Counter number.
    pub number: u32,
    /// Its name, e.g. "Quầy 3".
    pub name: String,
}

/// A service by its name, for a browser screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceName {
    /// Service code.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// What the web board's page (`GET /board`) is given in its `#config` element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardPage {
    /// The office's name.
    pub office: String,
    /// Its time zone (IANA), for the clock.
    pub timezone: String,
    /// Day names from Sunday (as JavaScript's `getDay()` counts).
    pub weekdays: Vec<String>,
    /// How long a fresh call blinks, in ms.
    pub blink_ms: u64,
    /// Counters in config order.
    pub counters: Vec<CounterName>,
    /// Services in config order.
    pub services: Vec<ServiceName>,
    /// The SSE event kinds the page listens to.
    pub event_kinds: Vec<String>,
}

/// What the rating tablet's page (`GET /rate/N`) is given in its `#config` element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePage {
    /// Its counter.
    pub counter: u32,
    /// A mark at or below this asks for a reason.
    pub ask_reason_at_or_below: u8,
    /// How long the thanks stay on screen, in ms.
    pub thanks_ms: u64,
    /// The SSE event kinds the page listens to.
    pub event_kinds: Vec<String>,
}

/// One unprinted ticket of a kiosk device (`GET /api/kiosk/unprinted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unprinted {
    /// The ticket.
    pub ticket: Ticket,
    /// Its print failed after the citizen was told the number: it keeps its place.
    pub told: bool,
}

/// `{"tickets": [...]}` of `GET /api/kiosk/unprinted`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnprintedList {
    /// Oldest first.
    pub tickets: Vec<Unprinted>,
}

/// `PUT /api/kiosk/printer`: a kiosk device's printer status, for staff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrinterReport {
    /// `ready`, `paper_near_end`, `paper_out`, `cover_open`, `offline`, `no_answer`, ...
    pub status: String,
    /// The English detail for the log.
    #[serde(default)]
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::parse(
            &motcua_testkit::OfficeToml::minimal().build(),
            std::path::Path::new("motcua.toml"),
        )
        .unwrap()
    }

    #[test]
    fn events_go_both_ways() {
        let cfg = cfg();
        let at = DateTime::parse_from_rfc3339("2026-11-24T08:30:05+07:00")
            .unwrap()
            .with_timezone(&Utc);
        for (kind, counter) in [
            (EventKind::Called, Some(3)),
            (EventKind::Issued, None),
            (EventKind::Transferred { from: "DD".into() }, Some(3)),
        ] {
            let e = store::Event {
                id: 42,
                at,
                kind,
                ticket_id: 7,
                number: "1005".into(),
                service: "TP".into(),
                counter,
            };
            let text = serde_json::to_string(&Message::Event(Event::of(&e, &cfg))).unwrap();
            assert!(
                text.contains("\"at\":\"2026-11-24T08:30:05+07:00\""),
                "{text}"
            );
            let back: Message = serde_json::from_str(&text).unwrap();
            match back {
                Message::Event(b) => assert_eq!(b.into_store(), e),
                other => panic!("read back as {other:?}"),
            }
        }
        let changed = serde_json::to_string(&Message::CHANGED).unwrap();
        assert_eq!(changed, r#"{"kind":"changed"}"#);
        assert_eq!(
            serde_json::from_str::<Message>(&changed).unwrap(),
            Message::CHANGED
        );
        assert!(serde_json::from_str::<Event>(r#"{"id": 1, "kind": "called"}"#).is_err());
        assert!(
            serde_json::from_str::<Message>(
                r#"{"id": 1, "kind": "exploded", "at": "2026-11-24T08:30:05+07:00",
                "ticket_id": 1, "number": "1", "service": "TP", "counter": null}"#
            )
            .is_err()
        );
    }

    #[test]
    fn office_time_is_whole_seconds_with_the_offset() {
        let cfg = cfg();
        let t = DateTime::parse_from_rfc3339("2026-11-24T01:30:05.678Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            OfficeTime::of(t, &cfg).to_string(),
            "2026-11-24T08:30:05+07:00"
        );
    }
}
