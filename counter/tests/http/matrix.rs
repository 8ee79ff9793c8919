//! Who may do what, route by route: every route of `counter serve` against every kind of
//! caller, in process. The README's table says the same; the real-process tests in `tests/`
//! check the behaviour behind.

use axum::http::StatusCode;

use crate::office::{Office, WHO, Who, request};

/// One row of the matrix: a request and the status each caller gets, in [`WHO`] order
/// (signed out, officer here, officer of another counter, supervisor, board, kiosk, rating
/// tablet: today it may read what a board reads).
struct Row {
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [u16; 7],
}

const fn row(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [u16; 7],
) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

/// Every route; `{id}` and `{token}` stand for a fresh ticket's id and status token. The
/// sign-out row comes last: it ends the sessions.
const MATRIX: &[Row] = &[
    row("GET", "/", "", [303, 303, 303, 303, 303, 303, 303]),
    row("GET", "/login", "", [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/console", "", [303, 200, 200, 303, 303, 303, 303]),
    row("GET", "/monitor", "", [303, 403, 403, 200, 303, 303, 303]),
    row("GET", "/reports", "", [303, 403, 403, 200, 303, 303, 303]),
    row(
        "GET",
        "/reports/export?format=csv",
        "",
        [303, 403, 403, 200, 303, 303, 303],
    ),
    row(
        "GET",
        "/reports/sheet?officer=lan",
        "",
        [303, 403, 403, 200, 303, 303, 303],
    ),
    row(
        "GET",
        "/api/counter",
        "",
        [401, 200, 200, 400, 401, 401, 401],
    ),
    row(
        "GET",
        "/api/counter?counter=1",
        "",
        [401, 200, 403, 200, 401, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/pause",
        r#"{"counter": 1}"#,
        [401, 200, 403, 200, 401, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/resume",
        r#"{"counter": 1}"#,
        [401, 200, 403, 200, 401, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/bogus",
        r#"{"counter": 1}"#,
        [401, 404, 403, 404, 401, 401, 401],
    ),
    row(
        "GET",
        "/api/monitor",
        "",
        [401, 403, 403, 200, 401, 401, 401],
    ),
    row("GET", "/api/state", "", [401, 200, 200, 200, 200, 200, 200]),
    row("GET", "/api/clock", "", [401, 200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/api/events",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "POST",
        "/api/tickets",
        r#"{"service": "TP"}"#,
        [401, 401, 401, 401, 403, 200, 403],
    ),
    row(
        "POST",
        "/api/tickets/{id}/cancel",
        "",
        [401, 403, 403, 200, 401, 401, 401],
    ),
    row(
        "POST",
        "/api/tickets/{id}/transfer",
        r#"{"to": "DD"}"#,
        [401, 403, 403, 200, 401, 401, 401],
    ),
    row(
        "POST",
        "/api/tickets/{id}/bogus",
        "",
        [401, 403, 403, 404, 401, 401, 401],
    ),
    row(
        "GET",
        "/api/kiosk/unprinted",
        "",
        [401, 401, 401, 401, 403, 200, 403],
    ),
    row(
        "GET",
        "/api/kiosk/tickets?number={number}",
        "",
        [401, 401, 401, 401, 403, 200, 403],
    ),
    // A kiosk reports only on tickets it printed (this one was issued on the office host).
    row(
        "POST",
        "/api/kiosk/tickets/{id}/printed",
        "",
        [401, 401, 401, 401, 403, 404, 403],
    ),
    row(
        "POST",
        "/api/kiosk/tickets/{id}/void",
        "",
        [401, 401, 401, 401, 403, 404, 403],
    ),
    row(
        "POST",
        "/api/kiosk/tickets/{id}/reprinted",
        "",
        [401, 401, 401, 401, 403, 200, 403],
    ),
    row(
        "POST",
        "/api/kiosk/tickets/{id}/bogus",
        "",
        [401, 401, 401, 401, 403, 404, 403],
    ),
    row(
        "PUT",
        "/api/kiosk/printer",
        r#"{"status": "paper_near_end"}"#,
        [401, 401, 401, 401, 403, 200, 403],
    ),
    row(
        "GET",
        "/api/rate/1",
        "",
        [401, 401, 401, 401, 403, 403, 200],
    ),
    row(
        "GET",
        "/api/rate/2",
        "",
        [401, 401, 401, 401, 403, 403, 403],
    ),
    row(
        "POST",
        "/api/rate/1",
        r#"{"ticket": {id}, "score": 5}"#,
        [401, 401, 401, 401, 403, 403, 403],
    ),
    // The browser screens (#12): pages for their devices (unpaired: to the pairing form), their
    // files for anyone, the spoken call for whoever reads the queue.
    row("GET", "/board", "", [303, 200, 200, 200, 200, 403, 403]),
    row("GET", "/rate/1", "", [303, 303, 303, 303, 403, 403, 200]),
    row("GET", "/rate/2", "", [303, 303, 303, 303, 403, 403, 403]),
    row("GET", "/rate/x", "", [303, 303, 303, 303, 404, 404, 404]),
    row("GET", "/pair", "", [200, 200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/web/board.js",
        "",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/web/NotoSans-Bold.ttf",
        "",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/web/../motcua.toml",
        "",
        [404, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "GET",
        "/voice/call.wav?number={number}&counter=1",
        "",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/voice/call.wav?number={number}&counter=99",
        "",
        [401, 404, 404, 404, 404, 404, 404],
    ),
    row("GET", "/t/{token}", "", [200, 200, 200, 200, 200, 200, 200]),
    row(
        "POST",
        "/t/{token}/rate",
        "score=5",
        [409, 409, 409, 409, 409, 409, 409],
    ),
    row(
        "GET",
        "/no-such-page",
        "",
        [404, 404, 404, 404, 404, 404, 404],
    ),
    row("POST", "/logout", "", [401, 303, 303, 303, 401, 401, 401]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_against_every_caller() {
    let office = Office::new();
    let mut creds = Vec::new();
    for who in WHO {
        creds.push((who, office.credentials(who).await));
    }
    let mut wrong = Vec::new();
    for r in MATRIX {
        for (i, (who, c)) in creds.iter().enumerate() {
            let t = office.issue();
            let path = r
                .path
                .replace("{id}", &t.id.to_string())
                .replace("{token}", &t.token)
                .replace("{number}", &t.number);
            let body = if r.path == "/logout" {
                c.csrf
                    .as_ref()
                    .map(|t| format!("csrf={t}"))
                    .unwrap_or_default()
            } else {
                r.body.replace("{id}", &t.id.to_string())
            };
            let (status, text, _) = office.send(request(r.method, &path, &body, c)).await;
            if status.as_u16() != r.expect[i] {
                wrong.push(format!(
                    "{} {} as {who:?}: {} (expected {}) {text:.120}",
                    r.method, r.path, status, r.expect[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "access matrix:\n{}", wrong.join("\n"));
    office.server.shut_down();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_without_the_session_csrf_token_is_refused() {
    let office = Office::new();
    let mut c = office.credentials(Who::OfficerHere).await;
    c.csrf = Some("0".repeat(48));
    let (status, text, _) = office
        .send(request("POST", "/api/counter/call", "{}", &c))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("Phiên làm việc không hợp lệ"), "{text}");
    c.csrf = None;
    let (status, _, _) = office
        .send(request("POST", "/api/counter/call", "{}", &c))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    office.server.shut_down();
}

/// The clock is injected: tickets issued through the API carry the server's fixed time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reads_time_from_its_clock() {
    let office = Office::new();
    let c = office.credentials(Who::Kiosk).await;
    let (status, text, _) = office
        .send(request("POST", "/api/tickets", r#"{"service": "TP"}"#, &c))
        .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let issued: motcua::api::Issued = serde_json::from_str(&text).unwrap();
    assert_eq!(issued.ticket.issued_at.utc(), office.now);
    assert_eq!(issued.ticket.number, "1001");
    office.server.shut_down();
}

/// #12: the rating tablet of counter 1 sees the ticket just finished there and rates it once,
/// with a reason for a low mark; it cannot act for another counter, and a ticket served
/// elsewhere is not its to rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rating_tablet_rates_its_counters_ticket_once() {
    use crate::office::request;
    let office = Office::new();
    let tablet = office.credentials(Who::Rating).await;
    let officer = office.credentials(Who::OfficerHere).await;
    let other = office.credentials(Who::OfficerOther).await;
    let t = office.issue();
    let t2 = office.issue();
    let get = |path: &str| request("GET", path, "", &tablet);
    let (s, v, _) = office.send(get("/api/rate/1")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert!(v["to_rate"].is_null());
    assert_eq!(v["counter_name"], "Quầy 1");
    assert_eq!(v["officer"], "lan");

    // Counter 1 serves and finishes ticket 1; counter 2 serves ticket 2.
    for (c, a) in [
        (&officer, "call"),
        (&officer, "finish"),
        (&other, "call"),
        (&other, "finish"),
    ] {
        let (s, body, _) = office
            .send(request("POST", &format!("/api/counter/{a}"), "{}", c))
            .await;
        assert_eq!(s, StatusCode::OK, "{a}: {body}");
    }
    let (_, v, _) = office.send(get("/api/rate/1")).await;
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["to_rate"]["id"], t.id, "{v}");
    assert!(v["seconds_left"].as_u64().unwrap() > 0);
    assert_eq!(v["ask_reason_at_or_below"], 3);

    let post = |body: String| request("POST", "/api/rate/1", &body, &tablet);
    // A low mark needs a reason from the list.
    let (s, body, _) = office
        .send(post(format!(r#"{{"ticket": {}, "score": 2}}"#, t.id)))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("chọn lý do"), "{body}");
    let (s, _, _) = office
        .send(post(format!(
            r#"{{"ticket": {}, "score": 2, "reason": "Tự nghĩ"}}"#,
            t.id
        )))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Another counter's ticket is not this tablet's.
    let (s, _, _) = office
        .send(post(format!(r#"{{"ticket": {}, "score": 5}}"#, t2.id)))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body, _) = office
        .send(post(format!(
            r#"{{"ticket": {}, "score": 2, "reason": "Chờ lâu"}}"#,
            t.id
        )))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = motcua::Store::open(&office.cfg)
        .unwrap()
        .rating_record(t.id)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            r.score,
            r.counter,
            r.officer.as_deref(),
            r.reason.as_deref(),
            r.device.as_deref()
        ),
        (2, Some(1), Some("lan"), Some("Chờ lâu"), Some("tablet-1"))
    );
    // Once: a second rating (tablet or phone) is refused; the tablet has nothing left to rate.
    let (s, _, _) = office
        .send(post(format!(r#"{{"ticket": {}, "score": 5}}"#, t.id)))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, _) = office
        .send(request(
            "POST",
            &format!("/t/{}/rate", t.token),
            "score=5",
            &Default::default(),
        ))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v, _) = office.send(get("/api/rate/1")).await;
    assert!(serde_json::from_str::<serde_json::Value>(&v).unwrap()["to_rate"].is_null());
    // Counter 2 is not this tablet's; a missing ticket is 404.
    let (s, _, _) = office.send(get("/api/rate/2")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = office
        .send(post(r#"{"ticket": 999999, "score": 5}"#.to_string()))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    office.server.shut_down();
}
