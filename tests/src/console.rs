//! A running `counter serve` and a browser-like HTTP client for it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::Value;

use crate::Office;

/// A `counter serve` process; killed on drop.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `counter serve` on a free port and waits until it listens.
pub fn serve(office: &Office) -> Server {
    serve_on(office, "127.0.0.1:0")
}

/// Starts `counter serve` listening on `addr` and waits until it listens.
pub fn serve_on(office: &Office, addr: &str) -> Server {
    let mut child = office
        .command("counter")
        .args(["serve", "--listen", addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start counter serve");
    let base = listening(&mut child);
    Server { child, base }
}

/// Reads `counter serve`'s first line from its piped stdout: the address it listens on.
pub fn listening(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

/// A browser-like client: keeps cookies, does not follow redirects, returns every status.
pub struct Client {
    /// The HTTP agent (no redirects followed, every status returned).
    pub agent: ureq::Agent,
    /// The server's address.
    pub base: String,
    cookies: Vec<(String, String)>,
    /// The session's CSRF token, once signed in.
    pub csrf: Option<String>,
}

impl Client {
    /// A client for `server`.
    pub fn new(server: &Server) -> Client {
        Client::at(&server.base)
    }

    /// A client for the server at `base` (`http://HOST:PORT`).
    pub fn at(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // A stream that stops delivering fails the test instead of hanging it.
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            cookies: Vec::new(),
            csrf: None,
        }
    }

    /// The Cookie header value.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep_cookies(&mut self, r: &ureq::http::Response<ureq::Body>) {
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

    /// GETs `path`: (status, body).
    pub fn get(&mut self, path: &str) -> (u16, String) {
        let mut r = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .call()
            .unwrap();
        self.keep_cookies(&r);
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    /// Signs in at `counter` (0: a supervisor without a counter); returns the HTTP status.
    pub fn login(&mut self, login: &str, pin: &str, counter: u32) -> u16 {
        self.submit_login(login, pin, &counter.to_string()).0
    }

    /// Fills and posts the sign-in form as a browser would (`counter` as typed); returns the
    /// status and the page answered. Once signed in, keeps the session's CSRF token.
    pub fn submit_login(&mut self, login: &str, pin: &str, counter: &str) -> (u16, String) {
        let (_, page) = self.get("/login");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let mut r = self
            .agent
            .post(&format!("{}/login", self.base))
            .header("Cookie", &self.cookie_header())
            .send_form([
                ("login", login),
                ("pin", pin),
                ("counter", counter),
                ("csrf", &csrf),
            ])
            .unwrap();
        self.keep_cookies(&r);
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_string().unwrap();
        if status == 303 {
            let home = r.headers()["location"].to_str().unwrap().to_string();
            let (_, console) = self.get(&home);
            self.csrf = console
                .split("name=\"csrf\" content=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_string);
        }
        (status, body)
    }

    /// POSTs a counter action with the session's CSRF token (or `csrf` when given).
    pub fn act(&mut self, action: &str, body: Value, csrf: Option<&str>) -> (u16, Value) {
        self.post(&format!("/api/counter/{action}"), body, csrf)
    }

    /// POSTs JSON to `path` with the session's CSRF token (or `csrf` when given).
    pub fn post(&mut self, path: &str, body: Value, csrf: Option<&str>) -> (u16, Value) {
        let token = csrf
            .map(str::to_string)
            .or(self.csrf.clone())
            .unwrap_or_default();
        let mut r = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .header("X-CSRF-Token", &token)
            .send_json(body)
            .unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Adds an officer account (`role`: officer or supervisor).
pub fn add_user(office: &Office, login: &str, pin: &str, role: &str) {
    let out = office.run_with_input(
        "counter",
        &["user", "add", "--login", login, "--role", role],
        &format!("{pin}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes an API token for a device with `counter device-token`, adds its `[[devices]]` entry
/// (the hash) to the office's config, and returns the token.
pub fn add_device(office: &Office, name: &str, role: &str) -> String {
    add_device_with(office, name, role, &[])
}

/// [`add_device`] with more arguments of `counter device-token` (`--counter N` of a rating
/// tablet).
pub fn add_device_with(office: &Office, name: &str, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["device-token", "--name", name, "--role", role];
    args.extend_from_slice(extra);
    let out = office.run("counter", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("# "))
        .expect("the token on the second line")
        .to_string();
    let entry: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut config = std::fs::read_to_string(office.config()).unwrap();
    config.push('\n');
    config.push_str(&entry);
    std::fs::write(office.config(), config).unwrap();
    token
}

/// A device's request with `Authorization: Bearer token`: GET `path`, or POST `body` as JSON
/// when given. Returns (status, JSON body).
pub fn device_request(
    server: &Server,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{path}", server.base);
    let auth = format!("Bearer {token}");
    let mut r = match body {
        None => agent.get(&url).header("Authorization", &auth).call(),
        Some(b) => agent.post(&url).header("Authorization", &auth).send_json(b),
    }
    .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
