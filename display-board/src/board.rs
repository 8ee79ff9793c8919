//! What the board shows, as plain values: counters, the latest call, history, waiting counts.
//! Pure: events and queue snapshots in, state out; time is an argument.

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDate, Utc};
use motcua::Config;
use motcua::queue::EventKind;
use motcua::store::{Event, QueueState};

/// How many past calls the board lists.
pub const HISTORY: usize = 6;

/// One call of a number to a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The event it came from.
    pub event_id: i64,
    /// The number as printed.
    pub number: String,
    /// The counter called to.
    pub counter: u32,
    /// The service code.
    pub service: String,
    /// When.
    pub at: DateTime<Utc>,
    /// A recall of a number already called.
    pub recall: bool,
    /// Made before the board caught up (while it was off or cut off): shown, not announced.
    pub replayed: bool,
}

/// What the board needs of the queue state, from the database or from a server's `/api/state`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Waiting tickets per service code.
    pub waiting: Vec<(String, u32)>,
    /// The estimated wait of a ticket taken now, per service code ("khoảng 15–25 phút").
    pub waits: Vec<(String, String)>,
    /// Each counter's current ticket: (number, service code).
    pub current: Vec<(u32, Option<(String, String)>)>,
    /// Paused counters.
    pub paused: Vec<u32>,
    /// The newest event the snapshot includes.
    pub last_event_id: i64,
}

impl Snapshot {
    /// From the store's queue state.
    pub fn of(s: &QueueState) -> Snapshot {
        Snapshot {
            waiting: s.waiting.clone(),
            waits: Vec::new(),
            current: s
                .counters
                .iter()
                .map(|(n, t)| {
                    (
                        *n,
                        t.as_ref().map(|t| (t.number.clone(), t.service.clone())),
                    )
                })
                .collect(),
            paused: s.paused.clone(),
            last_event_id: s.last_event_id,
        }
    }

    /// From the wire form of the state (a server's `/api/state`).
    pub fn of_api(s: &motcua::api::QueueState) -> Snapshot {
        Snapshot {
            waiting: s
                .waiting
                .iter()
                .map(|w| (w.service.clone(), w.waiting))
                .collect(),
            waits: s
                .waiting
                .iter()
                .filter_map(|w| Some((w.service.clone(), w.wait.clone()?)))
                .collect(),
            current: s
                .counters
                .iter()
                .map(|c| {
                    (
                        c.counter,
                        c.ticket
                            .as_ref()
                            .map(|t| (t.number.clone(), t.service.clone())),
                    )
                })
                .collect(),
            paused: s
                .counters
                .iter()
                .filter(|c| c.paused)
                .map(|c| c.counter)
                .collect(),
            last_event_id: s.last_event_id,
        }
    }
}

/// One counter's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRow {
    /// Counter number.
    pub number: u32,
    /// Its name, e.g. "Quầy 3".
    pub name: String,
    /// The number it serves now and its service's name.
    pub current: Option<(String, String)>,
    /// Paused ("Tạm dừng").
    pub paused: bool,
}

/// One service in the waiting panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRow {
    /// The service's name.
    pub name: String,
    /// Tickets waiting.
    pub count: u32,
    /// The estimated wait of a ticket taken now, when known.
    pub wait: Option<String>,
}

impl WaitingRow {
    /// A row without an estimate.
    pub fn new(name: &str, count: u32) -> WaitingRow {
        WaitingRow {
            name: name.to_string(),
            count,
            wait: None,
        }
    }
}

/// Everything on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// Office name.
    pub office: String,
    /// One row per counter, in config order.
    pub counters: Vec<CounterRow>,
    /// The newest calls, newest first.
    pub history: VecDeque<Call>,
    /// Waiting per service, in config order.
    pub waiting: Vec<WaitingRow>,
    /// The scrolling notice.
    pub notice: String,
    /// The newest event applied.
    pub last_event_id: i64,
}

impl Board {
    /// An empty board for the office in `cfg`.
    pub fn new(cfg: &Config) -> Board {
        Board {
            office: cfg.office.name.clone(),
            counters: cfg
                .counters
                .iter()
                .map(|c| CounterRow {
                    number: c.number,
                    name: c.name.clone(),
                    current: None,
                    paused: false,
                })
                .collect(),
            history: VecDeque::new(),
            waiting: cfg
                .services
                .iter()
                .map(|s| WaitingRow::new(&s.name, 0))
                .collect(),
            notice: cfg.board.notice.clone(),
            last_event_id: 0,
        }
    }

    /// Applies one event; returns the call it makes, if it is one (to show and announce).
    /// Only calls from the service day `today` enter the history.
    pub fn apply(&mut self, e: &Event, today: NaiveDate, cfg: &Config) -> Option<Call> {
        self.last_event_id = self.last_event_id.max(e.id);
        let recall = match e.kind {
            EventKind::Called => false,
            EventKind::Recalled => true,
            _ => return None,
        };
        let counter = e.counter?;
        if motcua::queue::business_date(e.at, cfg.office.timezone, cfg.office.reset_at) != today {
            return None;
        }
        let call = Call {
            event_id: e.id,
            number: e.number.clone(),
            counter,
            service: e.service.clone(),
            at: e.at,
            recall,
            replayed: false,
        };
        self.history.push_front(call.clone());
        self.history.truncate(HISTORY);
        Some(call)
    }

    /// Takes waiting counts, current numbers and paused flags from a queue snapshot.
    pub fn set_state(&mut self, s: &Snapshot, cfg: &Config) {
        let service_name =
            |code: &String| cfg.service(code).map_or(code.clone(), |s| s.name.clone());
        self.waiting = s
            .waiting
            .iter()
            .map(|(code, n)| WaitingRow {
                name: service_name(code),
                count: *n,
                wait: s
                    .waits
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, w)| w.clone()),
            })
            .collect();
        for row in &mut self.counters {
            row.paused = s.paused.contains(&row.number);
            row.current = s
                .current
                .iter()
                .find(|(n, _)| *n == row.number)
                .and_then(|(_, t)| t.as_ref())
                .map(|(number, service)| (number.clone(), service_name(service)));
        }
    }

    /// The name of counter `number` ("Quầy N" if the config no longer has it).
    pub fn counter_name(&self, number: u32) -> String {
        self.counters
            .iter()
            .find(|c| c.number == number)
            .map_or_else(|| format!("Quầy {number}"), |c| c.name.clone())
    }

    /// The newest call, if it is still fresh at `now` (it is highlighted and blinks).
    pub fn fresh_call(&self, now: DateTime<Utc>, blink: std::time::Duration) -> Option<&Call> {
        let c = self.history.front()?;
        let age = (now - c.at).to_std().unwrap_or_default();
        (age < blink).then_some(c)
    }
}
