//! `counter serve`: the staff console and the office JSON API (axum). SQLite work runs on the
//! blocking pool, never on the async executor. Server-sent events replay from `Last-Event-ID`.
//!
//! Who may do what:
//! - signed out: nothing but the sign-in page;
//! - an officer: their own counter's actions (`/api/counter/...`), the queue state and events;
//! - a supervisor: the same for any counter, plus the monitor (`/monitor`, `/api/monitor`) and
//!   cancel/transfer of any ticket (`/api/tickets/{id}/...`);
//! - a device (`Authorization: Bearer TOKEN`, tokens hashed in `[[devices]]`): a board reads the
//!   state and the events; a kiosk may also issue tickets (`POST /api/tickets`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Utc;
use motcua::config::DeviceRole;
use motcua::{Action, Config, Status, Store};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::pages;

/// Name of the session cookie.
const SESSION_COOKIE: &str = "motcua_session";
/// Name of the login form's CSRF cookie (double submit).
const LOGIN_CSRF_COOKIE: &str = "motcua_login_csrf";
/// Failed sign-ins per login before it is locked for [`LOCKOUT`].
const MAX_FAILURES: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(60);
/// How often the database is checked for commits (`PRAGMA data_version`) for the SSE stream.
const POLL: Duration = Duration::from_millis(50);
/// Keep-alive comments on the SSE stream: clients (boards) notice a dead link within this.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// A session unused this long ends (an officer who went home without signing out frees the
/// counter the next morning).
const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// The length of a device token made by `counter device-token` (24 random bytes in hex).
const DEVICE_TOKEN_LEN: usize = 48;
/// The longest number accepted in a request.
const MAX_NUMBER_LEN: usize = 12;

/// A signed-in officer.
#[derive(Debug, Clone)]
struct Session {
    login: String,
    supervisor: bool,
    /// The counter they sit at; a supervisor may sign in without one (monitor only).
    counter: Option<u32>,
    csrf: String,
    /// The last request of this session.
    seen: Instant,
}

/// The sessions still alive: forgets those idle for [`SESSION_IDLE`].
fn live(sessions: &mut HashMap<String, Session>) -> &mut HashMap<String, Session> {
    sessions.retain(|_, s| s.seen.elapsed() < SESSION_IDLE);
    sessions
}

/// One message to SSE clients: a logged event (with its id), or "something changed" (no id;
/// e.g. a counter paused) so pages refresh.
type Broadcast = (Option<i64>, Value);

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    cfg: Arc<Config>,
    store: Arc<Mutex<Store>>,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
    /// Device tokens already checked against their argon2 hash: token -> device index.
    devices_seen: Arc<Mutex<HashMap<String, usize>>>,
    events: broadcast::Sender<Broadcast>,
    /// Wakes the event poller right after a commit (this server's, or another process's through
    /// [`motcua::wake`]); the poll every 50 ms stays as the fallback.
    committed: Arc<tokio::sync::Notify>,
    hasher: Hasher,
}

type Job = Box<dyn FnOnce() + Send>;

/// One thread for every argon2 check (sign-in PINs, device tokens). Each check takes 19 MiB;
/// one at a time keeps the server's memory small and a flood of sign-ins from exhausting it.
#[derive(Clone)]
struct Hasher(std::sync::mpsc::Sender<Job>);

impl Hasher {
    fn start() -> Hasher {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("argon2".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("start the argon2 thread");
        Hasher(tx)
    }

    /// Runs `f` on the hasher thread and waits for its result.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.0
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .ok()?;
        rx.await.ok()
    }
}

