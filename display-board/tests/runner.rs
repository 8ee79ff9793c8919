//! The board's loop keeps going through read errors: one policy for every screen (log, show
//! "Mất kết nối", retry), where the framebuffer board and `follow` used to exit.

use chrono::Utc;
use display_board::follow::Follower;
use display_board::run::{OFFLINE_NOTICE, Recorder, Runner};
use motcua::Config;
use motcua_testkit::OfficeToml;

#[test]
fn a_read_error_shows_mat_ket_noi_and_the_board_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(
        &OfficeToml::minimal().build(),
        &dir.path().join("motcua.toml"),
    )
    .unwrap();
    let now = Utc::now();
    let mut store = motcua::Store::open(&cfg).unwrap();
    store.issue("TP", None, now).unwrap();
    let (f, _) = Follower::open(&cfg, now).unwrap();
    let notice = f.board.notice.clone();
    let mut runner = Runner::new(&cfg, f, None);
    let mut screen = Recorder {
        size: (640, 360),
        ..Recorder::default()
    };
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
