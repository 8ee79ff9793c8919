//! The board's loop keeps going through read errors: one policy for every screen (log, show
//! "Mất kết nối", retry), where the framebuffer board and `follow` used to exit.

use chrono::Utc;
use display_board::follow::Follower;
use display_board::run::{OFFLINE_NOTICE, Recorder, Runner};
use motcua::Config;
use motcua_testkit::OfficeToml;

/// The minimal office (TP, counter 3) in a temporary folder; keep the folder while it is used.
fn office() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(
        &OfficeToml::minimal().build(),
        &dir.path().join("motcua.toml"),
    )
    .unwrap();
    (dir, cfg)
}

/// A runner on `cfg`'s database drawing into a small recorder.
fn runner(cfg: &Config, now: chrono::DateTime<Utc>) -> (Runner, Recorder) {
    let (f, _) = Follower::open(cfg, now).unwrap();
    let screen = Recorder {
        size: (640, 360),
        ..Recorder::default()
    };
    (Runner::new(cfg, f, None), screen)
}

#[test]
fn a_read_error_shows_mat_ket_noi_and_the_board_recovers() {
    let (_dir, cfg) = office();
    let now = Utc::now();
    let mut store = motcua::Store::open(&cfg).unwrap();
    store.issue("TP", None, now).unwrap();
    let (mut runner, mut screen) = runner(&cfg, now);
    let notice = runner.follower.board.notice.clone();
    runner.step(now, &mut screen).unwrap();
    assert_eq!(screen.frames.len(), 1);

    // The event table disappears under the board (a broken or replaced database file).
    let other = rusqlite::Connection::open(&cfg.office.database).unwrap();
    other
        .execute_batch("ALTER TABLE event RENAME TO event_gone")
        .unwrap();
    let calls = runner.step(now, &mut screen).unwrap();
    assert!(calls.is_empty());
    assert!(runner.is_offline(), "the failed read is noticed");
    assert_eq!(runner.follower.board.notice, OFFLINE_NOTICE);
    assert_eq!(screen.frames.len(), 2, "the screen shows the disconnection");
    assert_ne!(screen.frames[0], screen.frames[1]);

    // Back: the next poll reads again, the notice returns, new calls come through.
    other
        .execute_batch("ALTER TABLE event_gone RENAME TO event")
        .unwrap();
    store.call_next(3, now).unwrap();
    let calls = runner.step(now, &mut screen).unwrap();
    assert!(!runner.is_offline());
    assert_eq!(runner.follower.board.notice, notice);
    assert_eq!(calls.len(), 1, "the call made meanwhile");
    assert_eq!(calls[0].counter, 3);
}

/// #17.19: a board running across midnight starts the new service day empty by itself, and
/// yesterday's called ticket is no longer current at its counter.
#[test]
fn the_board_rolls_over_at_the_start_of_the_service_day() {
    let (_dir, cfg) = office();
    let local = |d, h, m| {
        chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Asia::Ho_Chi_Minh, 2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let evening = local(24, 23, 50);
    let mut store = motcua::Store::open(&cfg).unwrap();
    let yesterdays = store.issue("TP", None, evening).unwrap();
    store.call_next(3, evening).unwrap();
    let (mut runner, mut screen) = runner(&cfg, evening);
    runner.step(local(24, 23, 55), &mut screen).unwrap();
    let board = &runner.follower.board;
    assert!(board.counters[0].current.is_some(), "the evening's call");
    assert_eq!(board.history.len(), 1);

    // Nothing is written after midnight: the board rolls over on its own.
    let morning = local(25, 0, 1);
    runner.step(morning, &mut screen).unwrap();
    let board = &runner.follower.board;
    assert_eq!(
        board.counters[0].current, None,
        "yesterday's call left the screen"
    );
    assert!(board.history.is_empty());
    assert!(board.waiting.iter().all(|r| r.count == 0));
    assert_eq!(screen.frames.len(), 2, "redrawn for the new day");
    // The counter's current ticket is today's only: nothing to recall at 00:01.
    assert!(matches!(
        store.act_on_current(3, motcua::Action::Recall, morning),
        Err(motcua::Error::NoCurrentTicket(3))
    ));
    let t = store.issue("TP", None, morning).unwrap();
    assert_eq!(store.call_next(3, morning).unwrap().unwrap().id, t.id);
    // Calling today's first ticket did not finish yesterday's with today's time (no 8-hour
    // service in the reports): it stays unfinished.
    let left = store.ticket(yesterdays.id).unwrap();
    assert_eq!(
        (left.status, left.finished_at),
        (motcua::Status::Called, None)
    );
}

/// The waiting panel carries each service's estimated wait, read with the queue, and read again
/// a minute later when nothing changed (the wait of the ticket at the counter shrinks).
#[test]
fn the_board_shows_each_services_estimated_wait_and_refreshes_it() {
    let (_dir, cfg) = office();
    // A fixed morning (10:00 in Hanoi), so no step of the test crosses a midnight.
    let now =
        chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Asia::Ho_Chi_Minh, 2026, 11, 24, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
    let mut store = motcua::Store::open(&cfg).unwrap();
    // Three earlier days, three hours before this one: each citizen served in 10 minutes.
    for day in (1..=3).rev() {
        for k in 0..5 {
            let at = now - chrono::TimeDelta::days(day) - chrono::TimeDelta::hours(3)
                + chrono::TimeDelta::minutes(10 * k);
            store.issue("TP", None, at).unwrap();
            store.call_next(3, at).unwrap().unwrap();
            store
                .act_on_current(
                    3,
                    motcua::Action::Finish,
                    at + chrono::TimeDelta::minutes(10),
                )
                .unwrap();
        }
    }
    // Counter 3 serves one now, two wait: a new ticket waits 10 + 10 + 10 minutes.
    for _ in 0..3 {
        store.issue("TP", None, now).unwrap();
    }
    store.call_next(3, now).unwrap().unwrap();
    let (mut runner, mut screen) = runner(&cfg, now);
    runner.step(now, &mut screen).unwrap();
    let row = &runner.follower.board.waiting[0];
    assert_eq!(
        (row.count, row.wait.as_deref()),
        (2, Some("khoảng 30 phút"))
    );
    // Nothing changes for four minutes: the board reads again after one and says 26.
    runner
        .step(now + chrono::TimeDelta::seconds(30), &mut screen)
        .unwrap();
    assert_eq!(
        runner.follower.board.waiting[0].wait.as_deref(),
        Some("khoảng 30 phút"),
        "not read again within the minute"
    );
    runner
        .step(now + chrono::TimeDelta::minutes(4), &mut screen)
        .unwrap();
    assert_eq!(
        runner.follower.board.waiting[0].wait.as_deref(),
        Some("khoảng 26 phút")
    );
}
