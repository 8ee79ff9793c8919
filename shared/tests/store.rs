//! The store against real SQLite files: numbering, the service day, every action, the event log.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use motcua::queue::EventKind;
use motcua::{Action, Config, Error, Status, Store};
use motcua_testkit::OfficeToml;

/// The office these tests use.
static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    OfficeToml::empty("UBND phường Hòa Khê")
        .office("database", "\"q.db\"")
        .service("TP", "Tư pháp - Hộ tịch", "first_number = 1001\ndigits = 4")
        .service("DD", "Đất đai", "prefix = \"A\"")
        .counter(1, &["TP"])
        .counter(2, &["DD", "TP"])
        .priority("elderly", "Người cao tuổi")
        .section("[queue]\npriority_ratio = 2\nmax_wait_minutes = 60")
        .build()
});

struct Env {
    dir: tempfile::TempDir,
    store: Store,
}

impl Env {
    /// Reopens the store on the same folder with `text` as the config.
    fn reconfigure(&mut self, text: &str) {
        let path = self.dir.path().join("other.toml");
        std::fs::write(&path, text).unwrap();
        self.store = Store::open(&Config::load(Some(&path)).unwrap()).unwrap();
    }
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motcua.toml");
    std::fs::write(&path, &*CONFIG).unwrap();
    let store = Store::open(&Config::load(Some(&path)).unwrap()).unwrap();
    Env { dir, store }
}

/// Local Vietnam time on 2026-11-`day`.
fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, day, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn numbers(store: &Store, day: u32) -> Vec<String> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    store
        .tickets_of_day(date)
        .unwrap()
        .into_iter()
        .map(|t| t.number)
        .collect()
}

fn kinds(store: &Store) -> Vec<&'static str> {
    store
        .events_after(0, 1000)
        .unwrap()
        .iter()
        .map(|e| e.kind.as_str())
        .collect()
}

#[test]
fn numbering_per_service_with_prefix_and_padding() {
    let mut e = env();
    let s = &mut e.store;
    let a = s.issue("TP", None, at(24, 8, 0)).unwrap();
    let b = s.issue("DD", None, at(24, 8, 1)).unwrap();
    let c = s.issue("TP", Some("elderly"), at(24, 8, 2)).unwrap();
    assert_eq!(
        (a.number.as_str(), b.number.as_str(), c.number.as_str()),
        ("1001", "A001", "1002")
    );
    assert_eq!((a.seq, b.seq, c.seq), (1, 1, 2));
    assert_eq!(c.priority.as_deref(), Some("elderly"));
    assert_eq!(c.status, Status::Waiting);
    assert_ne!(a.token, c.token);
}

#[test]
fn unknown_service_and_priority_refused_nothing_written() {
    let mut e = env();
    assert!(matches!(
        e.store.issue("XX", None, at(24, 8, 0)),
        Err(Error::UnknownService(_))
    ));
    assert!(matches!(
        e.store.issue("TP", Some("vip"), at(24, 8, 0)),
        Err(Error::UnknownPriority(_))
    ));
    assert!(numbers(&e.store, 24).is_empty());
    assert!(kinds(&e.store).is_empty());
}

#[test]
fn numbering_restarts_at_midnight_in_vietnam_and_history_is_kept() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 23, 58)).unwrap();
    let late = s.issue("TP", None, at(24, 23, 59)).unwrap();
    let first = s.issue("TP", None, at(25, 0, 0)).unwrap();
    assert_eq!(late.number, "1002");
    assert_eq!(first.number, "1001");
    assert_eq!(first.business_date.to_string(), "2026-11-25");
    assert_eq!(numbers(s, 24), ["1001", "1002"]);
    assert_eq!(numbers(s, 25), ["1001"]);
}

#[test]
fn reset_at_moves_the_day_boundary() {
    let mut e = env();
    e.reconfigure(&CONFIG.replace("reset_at = \"00:00\"", "reset_at = \"05:30\""));
    let s = &mut e.store;
    let night = s.issue("TP", None, at(25, 5, 29)).unwrap();
    let morning = s.issue("TP", None, at(25, 5, 30)).unwrap();
    assert_eq!(night.business_date.to_string(), "2026-11-24");
    assert_eq!(morning.business_date.to_string(), "2026-11-25");
    assert_eq!(
        (night.number.as_str(), morning.number.as_str()),
        ("1001", "1001")
    );
}

