//! `counter serve`: the staff console and the office JSON API (axum). SQLite work runs on the
//! blocking pool, never on the async executor. Server-sent events replay from `Last-Event-ID`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Utc;
use motcua::{Action, Config, Store};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Name of the session cookie.
const SESSION_COOKIE: &str = "motcua_session";
/// Name of the login form's CSRF cookie (double submit).
const LOGIN_CSRF_COOKIE: &str = "motcua_login_csrf";
/// Failed sign-ins per login before it is locked for [`LOCKOUT`].
const MAX_FAILURES: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(60);
/// How often the event table is polled for the SSE stream.
const POLL: Duration = Duration::from_millis(50);

/// A signed-in officer.
#[derive(Debug, Clone)]
struct Session {
    login: String,
    role: String,
    counter: u32,
    csrf: String,
}

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    cfg: Arc<Config>,
    store: Arc<Mutex<Store>>,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
    events: broadcast::Sender<(i64, Value)>,
}

fn token() -> String {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An API error: status code and a clear Vietnamese message (nothing internal leaks).
struct ApiError(StatusCode, String);

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
            E::NoCurrentTicket(_) | E::InvalidTransition { .. } | E::CounterPaused(_) => {
                StatusCode::CONFLICT
            }
            E::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => {
                tracing::error!(error = %e, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError(code, e.vi())
    }
}

/// Runs `f` with the store on the blocking pool.
async fn with_store<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || f(&mut store.lock().expect("store lock")))
        .await
        .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống".into()))?
        .map_err(ApiError::from)
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
    let s = st.sessions.lock().expect("sessions").get(&id).cloned()?;
    Some((id, s))
}

/// The signed-in officer, for a state-changing request: needs the session and its CSRF token.
fn officer_for_write(st: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let (_, s) = session(st, headers).ok_or(ApiError(
        StatusCode::UNAUTHORIZED,
        "Vui lòng đăng nhập".into(),
    ))?;
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if sent != Some(s.csrf.as_str()) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "Phiên làm việc không hợp lệ, vui lòng tải lại trang".into(),
        ));
    }
    Ok(s)
}

