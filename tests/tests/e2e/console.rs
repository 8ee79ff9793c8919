//! `counter serve` as a real process: sign-in, the counter actions through the JSON API with CSRF,
//! refusals that change nothing, and server-sent events replayed from Last-Event-ID.

use std::io::{BufRead, BufReader};

use motcua_e2e::Office;
use motcua_e2e::console::{Client, add_device, add_user, device_request, serve};
use serde_json::Value;
use serde_json::json;

fn event_count(office: &Office) -> i64 {
    office
        .open_db()
        .query_row("SELECT COUNT(*) FROM event", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sign_in_and_every_counter_action_through_the_api() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    add_user(&office, "minh", "135790", "officer");
    office.issue(&["TP", "TP", "TP", "DD"]);
    let server = serve(&office);
    let mut c = Client::new(&server);
    // Signed out: the console sends to sign-in, the API refuses, nothing changes.
    assert_eq!(c.get("/console").0, 303);
    assert_eq!(c.get("/api/counter").0, 401);
    assert_eq!(c.act("call", Value::Null, Some("x")).0, 401);
    assert_eq!(c.login("lan", "9999", 1), 401, "wrong PIN");
    assert_eq!(c.login("lan", "246810", 1), 303);
    let (status, page) = c.get("/console");
    assert_eq!(status, 200);
    for label in [
        "Gọi số tiếp theo",
        "Gọi lại",
        "Vắng mặt",
        "Hoàn thành",
        "Chuyển",
    ] {
        assert!(page.contains(label), "the console shows {label:?}");
    }

    let before = event_count(&office);
    let (s, v) = c.act("call", Value::Null, Some("forged"));
    assert_eq!(s, 403, "CSRF: {v}");
    assert_eq!(event_count(&office), before, "nothing changed");

    let (s, v) = c.act("call", Value::Null, None);
    assert_eq!((s, v["ticket"]["number"].as_str()), (200, Some("1001")));
    let (_, state) = c.get("/api/counter");
    let state: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["state"]["ticket"]["number"], "1001");
    assert_eq!(c.act("recall", Value::Null, None).1["ticket"]["recalls"], 1);
    assert_eq!(
        c.act("finish", Value::Null, None).1["ticket"]["status"],
        "done"
    );
    assert_eq!(
        c.act("call", Value::Null, None).1["ticket"]["number"],
        "1002"
    );
    assert_eq!(
        c.act("no-show", Value::Null, None).1["ticket"]["status"],
        "no_show"
    );
    assert_eq!(
        c.act("call", Value::Null, None).1["ticket"]["number"],
        "1003"
    );
    // Bad input: a clear 4xx, nothing changed.
    let before = event_count(&office);
    let (s, v) = c.act("transfer", serde_json::json!({}), None);
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("lĩnh vực"));
    assert_eq!(
        c.act("transfer", serde_json::json!({"to": "XX"}), None).0,
        400
    );
    assert_eq!(c.act("explode", Value::Null, None).0, 404);
    assert_eq!(
        c.act("call-number", serde_json::json!({"number": " "}), None)
            .0,
        400
    );
    assert_eq!(
        c.act("reactivate", serde_json::json!({"number": "9999"}), None)
            .0,
        404
    );
    assert_eq!(event_count(&office), before);
    let moved = c.act("transfer", serde_json::json!({"to": "DD"}), None).1;
    assert_eq!(
        (
            moved["ticket"]["service"].as_str(),
            moved["ticket"]["status"].as_str()
        ),
        (Some("DD"), Some("waiting"))
    );
    assert_eq!(
        c.act("reactivate", serde_json::json!({"number": "1002"}), None)
            .1["ticket"]["status"],
        "waiting"
    );
    assert_eq!(
        c.act("finish", Value::Null, None).0,
        409,
        "nothing to finish"
    );

    // One officer per counter; a second counter is fine.
    let mut m = Client::new(&server);
    assert_eq!(m.login("minh", "135790", 1), 409);
    assert_eq!(m.login("minh", "135790", 2), 303);
    assert_eq!(m.act("pause", Value::Null, None).1["paused"], true);
    assert_eq!(
        m.act("call", Value::Null, None).0,
        409,
        "a paused counter calls nobody"
    );
    assert_eq!(m.act("resume", Value::Null, None).1["paused"], false);

    // Start, hold and unhold, calling a given number, cancelling at the counter.
    let called = m.act("call", Value::Null, None).1["ticket"].clone();
    let number = called["number"].as_str().unwrap().to_string();
    assert_eq!(
        m.act("start", Value::Null, None).1["ticket"]["status"],
        "serving"
    );
    assert_eq!(
        m.act("hold", Value::Null, None).1["ticket"]["status"],
        "held"
    );
    let (s, v) = m.act("unhold", json!({"number": number}), None);
    assert_eq!((s, v["ticket"]["status"].as_str()), (200, Some("waiting")));
    let (s, v) = m.act("call-number", json!({"number": "00001"}), None);
    assert_eq!(
        (
            s,
            v["ticket"]["number"].as_str(),
            v["ticket"]["counter"].as_u64()
        ),
        (200, Some("00001"), Some(2))
    );
    assert_eq!(
        m.act("cancel", Value::Null, None).1["ticket"]["status"],
        "cancelled"
    );
    assert_eq!(
        m.act("unhold", json!({"number": "00001"}), None).0,
        409,
        "a cancelled ticket is not held"
    );
}