#[test]
fn clock_going_back_within_the_day_never_duplicates() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 10, 0)).unwrap();
    let back = s.issue("TP", None, at(24, 9, 0)).unwrap();
    assert_eq!(back.number, "1002");
    assert_eq!(numbers(s, 24), ["1001", "1002"]);
}

#[test]
fn clock_going_back_to_yesterday_is_refused() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(25, 7, 30)).unwrap();
    let err = s.issue("TP", None, at(24, 23, 0)).unwrap_err();
    assert!(matches!(err, Error::ClockBehind { .. }), "{err}");
    assert!(numbers(s, 24).is_empty());
    assert_eq!(numbers(s, 25), ["1001"]);
}

/// #13.7: a clock that ran a day ahead, then was put back: issuing is refused with a message
/// naming `clock-repair`; after the repair issuing resumes at today's first number, and the day
/// that really comes later numbers after the voided tickets.
#[test]
fn a_day_issued_ahead_is_voided_by_clock_repair_and_issuing_resumes() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    // The clock jumps to tomorrow: two tickets, one called.
    s.issue("TP", None, at(25, 8, 0)).unwrap();
    s.issue("TP", None, at(25, 8, 1)).unwrap();
    s.call_next(1, at(25, 8, 2)).unwrap();
    // Back to today.
    let err = s.issue("TP", None, at(24, 8, 5)).unwrap_err();
    assert!(matches!(err, Error::ClockBehind { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("clock-repair --void-day 2026-11-25"),
        "{err}"
    );
    let tomorrow = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert_eq!(s.day_tickets(tomorrow).unwrap(), (2, 2));
    // Only a day in the future can be voided.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    assert!(matches!(
        s.repair_future_day(today, at(24, 8, 6)),
        Err(Error::NotAFutureDay { .. })
    ));
    assert_eq!(s.repair_future_day(tomorrow, at(24, 8, 6)).unwrap(), 2);
    assert_eq!(s.day_tickets(tomorrow).unwrap(), (0, 2), "voided, kept");
    let raw = rusqlite::Connection::open(e.dir.path().join("q.db")).unwrap();
    let voided: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM event WHERE kind = 'voided'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(voided, 2);
    let t = s.issue("TP", None, at(24, 8, 7)).unwrap();
    assert_eq!(t.number, "1002", "today goes on where today was");
    // When tomorrow really comes, its numbers follow the voided ones (never the same twice).
    let t = s.issue("TP", None, at(25, 7, 30)).unwrap();
    assert_eq!(t.number, "1003");
    // And that day now counts: the clock going back from it is refused again.
    assert!(matches!(
        s.issue("TP", None, at(24, 9, 0)),
        Err(Error::ClockBehind { .. })
    ));
}

#[test]
fn numbers_exhausted_is_an_error_not_a_wraparound() {
    let mut e = env();
    e.reconfigure(&CONFIG.replace(
        "prefix = \"A\"",
        "prefix = \"A\"\ndigits = 1\nfirst_number = 8",
    ));
    let s = &mut e.store;
    assert_eq!(s.issue("DD", None, at(24, 8, 0)).unwrap().number, "A8");
    assert_eq!(s.issue("DD", None, at(24, 8, 1)).unwrap().number, "A9");
    assert!(matches!(
        s.issue("DD", None, at(24, 8, 2)),
        Err(Error::NumbersExhausted { .. })
    ));
}

#[test]
fn waiting_ahead_counts_the_right_queue() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    s.issue("TP", None, at(24, 8, 1)).unwrap();
    s.issue("DD", None, at(24, 8, 2)).unwrap();
    assert_eq!(s.issue("TP", None, at(24, 8, 3)).unwrap().waiting_ahead, 2);
    // A priority ticket only waits behind other priority tickets.
    let p1 = s.issue("TP", Some("elderly"), at(24, 8, 4)).unwrap();
    let p2 = s.issue("TP", Some("elderly"), at(24, 8, 5)).unwrap();
    assert_eq!((p1.waiting_ahead, p2.waiting_ahead), (0, 1));
}