/// Builds the router and starts the event poller.
pub fn app(cfg: Config) -> motcua::Result<Router> {
    let store = Store::open(&cfg)?;
    let (tx, _) = broadcast::channel(1024);
    let st = AppState {
        cfg: Arc::new(cfg),
        store: Arc::new(Mutex::new(store)),
        sessions: Arc::default(),
        failures: Arc::default(),
        events: tx,
    };
    tokio::spawn(poll_events(st.clone()));
    Ok(Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/console", get(console_page))
        .route("/api/counter", get(counter_state))
        .route("/api/counter/{action}", post(counter_action))
        .route("/api/events", get(events))
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

/// Polls the event table and broadcasts new events to SSE clients.
async fn poll_events(st: AppState) {
    let mut last = with_store(&st, |s| Ok(s.state(Utc::now())?.last_event_id))
        .await
        .unwrap_or(0);
    loop {
        tokio::time::sleep(POLL).await;
        if let Ok(batch) = event_batch(&st, last, 500).await {
            for (id, v) in batch {
                last = id;
                let _ = st.events.send((id, v));
            }
        }
    }
}

/// Up to `limit` events after id `after`, as (id, JSON), oldest first.
async fn event_batch(st: &AppState, after: i64, limit: u32) -> Result<Vec<(i64, Value)>, ApiError> {
    let cfg = st.cfg.clone();
    with_store(st, move |s| {
        Ok(s.events_after(after, limit)?
            .iter()
            .map(|e| (e.id, motcua::json::event(e, &cfg)))
            .collect())
    })
    .await
}

async fn events(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    session(&st, &headers).ok_or(ApiError(
        StatusCode::UNAUTHORIZED,
        "Vui lòng đăng nhập".into(),
    ))?;
    let from: i64 = match headers.get("last-event-id") {
        None => i64::MAX,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|n: &i64| *n >= 0)
            .ok_or(ApiError(
                StatusCode::BAD_REQUEST,
                "Last-Event-ID không hợp lệ".into(),
            ))?,
    };
    // Subscribe first, then replay: nothing falls between the two.
    let mut rx = st.events.subscribe();
    let replay: Vec<(i64, Value)> = if from == i64::MAX {
        Vec::new()
    } else {
        let mut all = Vec::new();
        let mut after = from;
        loop {
            let batch = event_batch(&st, after, 1000).await?;
            let Some((id, _)) = batch.last() else { break };
            after = *id;
            all.extend(batch);
        }
        all
    };
    let mut sent = replay
        .last()
        .map_or(if from == i64::MAX { 0 } else { from }, |(id, _)| *id);
    let live_only = from == i64::MAX;
    let (tx, out) = tokio::sync::mpsc::channel::<(i64, Value)>(256);
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok((id, v)) => {
                    // Events already replayed come through the broadcast too: send each once.
                    if (live_only || id > sent) && tx.send((id, v)).await.is_err() {
                        return;
                    }
                    sent = sent.max(id);
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
            Ok::<_, Infallible>(
                SseEvent::default()
                    .id(id.to_string())
                    .event(kind)
                    .data(v.to_string()),
            )
        });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
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
    let csrf = token();
    let options: String = st
        .cfg
        .counters
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{}\">{}</option>",
                c.number,
                html_escape(&c.name)
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập – {office}</title>{STYLE}</head>
<body><main class="login"><h1>{office}</h1><h2>Đăng nhập quầy</h2>
<form method="post" action="/login">
<label>Tài khoản <input name="login" autocomplete="username" required autofocus></label>
<label>Mã PIN / mật khẩu <input name="pin" type="password" autocomplete="current-password" required></label>
<label>Quầy <select name="counter">{options}</select></label>
<input type="hidden" name="csrf" value="{csrf}">
<button type="submit">Đăng nhập</button></form></main></body></html>"#,
        office = html_escape(&st.cfg.office.name),
    );
    (
        [(
            header::SET_COOKIE,
            format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict"),
        )],
        Html(body),
    )
        .into_response()
}

async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, ApiError> {
    if cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str()) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "Phiên đăng nhập không hợp lệ, vui lòng tải lại trang".into(),
        ));
    }
    st.cfg.counter(f.counter).map_err(ApiError::from)?;
    {
        let fails = st.failures.lock().expect("failures");
        if let Some((n, at)) = fails.get(&f.login)
            && *n >= MAX_FAILURES
            && at.elapsed() < LOCKOUT
        {
            return Err(ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau 1 phút".into(),
            ));
        }
    }
    let login = f.login.clone();
    let officer = with_store(&st, move |s| s.officer(&login)).await?;
    let pin = f.pin.clone();
    let ok = match officer {
        Some(o) if !o.disabled => {
            let hash = o.pin_hash.clone();
            tokio::task::spawn_blocking(move || motcua::secret::verify(&pin, &hash))
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
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "Tài khoản hoặc mã PIN không đúng".into(),
        ));
    };
    st.failures.lock().expect("failures").remove(&o.login);
    let mut sessions = st.sessions.lock().expect("sessions");
    if let Some(other) = sessions
        .values()
        .find(|s| s.counter == f.counter && s.login != o.login)
    {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!(
                "Quầy {} đang được cán bộ {} sử dụng",
                f.counter, other.login
            ),
        ));
    }
    sessions.retain(|_, s| s.login != o.login);
    let id = token();
    sessions.insert(
        id.clone(),
        Session {
            login: o.login,
            role: o.role,
            counter: f.counter,
            csrf: token(),
        },
    );
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"),
            ),
            (header::LOCATION, "/console".to_string()),
        ],
    )
        .into_response())
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    officer_for_write(&st, &headers)?;
    if let Some((id, _)) = session(&st, &headers) {
        st.sessions.lock().expect("sessions").remove(&id);
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

async fn counter_state(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, s) = session(&st, &headers).ok_or(ApiError(
        StatusCode::UNAUTHORIZED,
        "Vui lòng đăng nhập".into(),
    ))?;
    let cfg = st.cfg.clone();
    let counter = s.counter;
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
    Ok(Json(
        json!({ "officer": s.login, "role": s.role, "state": v }),
    ))
}