fn token() -> String {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new device token and its hash for `[[devices]]` (`counter device-token`).
pub fn device_token() -> Result<(String, String), String> {
    let t = token();
    let h = motcua::secret::hash_password(&t)?;
    Ok((t, h))
}

/// An API error: status code and a clear Vietnamese message (nothing internal leaks).
struct ApiError(StatusCode, String);

impl ApiError {
    fn new(code: StatusCode, message: &str) -> ApiError {
        ApiError(code, message.to_string())
    }
    fn signed_out() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Vui lòng đăng nhập")
    }
    fn supervisors_only() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Chỉ cán bộ giám sát được làm việc này",
        )
    }
    fn bad(message: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<motcua::Error> for ApiError {
    fn from(e: motcua::Error) -> Self {
        use motcua::Error as E;
        let code = match &e {
            E::UnknownService(_) | E::UnknownPriority(_) | E::AmbiguousNumber(_) => {
                StatusCode::BAD_REQUEST
            }
            E::UnknownCounter(_) | E::TicketNotFound { .. } => StatusCode::NOT_FOUND,
            E::NoCurrentTicket(_)
            | E::InvalidTransition { .. }
            | E::CounterPaused(_)
            | E::NotRateable { .. } => StatusCode::CONFLICT,
            E::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => {
                tracing::error!(error = %e, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError(code, e.vi())
    }
}

/// Runs `f` with `store` on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&mut store.lock().expect("store lock")))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống"))?
        .map_err(ApiError::from)
}

/// Runs `f` with the server's store on the blocking pool.
async fn with_store<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    blocking(&st.store, f).await
}

/// Like [`with_store`] for a change: SSE clients hear of it at once, not at the next poll.
async fn write<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let r = blocking(&st.store, f).await;
    st.committed.notify_one();
    r
}

/// A field of a URL-encoded form body whose values need no decoding (hex tokens, digits).
fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(body).ok()?.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
    })
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn session(st: &AppState, headers: &HeaderMap) -> Option<(String, Session)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let mut sessions = st.sessions.lock().expect("sessions");
    let s = live(&mut sessions).get_mut(&id)?;
    s.seen = Instant::now();
    Some((id, s.clone()))
}

/// The device presenting `Authorization: Bearer TOKEN` (its name and role), if the request
/// carries one.
async fn device(
    st: &AppState,
    headers: &HeaderMap,
) -> Option<Result<(String, DeviceRole), ApiError>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "Mã thiết bị không hợp lệ");
    let Some(token) = v.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
        return Some(Err(refused()));
    };
    let token = token.trim().to_string();
    // Only the shape `counter device-token` makes is worth an argon2 check.
    if token.len() != DEVICE_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Err(refused()));
    }
    let known = st
        .devices_seen
        .lock()
        .expect("devices")
        .get(&token)
        .copied();
    let index = match known {
        Some(i) => Some(i),
        None => {
            let cfg = st.cfg.clone();
            let t = token.clone();
            let found = st
                .hasher
                .run(move || {
                    cfg.devices
                        .iter()
                        .position(|d| motcua::secret::verify(&t, &d.token_hash))
                })
                .await
                .flatten();
            if let Some(i) = found {
                st.devices_seen.lock().expect("devices").insert(token, i);
            }
            found
        }
    };
    Some(
        index
            .map(|i| (st.cfg.devices[i].name.clone(), st.cfg.devices[i].role))
            .ok_or_else(refused),
    )
}

/// Anyone who may read the queue: a signed-in officer or a device. Returns who, for the log.
async fn reader(st: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some((_, s)) = session(st, headers) {
        return Ok(s.login);
    }
    match device(st, headers).await {
        Some(d) => d.map(|(name, _)| format!("device {name}")),
        None => Err(ApiError::signed_out()),
    }
}

/// The signed-in officer, for a state-changing request: needs the session and its CSRF token.
fn officer_for_write(st: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let (_, s) = session(st, headers).ok_or_else(ApiError::signed_out)?;
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if sent != Some(s.csrf.as_str()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Phiên làm việc không hợp lệ, vui lòng tải lại trang",
        ));
    }
    Ok(s)
}

/// The counter a request acts on: the officer's own, or (supervisors only) the one asked for.
fn target_counter(s: &Session, asked: Option<u32>) -> Result<u32, ApiError> {
    match (asked, s.counter) {
        (Some(a), _) if s.supervisor => Ok(a),
        (Some(a), Some(own)) if a != own => Err(ApiError(
            StatusCode::FORBIDDEN,
            format!("Bạn đang làm việc ở quầy {own}, không thể thao tác cho quầy {a}"),
        )),
        (_, Some(own)) => Ok(own),
        (_, None) => Err(ApiError::bad("Vui lòng chọn quầy")),
    }
}