#[test]
fn call_order_priority_fairness_and_preference() {
    let mut e = env();
    let s = &mut e.store;
    let n1 = s.issue("TP", None, at(24, 8, 0)).unwrap();
    let p1 = s.issue("TP", Some("elderly"), at(24, 8, 1)).unwrap();
    let p2 = s.issue("TP", Some("elderly"), at(24, 8, 2)).unwrap();
    let p3 = s.issue("TP", Some("elderly"), at(24, 8, 3)).unwrap();
    let d1 = s.issue("DD", None, at(24, 8, 4)).unwrap();
    let mut call = |c| s.call_next(c, at(24, 8, 30)).unwrap().map(|t| t.id);
    // priority_ratio = 2: two priority calls, then the waiting normal ticket.
    assert_eq!(call(1), Some(p1.id));
    assert_eq!(call(1), Some(p2.id));
    assert_eq!(call(1), Some(n1.id));
    // Counter 2 prefers DD over TP, but priority goes first.
    assert_eq!(call(2), Some(p3.id));
    assert_eq!(call(2), Some(d1.id));
    assert_eq!(call(2), None);
    assert_eq!(call(1), None);
}

#[test]
fn overdue_ticket_jumps_the_preference_order() {
    let mut e = env();
    let s = &mut e.store;
    let old_tp = s.issue("TP", None, at(24, 8, 0)).unwrap();
    s.issue("DD", None, at(24, 8, 30)).unwrap();
    // Counter 2 prefers DD, but at 09:00 the TP ticket has waited the 60 minute maximum.
    let t = s.call_next(2, at(24, 9, 0)).unwrap().unwrap();
    assert_eq!(t.id, old_tp.id);
}

#[test]
fn calling_next_finishes_the_current_ticket() {
    let mut e = env();
    let s = &mut e.store;
    let a = s.issue("TP", None, at(24, 8, 0)).unwrap();
    s.issue("TP", None, at(24, 8, 1)).unwrap();
    s.call_next(1, at(24, 9, 0)).unwrap();
    s.call_next(1, at(24, 9, 5)).unwrap();
    let a = s.ticket(a.id).unwrap();
    assert_eq!(a.status, Status::Done);
    assert_eq!(a.finished_at, Some(at(24, 9, 5)));
    assert_eq!(
        kinds(s),
        ["issued", "issued", "called", "finished", "called"]
    );
}

#[test]
fn full_lifecycle_through_the_store() {
    let mut e = env();
    let s = &mut e.store;
    let t = s.issue("TP", None, at(24, 8, 0)).unwrap();
    let now = at(24, 9, 0);
    s.call_next(1, now).unwrap();
    assert_eq!(s.act_on_current(1, Action::Recall, now).unwrap().recalls, 1);
    assert_eq!(
        s.act_on_current(1, Action::Start, now).unwrap().status,
        Status::Serving
    );
    let done = s.act_on_current(1, Action::Finish, at(24, 9, 7)).unwrap();
    assert_eq!(done.status, Status::Done);
    assert!(matches!(
        s.act_on_current(1, Action::Finish, now),
        Err(Error::NoCurrentTicket(1))
    ));
    let t = s.ticket(t.id).unwrap();
    assert_eq!(
        (t.called_at, t.started_at, t.finished_at),
        (Some(now), Some(now), Some(at(24, 9, 7)))
    );
    assert_eq!(
        kinds(s),
        ["issued", "called", "recalled", "started", "finished"]
    );
}

#[test]
fn no_show_reactivated_returns_to_its_original_place() {
    let mut e = env();
    let s = &mut e.store;
    let a = s.issue("TP", None, at(24, 8, 0)).unwrap();
    let b = s.issue("TP", None, at(24, 8, 1)).unwrap();
    s.call_next(1, at(24, 9, 0)).unwrap();
    s.act_on_current(1, Action::NoShow, at(24, 9, 2)).unwrap();
    let back = s
        .act_on_number(&a.number, None, Action::Reactivate, at(24, 9, 10))
        .unwrap();
    assert_eq!(back.status, Status::Waiting);
    // a was issued before b, so it is called first again.
    assert_eq!(s.call_next(1, at(24, 9, 11)).unwrap().unwrap().id, a.id);
    assert_eq!(s.call_next(1, at(24, 9, 12)).unwrap().unwrap().id, b.id);
}