#[derive(Deserialize, Default)]
struct ActionBody {
    to: Option<String>,
    number: Option<String>,
    service: Option<String>,
}

async fn counter_action(
    State(st): State<AppState>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // Who may act comes first; the body is read only for a signed-in officer.
    let s = officer_for_write(&st, &headers)?;
    let body: ActionBody = match body.as_ref() {
        b"" | b"null" | b"{}" => ActionBody::default(),
        raw => serde_json::from_slice(raw).map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                "Dữ liệu gửi lên không hợp lệ".into(),
            )
        })?,
    };
    let counter = s.counter;
    let cfg = st.cfg.clone();
    let bad = |m: &str| ApiError(StatusCode::BAD_REQUEST, m.to_string());
    let action = action.as_str();
    let ticket = match action {
        "call" => with_store(&st, move |st| st.call_next(counter, Utc::now())).await?,
        "pause" | "resume" => {
            let paused = action == "pause";
            with_store(&st, move |st| st.set_paused(counter, paused)).await?;
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
                _ => Action::Transfer {
                    to: body
                        .to
                        .clone()
                        .ok_or_else(|| bad("Vui lòng chọn lĩnh vực chuyển đến"))?,
                },
            };
            Some(with_store(&st, move |st| st.act_on_current(counter, a, Utc::now())).await?)
        }
        "call-number" | "unhold" | "reactivate" => {
            let number = body
                .number
                .clone()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty() && n.len() <= 12)
                .ok_or_else(|| bad("Vui lòng nhập số thứ tự"))?;
            let a = match action {
                "call-number" => Action::Call { counter },
                "unhold" => Action::Unhold,
                _ => Action::Reactivate,
            };
            let service = body.service.clone();
            Some(
                with_store(&st, move |st| {
                    st.act_on_number(&number, service.as_deref(), a, Utc::now())
                })
                .await?,
            )
        }
        _ => {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                "Thao tác không tồn tại".into(),
            ));
        }
    };
    Ok(Json(
        json!({ "ticket": ticket.map(|t| motcua::json::ticket(&t, &cfg)) }),
    ))
}