/// Builds the router and starts the event poller.
pub fn app(cfg: Config) -> motcua::Result<Router> {
    let mut store = Store::open(&cfg)?;
    // Sessions live in memory: after a restart nobody is signed in at any counter.
    store.clear_counter_officers()?;
    // The poller has its own connection: `data_version` then sees this server's commits too.
    let poll_store = Store::open(&cfg)?;
    let (tx, _) = broadcast::channel(1024);
    let st = AppState {
        cfg: Arc::new(cfg),
        store: Arc::new(Mutex::new(store)),
        sessions: Arc::default(),
        failures: Arc::default(),
        devices_seen: Arc::default(),
        events: tx,
        committed: Arc::default(),
        hasher: Hasher::start(),
    };
    // Commits by other processes (kiosks, the CLI) wake the poller too.
    let committed = st.committed.clone();
    motcua::wake::on_wake(&st.cfg.office.database, move || committed.notify_one());
    tokio::spawn(poll_events(
        st.events.clone(),
        Arc::new(Mutex::new(poll_store)),
        st.cfg.clone(),
        st.committed.clone(),
    ));
    Ok(Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/console", get(console_page))
        .route("/monitor", get(monitor_page))
        .route("/api/counter", get(counter_state))
        .route("/api/counter/{action}", post(counter_action))
        .route("/api/monitor", get(monitor))
        .route("/api/state", get(queue_state))
        .route("/api/tickets", post(issue_ticket))
        .route("/api/tickets/{id}/{action}", post(ticket_action))
        .route("/api/events", get(events))
        .route("/t/{token}", get(status_page))
        .route("/t/{token}/rate", post(rate))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "Không có trang hoặc thao tác này")
        })
        .with_state(st))
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    cfg: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = app(cfg)?;
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Watches the database and broadcasts new events (and "changed" for commits without one).
async fn poll_events(
    tx: broadcast::Sender<Broadcast>,
    store: Arc<Mutex<Store>>,
    cfg: Arc<Config>,
    committed: Arc<tokio::sync::Notify>,
) {
    let mut last = blocking(&store, |s| Ok(s.state(Utc::now())?.last_event_id))
        .await
        .unwrap_or(0);
    let mut version = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = committed.notified() => {}
        }
        let Ok(v) = blocking(&store, |s| s.data_version()).await else {
            continue;
        };
        if version == Some(v) {
            continue;
        }
        version = Some(v);
        let mut any = false;
        loop {
            let Ok(batch) = event_batch(&store, &cfg, last, 500).await else {
                break;
            };
            let Some((id, _)) = batch.last() else { break };
            last = *id;
            for (id, v) in batch {
                any = true;
                let _ = tx.send((Some(id), v));
            }
        }
        if !any {
            let _ = tx.send((None, json!({ "kind": "changed" })));
        }
    }
}

/// Up to `limit` events after id `after`, as (id, JSON), oldest first.
async fn event_batch(
    store: &Arc<Mutex<Store>>,
    cfg: &Arc<Config>,
    after: i64,
    limit: u32,
) -> Result<Vec<(i64, Value)>, ApiError> {
    let cfg = cfg.clone();
    blocking(store, move |s| {
        Ok(s.events_after(after, limit)?
            .iter()
            .map(|e| (e.id, motcua::json::event(e, &cfg)))
            .collect())
    })
    .await
}

