//! An office for in-process HTTP tests: a real SQLite file, a fixed clock, officers and devices,
//! and requests sent with tower's `oneshot` to the server's router.

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
pub enum Who {
    SignedOut,
    /// An officer signed in at counter 1, the counter the routes act on.
    OfficerHere,
    /// An officer signed in at counter 2.
    OfficerOther,
    /// A supervisor signed in without a counter.
    Supervisor,
    Board,
    Kiosk,
    /// The rating tablet of counter 1.
    Rating,
}

pub const WHO: [Who; 7] = [
    Who::SignedOut,
    Who::OfficerHere,
    Who::OfficerOther,
    Who::Supervisor,
    Who::Board,
    Who::Kiosk,
    Who::Rating,
];

/// What a caller sends along: a session (cookie and CSRF token) or a device token.
#[derive(Default, Clone)]
pub struct Credentials {
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
}

pub struct Office {
    _dir: tempfile::TempDir,
    pub server: Server,
    pub cfg: Config,
    pub now: DateTime<Utc>,
    /// The server's clock (time and whether it is synchronised).
    pub clock: Arc<FixedClock>,
}

pub const BOARD_TOKEN: &str = "board-hall.b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
pub const KIOSK_TOKEN: &str = "kiosk-1.c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
pub const RATING_TOKEN: &str = "tablet-1.d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";

impl Office {
    /// The standard office (TP and DD; counters 1 and 2 serve both, 3 only TP, 4 only DD).
    pub fn new() -> Office {
        Office::with(OfficeToml::standard())
    }

    /// An office with officers `lan` and `minh`, supervisor `giamsat` (PIN 246810 each), a board
    /// and a kiosk device.
    pub fn with(office: OfficeToml) -> Office {
        let dir = tempfile::tempdir().unwrap();
        let board = motcua::secret::hash_token(BOARD_TOKEN).unwrap();
        let kiosk = motcua::secret::hash_token(KIOSK_TOKEN).unwrap();
        let rating = motcua::secret::hash_token(RATING_TOKEN).unwrap();
        let text = office
            .section(&format!(
                "[[devices]]\nname = \"board-hall\"\nrole = \"board\"\ntoken_hash = \"{board}\"\n\n\
                 [[devices]]\nname = \"kiosk-1\"\nrole = \"kiosk\"\ntoken_hash = \"{kiosk}\"\n\n\
                 [[devices]]\nname = \"tablet-1\"\nrole = \"rating\"\ncounter = 1\ntoken_hash = \"{rating}\""
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
        let clock = Arc::new(FixedClock::at(now));
        let server = Server::new(cfg.clone(), clock.clone()).unwrap();
        Office {
            _dir: dir,
            server,
            cfg,
            now,
            clock,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, String, Option<String>) {
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
            // Fonts and sound are bytes: read as text (lossy), only their status matters here.
            let b = axum::body::to_bytes(r.into_body(), 4 << 20).await.unwrap();
            String::from_utf8_lossy(&b).into_owned()
        };
        let _ = location;
        (status, body, cookies.into_iter().next())
    }

    /// Signs in through the real form (GET /login for its CSRF token, POST /login).
    pub async fn sign_in(&self, login: &str, counter: u32) -> Credentials {
        let cookie = self.sign_in_with(login, "246810", counter).await;
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

    pub async fn credentials(&self, who: Who) -> Credentials {
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
            Who::Rating => device(RATING_TOKEN),
        }
    }

    pub fn issue(&self) -> motcua::Ticket {
        let mut s = Store::open(&self.cfg).unwrap();
        s.issue("TP", None, self.now).unwrap()
    }
}

pub fn request(method: &str, path: &str, body: &str, c: &Credentials) -> Request<Body> {
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
    } else if method == "POST" || method == "PUT" {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    r.body(Body::from(body.to_string())).unwrap()
}

impl Office {
    /// `POST /api/counter/{action}` with `body`: the status and the answer.
    pub async fn act(&self, c: &Credentials, action: &str, body: &str) -> (StatusCode, String) {
        let (status, text, _) = self
            .send(request("POST", &format!("/api/counter/{action}"), body, c))
            .await;
        (status, text)
    }

    /// The store's view of a ticket now.
    pub fn ticket(&self, id: i64) -> motcua::Ticket {
        Store::open(&self.cfg).unwrap().ticket(id).unwrap()
    }
}

impl Office {
    /// One sign-in through the form (a fresh CSRF token each): the status and the page.
    pub async fn try_sign_in(&self, login: &str, pin: &str, counter: u32) -> (StatusCode, String) {
        let (status, text, _) = self
            .send(self.login_request(login, pin, counter).await)
            .await;
        (status, text)
    }

    /// The sign-in form's POST, with the CSRF token of a fresh `GET /login`.
    async fn login_request(&self, login: &str, pin: &str, counter: u32) -> Request<Body> {
        let (_, page, csrf_cookie) = self
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let field = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let form = format!("login={login}&pin={pin}&counter={counter}&csrf={field}");
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, csrf_cookie.unwrap())
            .body(Body::from(form))
            .unwrap()
    }

    /// Opens `GET /api/events` with `c` (and `Last-Event-ID`, if given): the live stream.
    pub async fn events(&self, c: &Credentials, last_event_id: Option<&str>) -> Sse {
        let mut r = request("GET", "/api/events", "", c);
        if let Some(id) = last_event_id {
            r.headers_mut().insert("last-event-id", id.parse().unwrap());
        }
        let resp = self.server.router().oneshot(r).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        Sse {
            body: resp.into_body(),
            buf: String::new(),
        }
    }
}

/// A server-sent event stream being read.
pub struct Sse {
    body: Body,
    buf: String,
}

/// One message: its `event:` name, `id:` and `data:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    pub event: String,
    pub id: Option<i64>,
    pub data: String,
}

impl Sse {
    /// The next message (keep-alive comments skipped); `None` when the stream ended. Waits at
    /// most 10 s (a hang is a failure, not a timeout to tune).
    pub async fn next(&mut self) -> Option<SseMessage> {
        use http_body_util::BodyExt;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let mut m = SseMessage {
                    event: String::new(),
                    id: None,
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        m.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        m.id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        m.data.push_str(v.trim());
                    }
                }
                if m.event.is_empty() && m.data.is_empty() {
                    continue;
                }
                return Some(m);
            }
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), self.body.frame())
                .await
                .expect("the event stream answers within 10 s");
            match frame {
                Some(Ok(f)) => {
                    if let Ok(data) = f.into_data() {
                        self.buf.push_str(std::str::from_utf8(&data).unwrap());
                    }
                }
                _ => return None,
            }
        }
    }
}

impl Office {
    /// Signs in through the form with `pin`: the session cookie.
    pub async fn sign_in_with(&self, login: &str, pin: &str, counter: u32) -> String {
        let (status, _, session) = self
            .send(self.login_request(login, pin, counter).await)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{login} signs in");
        session.unwrap()
    }
}