#[test]
fn transfer_keeps_the_place_in_the_new_queue() {
    let mut e = env();
    let s = &mut e.store;
    let tp = s.issue("TP", None, at(24, 8, 0)).unwrap();
    let dd = s.issue("DD", None, at(24, 8, 5)).unwrap();
    s.call_next(1, at(24, 8, 10)).unwrap();
    assert!(matches!(
        s.act_on_current(1, Action::Transfer { to: "ZZ".into() }, at(24, 8, 12)),
        Err(Error::UnknownService(_))
    ));
    let moved = s
        .act_on_current(1, Action::Transfer { to: "DD".into() }, at(24, 8, 12))
        .unwrap();
    assert_eq!(
        (moved.service.as_str(), moved.status, moved.counter),
        ("DD", Status::Waiting, None)
    );
    // Counter 2 serves DD first: the transferred ticket (issued 08:00) goes before the DD one (08:05).
    assert_eq!(s.call_next(2, at(24, 8, 13)).unwrap().unwrap().id, tp.id);
    assert_eq!(s.call_next(2, at(24, 8, 14)).unwrap().unwrap().id, dd.id);
    let ev = s.events_after(0, 100).unwrap();
    assert!(
        ev.iter()
            .any(|e| e.kind == EventKind::Transferred { from: "TP".into() })
    );
}

#[test]
fn call_specific_number_hold_unhold_and_cancel() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    let b = s.issue("TP", None, at(24, 8, 1)).unwrap();
    let c = s.issue("TP", None, at(24, 8, 2)).unwrap();
    let now = at(24, 9, 0);
    let called = s
        .act_on_number("1002", None, Action::Call { counter: 1 }, now)
        .unwrap();
    assert_eq!((called.id, called.counter), (b.id, Some(1)));
    assert_eq!(
        s.act_on_current(1, Action::Hold, now).unwrap().status,
        Status::Held
    );
    let unheld = s
        .act_on_number("1002", Some("TP"), Action::Unhold, now)
        .unwrap();
    assert_eq!(unheld.status, Status::Waiting);
    let cancelled = s.act_on_number("1003", None, Action::Cancel, now).unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert!(matches!(
        s.act_on_number("1003", None, Action::Cancel, now),
        Err(Error::InvalidTransition { .. })
    ));
    assert!(matches!(
        s.act_on_number("9999", None, Action::Cancel, now),
        Err(Error::TicketNotFound { .. })
    ));
    assert_eq!(s.ticket(c.id).unwrap().status, Status::Cancelled);
}

#[test]
fn same_number_in_two_services_needs_the_service() {
    let mut e = env();
    e.reconfigure(&CONFIG.replace("prefix = \"A\"", "first_number = 1001\ndigits = 4"));
    let s = &mut e.store;
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    let dd = s.issue("DD", None, at(24, 8, 1)).unwrap();
    let now = at(24, 9, 0);
    assert!(matches!(
        s.act_on_number("1001", None, Action::Cancel, now),
        Err(Error::AmbiguousNumber(_))
    ));
    let t = s
        .act_on_number("1001", Some("DD"), Action::Cancel, now)
        .unwrap();
    assert_eq!(t.id, dd.id);
}

#[test]
fn events_have_increasing_ids_and_resume_from_an_id() {
    let mut e = env();
    let s = &mut e.store;
    for m in 0..5 {
        s.issue("TP", None, at(24, 8, m)).unwrap();
    }
    let all = s.events_after(0, 100).unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(s.events_after(all[2].id, 100).unwrap(), all[3..].to_vec());
    assert_eq!(s.events_after(0, 2).unwrap(), all[..2].to_vec());
}

#[test]
fn state_shows_waiting_and_current() {
    let mut e = env();
    let s = &mut e.store;
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    s.issue("TP", None, at(24, 8, 1)).unwrap();
    s.issue("DD", None, at(24, 8, 2)).unwrap();
    s.call_next(1, at(24, 8, 3)).unwrap();
    let st = s.state(at(24, 8, 4)).unwrap();
    assert_eq!(st.waiting, [("TP".to_string(), 1), ("DD".to_string(), 1)]);
    assert_eq!(st.counters[0].1.as_ref().unwrap().number, "1001");
    assert!(st.counters[1].1.is_none());
    assert_eq!(st.last_event_id, 4);
}