#[test]
fn sign_in_is_rate_limited_and_disabled_accounts_refused() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    add_user(&office, "tu", "111111", "officer");
    assert!(
        office
            .run("counter", &["user", "disable", "--login", "tu"])
            .status
            .success()
    );
    let server = serve(&office);
    let mut c = Client::new(&server);
    assert_eq!(c.login("tu", "111111", 1), 401, "disabled");
    for _ in 0..5 {
        assert_eq!(c.login("lan", "0000", 1), 401);
    }
    assert_eq!(
        c.login("lan", "246810", 1),
        429,
        "locked after 5 failures, even with the right PIN"
    );
}

/// Reads SSE events (id, kind) from a stream until `n` arrived.
fn read_events(reader: &mut impl BufRead, n: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let (mut id, mut kind) = (None, None);
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream ended");
        let l = line.trim_end();
        if let Some(v) = l.strip_prefix("id: ") {
            id = v.parse().ok();
        } else if let Some(v) = l.strip_prefix("event: ") {
            kind = Some(v.to_string());
        } else if l.is_empty()
            && let (Some(i), Some(k)) = (id.take(), kind.take())
        {
            out.push((i, k));
        }
    }
    out
}

#[test]
fn sse_replays_exactly_what_was_missed_in_order() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    office.issue(&["TP", "TP", "TP"]);
    let server = serve(&office);
    let mut c = Client::new(&server);
    assert_eq!(c.login("lan", "246810", 1), 303);
    c.act("call", Value::Null, None);
    // A client that saw events up to id 2 reconnects: it gets 3.. in order, nothing twice.
    let (agent, url, cookie) = (
        c.agent.clone(),
        format!("{}/api/events", c.base),
        c.cookie_header(),
    );
    let open = |last: &str| {
        agent
            .get(&url)
            .header("Cookie", &cookie)
            .header("Last-Event-ID", last)
            .call()
            .unwrap()
    };
    let mut r = open("2");
    assert_eq!(r.status().as_u16(), 200);
    let mut reader = BufReader::new(r.body_mut().as_reader());
    let first = read_events(&mut reader, 2);
    assert_eq!(
        first,
        [(3, "issued".to_string()), (4, "called".to_string())]
    );
    // Then it follows live.
    c.act("recall", Value::Null, None);
    c.act("finish", Value::Null, None);
    let live = read_events(&mut reader, 2);
    assert_eq!(
        live,
        [(5, "recalled".to_string()), (6, "finished".to_string())]
    );
    drop(reader);
    // Missed while away: reconnecting from 4 gives exactly 5 and 6 again, then 7 live.
    let mut r = open("4");
    let mut reader = BufReader::new(r.body_mut().as_reader());
    assert_eq!(read_events(&mut reader, 2), live);
    c.act("call", Value::Null, None);
    let next = read_events(&mut reader, 1);
    assert_eq!(next[0].0, 7);
    // Bad Last-Event-ID: a clear 400.
    assert_eq!(open("abc").status().as_u16(), 400);
}

