//! Golden PNGs of the board for fixed states; `UPDATE_GOLDEN=1` rewrites them and the run fails.

use std::path::Path;

use motcua_testkit::{OfficeToml, golden};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use display_board::board::{Board, Call, WaitingRow};
use motcua::Config;

/// The office these tests use.
static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    OfficeToml::empty("UBND phường Hòa Khê")
        .office("database", "\"x.db\"")
        .service("TP", "Tư pháp - Hộ tịch", "")
        .service("CT", "Chứng thực", "")
        .service("DD", "Đất đai - Xây dựng", "")
        .service(
            "LD",
            "Lao động - Thương binh và Xã hội, người có công và bảo trợ xã hội",
            "",
        )
        .counter(1, &["TP"])
        .counter(2, &["CT"])
        .counter(3, &["DD"])
        .counter(4, &["LD"])
        .counter(5, &["TP", "CT"])
        .section(
            "[board]\nnotice = \"Giờ tiếp nhận hồ sơ: sáng 7:30 – 11:30, chiều 13:30 – 17:00.\"",
        )
        .build()
});

fn cfg() -> Config {
    Config::parse(&CONFIG, Path::new("/office/motcua.toml")).unwrap()
}

/// 09:15 local on 2026-11-24, adjusted by whole half-seconds so the blink phase is `on`.
fn now(blink_on: bool) -> DateTime<Utc> {
    let base = chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 9, 15, 0)
        .unwrap()
        .with_timezone(&Utc);
    let c = cfg();
    if display_board::moment(&c, base, 1080).blink_on == blink_on {
        base
    } else {
        base + TimeDelta::milliseconds(display_board::BLINK_MS)
    }
}

fn call(id: i64, number: &str, counter: u32, service: &str, at: DateTime<Utc>) -> Call {
    Call {
        event_id: id,
        number: number.into(),
        counter,
        service: service.into(),
        at,
        recall: false,
        replayed: false,
    }
}

/// A busy morning: five counters, four serving, calls in the history.
fn busy(now: DateTime<Utc>, fresh: bool) -> Board {
    let c = cfg();
    let mut b = Board::new(&c);
    let names: Vec<String> = c.services.iter().map(|s| s.name.clone()).collect();
    b.counters[0].current = Some(("1012".into(), names[0].clone()));
    b.counters[1].current = Some(("2005".into(), names[1].clone()));
    b.counters[2].current = Some(("3003".into(), names[2].clone()));
    b.counters[3].current = Some(("A017".into(), names[3].clone()));
    let last = if fresh {
        now - TimeDelta::seconds(2)
    } else {
        now - TimeDelta::minutes(3)
    };
    let history = [
        call(9, "1012", 1, "TP", last),
        call(8, "A017", 4, "LD", now - TimeDelta::minutes(4)),
        call(7, "3003", 3, "DD", now - TimeDelta::minutes(6)),
        call(6, "2005", 2, "CT", now - TimeDelta::minutes(7)),
        call(5, "1011", 5, "TP", now - TimeDelta::minutes(9)),
        call(4, "1010", 1, "TP", now - TimeDelta::minutes(11)),
    ];
    b.history = history.into_iter().collect();
    b.waiting = names
        .iter()
        .zip([7, 2, 0, 11])
        .zip([
            "khoảng 15–25 phút",
            "khoảng 5–10 phút",
            "sắp được gọi",
            "Chưa đủ dữ liệu",
        ])
        .map(|((name, count), wait)| WaitingRow {
            name: name.clone(),
            count,
            wait: Some(wait.to_string()),
        })
        .collect();
    b
}

