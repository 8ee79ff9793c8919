//! What an office sends to the province centre over NATS JetStream, and the names both sides
//! use. One typed wire format: the office's shipper serialises these, the centre's consumer
//! parses them and skips (with a log line) whatever does not parse.
//!
//! Subjects: `motcua.events.<office>` carries [`Shipped`] messages, each with the message id
//! `<office>:<event id>` (ratings: `<office>:r<ticket id>`) so a republish after a lost
//! acknowledgement is dropped by JetStream's de-duplication. The key `<office>` of the
//! key-value bucket [`STATE_BUCKET`] holds the office's [`OfficeState`], replaced every few
//! seconds and on change.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The JetStream stream of every office's events.
pub const EVENTS_STREAM: &str = "MOTCUA_EVENTS";
/// Subjects of the events stream: `motcua.events.<office>`.
pub const EVENTS_SUBJECTS: &str = "motcua.events.*";
/// The key-value bucket of the offices' current state (key: office id).
pub const STATE_BUCKET: &str = "motcua-state";
/// The centre's durable consumer of the events stream.
pub const CENTRE_CONSUMER: &str = "motcua-centre";

/// The subject an office publishes its events and ratings to.
pub fn events_subject(office: &str) -> String {
    format!("motcua.events.{office}")
}

/// The subject of an office's key in [`STATE_BUCKET`] (a key-value put is a publish there).
pub fn state_subject(office: &str) -> String {
    format!("$KV.{STATE_BUCKET}.{office}")
}

/// The inbox prefix of an office's connection: replies (JetStream's acknowledgements) come
/// there, and an office may subscribe only to its own.
pub fn inbox_prefix(office: &str) -> String {
    format!("_INBOX_{office}")
}

/// The office id at the end of an events subject, if it is one.
pub fn office_of_subject(subject: &str) -> Option<&str> {
    subject
        .strip_prefix("motcua.events.")
        .filter(|o| crate::config::is_slug(o))
}

/// One message on an office's events subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Shipped {
    /// One row of the office's event table, with its ticket as it was when shipped.
    Event(Box<ShippedEvent>),
    /// A citizen's rating of a served ticket.
    Rating(ShippedRating),
}

impl Shipped {
    /// The JetStream message id: unique per office and message, the same on every republish.
    pub fn msg_id(&self) -> String {
        match self {
            Shipped::Event(e) => format!("{}:{}", e.office, e.id),
            Shipped::Rating(r) => format!("{}:r{}", r.office, r.ticket_id),
        }
    }

    /// The office that sent it.
    pub fn office(&self) -> &str {
        match self {
            Shipped::Event(e) => &e.office,
            Shipped::Rating(r) => &r.office,
        }
    }
}

/// An event as shipped. Times are Unix milliseconds, as stored in the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippedEvent {
    /// The office's id (`[centre] office_id`).
    pub office: String,
    /// The event's id in the office's database: increasing, unique in the office.
    pub id: i64,
    /// When it happened.
    pub at: i64,
    /// Its kind as stored ("issued", "called", …).
    pub kind: String,
    /// Its data as stored (JSON).
    pub data: String,
    /// The counter involved.
    pub counter: Option<u32>,
    /// The officer signed in at that counter.
    pub officer: Option<String>,
    /// The ticket as it was when the event was shipped (its last shipped state wins).
    pub ticket: TicketSnapshot,
}

/// A ticket as the centre keeps it: what reports need, never the status-page token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSnapshot {
    /// Its id in the office's database.
    pub id: i64,
    /// The service it is queued for (after transfers).
    pub service: String,
    /// The number as printed.
    pub number: String,
    /// Priority class code.
    pub priority: Option<String>,
    /// Its service day.
    pub business_date: NaiveDate,
    /// Status as stored ("waiting", "done", …).
    pub status: String,
    /// Its place in the queue (ms).
    pub queue_at: i64,
    /// Issued (ms).
    pub issued_at: i64,
    /// Last called (ms).
    pub called_at: Option<i64>,
    /// Service started (ms).
    pub started_at: Option<i64>,
    /// Finished (ms).
    pub finished_at: Option<i64>,
    /// The counter it was last called to.
    pub counter: Option<u32>,
    /// Times recalled.
    pub recalls: u32,
    /// The wait it is measured against in reports, seconds (the office's config).
    pub target_wait_s: u32,
}