async fn console_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some((_, s)) = session(&st, &headers) else {
        return Redirect::to("/login").into_response();
    };
    let counter_name = st
        .cfg
        .counter(s.counter)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let services: String = st
        .cfg
        .services
        .iter()
        .map(|sv| {
            format!(
                "<option value=\"{}\">{}</option>",
                sv.code,
                html_escape(&sv.name)
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{counter} – {office}</title>
<meta name="csrf" content="{csrf}">{STYLE}</head><body>
<header><h1>{counter}</h1><span>Cán bộ: {login}</span>
<form method="post" action="/logout" id="logout"><button type="submit" class="small">Đăng xuất</button></form></header>
<main>
<section class="current"><div class="label">Đang phục vụ</div><div id="number">—</div><div id="service"></div><div id="status"></div></section>
<section class="buttons">
<button data-action="call" data-key="F1">Gọi số tiếp theo <kbd>F1</kbd></button>
<button data-action="recall" data-key="F2">Gọi lại <kbd>F2</kbd></button>
<button data-action="no-show" data-key="F3">Vắng mặt <kbd>F3</kbd></button>
<button data-action="finish" data-key="F4">Hoàn thành <kbd>F4</kbd></button>
<button data-action="transfer" data-key="F5">Chuyển <kbd>F5</kbd></button>
<select id="to" aria-label="Lĩnh vực chuyển đến">{services}</select>
<button data-action="call-number" data-key="F6">Gọi số… <kbd>F6</kbd></button>
<input id="num" aria-label="Số cần gọi" placeholder="Số">
<button data-action="hold" data-key="F7">Tạm giữ <kbd>F7</kbd></button>
<button data-action="pause" data-key="F8">Tạm dừng <kbd>F8</kbd></button>
<button data-action="resume" data-key="F9">Tiếp tục <kbd>F9</kbd></button>
</section>
<section><h2>Đang chờ</h2><ul id="waiting"></ul></section>
<p id="message" role="status"></p>
</main>
<script>
const csrf = document.querySelector('meta[name=csrf]').content;
async function refresh() {{
  const r = await fetch('/api/counter'); if (!r.ok) return;
  const s = (await r.json()).state;
  document.getElementById('number').textContent = s.ticket ? s.ticket.number : '—';
  document.getElementById('service').textContent = s.ticket ? (s.ticket.service_name || '') : '';
  document.getElementById('status').textContent = s.paused ? 'Quầy đang tạm dừng' : '';
  document.getElementById('waiting').innerHTML = '';
  for (const w of s.waiting) {{ const li = document.createElement('li'); li.textContent = w.name + ': ' + w.waiting; document.getElementById('waiting').appendChild(li); }}
}}
async function act(action) {{
  const body = {{}};
  if (action === 'transfer') body.to = document.getElementById('to').value;
  if (action === 'call-number') body.number = document.getElementById('num').value;
  const r = await fetch('/api/counter/' + action, {{method: 'POST', headers: {{'Content-Type': 'application/json', 'X-CSRF-Token': csrf}}, body: JSON.stringify(body)}});
  const j = await r.json();
  document.getElementById('message').textContent = r.ok ? '' : j.error;
  if (r.ok && action === 'call' && !j.ticket) document.getElementById('message').textContent = 'Không có công dân nào đang chờ';
  refresh();
}}
for (const b of document.querySelectorAll('button[data-action]')) b.addEventListener('click', () => act(b.dataset.action));
document.addEventListener('keydown', e => {{ const b = document.querySelector('button[data-key="' + e.key + '"]'); if (b) {{ e.preventDefault(); b.click(); }} }});
const es = new EventSource('/api/events');
for (const k of ['called','recalled','started','finished','no_show','held','unheld','reactivated','transferred','cancelled','issued','voided']) es.addEventListener(k, refresh);
refresh();
</script></body></html>"#,
        counter = html_escape(&counter_name),
        office = html_escape(&st.cfg.office.name),
        csrf = s.csrf,
        login = html_escape(&s.login),
    );
    Html(body).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = r#"<style>
body{font-family:"Noto Sans",sans-serif;margin:0;background:#f2f5f9;color:#111827}
header{background:#0b3d91;color:#fff;display:flex;gap:24px;align-items:center;padding:12px 24px}
header h1{margin:0;font-size:32px}header form{margin-left:auto}
main{padding:24px;max-width:1100px}
.current{background:#fff;border-radius:12px;padding:16px;margin-bottom:16px}
#number{font-size:96px;font-weight:700;color:#1b5e20}
.buttons{display:flex;flex-wrap:wrap;gap:12px;align-items:center}
button{font-size:22px;padding:14px 20px;border-radius:10px;border:0;background:#0b4f9c;color:#fff;cursor:pointer}
button.small{font-size:16px;padding:8px 12px;background:#374151}
kbd{font-size:14px;background:#ffffff33;border-radius:4px;padding:2px 6px}
select,input{font-size:20px;padding:10px}
.login{max-width:420px;margin:60px auto;background:#fff;padding:24px;border-radius:12px}
.login label{display:block;margin:12px 0}.login input,.login select{width:100%;box-sizing:border-box}
#message{color:#b71c1c;font-size:20px}
</style>"#;