async fn events(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = reader(&st, &headers).await?;
    let from: Option<i64> = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .filter(|n: &i64| *n >= 0)
                .ok_or(ApiError::bad("Last-Event-ID không hợp lệ"))?,
        ),
    };
    tracing::info!(who, from, "event stream opened");
    // Subscribe first, then replay: nothing falls between the two.
    let mut rx = st.events.subscribe();
    let mut replay = Vec::new();
    if let Some(mut after) = from {
        loop {
            let batch = event_batch(&st.store, &st.cfg, after, 1000).await?;
            let Some((id, _)) = batch.last() else { break };
            after = *id;
            replay.extend(batch.into_iter().map(|(id, v)| (Some(id), v)));
        }
    }
    // Events already replayed come through the broadcast too: each is sent once.
    let mut sent = replay.last().and_then(|(id, _)| *id).or(from).unwrap_or(0);
    let live_only = from.is_none();
    let (tx, out) = tokio::sync::mpsc::channel::<Broadcast>(256);
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok((id, v)) => {
                    let new = match id {
                        Some(id) => live_only || id > sent,
                        None => true,
                    };
                    if new && tx.send((id, v)).await.is_err() {
                        return;
                    }
                    if let Some(id) = id {
                        sent = sent.max(id);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "SSE client fell behind; it can resume with Last-Event-ID"
                    );
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    use tokio_stream::StreamExt;
    let stream = tokio_stream::iter(replay)
        .chain(tokio_stream::wrappers::ReceiverStream::new(out))
        .map(|(id, v)| {
            let kind = v["kind"].as_str().unwrap_or("event").to_string();
            let e = SseEvent::default().event(kind).data(v.to_string());
            Ok::<_, Infallible>(match id {
                Some(id) => e.id(id.to_string()),
                None => e,
            })
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    pin: String,
    counter: u32,
    csrf: String,
}

async fn login_page(State(st): State<AppState>) -> Response {
    login_form(&st, StatusCode::OK, None)
}

/// The sign-in page with a fresh CSRF token, and the reason the last try was refused.
fn login_form(st: &AppState, status: StatusCode, message: Option<&str>) -> Response {
    let csrf = token();
    (
        status,
        [(
            header::SET_COOKIE,
            format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"),
        )],
        Html(pages::login(&st.cfg, &csrf, message)),
    )
        .into_response()
}

/// The sign-in form's answer: to the console or monitor, or the form again saying what is wrong.
async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = match form {
        Ok(Form(f)) => sign_in(&st, &headers, f).await,
        Err(_) => Err(ApiError::bad(
            "Vui lòng nhập tài khoản, mã PIN và chọn quầy",
        )),
    };
    result.unwrap_or_else(|ApiError(status, message)| login_form(&st, status, Some(&message)))
}

async fn sign_in(st: &AppState, headers: &HeaderMap, f: LoginForm) -> Result<Response, ApiError> {
    if cookie(headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
        ));
    }
    // Counter 0: a supervisor watching the monitor without sitting at a counter.
    let counter = (f.counter != 0).then_some(f.counter);
    if let Some(c) = counter {
        st.cfg.counter(c).map_err(ApiError::from)?;
    }
    {
        let fails = st.failures.lock().expect("failures");
        if let Some((n, at)) = fails.get(&f.login)
            && *n >= MAX_FAILURES
            && at.elapsed() < LOCKOUT
        {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau 1 phút",
            ));
        }
    }
    let login = f.login.clone();
    let officer = with_store(st, move |s| s.officer(&login)).await?;
    let pin = f.pin.clone();
    let ok = match officer {
        Some(o) if !o.disabled => {
            let hash = o.pin_hash.clone();
            st.hasher
                .run(move || motcua::secret::verify(&pin, &hash))
                .await
                .unwrap_or(false)
                .then_some(o)
        }
        _ => None,
    };
    let Some(o) = ok else {
        let mut fails = st.failures.lock().expect("failures");
        let e = fails.entry(f.login.clone()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= LOCKOUT {
            *e = (0, Instant::now());
        }
        e.0 += 1;
        e.1 = Instant::now();
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Tài khoản hoặc mã PIN không đúng",
        ));
    };
    st.failures.lock().expect("failures").remove(&o.login);
    let supervisor = o.role == "supervisor";
    if counter.is_none() && !supervisor {
        return Err(ApiError::bad("Vui lòng chọn quầy bạn đang ngồi"));
    }
    let (id, left) = {
        let mut guard = st.sessions.lock().expect("sessions");
        let sessions = live(&mut guard);
        if let Some(other) = sessions
            .values()
            .find(|s| counter.is_some() && s.counter == counter && s.login != o.login)
        {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!(
                    "Quầy {} đang được cán bộ {} sử dụng",
                    f.counter, other.login
                ),
            ));
        }
        // Signing in again (elsewhere) ends the officer's earlier session and frees its counter.
        let left: Vec<u32> = sessions
            .values()
            .filter(|s| s.login == o.login && s.counter != counter)
            .filter_map(|s| s.counter)
            .collect();
        sessions.retain(|_, s| s.login != o.login);
        let id = token();
        sessions.insert(
            id.clone(),
            Session {
                login: o.login.clone(),
                supervisor,
                counter,
                csrf: token(),
                seen: Instant::now(),
            },
        );
        (id, left)
    };
    tracing::info!(login = %o.login, counter, "signed in");
    // Events at the counter now carry this officer (reports per officer).
    write(st, move |s| {
        for c in left {
            s.set_counter_officer(c, None)?;
        }
        match counter {
            Some(c) => s.set_counter_officer(c, Some(&o.login)),
            None => Ok(()),
        }
    })
    .await?;
    let home = if counter.is_some() {
        "/console"
    } else {
        "/monitor"
    };
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"),
            ),
            (header::LOCATION, home.to_string()),
        ],
    )
        .into_response())
}