#[test]
fn reopening_keeps_everything_and_newer_schema_is_refused() {
    let e = env();
    let cfg = e.store.config().clone();
    drop(e.store);
    let mut s = Store::open(&cfg).unwrap();
    s.issue("TP", None, at(24, 8, 0)).unwrap();
    drop(s);
    let s = Store::open(&cfg).unwrap();
    assert_eq!(numbers(&s, 24), ["1001"]);
    drop(s);
    let raw = rusqlite::Connection::open(&cfg.office.database).unwrap();
    raw.pragma_update(None, "user_version", 99).unwrap();
    drop(raw);
    assert!(matches!(
        Store::open(&cfg),
        Err(Error::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn database_settings_are_the_multi_process_ones() {
    let e = env();
    let db = e.store.config().office.database.clone();
    let raw = rusqlite::Connection::open(&db).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, motcua::store::SCHEMA_VERSION);
    // Duplicates are impossible in the schema itself, not only in the code.
    let dup = raw.execute(
        "INSERT INTO ticket (service, origin_service, business_date, seq, number, status, \
         queue_at, issued_at, waiting_ahead, token) VALUES ('TP','TP','2026-11-24',1,'1001','waiting',0,0,0,'x'), \
         ('TP','TP','2026-11-24',1,'1001','waiting',0,0,0,'y')",
        [],
    );
    assert!(dup.is_err());
}

#[test]
fn paused_counter_calls_nobody_until_resumed() {
    let mut e = env();
    let s = &mut e.store;
    let t = s.issue("TP", None, at(24, 8, 0)).unwrap();
    s.set_paused(1, true).unwrap();
    assert!(matches!(
        s.call_next(1, at(24, 8, 1)),
        Err(Error::CounterPaused(1))
    ));
    assert_eq!(s.state(at(24, 8, 1)).unwrap().paused, [1]);
    // Another counter still calls.
    s.set_paused(1, false).unwrap();
    assert!(s.state(at(24, 8, 2)).unwrap().paused.is_empty());
    assert_eq!(s.call_next(1, at(24, 8, 2)).unwrap().unwrap().id, t.id);
    assert!(matches!(
        s.set_paused(9, true),
        Err(Error::UnknownCounter(9))
    ));
}

/// #17.18: a clock set back two hours within the day does not put the new ticket first.
#[test]
fn a_clock_set_back_within_the_day_keeps_the_issue_order() {
    let mut e = env();
    let s = &mut e.store;
    let first = s.issue("TP", None, at(24, 10, 0)).unwrap();
    let second = s.issue("TP", None, at(24, 8, 0)).unwrap();
    assert_eq!(s.waiting_before(&second).unwrap(), 1);
    assert_eq!(s.waiting_before(&first).unwrap(), 0);
    assert_eq!(s.call_next(1, at(24, 8, 1)).unwrap().unwrap().id, first.id);
    assert_eq!(s.call_next(1, at(24, 8, 2)).unwrap().unwrap().id, second.id);
}

/// #17.20/23: a read-only reader sees every later commit (the server's reads use one).
#[test]
fn a_read_only_reader_follows_later_commits() {
    let mut e = env();
    let reader = Store::open_reader(e.store.config()).unwrap();
    assert_eq!(reader.last_event_id().unwrap(), 0);
    let now = at(24, 8, 0);
    assert_eq!(reader.state(now).unwrap().last_event_id, 0);
    e.store.issue("TP", None, now).unwrap();
    assert_eq!(reader.last_event_id().unwrap(), 1);
    e.store.call_next(1, at(24, 8, 1)).unwrap();
    assert_eq!(reader.state(now).unwrap().last_event_id, 2);
    assert_eq!(reader.events_after(0, 10).unwrap().len(), 2);
    e.store.issue("TP", None, now).unwrap();
    assert_eq!(reader.events_after(2, 10).unwrap().len(), 1);
}

/// #17.20: every store open wrote (and fsynced), so read-only commands failed on a full or
/// read-only disk. Opening a current database, and reading through a reader, commit nothing.
#[test]
fn opening_and_reading_write_nothing() {
    let e = env();
    let cfg = e.store.config().clone();
    let before = e.store.data_version().unwrap();
    let again = Store::open(&cfg).unwrap();
    let reader = Store::open_reader(&cfg).unwrap();
    reader.state(at(24, 8, 0)).unwrap();
    reader.events_after(0, 10).unwrap();
    drop((again, reader));
    assert_eq!(
        e.store.data_version().unwrap(),
        before,
        "no other connection committed"
    );
}

/// #17.16: the database is created readable by its owner and group only.
#[test]
fn a_new_database_is_not_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let e = env();
    let mode = std::fs::metadata(&e.store.config().office.database)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o007, 0, "mode {mode:o}");
    assert_eq!(mode & 0o600, 0o600, "mode {mode:o}");
}

/// #17.21: storage errors were raw English repeated three times ("Error code 14"), with no
/// path: one line naming the file and what to do.
#[test]
fn storage_errors_name_the_file_once() {
    let e = env();
    let mut cfg = e.store.config().clone();
    cfg.office.database = e.dir.path().join("a-folder");
    std::fs::create_dir_all(&cfg.office.database).unwrap();
    let err = Store::open(&cfg).err().expect("a folder is no database");
    let line = err.to_string();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(
        line.contains(&*cfg.office.database.to_string_lossy()),
        "{line}"
    );
    assert!(
        !line.contains("Error code") && !line.contains('\n'),
        "{line}"
    );
    assert_eq!(line.matches("a-folder").count(), 1, "{line}");
    assert!(err.vi().contains("a-folder"), "{}", err.vi());
    let denied = Error::storage(
        &cfg.office.database,
        "cannot write",
        &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    );
    assert!(denied.to_string().contains("chmod 660"), "{denied}");
}

/// #12: a rating given at the counter's tablet keeps the counter, the officer who served, the
/// reason of a low mark and the device; one rating per ticket, whichever comes first.
#[test]
fn a_tablet_rating_keeps_counter_officer_and_reason_once() {
    let mut e = env();
    let now = at(24, 9, 0);
    let hash = motcua::secret::hash_password("246810").unwrap();
    e.store
        .add_officer("lan", &hash, motcua::config::Role::Officer, now)
        .unwrap();
    e.store.set_counter_officer(1, Some("lan")).unwrap();
    let t = e.store.issue("TP", None, now).unwrap();
    e.store.call_next(1, now).unwrap();
    // Not served yet: refused.
    assert!(matches!(
        e.store
            .rate_with(t.id, 2, Some("Chờ lâu"), Some("tablet-1"), now),
        Err(Error::NotRateable { rated: false, .. })
    ));
    e.store.act_on_current(1, Action::Finish, now).unwrap();
    e.store
        .rate_with(t.id, 2, Some("Chờ lâu"), Some("tablet-1"), now)
        .unwrap();
    let r = e.store.rating_record(t.id).unwrap().unwrap();
    assert_eq!(
        r,
        motcua::store::RatingRecord {
            score: 2,
            counter: Some(1),
            officer: Some("lan".into()),
            reason: Some("Chờ lâu".into()),
            device: Some("tablet-1".into()),
        }
    );
    // The phone comes second: refused, the first rating stays.
    assert!(matches!(
        e.store.rate(t.id, 5, now),
        Err(Error::NotRateable { rated: true, .. })
    ));
    assert_eq!(e.store.rating(t.id).unwrap(), Some(2));
}

/// Seeds a database at schema `version` with what an office of that version held: a served
/// ticket with its events and (from version 6) its rating, a waiting priority ticket, a paused
/// counter (from 3), an officer (from 4), a printer status (from 2), a paired browser (from 9).
/// Only the columns and tables that version had are written.
fn seed_at_version(path: &std::path::Path, version: i64) {
    motcua::store::create_at_version(path, version).unwrap();
    let c = rusqlite::Connection::open(path).unwrap();
    let t0 = at(2, 8, 0).timestamp_millis();
    let ticket = "INSERT INTO ticket (id, service, origin_service, business_date, seq, number, \
        priority, status, queue_at, issued_at, called_at, started_at, finished_at, counter, recalls, \
        waiting_ahead, token, printed_at) VALUES (?1, ?2, ?2, '2026-11-02', 1, ?3, ?4, ?5, ?6, ?6, \
        ?7, ?7, ?8, ?9, 0, 0, ?10, ?6)";
    c.execute(
        ticket,
        rusqlite::params![
            1,
            "TP",
            "1001",
            None::<String>,
            "done",
            t0,
            t0 + 60_000,
            t0 + 300_000,
            1,
            "tok-1"
        ],
    )
    .unwrap();
    c.execute(
        ticket,
        rusqlite::params![
            2,
            "DD",
            "A001",
            "elderly",
            "waiting",
            t0 + 1000,
            None::<i64>,
            None::<i64>,
            None::<i64>,
            "tok-2"
        ],
    )
    .unwrap();
    for (id, kind, ticket, offset, counter) in [
        (1, EventKind::Issued, 1, 0, None),
        (2, EventKind::Issued, 2, 1000, None),
        (3, EventKind::Called, 1, 60_000, Some(1)),
        (4, EventKind::Started, 1, 60_000, Some(1)),
        (5, EventKind::Finished, 1, 300_000, Some(1)),
    ] {
        c.execute(
            "INSERT INTO event (id, at, kind, ticket_id, counter, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![id, t0 + offset, kind.as_str(), ticket, counter, serde_json::to_string(&kind).unwrap()],
        )
        .unwrap();
    }
    c.execute(
        "INSERT INTO counter_state (counter, priority_streak) VALUES (1, 1)",
        [],
    )
    .unwrap();
    if version >= 2 {
        c.execute(
            "INSERT INTO device_status (device, status, detail, at) VALUES ('printer', 'paper_near_end', '', ?1)",
            [t0],
        )
        .unwrap();
    }
    if version >= 3 {
        c.execute("UPDATE counter_state SET paused = 1 WHERE counter = 1", [])
            .unwrap();
    }
    if version >= 4 {
        c.execute(
            "INSERT INTO officer (login, pin_hash, role, created_at) VALUES ('lan', ?1, 'supervisor', ?2)",
            rusqlite::params![motcua::secret::hash("246810").unwrap(), t0],
        )
        .unwrap();
    }
    if version >= 5 {
        c.execute("UPDATE event SET officer = 'lan' WHERE counter = 1", [])
            .unwrap();
    }
    if version >= 6 {
        c.execute(
            "INSERT INTO rating (ticket_id, score, at) VALUES (1, 5, ?1)",
            [t0 + 400_000],
        )
        .unwrap();
    }
    if version >= 9 {
        c.execute(
            "INSERT INTO paired_browser (device, token_hash, device_hash, paired_at) VALUES ('board-1', 'x', 'y', ?1)",
            [t0],
        )
        .unwrap();
    }
}

#[test]
fn every_earlier_schema_is_upgraded_only_by_the_server_with_its_data_and_a_backup_first() {
    for version in 1..motcua::store::SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let cfg_path = dir.path().join("motcua.toml");
        std::fs::write(&cfg_path, &*CONFIG).unwrap();
        let cfg = Config::load(Some(&cfg_path)).unwrap();
        seed_at_version(&cfg.office.database, version);

        // A kiosk, a board, a command: refused, nothing written.
        match Store::open(&cfg) {
            Err(Error::SchemaOld { found, needed }) => {
                assert_eq!((found, needed), (version, motcua::store::SCHEMA_VERSION));
            }
            other => panic!("v{version}: {:?}", other.err()),
        }
        let e = Store::open(&cfg).err().unwrap();
        assert!(e.to_string().contains("máy chủ chưa được cập nhật"), "{e}");
        assert_eq!(
            motcua::store::check_copy(&cfg.office.database)
                .unwrap()
                .schema,
            version
        );

        let backups = dir.path().join("backups");
        let up = Store::open_upgrading(&cfg, &backups, "20261203-090000").unwrap();
        assert_eq!(up.from, version);
        let copy = up.backup.clone().unwrap();
        assert_eq!(
            copy,
            backups.join(format!("motcua-20261203-090000-v{version}.db"))
        );
        let kept = motcua::store::check_copy(&copy).unwrap();
        assert_eq!((kept.schema, kept.tickets), (version, 2), "v{version}");
        let mut s = up.store;

        // The data, read through today's code.
        let served = s.ticket(1).unwrap();
        assert_eq!(
            (served.number.as_str(), served.status, served.counter),
            ("1001", Status::Done, Some(1))
        );
        assert_eq!(served.finished_at, Some(at(2, 8, 5)));
        let events = s.events_after(0, 100).unwrap();
        assert_eq!(events.len(), 5, "v{version}");
        assert_eq!(events[4].kind, EventKind::Finished);
        assert_eq!(
            s.rating(1).unwrap(),
            (version >= 6).then_some(5),
            "v{version}"
        );
        assert_eq!(
            s.officer("lan").unwrap().is_some(),
            version >= 4,
            "v{version}"
        );
        let statuses = s.device_statuses().unwrap();
        assert_eq!(statuses.len(), usize::from(version >= 2), "v{version}");
        let rows = s
            .report_rows(
                chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            )
            .unwrap();
        assert_eq!(rows.len(), 2, "v{version}");

        // And the office goes on: the waiting ticket is called, numbering continues.
        let state = s.state(at(2, 9, 0)).unwrap();
        assert_eq!(state.paused.contains(&1), version >= 3, "v{version}");
        let next = s.call_next(2, at(2, 9, 0)).unwrap().unwrap();
        assert_eq!(next.number, "A001");
        let t = s.issue("TP", None, at(2, 9, 1)).unwrap();
        assert_eq!(t.number, "1002");
        drop(s);

        // Now current: every program opens it; a second upgrade does nothing.
        Store::open(&cfg).unwrap();
        let again = Store::open_upgrading(&cfg, &backups, "20261203-090100").unwrap();
        assert_eq!(
            (again.from, again.backup),
            (motcua::store::SCHEMA_VERSION, None)
        );
    }
}

