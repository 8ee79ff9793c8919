//! The queue core: numbering, ticket lifecycle and who is next. Pure: no I/O, time is an argument.
//!
//! **Invariant:** nothing in this module reads a clock, a file or a database. The store loads the
//! tickets a decision needs, asks this module, and writes back what it answers.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::config::{QueueRules, Service};
use crate::error::{Error, Result};

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the queue.
    Waiting,
    /// Called to a counter, citizen not yet there.
    Called,
    /// Being served at a counter.
    Serving,
    /// Parked by an officer (citizen fetching a document); back to the queue with `unhold`.
    Held,
    /// Served.
    Done,
    /// Did not come when called; may be re-activated the same day.
    NoShow,
    /// Withdrawn.
    Cancelled,
}

impl Status {
    /// The name used in JSON, the database and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Called => "called",
            Status::Serving => "serving",
            Status::Held => "held",
            Status::Done => "done",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status in Vietnamese, for officers' screens.
    pub fn vi(self) -> &'static str {
        match self {
            Status::Waiting => "đang chờ",
            Status::Called => "đã gọi",
            Status::Serving => "đang phục vụ",
            Status::Held => "tạm giữ",
            Status::Done => "đã hoàn thành",
            Status::NoShow => "vắng mặt",
            Status::Cancelled => "đã hủy",
        }
    }

    /// Parses [`Status::as_str`] output.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Waiting,
            Status::Called,
            Status::Serving,
            Status::Held,
            Status::Done,
            Status::NoShow,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A ticket as the core sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Database id (0 before it is stored).
    pub id: i64,
    /// The service the ticket is queued for now (changes on transfer).
    pub service: String,
    /// The service whose numbering issued it (never changes).
    pub origin_service: String,
    /// The service day it was issued on.
    pub business_date: NaiveDate,
    /// 1-based position in its origin service's day.
    pub seq: u32,
    /// The number as printed.
    pub number: String,
    /// Priority class code, if any.
    pub priority: Option<String>,
    /// Where it is in its life.
    pub status: Status,
    /// Its place in the queue: the issue time, kept through transfer, hold and re-activation.
    pub queue_at: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was last called.
    pub called_at: Option<DateTime<Utc>>,
    /// When service started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached done, no-show or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// The counter it was last called to.
    pub counter: Option<u32>,
    /// How many times it was recalled.
    pub recalls: u32,
    /// People waiting ahead of it when it was issued.
    pub waiting_ahead: u32,
    /// Unguessable token for the citizen's status page.
    pub token: String,
    /// When it was printed, if it was.
    pub printed_at: Option<DateTime<Utc>>,
}

/// Something an officer (or the system) does to one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Call it to a counter (next in line, or a specific number).
    Call {
        /// The calling counter.
        counter: u32,
    },
    /// Call it again (the citizen did not come yet).
    Recall,
    /// The citizen arrived: service starts.
    Start,
    /// Service finished.
    Finish,
    /// The citizen did not come.
    NoShow,
    /// Park it at the counter.
    Hold,
    /// Back to the queue from hold, at its original place.
    Unhold,
    /// A no-show turned up: back to the queue at its original place.
    Reactivate,
    /// Move to another service's queue, keeping its place.
    Transfer {
        /// The new service code.
        to: String,
    },
    /// Withdraw it.
    Cancel,
}

impl Action {
    /// The action's name in messages and events.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Call { .. } => "call",
            Action::Recall => "recall",
            Action::Start => "start",
            Action::Finish => "finish",
            Action::NoShow => "no-show",
            Action::Hold => "hold",
            Action::Unhold => "unhold",
            Action::Reactivate => "reactivate",
            Action::Transfer { .. } => "transfer",
            Action::Cancel => "cancel",
        }
    }
}

/// What happened, as recorded in the event log. One variant per kind of change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A ticket was issued.
    Issued,
    /// A ticket was called to a counter.
    Called,
    /// A ticket was called again.
    Recalled,
    /// Service started.
    Started,
    /// Service finished.
    Finished,
    /// The citizen did not come.
    NoShow,
    /// Parked.
    Held,
    /// Back from hold.
    Unheld,
    /// A no-show came back.
    Reactivated,
    /// Moved to another service.
    Transferred {
        /// The service it left.
        from: String,
    },
    /// Withdrawn.
    Cancelled,
    /// Withdrawn because it was committed but never printed (found at kiosk start-up).
    Voided,
    /// Printed again for the citizen (state unchanged).
    Reprinted,
}