async fn logout(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The sign-out form posts the CSRF token as a field (hex, never URL-encoded); scripts may
    // send the header instead.
    let (id, s) = session(&st, &headers).ok_or_else(ApiError::signed_out)?;
    if form_field(&body, "csrf") != Some(s.csrf.as_str()) {
        officer_for_write(&st, &headers)?;
    }
    st.sessions.lock().expect("sessions").remove(&id);
    tracing::info!(login = %s.login, counter = s.counter, "signed out");
    if let Some(c) = s.counter {
        write(&st, move |s| s.set_counter_officer(c, None)).await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                format!("{SESSION_COOKIE}=; Path=/; Max-Age=0"),
            ),
            (header::LOCATION, "/login".to_string()),
        ],
    )
        .into_response())
}

#[derive(Deserialize)]
struct CounterQuery {
    counter: Option<u32>,
}

async fn counter_state(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<CounterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let (_, s) = session(&st, &headers).ok_or_else(ApiError::signed_out)?;
    let Query(q) = q.map_err(|_| ApiError::bad("Số quầy không hợp lệ"))?;
    let counter = target_counter(&s, q.counter)?;
    let cfg = st.cfg.clone();
    let v = with_store(&st, move |store| {
        let state = store.state(Utc::now())?;
        let served = &cfg.counter(counter)?.services;
        let current = state
            .counters
            .iter()
            .find(|(n, _)| *n == counter)
            .and_then(|(_, t)| t.as_ref())
            .map(|t| motcua::json::ticket(t, &cfg));
        Ok(json!({
            "counter": counter,
            "paused": state.paused.contains(&counter),
            "ticket": current,
            "waiting": state.waiting.iter().filter(|(c, _)| served.contains(c))
                .map(|(c, n)| json!({"service": c, "name": cfg.service(c).map(|s| s.name.clone()).ok(), "waiting": n}))
                .collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(Json(json!({
        "officer": s.login,
        "role": if s.supervisor { "supervisor" } else { "officer" },
        "state": v,
    })))
}

#[derive(Deserialize, Default)]
struct ActionBody {
    counter: Option<u32>,
    to: Option<String>,
    number: Option<String>,
    service: Option<String>,
}

fn parse_body<T: Default + for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    match body {
        b"" | b"null" | b"{}" => Ok(T::default()),
        raw => {
            serde_json::from_slice(raw).map_err(|_| ApiError::bad("Dữ liệu gửi lên không hợp lệ"))
        }
    }
}

fn transfer_to(to: Option<String>) -> Result<Action, ApiError> {
    let to = to.ok_or_else(|| ApiError::bad("Vui lòng chọn lĩnh vực chuyển đến"))?;
    Ok(Action::Transfer { to })
}

async fn counter_action(
    State(st): State<AppState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // Who may act comes first; the body is read only for a signed-in officer.
    let s = officer_for_write(&st, &headers)?;
    let body: ActionBody = parse_body(&body)?;
    let counter = target_counter(&s, body.counter)?;
    st.cfg.counter(counter)?;
    let cfg = st.cfg.clone();
    let action = action.as_str();
    let ticket = match action {
        "call" => write(&st, move |st| st.call_next(counter, Utc::now())).await?,
        "pause" | "resume" => {
            let paused = action == "pause";
            write(&st, move |st| st.set_paused(counter, paused)).await?;
            return Ok(Json(json!({ "counter": counter, "paused": paused })));
        }
        "recall" | "start" | "finish" | "no-show" | "hold" | "cancel" | "transfer" => {
            let a = match action {
                "recall" => Action::Recall,
                "start" => Action::Start,
                "finish" => Action::Finish,
                "no-show" => Action::NoShow,
                "hold" => Action::Hold,
                "cancel" => Action::Cancel,
                _ => transfer_to(body.to)?,
            };
            Some(write(&st, move |st| st.act_on_current(counter, a, Utc::now())).await?)
        }
        "call-number" | "unhold" | "reactivate" => {
            let number = body
                .number
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty() && n.len() <= MAX_NUMBER_LEN)
                .ok_or_else(|| ApiError::bad("Vui lòng nhập số thứ tự"))?;
            let a = match action {
                "call-number" => Action::Call { counter },
                "unhold" => Action::Unhold,
                _ => Action::Reactivate,
            };
            let service = body.service;
            Some(
                write(&st, move |st| {
                    st.act_on_number(&number, service.as_deref(), a, Utc::now())
                })
                .await?,
            )
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Thao tác không tồn tại",
            ));
        }
    };
    Ok(Json(
        json!({ "ticket": ticket.map(|t| motcua::json::ticket(&t, &cfg)) }),
    ))
}

/// A supervisor cancels or transfers any of today's tickets by id.
async fn ticket_action(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let s = officer_for_write(&st, &headers)?;
    if !s.supervisor {
        return Err(ApiError::supervisors_only());
    }
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("Mã phiếu không hợp lệ"))?;
    let body: ActionBody = parse_body(&body)?;
    let a = match action.as_str() {
        "cancel" => Action::Cancel,
        "transfer" => transfer_to(body.to)?,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Thao tác không tồn tại",
            ));
        }
    };
    let cfg = st.cfg.clone();
    let t = write(&st, move |st| st.act_on_id(id, a, Utc::now())).await?;
    Ok(Json(json!({ "ticket": motcua::json::ticket(&t, &cfg) })))
}