#[test]
fn a_database_newer_than_the_program_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("motcua.toml");
    std::fs::write(&cfg_path, &*CONFIG).unwrap();
    let cfg = Config::load(Some(&cfg_path)).unwrap();
    drop(Store::open(&cfg).unwrap());
    let newer = motcua::store::SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&cfg.office.database)
        .unwrap()
        .execute_batch(&format!("PRAGMA user_version = {newer}"))
        .unwrap();
    for e in [
        Store::open(&cfg).err().unwrap(),
        Store::open_upgrading(&cfg, dir.path(), "x").err().unwrap(),
    ] {
        let text = e.to_string();
        assert!(
            text.contains(&format!("version {newer}"))
                && text.contains(&format!("({})", newer - 1)),
            "{text}"
        );
    }
}

/// The estimate takes the service times of the same time of day when there are enough: here a
/// morning of 5-minute services and an afternoon of 20-minute ones.
#[test]
fn the_wait_estimate_learns_service_times_of_the_same_time_of_day() {
    use motcua::estimate::{Estimate, Target};
    let mut e = env();
    let s = &mut e.store;
    let serve = |s: &mut Store, counter: u32, from: DateTime<Utc>, minutes: i64| {
        s.issue("TP", None, from).unwrap();
        s.call_next(counter, from).unwrap().unwrap();
        s.act_on_current(
            counter,
            Action::Finish,
            from + chrono::TimeDelta::minutes(minutes),
        )
        .unwrap();
    };
    for day in 10..=13 {
        for k in 0..12 {
            serve(s, 1, at(day, 8, 0) + chrono::TimeDelta::minutes(5 * k), 5);
        }
        for k in 0..5 {
            for counter in [1, 2] {
                serve(
                    s,
                    counter,
                    at(day, 14, 0) + chrono::TimeDelta::minutes(20 * k),
                    20,
                );
            }
        }
    }
    let new = Target::New {
        service: "TP".into(),
        priority: false,
    };
    // Four wait, both counters free: two rounds before the new ticket.
    for _ in 0..4 {
        s.issue("TP", None, at(14, 8, 30)).unwrap();
    }
    assert_eq!(
        s.estimate(&new, at(14, 8, 30)).unwrap(),
        Estimate::Minutes { low: 10, high: 10 }
    );
    // The afternoon: eight wait, four rounds of 20 minutes.
    for _ in 0..4 {
        s.issue("TP", None, at(14, 14, 30)).unwrap();
    }
    assert_eq!(
        s.estimate(&new, at(14, 14, 30)).unwrap(),
        Estimate::Minutes { low: 80, high: 80 }
    );
}
