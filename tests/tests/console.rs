//! `counter serve` as a real process: sign-in, the counter actions through the JSON API with CSRF,
//! refusals that change nothing, and server-sent events replayed from Last-Event-ID.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use motcua_e2e::Office;
use serde_json::Value;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(office: &Office) -> Server {
    let mut child = office
        .command("counter")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start counter serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Server { child, base }
}

/// A browser-like client: keeps cookies, does not follow redirects, returns every status.
struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: Vec<(String, String)>,
    csrf: Option<String>,
}

impl Client {
    fn new(server: &Server) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // A stream that stops delivering fails the test instead of hanging it.
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        Client {
            agent,
            base: server.base.clone(),
            cookies: Vec::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, r: &ureq::http::Response<ureq::Body>) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            if let Some((k, val)) = kv.split_once('=') {
                self.cookies.retain(|(n, _)| n != k);
                if !val.is_empty() {
                    self.cookies.push((k.to_string(), val.to_string()));
                }
            }
        }
    }

    fn get(&mut self, path: &str) -> (u16, String) {
        let mut r = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .call()
            .unwrap();
        self.keep_cookies(&r);
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    fn login(&mut self, login: &str, pin: &str, counter: u32) -> u16 {
        let (_, page) = self.get("/login");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let r = self
            .agent
            .post(&format!("{}/login", self.base))
            .header("Cookie", &self.cookie_header())
            .send_form([
                ("login", login),
                ("pin", pin),
                ("counter", &counter.to_string()),
                ("csrf", &csrf),
            ])
            .unwrap();
        self.keep_cookies(&r);
        let status = r.status().as_u16();
        if status == 303 {
            let (_, console) = self.get("/console");
            self.csrf = console
                .split("name=\"csrf\" content=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_string);
        }
        status
    }

    /// POSTs an action with the session's CSRF token (or `csrf` when given).
    fn act(&mut self, action: &str, body: Value, csrf: Option<&str>) -> (u16, Value) {
        let token = csrf
            .map(str::to_string)
            .or(self.csrf.clone())
            .unwrap_or_default();
        let mut r = self
            .agent
            .post(&format!("{}/api/counter/{action}", self.base))
            .header("Cookie", &self.cookie_header())
            .header("X-CSRF-Token", &token)
            .send_json(body)
            .unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn add_user(office: &Office, login: &str, pin: &str) {
    let out = office.run("counter", &["user", "add", "--login", login, "--pin", pin]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn event_count(office: &Office) -> i64 {
    office
        .open_db()
        .query_row("SELECT COUNT(*) FROM event", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sign_in_and_every_counter_action_through_the_api() {
    let office = Office::new();
    add_user(&office, "lan", "2468");
    add_user(&office, "minh", "1357");
    for s in ["TP", "TP", "TP", "DD"] {
        assert!(
            office
                .run("kiosk", &["issue", "--service", s])
                .status
                .success()
        );
    }
    let server = serve(&office);
    let mut c = Client::new(&server);
    // Signed out: the console sends to sign-in, the API refuses, nothing changes.
    assert_eq!(c.get("/console").0, 303);
    assert_eq!(c.get("/api/counter").0, 401);
    assert_eq!(c.act("call", Value::Null, Some("x")).0, 401);
    assert_eq!(c.login("lan", "9999", 1), 401, "wrong PIN");
    assert_eq!(c.login("lan", "2468", 1), 303);
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
    assert_eq!(m.login("minh", "1357", 1), 409);
    assert_eq!(m.login("minh", "1357", 2), 303);
    assert_eq!(m.act("pause", Value::Null, None).1["paused"], true);
    assert_eq!(
        m.act("call", Value::Null, None).0,
        409,
        "a paused counter calls nobody"
    );
    assert_eq!(m.act("resume", Value::Null, None).1["paused"], false);
}

#[test]
fn sign_in_is_rate_limited_and_disabled_accounts_refused() {
    let office = Office::new();
    add_user(&office, "lan", "2468");
    add_user(&office, "tu", "1111");
    assert!(
        office
            .run("counter", &["user", "disable", "--login", "tu"])
            .status
            .success()
    );
    let server = serve(&office);
    let mut c = Client::new(&server);
    assert_eq!(c.login("tu", "1111", 1), 401, "disabled");
    for _ in 0..5 {
        assert_eq!(c.login("lan", "0000", 1), 401);
    }
    assert_eq!(
        c.login("lan", "2468", 1),
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
    add_user(&office, "lan", "2468");
    for _ in 0..3 {
        assert!(
            office
                .run("kiosk", &["issue", "--service", "TP"])
                .status
                .success()
        );
    }
    let server = serve(&office);
    let mut c = Client::new(&server);
    assert_eq!(c.login("lan", "2468", 1), 303);
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