#[test]
fn roles_supervisor_monitor_and_device_tokens() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    add_user(&office, "hoa", "135790", "supervisor");
    let board = add_device(&office, "board-hall", "board");
    let kiosk = add_device(&office, "kiosk-door", "kiosk");
    office.issue(&["TP", "TP", "TP", "DD"]);
    let server = serve(&office);

    // Signed out: nothing but sign-in.
    let mut nobody = Client::new(&server);
    assert_eq!(nobody.get("/monitor").0, 303);
    for path in ["/api/monitor", "/api/state", "/api/events"] {
        assert_eq!(nobody.get(path).0, 401, "{path}");
    }
    assert_eq!(
        nobody.post("/api/tickets/1/cancel", json!({}), Some("x")).0,
        401
    );

    // The sign-in form answers with the form again, saying what is wrong (no raw errors).
    let (status, page) = nobody.submit_login("lan", "246810", "abc");
    assert_eq!(status, 400);
    assert!(
        page.contains("Vui lòng nhập tài khoản, mã PIN và chọn quầy"),
        "{page}"
    );
    assert!(page.contains("name=\"csrf\""), "a fresh form to try again");
    // A sign-in posted from elsewhere (no form cookie, as a cross-site form would) is refused.
    let r = nobody
        .agent
        .post(&format!("{}/login", nobody.base))
        .send_form([
            ("login", "lan"),
            ("pin", "246810"),
            ("counter", "1"),
            ("csrf", "forged"),
        ])
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "login CSRF");
    let (s, v) = nobody.get("/no/such/page");
    assert_eq!(s, 404);
    assert!(v.contains("Không có trang"), "{v}");

    // An officer: their own counter only, no monitor, no cancelling other tickets.
    let mut lan = Client::new(&server);
    assert_eq!(
        lan.login("lan", "246810", 0),
        400,
        "an officer sits at a counter"
    );
    assert_eq!(lan.login("lan", "246810", 1), 303);
    let before = event_count(&office);
    let (s, v) = lan.act("call", json!({"counter": 2}), None);
    assert_eq!(s, 403, "another counter: {v}");
    assert!(v["error"].as_str().unwrap().contains("quầy 1"), "{v}");
    assert_eq!(lan.get("/monitor").0, 403);
    assert_eq!(lan.get("/api/monitor").0, 403);
    assert_eq!(lan.get("/api/counter?counter=2").0, 403);
    let (s, v) = lan.get("/api/counter?counter=abc");
    assert_eq!(s, 400);
    assert!(v.contains("Số quầy không hợp lệ"), "{v}");
    let (s, v) = lan.post("/api/tickets/4/cancel", json!({}), None);
    assert_eq!(s, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("giám sát"), "{v}");
    assert_eq!(event_count(&office), before, "nothing changed");
    assert_eq!(
        lan.act("call", json!({"counter": 1}), None).1["ticket"]["number"],
        "1001",
        "naming one's own counter is fine"
    );

    // A supervisor: the monitor, any counter, cancel and transfer of any ticket.
    let mut hoa = Client::new(&server);
    assert_eq!(hoa.login("hoa", "135790", 0), 303);
    assert!(
        hoa.csrf.is_some(),
        "the monitor page carries the CSRF token"
    );
    assert_eq!(
        hoa.get("/console").0,
        303,
        "no counter: the console sends to the monitor"
    );
    let (s, page) = hoa.get("/monitor");
    assert_eq!(s, 200);
    for label in [
        "Các quầy",
        "Đang chờ theo lĩnh vực",
        "Danh sách chờ",
        "Hủy số",
    ] {
        assert!(page.contains(label), "the monitor shows {label:?}");
    }
    let (s, m) = hoa.get("/api/monitor");
    assert_eq!(s, 200);
    let m: Value = serde_json::from_str(&m).unwrap();
    assert_eq!(m["counters"][0]["officer"], "lan");
    assert_eq!(m["counters"][0]["ticket"]["number"], "1001");
    assert_eq!(m["counters"][1]["officer"], Value::Null);
    assert_eq!(m["services"][0]["service"], "TP");
    assert_eq!(m["services"][0]["waiting"], 2);
    assert!(m["services"][0]["longest_wait_s"].as_i64().unwrap() >= 0);
    assert_eq!(m["services"][1]["waiting"], 1);
    let waiting: Vec<&str> = m["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, ["1002", "1003", "00001"]);
    let dd_id = m["waiting"][2]["id"].as_i64().unwrap();
    let tp_id = m["waiting"][1]["id"].as_i64().unwrap();

    let before = event_count(&office);
    assert_eq!(hoa.act("call", Value::Null, None).0, 400, "which counter?");
    assert_eq!(
        hoa.post(
            &format!("/api/tickets/{tp_id}/cancel"),
            json!({}),
            Some("forged")
        )
        .0,
        403
    );
    assert_eq!(hoa.post("/api/tickets/abc/cancel", json!({}), None).0, 400);
    assert_eq!(hoa.post("/api/tickets/9999/cancel", json!({}), None).0, 404);
    assert_eq!(
        hoa.post(&format!("/api/tickets/{tp_id}/explode"), json!({}), None)
            .0,
        404
    );
    assert_eq!(
        hoa.post(
            &format!("/api/tickets/{dd_id}/transfer"),
            json!({"to": "XX"}),
            None
        )
        .0,
        400
    );
    assert_eq!(event_count(&office), before, "nothing changed");
    let (s, v) = hoa.post(
        &format!("/api/tickets/{dd_id}/transfer"),
        json!({"to": "TP"}),
        None,
    );
    assert_eq!((s, v["ticket"]["service"].as_str()), (200, Some("TP")));
    let (s, v) = hoa.post(&format!("/api/tickets/{tp_id}/cancel"), json!({}), None);
    assert_eq!(
        (s, v["ticket"]["status"].as_str()),
        (200, Some("cancelled"))
    );
    assert_eq!(
        hoa.post(&format!("/api/tickets/{tp_id}/cancel"), json!({}), None)
            .0,
        409,
        "already cancelled"
    );
    let (s, v) = hoa.act("call", json!({"counter": 3}), None);
    assert_eq!((s, v["ticket"]["counter"].as_u64()), (200, Some(3)));

    // Devices: a board reads, a kiosk also issues; neither acts at a counter.
    let (s, state) = device_request(&server, &board, "/api/state", None);
    assert_eq!(s, 200);
    assert_eq!(state["day_start_event_id"], 0);
    assert_eq!(state["counters"][2]["ticket"]["counter"], 3);
    assert_eq!(device_request(&server, "wrong", "/api/state", None).0, 401);
    let well_formed_but_unknown = "0".repeat(board.len());
    assert_eq!(
        device_request(&server, &well_formed_but_unknown, "/api/state", None).0,
        401
    );
    let issue =
        |token: &str, body: Value| device_request(&server, token, "/api/tickets", Some(body));
    assert_eq!(issue(&board, json!({"service": "TP"})).0, 403);
    assert_eq!(
        device_request(&server, &kiosk, "/api/counter/call", Some(json!({}))).0,
        401
    );
    let before = event_count(&office);
    assert_eq!(issue(&kiosk, json!({"service": "XX"})).0, 400);
    assert_eq!(issue(&kiosk, json!({})).0, 400);
    assert_eq!(issue(&kiosk, json!("TP")).0, 400);
    assert_eq!(event_count(&office), before, "nothing changed");
    let (s, v) = issue(&kiosk, json!({"service": "DD"}));
    assert_eq!((s, v["ticket"]["number"].as_str()), (200, Some("00002")));
    assert_eq!(v["printed"], false);

    // Signing out with the page's form frees the counter.
    let csrf = lan.csrf.clone().unwrap();
    let r = lan
        .agent
        .post(&format!("{}/logout", lan.base))
        .header("Cookie", &lan.cookie_header())
        .send_form([("csrf", csrf.as_str())])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(lan.get("/api/counter").0, 401);
    let mut other = Client::new(&server);
    add_user(&office, "minh", "111111", "officer");
    assert_eq!(
        other.login("minh", "111111", 1),
        303,
        "counter 1 is free again"
    );
}
