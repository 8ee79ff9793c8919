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
                r.body.to_string()
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