impl EventKind {
    /// The kind's name as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Issued => "issued",
            EventKind::Called => "called",
            EventKind::Recalled => "recalled",
            EventKind::Started => "started",
            EventKind::Finished => "finished",
            EventKind::NoShow => "no_show",
            EventKind::Held => "held",
            EventKind::Unheld => "unheld",
            EventKind::Reactivated => "reactivated",
            EventKind::Transferred { .. } => "transferred",
            EventKind::Cancelled => "cancelled",
            EventKind::Voided => "voided",
            EventKind::Reprinted => "reprinted",
        }
    }
}

/// The service day `now` falls in: the office-local date, with the day starting at `reset_at`.
pub fn business_date(now: DateTime<Utc>, tz: Tz, reset_at: NaiveTime) -> NaiveDate {
    let local = now.with_timezone(&tz).naive_local();
    (local - reset_at.signed_duration_since(NaiveTime::MIN)).date()
}

/// The printed number for the `seq`-th ticket of a service's day: prefix + zero-padded value.
pub fn format_number(service: &Service, seq: u32) -> Result<String> {
    let value = u64::from(service.first_number) + u64::from(seq) - 1;
    if value >= 10u64.pow(u32::from(service.digits)) {
        return Err(Error::NumbersExhausted {
            service: service.code.clone(),
            digits: service.digits,
        });
    }
    Ok(format!(
        "{}{:0width$}",
        service.prefix,
        value,
        width = usize::from(service.digits)
    ))
}

/// Refuses to issue when the clock puts us on a service day before the newest one already used.
///
/// Numbering restarts each day, so issuing on an older day after a newer one would hand out numbers
/// that may already be on paper for that older day's citizens' view of the queue; refusing is safe.
pub fn check_clock(today: NaiveDate, latest: Option<NaiveDate>) -> Result<()> {
    match latest {
        Some(latest) if latest > today => Err(Error::ClockBehind { today, latest }),
        _ => Ok(()),
    }
}

/// Applies `action` to `ticket` at `now`: the changed ticket and the event to record, or why not.
pub fn apply(ticket: &Ticket, action: &Action, now: DateTime<Utc>) -> Result<(Ticket, EventKind)> {
    let mut t = ticket.clone();
    let refuse = || Error::InvalidTransition {
        number: ticket.number.clone(),
        status: ticket.status.as_str(),
        action: action.name(),
    };
    let event = match (ticket.status, action) {
        (Status::Waiting | Status::Held, Action::Call { counter }) => {
            t.status = Status::Called;
            t.counter = Some(*counter);
            t.called_at = Some(now);
            t.started_at = None;
            EventKind::Called
        }
        (Status::Called, Action::Recall) => {
            t.recalls += 1;
            t.called_at = Some(now);
            EventKind::Recalled
        }
        (Status::Called, Action::Start) => {
            t.status = Status::Serving;
            t.started_at = Some(now);
            EventKind::Started
        }
        (Status::Called | Status::Serving, Action::Finish) => {
            // Finishing straight from "called" means the officer skipped "start": service began
            // when the citizen was called.
            if t.started_at.is_none() {
                t.started_at = t.called_at;
            }
            t.status = Status::Done;
            t.finished_at = Some(now);
            EventKind::Finished
        }
        (Status::Called, Action::NoShow) => {
            t.status = Status::NoShow;
            t.finished_at = Some(now);
            EventKind::NoShow
        }
        (Status::Called | Status::Serving, Action::Hold) => {
            t.status = Status::Held;
            EventKind::Held
        }
        (Status::Held, Action::Unhold) => {
            t.status = Status::Waiting;
            t.counter = None;
            EventKind::Unheld
        }
        (Status::NoShow, Action::Reactivate) => {
            t.status = Status::Waiting;
            t.counter = None;
            t.finished_at = None;
            EventKind::Reactivated
        }
        (
            Status::Waiting | Status::Called | Status::Serving | Status::Held,
            Action::Transfer { to },
        ) if *to != ticket.service => {
            t.service = to.clone();
            t.status = Status::Waiting;
            t.counter = None;
            t.started_at = None;
            EventKind::Transferred {
                from: ticket.service.clone(),
            }
        }
        (
            Status::Waiting | Status::Called | Status::Serving | Status::Held | Status::NoShow,
            Action::Cancel,
        ) => {
            t.status = Status::Cancelled;
            t.finished_at = Some(now);
            EventKind::Cancelled
        }
        _ => return Err(refuse()),
    };
    Ok((t, event))
}