/// The queue state (boards): waiting counts, each counter's current ticket, paused counters,
/// and where today's events start.
async fn queue_state(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    reader(&st, &headers).await?;
    let cfg = st.cfg.clone();
    let v = with_store(&st, move |s| {
        let now = Utc::now();
        let mut v = motcua::json::state(&s.state(now)?, &cfg);
        v["day_start_event_id"] = json!(s.day_start_event_id(now)?);
        Ok(v)
    })
    .await?;
    Ok(Json(v))
}

#[derive(Deserialize, Default)]
struct IssueBody {
    service: Option<String>,
    priority: Option<String>,
}

/// A kiosk device issues a ticket (it prints the ticket itself).
async fn issue_ticket(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    match device(&st, &headers).await {
        Some(Ok((_, DeviceRole::Kiosk))) => {}
        Some(Ok(_)) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Thiết bị này không được phép cấp số",
            ));
        }
        Some(Err(e)) => return Err(e),
        None => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Chỉ máy cấp số (kiosk) được cấp số qua API",
            ));
        }
    }
    let body: IssueBody = parse_body(&body)?;
    let service = body
        .service
        .ok_or_else(|| ApiError::bad("Vui lòng chọn lĩnh vực"))?;
    let cfg = st.cfg.clone();
    let t = write(&st, move |s| {
        s.issue(&service, body.priority.as_deref(), Utc::now())
    })
    .await?;
    Ok(Json(
        json!({ "ticket": motcua::json::ticket(&t, &cfg), "printed": false }),
    ))
}

