//! `counter report`: figures over service days from a real queue worked through the staff
//! console (so tickets carry their officers), in JSON, CSV and HTML, checked against the
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

    // CSV: a header, the same totals.
    let (out, csv) = report(&office, &day, &day, "csv");
    assert!(out.status.success());
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("group,key,name,issued,served,no_show,cancelled"));
    assert!(lines[1].starts_with("total,,,6,2,1,1,2,"), "{}", lines[1]);
    assert!(
        lines[0].ends_with(
            ",rated,satisfied_share,rated_share,rating_1,rating_2,rating_3,rating_4,rating_5"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with(",0,,0,0,0,0,0,0"), "{}", lines[1]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("service,TP,Tư pháp - Hộ tịch,4,1,1,1,"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("officer,lan,lan,3,1,1,0,1,"))
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