/// A waiting ticket as [`pick_next`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Ticket id, returned in the pick.
    pub id: i64,
    /// Service it waits for.
    pub service: String,
    /// Whether it has a priority class.
    pub priority: bool,
    /// Its place in the queue.
    pub queue_at: DateTime<Utc>,
}

/// The answer of [`pick_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// The id of the ticket to call.
    pub id: i64,
    /// The counter's priority streak after this call.
    pub streak: u32,
}

/// Who a counter calls next.
///
/// Rules, in order:
/// 1. only tickets of services the counter serves;
/// 2. a ticket that has waited `max_wait` or longer goes before all that have not (oldest first);
/// 3. after `priority_ratio` priority calls in a row (`streak`), a waiting normal ticket goes next;
/// 4. otherwise priority tickets before normal ones, then the counter's service preference order,
///    then first come first served.
pub fn pick_next(
    served: &[String],
    waiting: &[Candidate],
    streak: u32,
    rules: &QueueRules,
    now: DateTime<Utc>,
) -> Option<Pick> {
    let pref = |c: &Candidate| served.iter().position(|s| *s == c.service);
    let eligible = || waiting.iter().filter(|c| pref(c).is_some());
    // First come, first served by the issue sequence (the ticket id, given at COMMIT), never by
    // the wall clock: a clock set back within the day must not put a new ticket first.
    let fifo = |c: &&Candidate| c.id;

    let overdue = rules.max_wait.and_then(|max| {
        let max = TimeDelta::from_std(max).unwrap_or(TimeDelta::MAX);
        eligible()
            .filter(|c| now - c.queue_at >= max)
            .min_by_key(fifo)
    });
    let chosen = overdue.or_else(|| {
        let normal_first = streak >= rules.priority_ratio && eligible().any(|c| !c.priority);
        eligible().min_by_key(|c| {
            let class_rank = if normal_first {
                c.priority
            } else {
                !c.priority
            };
            (class_rank, pref(c), c.id)
        })
    })?;
    Some(Pick {
        id: chosen.id,
        streak: if chosen.priority { streak + 1 } else { 0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Ho_Chi_Minh;
    use std::time::Duration;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 24, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn svc(prefix: &str, first: u32, digits: u8) -> Service {
        Service {
            code: "TP".into(),
            name: "Tư pháp".into(),
            prefix: prefix.into(),
            first_number: first,
            digits,
            hours: Vec::new(),
            target_wait: None,
        }
    }

    fn ticket(status: Status) -> Ticket {
        Ticket {
            id: 7,
            service: "TP".into(),
            origin_service: "TP".into(),
            business_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            seq: 5,
            number: "1005".into(),
            priority: None,
            status,
            queue_at: at(8, 0),
            issued_at: at(8, 0),
            called_at: None,
            started_at: None,
            finished_at: None,
            counter: None,
            recalls: 0,
            waiting_ahead: 0,
            token: "t".into(),
            printed_at: None,
        }
    }

    // ---- numbering and the service day ----

    #[test]
    fn number_format() {
        assert_eq!(format_number(&svc("", 1001, 4), 1).unwrap(), "1001");
        assert_eq!(format_number(&svc("", 1001, 4), 5).unwrap(), "1005");
        assert_eq!(format_number(&svc("A", 1, 3), 1).unwrap(), "A001");
        assert_eq!(format_number(&svc("A", 1, 3), 999).unwrap(), "A999");
        assert!(matches!(
            format_number(&svc("A", 1, 3), 1000),
            Err(Error::NumbersExhausted { .. })
        ));
        assert!(format_number(&svc("", 9999, 4), 2).is_err());
    }

    #[test]
    fn business_day_at_midnight_reset_in_vietnam() {
        let tz = Ho_Chi_Minh;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // 23:59:59 local on the 24th is 16:59:59 UTC; 00:00 local on the 25th is 17:00 UTC.
        let before = Utc.with_ymd_and_hms(2026, 11, 24, 16, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 24, 17, 0, 0).unwrap();
        assert_eq!(business_date(before, tz, NaiveTime::MIN), d(2026, 11, 24));
        assert_eq!(business_date(after, tz, NaiveTime::MIN), d(2026, 11, 25));
    }

    #[test]
    fn business_day_with_reset_at_0530() {
        let tz = Ho_Chi_Minh;
        let reset = NaiveTime::from_hms_opt(5, 30, 0).unwrap();
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let local = |day, h, m, s| {
            tz.with_ymd_and_hms(2026, 11, day, h, m, s)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(business_date(local(25, 5, 29, 59), tz, reset), d(24));
        assert_eq!(business_date(local(25, 5, 30, 0), tz, reset), d(25));
        assert_eq!(business_date(local(25, 0, 10, 0), tz, reset), d(24));
        assert_eq!(business_date(local(25, 23, 59, 0), tz, reset), d(25));
    }

    #[test]
    fn clock_going_back_a_day_is_refused() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert!(check_clock(d(24), None).is_ok());
        assert!(check_clock(d(24), Some(d(24))).is_ok());
        assert!(check_clock(d(25), Some(d(24))).is_ok());
        assert!(matches!(
            check_clock(d(23), Some(d(24))),
            Err(Error::ClockBehind { .. })
        ));
    }

    // ---- lifecycle ----

    /// Applies `action` to a ticket in `from` and checks the resulting status and event.
    fn check(from: Status, action: Action, to: Status, event: EventKind) {
        let (t, e) = apply(&ticket(from), &action, at(9, 0))
            .unwrap_or_else(|err| panic!("{from:?} + {action:?} refused: {err}"));
        assert_eq!(t.status, to, "{from:?} + {action:?}");
        assert_eq!(e, event, "{from:?} + {action:?}");
        assert_eq!(t.queue_at, at(8, 0), "the queue place never changes");
    }

    #[test]
    fn every_allowed_transition() {
        use Status::*;
        let call = Action::Call { counter: 3 };
        let xfer = Action::Transfer { to: "DD".into() };
        let xfer_ev = EventKind::Transferred { from: "TP".into() };
        check(Waiting, call.clone(), Called, EventKind::Called);
        check(Held, call, Called, EventKind::Called);
        check(Called, Action::Recall, Called, EventKind::Recalled);
        check(Called, Action::Start, Serving, EventKind::Started);
        check(Called, Action::Finish, Done, EventKind::Finished);
        check(Serving, Action::Finish, Done, EventKind::Finished);
        check(Called, Action::NoShow, NoShow, EventKind::NoShow);
        check(Called, Action::Hold, Held, EventKind::Held);
        check(Serving, Action::Hold, Held, EventKind::Held);
        check(Held, Action::Unhold, Waiting, EventKind::Unheld);
        check(NoShow, Action::Reactivate, Waiting, EventKind::Reactivated);
        for from in [Waiting, Called, Serving, Held] {
            check(from, xfer.clone(), Waiting, xfer_ev.clone());
        }
        for from in [Waiting, Called, Serving, Held, NoShow] {
            check(from, Action::Cancel, Cancelled, EventKind::Cancelled);
        }
    }

    #[test]
    fn every_refused_transition() {
        use Status::*;
        let all = [Waiting, Called, Serving, Held, Done, NoShow, Cancelled];
        let actions = [
            Action::Call { counter: 1 },
            Action::Recall,
            Action::Start,
            Action::Finish,
            Action::NoShow,
            Action::Hold,
            Action::Unhold,
            Action::Reactivate,
            Action::Transfer { to: "DD".into() },
            Action::Cancel,
        ];
        let allowed = |s: Status, a: &Action| match a {
            Action::Call { .. } => matches!(s, Waiting | Held),
            Action::Recall | Action::Start | Action::NoShow => s == Called,
            Action::Finish | Action::Hold => matches!(s, Called | Serving),
            Action::Unhold => s == Held,
            Action::Reactivate => s == NoShow,
            Action::Transfer { .. } => matches!(s, Waiting | Called | Serving | Held),
            Action::Cancel => !matches!(s, Done | Cancelled),
        };
        for s in all {
            for a in &actions {
                let r = apply(&ticket(s), a, at(9, 0));
                assert_eq!(r.is_ok(), allowed(s, a), "{s:?} + {a:?}");
                if let Err(e) = r {
                    assert!(matches!(e, Error::InvalidTransition { .. }));
                }
            }
        }
    }

    #[test]
    fn transfer_to_same_service_refused() {
        let r = apply(
            &ticket(Status::Waiting),
            &Action::Transfer { to: "TP".into() },
            at(9, 0),
        );
        assert!(r.is_err());
    }

    #[test]
    fn call_sets_counter_and_time_recall_counts() {
        let (t, _) = apply(
            &ticket(Status::Waiting),
            &Action::Call { counter: 4 },
            at(9, 0),
        )
        .unwrap();
        assert_eq!((t.counter, t.called_at), (Some(4), Some(at(9, 0))));
        let (t, _) = apply(&t, &Action::Recall, at(9, 1)).unwrap();
        let (t, _) = apply(&t, &Action::Recall, at(9, 2)).unwrap();
        assert_eq!((t.recalls, t.called_at), (2, Some(at(9, 2))));
    }

    #[test]
    fn finish_without_start_counts_service_from_call() {
        let (t, _) = apply(
            &ticket(Status::Waiting),
            &Action::Call { counter: 1 },
            at(9, 0),
        )
        .unwrap();
        let (t, _) = apply(&t, &Action::Finish, at(9, 10)).unwrap();
        assert_eq!(
            (t.started_at, t.finished_at),
            (Some(at(9, 0)), Some(at(9, 10)))
        );
        let (t, _) = apply(
            &ticket(Status::Waiting),
            &Action::Call { counter: 1 },
            at(9, 0),
        )
        .unwrap();
        let (t, _) = apply(&t, &Action::Start, at(9, 3)).unwrap();
        let (t, _) = apply(&t, &Action::Finish, at(9, 10)).unwrap();
        assert_eq!(t.started_at, Some(at(9, 3)));
    }

    #[test]
    fn reactivated_no_show_keeps_its_place() {
        let (t, _) = apply(&ticket(Status::Called), &Action::NoShow, at(9, 0)).unwrap();
        let (t, _) = apply(&t, &Action::Reactivate, at(10, 0)).unwrap();
        assert_eq!(
            (t.status, t.queue_at, t.finished_at),
            (Status::Waiting, at(8, 0), None)
        );
    }

    // ---- who is next ----

    fn cand(id: i64, service: &str, priority: bool, minute: u32) -> Candidate {
        Candidate {
            id,
            service: service.into(),
            priority,
            queue_at: at(8, minute),
        }
    }

    fn rules(ratio: u32, max_wait_min: Option<u64>) -> QueueRules {
        QueueRules {
            priority_ratio: ratio,
            max_wait: max_wait_min.map(|m| Duration::from_secs(m * 60)),
            ..QueueRules::default()
        }
    }

    fn served(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_served_services_are_called() {
        let w = [cand(1, "DD", false, 0)];
        assert_eq!(
            pick_next(&served(&["TP"]), &w, 0, &rules(3, None), at(9, 0)),
            None
        );
    }

    #[test]
    fn priority_before_normal_then_preference_then_fifo() {
        let w = [
            cand(1, "TP", false, 0),
            cand(2, "DD", false, 1),
            cand(3, "DD", true, 5),
            cand(4, "TP", true, 6),
        ];
        let s = served(&["TP", "DD"]);
        let r = rules(3, None);
        assert_eq!(
            pick_next(&s, &w, 0, &r, at(9, 0)).unwrap(),
            Pick { id: 4, streak: 1 }
        );
        assert_eq!(
            pick_next(&s, &w[..3], 1, &r, at(9, 0)).unwrap(),
            Pick { id: 3, streak: 2 }
        );
        assert_eq!(
            pick_next(&s, &w[..2], 2, &r, at(9, 0)).unwrap(),
            Pick { id: 1, streak: 0 }
        );
        let s = served(&["DD", "TP"]);
        assert_eq!(pick_next(&s, &w[..2], 0, &r, at(9, 0)).unwrap().id, 2);
    }

    #[test]
    fn after_ratio_priority_calls_a_normal_goes_next() {
        let w = [cand(1, "TP", false, 0), cand(2, "TP", true, 1)];
        let s = served(&["TP"]);
        let r = rules(3, None);
        assert_eq!(pick_next(&s, &w, 2, &r, at(9, 0)).unwrap().id, 2);
        assert_eq!(
            pick_next(&s, &w, 3, &r, at(9, 0)).unwrap(),
            Pick { id: 1, streak: 0 }
        );
        // With no normal ticket waiting, priority continues.
        assert_eq!(
            pick_next(&s, &w[1..], 3, &r, at(9, 0)).unwrap(),
            Pick { id: 2, streak: 4 }
        );
    }

    #[test]
    fn overdue_ticket_goes_first() {
        let w = [cand(1, "DD", false, 0), cand(2, "TP", true, 30)];
        let s = served(&["TP", "DD"]);
        // At 08:44 ticket 1 has waited 44 min: not overdue; at 08:45 it is.
        assert_eq!(
            pick_next(&s, &w, 0, &rules(3, Some(45)), at(8, 44))
                .unwrap()
                .id,
            2
        );
        assert_eq!(
            pick_next(&s, &w, 0, &rules(3, Some(45)), at(8, 45))
                .unwrap()
                .id,
            1
        );
        assert_eq!(
            pick_next(&s, &w, 0, &rules(3, None), at(12, 0)).unwrap().id,
            2
        );
    }
}
