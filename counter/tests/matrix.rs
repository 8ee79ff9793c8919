//! Who may do what, route by route: every route of `counter serve` against every kind of
//! caller, in process (tower `oneshot` on the router, a fixed clock, a real SQLite file). The
//! README's table says the same; the real-process tests in `tests/` check the behaviour behind.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use counter::http::Server;
use motcua::clock::FixedClock;
use motcua::config::Role;
use motcua::{Config, Store};
use motcua_testkit::OfficeToml;
use tower::ServiceExt;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    SignedOut,
    /// An officer signed in at counter 1, the counter the routes act on.
    OfficerHere,
    /// An officer signed in at counter 2.
    OfficerOther,
    /// A supervisor signed in without a counter.
    Supervisor,
    Board,
    Kiosk,
}

const WHO: [Who; 6] = [
    Who::SignedOut,
    Who::OfficerHere,
    Who::OfficerOther,
    Who::Supervisor,
    Who::Board,
    Who::Kiosk,
];

/// What a caller sends along: a session (cookie and CSRF token) or a device token.
#[derive(Default, Clone)]
struct Credentials {
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

struct Office {
    _dir: tempfile::TempDir,
    server: Server,
    cfg: Config,
    now: DateTime<Utc>,
}

const BOARD_TOKEN: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
const KIOSK_TOKEN: &str = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";

impl Office {
    fn new() -> Office {
        let dir = tempfile::tempdir().unwrap();
        let board = motcua::secret::hash_password(BOARD_TOKEN).unwrap();
        let kiosk = motcua::secret::hash_password(KIOSK_TOKEN).unwrap();
        let text = OfficeToml::standard()
            .section(&format!(
                "[[devices]]\nname = \"board-hall\"\nrole = \"board\"\ntoken_hash = \"{board}\"\n\n\
                 [[devices]]\nname = \"kiosk-1\"\nrole = \"kiosk\"\ntoken_hash = \"{kiosk}\""
            ))
            .build();
        let cfg = Config::parse(&text, &dir.path().join("motcua.toml")).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-24T08:30:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let mut store = Store::open(&cfg).unwrap();
        for (login, role) in [
            ("lan", Role::Officer),
            ("minh", Role::Officer),
            ("giamsat", Role::Supervisor),
        ] {
            let hash = motcua::secret::hash_password("246810").unwrap();
            store.add_officer(login, &hash, role, now).unwrap();
        }
        let server = Server::new(cfg.clone(), Arc::new(FixedClock::at(now))).unwrap();
        Office {
            _dir: dir,
            server,
            cfg,
            now,
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, String, Option<String>) {
        let r = self.server.router().oneshot(req).await.unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let cookies: Vec<String> = r
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect();
        // Event streams never end: their status is all we read.
        let body = if r
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"))
        {
            String::new()
        } else {
            let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            String::from_utf8(b.to_vec()).unwrap()
        };
        let _ = location;
        (status, body, cookies.into_iter().next())
    }

    /// Signs in through the real form (GET /login for its CSRF token, POST /login).
    async fn sign_in(&self, login: &str, counter: u32) -> Credentials {
        let (_, page, csrf_cookie) = self
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let field = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let form = format!("login={login}&pin=246810&counter={counter}&csrf={field}");
        let (status, _, session) = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, csrf_cookie.unwrap())
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{login} signs in");
        let cookie = session.unwrap();
        let home = if counter == 0 { "/monitor" } else { "/console" };
        let (_, page, _) = self
            .send(
                Request::get(home)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let csrf = page
            .split("name=\"csrf\" content=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string);
        Credentials {
            cookie: Some(cookie),
            csrf,
            bearer: None,
        }
    }

    async fn credentials(&self, who: Who) -> Credentials {
        let device = |t: &str| Credentials {
            bearer: Some(t.to_string()),
            ..Credentials::default()
        };
        match who {
            Who::SignedOut => Credentials::default(),
            Who::OfficerHere => self.sign_in("lan", 1).await,
            Who::OfficerOther => self.sign_in("minh", 2).await,
            Who::Supervisor => self.sign_in("giamsat", 0).await,
            Who::Board => device(BOARD_TOKEN),
            Who::Kiosk => device(KIOSK_TOKEN),
        }
    }

    fn issue(&self) -> motcua::Ticket {
        let mut s = Store::open(&self.cfg).unwrap();
        s.issue("TP", None, self.now).unwrap()
    }
}

fn request(method: &str, path: &str, body: &str, c: &Credentials) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(v) = &c.cookie {
        r = r.header(header::COOKIE, v);
    }
    if let Some(v) = &c.csrf {
        r = r.header("x-csrf-token", v);
    }
    if let Some(v) = &c.bearer {
        r = r.header(header::AUTHORIZATION, format!("Bearer {v}"));
    }
    if path.ends_with("/rate") || path == "/logout" {
        r = r.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    } else if method == "POST" {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    r.body(Body::from(body.to_string())).unwrap()
}

/// One row of the matrix: a request and the status each caller gets, in [`WHO`] order
/// (signed out, officer here, officer of another counter, supervisor, board, kiosk).
struct Row {
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [u16; 6],
}

const fn row(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [u16; 6],
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
    row("GET", "/", "", [303, 303, 303, 303, 303, 303]),
    row("GET", "/login", "", [200, 200, 200, 200, 200, 200]),
    row("GET", "/console", "", [303, 200, 200, 303, 303, 303]),
    row("GET", "/monitor", "", [303, 403, 403, 200, 303, 303]),
    row("GET", "/api/counter", "", [401, 200, 200, 400, 401, 401]),
    row(
        "GET",
        "/api/counter?counter=1",
        "",
        [401, 200, 403, 200, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/pause",
        r#"{"counter": 1}"#,
        [401, 200, 403, 200, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/resume",
        r#"{"counter": 1}"#,
        [401, 200, 403, 200, 401, 401],
    ),
    row(
        "POST",
        "/api/counter/bogus",
        r#"{"counter": 1}"#,
        [401, 404, 403, 404, 401, 401],
    ),
    row("GET", "/api/monitor", "", [401, 403, 403, 200, 401, 401]),
    row("GET", "/api/state", "", [401, 200, 200, 200, 200, 200]),
    row("GET", "/api/events", "", [401, 200, 200, 200, 200, 200]),
    row(
        "POST",
        "/api/tickets",
        r#"{"service": "TP"}"#,
        [401, 401, 401, 401, 403, 200],
    ),
    row(
        "POST",
        "/api/tickets/{id}/cancel",
        "",
        [401, 403, 403, 200, 401, 401],
    ),
    row(
        "POST",
        "/api/tickets/{id}/transfer",
        r#"{"to": "DD"}"#,
        [401, 403, 403, 200, 401, 401],
    ),
    row(
        "POST",
        "/api/tickets/{id}/bogus",
        "",
        [401, 403, 403, 404, 401, 401],
    ),
    row("GET", "/t/{token}", "", [200, 200, 200, 200, 200, 200]),
    row(
        "POST",
        "/t/{token}/rate",
        "score=5",
        [409, 409, 409, 409, 409, 409],
    ),
    row("GET", "/no-such-page", "", [404, 404, 404, 404, 404, 404]),
    row("POST", "/logout", "", [401, 303, 303, 303, 401, 401]),
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
                .replace("{token}", &t.token);
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
