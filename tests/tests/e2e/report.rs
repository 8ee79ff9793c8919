//! `counter report`: figures over service days from a real queue worked through the staff
//! console (so tickets carry their officers), in JSON, CSV, XLSX and HTML, checked against the
//! database read independently; bad input refused with exit 2.

use motcua_e2e::Office;
use motcua_e2e::console::{Client, add_user, serve};
use serde_json::{Value, json as j};

fn report(office: &Office, from: &str, to: &str, format: &str) -> (std::process::Output, String) {
    let path = office.dir.path().join(format!("report.{format}"));
    let out = office.run(
        "counter",
        &[
            "report",
            "--from",
            from,
            "--to",
            to,
            "--format",
            format,
            "--out",
            path.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (out, text)
}

#[test]
fn report_per_service_counter_and_officer() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    add_user(&office, "minh", "135790", "officer");
    let day = office.issue(&["TP"])["ticket"]["business_date"]
        .as_str()
        .unwrap()
        .to_string();
    office.issue(&["TP", "TP", "TP", "DD", "DD"]);
    let server = serve(&office);
    let mut lan = Client::new(&server);
    let mut minh = Client::new(&server);
    assert_eq!(lan.login("lan", "246810", 1), 303);
    assert_eq!(minh.login("minh", "135790", 4), 303);
    let act = |c: &mut Client, a: &str| {
        let (s, v) = c.act(a, Value::Null, None);
        assert_eq!(s, 200, "{a}: {v}");
    };
    act(&mut lan, "call"); // 1001
    act(&mut lan, "start");
    act(&mut lan, "finish");
    act(&mut lan, "call"); // 1002
    act(&mut lan, "no-show");
    act(&mut minh, "call"); // 00001 (counter 4 serves DD)
    act(&mut minh, "finish");
    act(&mut lan, "call"); // 1003, left being served
    let out = office.run("counter", &["cancel", "--counter", "1", "--number", "1004"]);
    assert!(out.status.success());

    let (out, text) = report(&office, &day, &day, "json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&text).unwrap();
    let t = &r["totals"];
    assert_eq!(
        (
            &t["issued"],
            &t["served"],
            &t["no_show"],
            &t["cancelled"],
            &t["unfinished"]
        ),
        (&j!(6), &j!(2), &j!(1), &j!(1), &j!(2))
    );
    // The same counts read independently from the database.
    let db = office.open_db();
    let count = |status: &str| -> i64 {
        db.query_row(
            "SELECT COUNT(*) FROM ticket WHERE status = ?1",
            [status],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(t["served"], count("done"));
    assert_eq!(t["no_show"], count("no_show"));
    assert_eq!(t["cancelled"], count("cancelled"));
    assert!(t["wait_mean_s"].as_f64().unwrap() >= 0.0);
    assert!(t["service_mean_s"].as_f64().unwrap() >= 0.0);
    assert_eq!(t["satisfied_share"], Value::Null, "nobody rated");
    // #12: the rating figures are in the JSON too.
    assert_eq!(t["rating_counts"], serde_json::json!([0, 0, 0, 0, 0]));
    assert_eq!(t["reasons"], serde_json::json!({}));
    assert_eq!(t["rated_share"], 0.0, "served tickets, none rated");

    let by = |list: &str, key: &str, k: &str| -> Value {
        r[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g[key] == k)
            .unwrap_or_else(|| panic!("{list} has no {k}: {r}"))
            .clone()
    };
    let tp = by("services", "service", "TP");
    assert_eq!(
        (
            &tp["name"],
            &tp["issued"],
            &tp["served"],
            &tp["no_show"],
            &tp["cancelled"]
        ),
        (&j!("Tư pháp - Hộ tịch"), &j!(4), &j!(1), &j!(1), &j!(1))
    );
    let dd = by("services", "service", "DD");
    assert_eq!(
        (&dd["issued"], &dd["served"], &dd["unfinished"]),
        (&j!(2), &j!(1), &j!(1))
    );
    let c1 = by("counters", "counter", "1");
    assert_eq!(
        (&c1["issued"], &c1["served"], &c1["no_show"]),
        (&j!(3), &j!(1), &j!(1))
    );
    assert_eq!(by("counters", "counter", "4")["served"], 1);
    let l = by("officers", "officer", "lan");
    // 1001, 1002 and 1003 (1004 was cancelled from the waiting list, at no counter).
    assert_eq!(
        (&l["issued"], &l["served"], &l["no_show"]),
        (&j!(3), &j!(1), &j!(1))
    );
    assert_eq!(by("officers", "officer", "minh")["served"], 1);

    // #14: wait percentiles and the share called within 20 minutes, recomputed from the
    // database: each ticket's wait is its first `called` event less its issue time.
    let mut waits: Vec<f64> = {
        let mut stmt = db
            .prepare(
                "SELECT (SELECT MIN(e.at) FROM event e WHERE e.ticket_id = t.id AND e.kind = 'called') \
                 - t.issued_at FROM ticket t WHERE EXISTS \
                 (SELECT 1 FROM event e WHERE e.ticket_id = t.id AND e.kind = 'called')",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|w| w.unwrap() as f64 / 1000.0)
            .collect()
    };
    waits.sort_by(f64::total_cmp);
    let rank = |p: f64| waits[((p * waits.len() as f64).ceil() as usize).max(1) - 1];
    let tenth = |v: f64| (v * 10.0).round() / 10.0;
    assert_eq!(t["wait_p50_s"].as_f64(), Some(tenth(rank(0.5))));
    assert_eq!(t["wait_p90_s"].as_f64(), Some(tenth(rank(0.9))));
    assert_eq!(
        t["wait_max_s"].as_f64(),
        Some(tenth(*waits.last().unwrap()))
    );
    assert_eq!(
        t["within_target_share"].as_f64(),
        Some(1.0),
        "every ticket was called within minutes"
    );
    assert!(t["service_p50_s"].as_f64().unwrap() <= t["service_p90_s"].as_f64().unwrap());
    let normal = by("priorities", "priority", "");
    assert_eq!(
        (&normal["name"], &normal["issued"]),
        (&j!("Thông thường"), &j!(6))
    );

    // CSV: UTF-8 with a byte-order mark (Excel reads it as UTF-8), Vietnamese headers, the
    // same totals; read back with a CSV parser.
    let (out, csv) = report(&office, &day, &day, "csv");
    assert!(out.status.success());
    let body = csv
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark first");
    let mut rd = csv::Reader::from_reader(body.as_bytes());
    let headers: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    for h in [
        "Nhóm",
        "Tên",
        "Đã cấp",
        "Đã phục vụ",
        "Vắng mặt",
        "Chờ trung vị (phút)",
        "Tỉ lệ gọi trong thời gian chờ mục tiêu",
        "Tỉ lệ hài lòng",
        "Từ ngày",
    ] {
        assert!(headers.iter().any(|x| x == h), "{h:?} in {headers:?}");
    }
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let total = &records[0];
    assert_eq!(&total[col("Nhóm")], "Tổng cộng");
    assert_eq!(
        (
            &total[col("Đã cấp")],
            &total[col("Đã phục vụ")],
            &total[col("Vắng mặt")],
            &total[col("Đã hủy")]
        ),
        ("6", "2", "1", "1")
    );
    assert_eq!(
        &total[col("Tỉ lệ hài lòng")],
        "",
        "nobody rated: empty, not 0"
    );
    let minutes = |s: Option<f64>| format!("{}", (s.unwrap() / 60.0 * 10.0).round() / 10.0);
    assert_eq!(
        &total[col("Chờ trung vị (phút)")],
        minutes(t["wait_p50_s"].as_f64())
    );
    let tp = records
        .iter()
        .find(|r| &r[col("Nhóm")] == "Lĩnh vực" && &r[col("Mã")] == "TP")
        .unwrap();
    assert_eq!(
        (&tp[col("Tên")], &tp[col("Đã cấp")]),
        ("Tư pháp - Hộ tịch", "4")
    );
    assert!(
        records
            .iter()
            .any(|r| &r[col("Nhóm")] == "Cán bộ" && &r[col("Mã")] == "lan")
    );
    assert!(
        records
            .iter()
            .any(|r| &r[col("Nhóm")] == "Đối tượng" && &r[col("Tên")] == "Thông thường")
    );

    // XLSX: the same table, read back with a spreadsheet reader.
    let path = office.dir.path().join("report.xlsx");
    let out = office.run(
        "counter",
        &[
            "report",
            "--from",
            &day,
            "--to",
            &day,
            "--format",
            "xlsx",
            "--out",
            path.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("Báo cáo").unwrap();
    let cell = |r: u32, c: usize| sheet.get_value((r, c as u32)).cloned();
    assert_eq!(cell(1, 0), Some(calamine::Data::String("Nhóm".into())));
    assert_eq!(cell(2, 0), Some(calamine::Data::String("Tổng cộng".into())));
    assert_eq!(
        cell(2, col("Đã cấp")),
        Some(calamine::Data::Float(6.0)),
        "a number, not text"
    );
    assert_eq!(
        cell(2, col("Tỉ lệ hài lòng")),
        Some(calamine::Data::Empty),
        "nobody rated: an empty cell"
    );
    assert_eq!(
        sheet.height() as usize,
        records.len() + 2,
        "title, header and every CSV row"
    );

    let (out, html) = report(&office, &day, &day, "html");
    assert!(out.status.success());
    for s in [
        "Báo cáo tiếp nhận",
        "Theo lĩnh vực",
        "Tư pháp - Hộ tịch",
        "Theo cán bộ",
        "minh",
        "Tỉ lệ được đánh giá",
        "0 / 0 / 0 / 0 / 0",
        "Gọi trong thời gian mục tiêu",
        "Theo đối tượng",
        "Thông thường",
    ] {
        assert!(html.contains(s), "the page shows {s:?}");
    }

    // Days without tickets: zeros, no means.
    let (out, text) = report(&office, "2020-01-01", "2020-01-31", "json");
    assert!(out.status.success());
    let empty: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(empty["totals"]["issued"], 0);
    assert_eq!(empty["totals"]["wait_mean_s"], Value::Null);
    drop(server);
}

#[test]
fn report_refuses_bad_input() {
    let office = Office::new();
    office.issue(&["TP"]);
    for (from, to, format, says) in [
        ("2026-13-01", "2026-12-01", "json", "--from '2026-13-01'"),
        ("2026-11-24", "24/11/2026", "json", "--to '24/11/2026'"),
        ("2026-11-25", "2026-11-24", "json", "after --to"),
        ("2026-11-24", "2026-11-24", "xml", "xml"),
        ("2026-11-24", "2026-11-24", "xls", "xls"),
    ] {
        let (out, _) = report(&office, from, to, format);
        assert_eq!(out.status.code(), Some(2), "{from} {to} {format}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
    let out = office.run(
        "counter",
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "csv",
            "--out",
            "/nonexistent/dir/r.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write /nonexistent/dir/r.csv"));
}

/// #14: a month of a ward office (`tests/data/ward-month.toml`, seeded) run through the real
/// store: its report equals the golden figures, and the main figures recomputed with SQL over
/// the database agree.
#[test]
fn a_month_of_a_ward_office_gives_the_golden_figures_and_sql_agrees() {
    use motcua_e2e::scenario::{self, Scenario};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = Scenario::load(&root.join("data/ward-month.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = scenario::open(&spec, dir.path()).unwrap();
    scenario::replay(&spec, &mut store, false).unwrap();
    let cfg = store.config().clone();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let rows = store.report_rows(from, to).unwrap();
    let r = motcua::report::build(&rows, &cfg, from, to);
    let json = serde_json::to_string_pretty(&motcua::api::Report::of(&r)).unwrap() + "\n";
    motcua_testkit::golden::bytes(
        &root.join("tests/golden/report-ward-month.json"),
        json.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // Independent SQL over the same file.
    let db = rusqlite::Connection::open(&cfg.office.database).unwrap();
    let t = &r.totals;
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(t.issued > 2000, "a month of a ward: {}", t.issued);
    assert_eq!(i64::from(t.issued), one("SELECT COUNT(*) FROM ticket"));
    for (status, n) in [
        ("done", t.served),
        ("no_show", t.no_show),
        ("cancelled", t.cancelled),
    ] {
        assert_eq!(
            i64::from(n),
            one(&format!(
                "SELECT COUNT(*) FROM ticket WHERE status = '{status}'"
            )),
            "{status}"
        );
    }
    assert!(t.no_show > 0 && t.cancelled > 0 && t.rated > 0);
    for s in &r.services {
        let sql = format!(
            "SELECT COUNT(*), SUM(status = 'done') FROM ticket WHERE service = '{}'",
            s.key
        );
        let (issued, served): (i64, i64) = db
            .query_row(&sql, [], |r| {
                Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
            })
            .unwrap();
        assert_eq!(
            (i64::from(s.figures.issued), i64::from(s.figures.served)),
            (issued, served),
            "{}",
            s.key
        );
    }
    // Waits: first `called` event less issue time, nearest-rank percentiles, within 20 minutes.
    let mut waits: Vec<i64> = db
        .prepare(
            "SELECT MIN(e.at) - t.issued_at FROM ticket t JOIN event e ON e.ticket_id = t.id \
             AND e.kind = 'called' GROUP BY t.id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    waits.sort();
    let rank =
        |p: f64| waits[((p * waits.len() as f64).ceil() as usize).max(1) - 1] as f64 / 1000.0;
    let tenth = |v: f64| (v * 10.0).round() / 10.0;
    assert_eq!(t.wait_p50_s, Some(tenth(rank(0.5))));
    assert_eq!(t.wait_p90_s, Some(tenth(rank(0.9))));
    let on_time = waits.iter().filter(|w| **w <= 20 * 60_000).count() as f64 / waits.len() as f64;
    assert_eq!(
        t.within_target_share,
        Some((on_time * 1000.0).round() / 1000.0)
    );
    // Ratings: satisfied = 4 or 5, per the rating table.
    let (rated, satisfied): (i64, i64) = db
        .query_row("SELECT COUNT(*), SUM(score >= 4) FROM rating", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(i64::from(t.rated), rated);
    assert_eq!(
        t.satisfied_share,
        Some((satisfied as f64 / rated as f64 * 1000.0).round() / 1000.0)
    );
    // Per officer: tickets served whose last counter event carries the officer.
    for o in &r.officers {
        let served = one(&format!(
            "SELECT COUNT(*) FROM ticket t WHERE t.status = 'done' AND (SELECT e.officer FROM event e \
             WHERE e.ticket_id = t.id AND e.officer IS NOT NULL ORDER BY e.id DESC LIMIT 1) = '{}'",
            o.key
        ));
        assert_eq!(i64::from(o.figures.served), served, "{}", o.key);
    }
}