fn check(
    name: &str,
    board: &Board,
    now: DateTime<Utc>,
    size: (u32, u32),
    failures: &mut Vec<String>,
) {
    let frame = display_board::render(board, &cfg(), now, size);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.png"));
    let actual = golden::Rgb {
        width: frame.width(),
        height: frame.height(),
        pixels: frame.rgb().to_vec(),
    };
    // Anti-aliased text moves by a shade between font rasterisers: 0.1 % of pixels may differ.
    let tol = golden::Tolerance {
        channel: 24,
        share: 0.001,
    };
    if let Err(e) = golden::picture(&path, &actual, tol) {
        failures.push(e);
    }
}

#[test]
fn golden_frames() {
    let mut failures = Vec::new();
    let on = now(true);
    check(
        "board-fresh-call-1920x1080",
        &busy(on, true),
        on,
        (1920, 1080),
        &mut failures,
    );
    let off = now(false);
    check(
        "board-fresh-call-blink-off-1920x1080",
        &busy(off, true),
        off,
        (1920, 1080),
        &mut failures,
    );
    let mut paused = busy(on, false);
    paused.counters[4].paused = true;
    paused.counters[1].current = None;
    check(
        "board-paused-long-names-1920x1080",
        &paused,
        on,
        (1920, 1080),
        &mut failures,
    );
    check(
        "board-1280x720",
        &busy(on, true),
        on,
        (1280, 720),
        &mut failures,
    );
    check(
        "board-portrait-1080x1920",
        &busy(on, true),
        on,
        (1080, 1920),
        &mut failures,
    );
    let empty = Board::new(&cfg());
    check(
        "board-empty-morning-1920x1080",
        &empty,
        on,
        (1920, 1080),
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fresh_call_blinks_then_settles() {
    let c = cfg();
    let on = now(true);
    let b = busy(on, true);
    let lit = display_board::render(&b, &c, on, (1280, 720));
    let unlit = display_board::render(
        &b,
        &c,
        on + TimeDelta::milliseconds(display_board::BLINK_MS),
        (1280, 720),
    );
    assert_ne!(lit, unlit, "the fresh call blinks");
    // After the blink time it is no longer highlighted: two phases look the same.
    let later = on + TimeDelta::seconds(30);
    let a = display_board::render(&b, &c, later, (1280, 720));
    let z = display_board::render(
        &b,
        &c,
        later + TimeDelta::milliseconds(display_board::BLINK_MS),
        (1280, 720),
    );
    assert_eq!(a, z);
}

/// A board following a server reads the same snapshot from `/api/state`'s JSON as a board
/// reading the database.
#[test]
fn snapshot_from_the_server_json_matches_the_database() {
    let dir = tempfile::tempdir().unwrap();
    // `x.db` is relative to the config's folder: the temporary one.
    let c = Config::parse(&CONFIG, &dir.path().join("motcua.toml")).unwrap();
    let mut store = motcua::Store::open(&c).unwrap();
    let now = Utc::now();
    let first = c.services[0].code.clone();
    for _ in 0..3 {
        store.issue(&first, None, now).unwrap();
    }
    store.call_next(c.counters[0].number, now).unwrap();
    store.set_paused(c.counters[1].number, true).unwrap();
    let state = store.state(now).unwrap();
    let from_db = display_board::board::Snapshot::of(&state);
    let text = serde_json::to_string(&motcua::api::QueueState::of(&state, &c)).unwrap();
    let from_json = display_board::board::Snapshot::of_api(&serde_json::from_str(&text).unwrap());
    assert_eq!(from_json, from_db);
    assert!(from_db.current[0].1.is_some() && from_db.paused == [c.counters[1].number]);
    assert_eq!(from_db.waiting[0].1, 2);
    // The waits travel in /api/state too.
    let mut with_waits = motcua::api::QueueState::of(&state, &c);
    with_waits.waiting[0].wait = Some("khoảng 5 phút".into());
    let snap = display_board::board::Snapshot::of_api(&with_waits);
    assert_eq!(snap.waits, [(first.clone(), "khoảng 5 phút".to_string())]);
    assert!(
        serde_json::from_value::<motcua::api::QueueState>(serde_json::json!({"waiting": []}))
            .is_err()
    );
}