/// The supervisor's view of the office: every counter, waiting per service, the waiting list.
async fn monitor(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let (_, s) = session(&st, &headers).ok_or_else(ApiError::signed_out)?;
    if !s.supervisor {
        return Err(ApiError::supervisors_only());
    }
    let officers: HashMap<u32, String> = live(&mut st.sessions.lock().expect("sessions"))
        .values()
        .filter_map(|s| Some((s.counter?, s.login.clone())))
        .collect();
    let cfg = st.cfg.clone();
    let v = with_store(&st, move |store| {
        let now = Utc::now();
        let state = store.state(now)?;
        let mut waiting: Vec<_> = store
            .tickets_of_day(state.business_date)?
            .into_iter()
            .filter(|t| matches!(t.status, Status::Waiting | Status::Held))
            .collect();
        waiting.sort_by_key(|t| t.queue_at);
        let services: Vec<Value> = state
            .waiting
            .iter()
            .map(|(code, n)| {
                let longest = waiting
                    .iter()
                    .filter(|t| &t.service == code && t.status == Status::Waiting)
                    .map(|t| (now - t.queue_at).num_seconds().max(0))
                    .max();
                json!({
                    "service": code,
                    "name": cfg.service(code).map(|s| s.name.clone()).ok(),
                    "waiting": n,
                    "longest_wait_s": longest,
                })
            })
            .collect();
        let counters: Vec<Value> = state
            .counters
            .iter()
            .map(|(n, t)| {
                json!({
                    "counter": n,
                    "name": cfg.counter(*n).map(|c| c.name.clone()).ok(),
                    "officer": officers.get(n),
                    "paused": state.paused.contains(n),
                    "ticket": t.as_ref().map(|t| motcua::json::ticket(t, &cfg)),
                })
            })
            .collect();
        let devices: Vec<Value> = store
            .device_statuses()?
            .iter()
            .map(|d| json!({"device": d.device, "status": d.status, "detail": d.detail}))
            .collect();
        Ok(json!({
            "counters": counters,
            "services": services,
            "waiting": waiting.iter().map(|t| motcua::json::ticket(t, &cfg)).collect::<Vec<_>>(),
            "devices": devices,
        }))
    })
    .await?;
    Ok(Json(v))
}

async fn console_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some((_, s)) = session(&st, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let Some(counter) = s.counter else {
        return Redirect::to("/monitor").into_response();
    };
    Html(pages::console(
        &st.cfg,
        counter,
        &s.login,
        s.supervisor,
        &s.csrf,
    ))
    .into_response()
}

async fn monitor_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some((_, s)) = session(&st, &headers) else {
        return Redirect::to("/login").into_response();
    };
    if !s.supervisor {
        return (
            StatusCode::FORBIDDEN,
            Html(pages::message(
                &st.cfg,
                "Chỉ cán bộ giám sát được xem trang này",
            )),
        )
            .into_response();
    }
    Html(pages::monitor(&st.cfg, &s.login, &s.csrf)).into_response()
}

/// The longest ticket token accepted (the store makes 24 hex digits).
const MAX_TICKET_TOKEN_LEN: usize = 64;

/// The ticket behind a status-page token, with the tickets waiting before it and its rating.
async fn ticket_status(
    st: &AppState,
    token: String,
) -> Result<(motcua::Ticket, u32, Option<u8>), ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "Không tìm thấy phiếu này");
    if token.is_empty()
        || token.len() > MAX_TICKET_TOKEN_LEN
        || !token.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(not_found());
    }
    let found = with_store(st, move |s| {
        let Some(t) = s.ticket_by_token(&token)? else {
            return Ok(None);
        };
        let ahead = s.waiting_before(&t)?;
        let rating = s.rating(t.id)?;
        Ok(Some((t, ahead, rating)))
    })
    .await?;
    found.ok_or_else(not_found)
}

/// An HTML page for a citizen's request that went wrong.
fn citizen_error(st: &AppState, ApiError(status, message): ApiError) -> Response {
    (status, Html(pages::message(&st.cfg, &message))).into_response()
}

/// The citizen's status page (public: the token printed in the ticket's QR code is the key).
async fn status_page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    match ticket_status(&st, token).await {
        Ok((t, ahead, rating)) => {
            Html(pages::status(&st.cfg, &t, ahead, rating, None)).into_response()
        }
        Err(e) => citizen_error(&st, e),
    }
}

/// A citizen rates a served ticket from its status page, once.
async fn rate(
    State(st): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (t, ahead, rating) = match ticket_status(&st, token).await {
        Ok(found) => found,
        Err(e) => return citizen_error(&st, e),
    };
    let score = form_field(&body, "score")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    let refused = |code: StatusCode, message: &str| {
        (
            code,
            Html(pages::status(&st.cfg, &t, ahead, rating, Some(message))),
        )
            .into_response()
    };
    let Some(score) = score else {
        return refused(StatusCode::BAD_REQUEST, "Vui lòng chọn một mức đánh giá");
    };
    let id = t.id;
    match write(&st, move |s| s.rate(id, score, Utc::now())).await {
        Ok(()) => {
            tracing::info!(number = %t.number, score, "rated");
            Redirect::to(&format!("/t/{}", t.token)).into_response()
        }
        Err(ApiError(code, message)) => refused(code, &message),
    }
}