/// A rating as shipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippedRating {
    /// The office's id.
    pub office: String,
    /// The rated ticket's id (once per ticket).
    pub ticket_id: i64,
    /// 1 to 5.
    pub score: u8,
    /// The reason given with a low mark.
    pub reason: Option<String>,
    /// When (ms).
    pub at: i64,
    /// The counter that served the ticket.
    pub counter: Option<u32>,
}

/// The office's queue now, for the leaders' page: replaced in [`STATE_BUCKET`] every few
/// seconds and on change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeState {
    /// The office's id.
    pub office: String,
    /// Its name (`[office] name`).
    pub name: String,
    /// When this state was read (ms).
    pub at: i64,
    /// The service day.
    pub business_date: NaiveDate,
    /// Per configured service: waiting now and how long the longest has waited.
    pub services: Vec<ServiceNow>,
    /// Counters with an officer, a citizen or a recent call.
    pub counters_open: u32,
    /// Counters paused.
    pub counters_paused: u32,
    /// Counters configured.
    pub counters_total: u32,
    /// The newest event id of the office (how far shipping has to go).
    pub last_event_id: i64,
}

/// One service in [`OfficeState`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceNow {
    /// Service code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Tickets waiting.
    pub waiting: u32,
    /// Seconds the longest-waiting ticket has waited (0 when none waits).
    pub longest_wait_s: u32,
    /// The service's target wait, seconds.
    pub target_wait_s: u32,
}

impl OfficeState {
    /// Tickets waiting in every service.
    pub fn waiting(&self) -> u32 {
        self.services.iter().map(|s| s.waiting).sum()
    }

    /// The longest wait of any service, seconds.
    pub fn longest_wait_s(&self) -> u32 {
        self.services
            .iter()
            .map(|s| s.longest_wait_s)
            .max()
            .unwrap_or(0)
    }

    /// Whether someone has waited longer than their service's target: the leaders' red mark.
    pub fn over_target(&self) -> bool {
        self.services
            .iter()
            .any(|s| s.waiting > 0 && s.longest_wait_s > s.target_wait_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_carry_stable_ids() {
        let r = Shipped::Rating(ShippedRating {
            office: "ba-dinh".into(),
            ticket_id: 7,
            score: 5,
            reason: None,
            at: 1,
            counter: Some(2),
        });
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.starts_with(r#"{"type":"rating""#), "{json}");
        assert_eq!(serde_json::from_str::<Shipped>(&json).unwrap(), r);
        assert_eq!(r.msg_id(), "ba-dinh:r7");
        assert_eq!(office_of_subject("motcua.events.ba-dinh"), Some("ba-dinh"));
        assert_eq!(office_of_subject("motcua.events.Ba Dinh"), None);
        assert_eq!(office_of_subject("other.ba-dinh"), None);
        assert!(serde_json::from_str::<Shipped>(r#"{"type":"bogus"}"#).is_err());
    }

    #[test]
    fn the_red_mark_needs_someone_waiting_past_the_target() {
        let svc = |waiting, longest| ServiceNow {
            code: "TP".into(),
            name: "Tư pháp".into(),
            waiting,
            longest_wait_s: longest,
            target_wait_s: 900,
        };
        let mut s = OfficeState {
            office: "x".into(),
            name: "X".into(),
            at: 0,
            business_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            services: vec![svc(3, 900)],
            counters_open: 1,
            counters_paused: 0,
            counters_total: 2,
            last_event_id: 0,
        };
        assert!(!s.over_target());
        s.services.push(svc(1, 901));
        assert!(s.over_target());
        assert_eq!((s.waiting(), s.longest_wait_s()), (4, 901));
    }
}
