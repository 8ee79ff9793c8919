//! Screens an office already owns, in their browsers: the waiting-room board on a TV
//! (`/board`), the rating tablet of a counter (`/rate/N`), pairing them once (`/pair`), and
//! what those pages load: `/web/…` (script, style, fonts) and the spoken call
//! `/voice/call.wav`. Nothing comes from the internet; there is no build step.
//!
//! A browser cannot send `Authorization` on an `EventSource`, so a paired browser keeps a device
//! token in an HttpOnly cookie ([`DEVICE_COOKIE`]): the device's own token typed once, or a token
//! the server makes for that browser when it types a code from `counter pair`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use motcua::api::{BoardPage, CounterName, RatePage, ServiceName};
use motcua::config::{ASK_REASON_AT_OR_BELOW, DeviceRole};
use serde::Deserialize;

use super::AppState;
use super::auth::{Device, device_token};
use super::error::ApiError;
use super::extract::{DEVICE_COOKIE, Peer, Reader, bearer_token, cookie, device_by_token, session};
use super::login::form_field;
use crate::pages::{self, html_escape};

/// Digits in a pairing code.
pub const PAIRING_CODE_DIGITS: usize = 8;
/// How long a pairing code made by `counter pair` can be used.
pub const PAIRING_CODE_MINUTES: i64 = 15;
/// A paired browser keeps its cookie this long (ten years: the TV is paired once).
const DEVICE_COOKIE_MAX_AGE: u64 = 10 * 365 * 24 * 3600;
/// How long the rating tablet thanks the citizen before it goes back to the counter's screen.
const THANKS_MS: u64 = 4000;

/// The device of the browser's cookie (or of `Authorization: Bearer`, as the API takes it).
async fn browser_device(st: &AppState, headers: &HeaderMap) -> Option<Device> {
    let token = bearer_token(headers)
        .flatten()
        .or_else(|| cookie(headers, DEVICE_COOKIE))?;
    device_by_token(st, &token).await
}

/// A page of the browser screens: their style sheet, `body` in a `<body class=…>`.
fn page(title: &str, class: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><link rel="stylesheet" href="/web/screens.css"></head>
<body class="{class}">{body}</body></html>"#,
        title = html_escape(title),
    )
}

/// A full-screen page of a device: the office's data in `#config` for its script.
fn screen(
    title: &str,
    class: &str,
    config: &impl serde::Serialize,
    body: &str,
    script: &str,
) -> String {
    // `</` cannot end the script element early: JSON allows `<\/`.
    let config = serde_json::to_string(config)
        .expect("page data serialises")
        .replace("</", "<\\/");
    page(
        title,
        class,
        &format!(
            r#"{body}<script type="application/json" id="config">{config}</script><script src="/web/{script}"></script>"#
        ),
    )
}

/// A device page's short message (wrong device, not paired).
fn notice(st: &AppState, status: StatusCode, text: &str) -> Response {
    (status, Html(pages::message(&st.cfg, text))).into_response()
}

fn event_kinds() -> Vec<String> {
    serde_json::from_str(pages::EVENT_KINDS).expect("EVENT_KINDS is a JSON list of names")
}

/// `GET /board`: the waiting-room board, for a board device or a signed-in officer.
pub(super) async fn board(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if session(&st, &headers).is_none() {
        match browser_device(&st, &headers).await {
            Some(d) if d.role == DeviceRole::Board => {}
            Some(d) => {
                return notice(
                    &st,
                    StatusCode::FORBIDDEN,
                    &format!("Thiết bị {} không phải màn hình gọi số", d.name),
                );
            }
            None => return Redirect::to("/pair").into_response(),
        }
    }
    let cfg = &st.cfg;
    // Day names from Sunday, as JavaScript's getDay() counts.
    let config = BoardPage {
        office: cfg.office.name.clone(),
        timezone: cfg.office.timezone.name().to_string(),
        weekdays: (0..7u8)
            .map(|i| chrono::Weekday::try_from((i + 6) % 7).expect("0..7 is a weekday"))
            .map(|d| motcua::vi::weekday(d).to_string())
            .collect(),
        blink_ms: cfg.board.blink.as_millis() as u64,
        counters: cfg
            .counters
            .iter()
            .map(|c| CounterName {
                number: c.number,
                name: c.name.clone(),
            })
            .collect(),
        services: cfg
            .services
            .iter()
            .map(|s| ServiceName {
                code: s.code.clone(),
                name: s.name.clone(),
            })
            .collect(),
        event_kinds: event_kinds(),
    };
    let body = format!(
        r#"<header><h1 id="office">{office}</h1><div id="clock"><span id="time"></span><span id="date"></span></div></header>
<div id="offline" role="alert" hidden>Mất kết nối với máy chủ – đang kết nối lại…</div>
<main><section id="counters"><table><thead><tr><th>Quầy</th><th>Số</th><th>Lĩnh vực</th></tr></thead><tbody id="rows"></tbody></table></section>
<aside><section id="latest" class="panel latest"><p class="label">Mời công dân có số</p><p id="latest-number">—</p><p id="latest-counter"></p></section>
<div class="lower"><section class="panel"><h2>Số vừa gọi</h2><ol id="history"></ol></section><section class="panel"><h2>Đang chờ</h2><ul id="waiting"></ul></section></div></aside></main>
<footer><span id="notice">{notice}</span></footer>
<button id="sound" type="button" hidden>Bật âm thanh</button>"#,
        office = html_escape(&cfg.office.name),
        notice = html_escape(&cfg.board.notice),
    );
    Html(screen(
        &cfg.office.name,
        "board",
        &config,
        &body,
        "board.js",
    ))
    .into_response()
}

/// `GET /rate/{counter}`: the rating tablet of that counter (a `rating` device bound to it).
pub(super) async fn rate(
    State(st): State<AppState>,
    Path(counter): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(d) = browser_device(&st, &headers).await else {
        return Redirect::to("/pair").into_response();
    };
    let n = match super::rating::own_counter(&st, &d, &counter) {
        Ok(n) => n,
        Err(e) => return notice(&st, e.status, &e.message),
    };
    let cfg = &st.cfg;
    let name = cfg.counter(n).map(|c| c.name.clone()).unwrap_or_default();
    let config = RatePage {
        counter: n,
        ask_reason_at_or_below: ASK_REASON_AT_OR_BELOW,
        thanks_ms: THANKS_MS,
        event_kinds: event_kinds(),
    };
    let buttons: String = pages::RATINGS
        .iter()
        .enumerate()
        .map(|(i, label)| {
            format!(
                r#"<button type="button" class="s{s}" data-score="{s}"><b>{s}</b>{label}</button>"#,
                s = i + 1
            )
        })
        .collect();
    let reasons: String = cfg
        .rating
        .reasons
        .iter()
        .map(|r| {
            let r = html_escape(r);
            format!(r#"<button type="button" data-reason="{r}">{r}</button>"#)
        })
        .collect();
    let body = format!(
        r#"<header><h1>{counter}</h1><span>{office}</span></header>
<div id="offline" role="alert" hidden>Mất kết nối với máy chủ – đang kết nối lại…</div>
<section id="idle"><p id="serving-label">Chưa gọi số</p><p class="big" id="serving">—</p><p id="officer"></p></section>
<section id="ask" hidden><p>Số <b id="ask-number"></b>: ông/bà có hài lòng với sự phục vụ?</p><div class="buttons">{buttons}</div><p class="left"></p></section>
<section id="reason" hidden><p>Xin ông/bà cho biết điều chưa hài lòng</p><div class="reasons">{reasons}</div><p class="left"></p></section>
<section id="thanks" hidden><p id="thanks-text"></p></section>"#,
        counter = html_escape(&name),
        office = html_escape(&cfg.office.name),
    );
    Html(screen(&name, "rate", &config, &body, "rate.js")).into_response()
}

/// The pairing form, with why the last code was refused.
fn pair_form(st: &AppState, status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<main><h1>{office}</h1><p>Ghép nối màn hình hoặc máy tính bảng với máy chủ</p>
<p id="message" role="alert">{message}</p>
<form method="post" action="/pair"><input name="code" inputmode="numeric" autocomplete="off" autofocus required aria-label="Mã ghép nối" placeholder="Mã ghép nối">
<button type="submit">Ghép nối</button></form>
<p>Mã ghép nối gồm {PAIRING_CODE_DIGITS} chữ số, do bộ phận CNTT tạo trên máy chủ bằng lệnh <code>counter pair --name TÊN-THIẾT-BỊ</code>; dùng được một lần trong {PAIRING_CODE_MINUTES} phút. Có thể nhập cả mã thiết bị (token).</p></main>"#,
        office = html_escape(&st.cfg.office.name),
        message = html_escape(message),
    );
    let title = format!("Ghép nối – {}", st.cfg.office.name);
    (status, Html(page(&title, "pair", &body))).into_response()
}

/// `GET /pair`.
pub(super) async fn pair_page(State(st): State<AppState>) -> Response {
    pair_form(&st, StatusCode::OK, "")
}

/// `POST /pair`: a pairing code (or the device's own token) → the device cookie, and on to
/// the device's page.
pub(super) async fn pair(
    State(st): State<AppState>,
    peer: Peer,
    body: axum::body::Bytes,
) -> Response {
    // Tokens and codes need no URL decoding (a-z, 0-9, '.', '-', '_'); a code may be typed in
    // groups ("4829 1736", "4829-1736").
    let raw = form_field(&body, "code").unwrap_or("").trim_matches('+');
    // Guessing codes is limited like guessing PINs, per address.
    let key = format!(
        "#pair {}",
        peer.0.map_or("-".to_string(), |a| a.ip().to_string())
    );
    if let Err(l) = st.auth.failures.begin(&key) {
        let minutes = l.remaining.as_secs().div_ceil(60);
        return pair_form(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút."),
        );
    }
    let found = if raw.contains('.') {
        device_by_token(&st, raw)
            .await
            .map(|d| (d, Pairing::OwnToken(raw.to_string())))
    } else {
        let code: String = raw.chars().filter(|c| !matches!(c, '+' | '-')).collect();
        code_owner(&st, &code).await
    };
    let Some((d, how)) = found else {
        tracing::warn!(%peer, "pairing refused: wrong or expired code");
        return pair_form(
            &st,
            StatusCode::UNAUTHORIZED,
            "Mã ghép nối không đúng hoặc đã hết hạn",
        );
    };
    st.auth.failures.succeeded(&key);
    // A kiosk is refused before anything is paired: no token is made for it.
    let to = match (d.role, d.counter) {
        (DeviceRole::Board, _) => "/board".to_string(),
        (DeviceRole::Rating, Some(n)) => format!("/rate/{n}"),
        _ => {
            return pair_form(
                &st,
                StatusCode::FORBIDDEN,
                &format!(
                    "Thiết bị {} là máy cấp số: dùng chương trình kiosk, không dùng trình duyệt",
                    d.name
                ),
            );
        }
    };
    let token = match how {
        Pairing::OwnToken(t) => t,
        Pairing::Code(code_hash) => match mint(&st, &d.name, code_hash).await {
            Some(t) => t,
            // Another browser typed the same code first.
            None => {
                return pair_form(
                    &st,
                    StatusCode::UNAUTHORIZED,
                    "Mã ghép nối không đúng hoặc đã hết hạn",
                );
            }
        },
    };
    tracing::info!(device = %d.name, %peer, "browser paired");
    let mut r = Redirect::to(&to).into_response();
    let c = format!(
        "{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={DEVICE_COOKIE_MAX_AGE}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// How a browser proved it may be a device.
enum Pairing {
    /// It typed the device's own token: that token becomes its cookie.
    OwnToken(String),
    /// It typed a pairing code (this is its hash): a token is made for the browser.
    Code(String),
}

/// The device whose unexpired pairing code is `code`.
async fn code_owner(st: &AppState, code: &str) -> Option<(Device, Pairing)> {
    if code.len() != PAIRING_CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = st.now();
    let codes = st.read(move |s| s.pairing_codes(now)).await.ok()?;
    let c = code.to_string();
    let (name, code_hash) = st
        .auth
        .hasher
        .run(move || {
            codes
                .into_iter()
                .find(|(_, h)| motcua::secret::verify(&c, h))
        })
        .await??;
    let dev = st.cfg.devices.iter().find(|d| d.name == name)?;
    Some((
        Device {
            name,
            role: dev.role,
            counter: dev.counter,
        },
        Pairing::Code(code_hash),
    ))
}

/// Uses up the pairing code of `name` and makes this browser's token, kept only as a hash;
/// `None` when the code was taken meanwhile.
async fn mint(st: &AppState, name: &str, code_hash: String) -> Option<String> {
    let device_hash = st
        .cfg
        .devices
        .iter()
        .find(|d| d.name == name)?
        .token_hash
        .clone();
    let (token, token_hash) = device_token(name).ok()?;
    let (n, now) = (name.to_string(), st.now());
    st.write(move |s| s.pair_browser(&n, &code_hash, &token_hash, &device_hash, now))
        .await
        .ok()?
        .then_some(token)
}

/// `GET /web/{file}`: the pages' script, style and fonts, embedded in the binary.
pub(super) async fn asset(Path(file): Path<String>) -> Response {
    let (kind, bytes, cache): (&str, &'static [u8], &str) = match file.as_str() {
        "board.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../web/board.js"),
            "no-cache",
        ),
        "rate.js" => (
            "text/javascript; charset=utf-8",
            include_bytes!("../../web/rate.js"),
            "no-cache",
        ),
        "screens.css" => (
            "text/css; charset=utf-8",
            include_bytes!("../../web/screens.css"),
            "no-cache",
        ),
        "NotoSans-Regular.ttf" => ("font/ttf", motcua::raster::REGULAR_TTF, "max-age=604800"),
        "NotoSans-Bold.ttf" => ("font/ttf", motcua::raster::BOLD_TTF, "max-age=604800"),
        _ => return ApiError::no_route().into_response(),
    };
    (
        [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct CallQuery {
    number: String,
    counter: u32,
}

/// The longest ticket number spoken.
const MAX_NUMBER_LEN: usize = 12;

/// `GET /voice/call.wav?number=1005&counter=3`: the chime and "Mời công dân có số thứ tự 1 0 0 5,
/// một nghìn không trăm linh năm, đến quầy số 3, quầy 3", as the native board says it (the same
/// clips, `[board] voice_dir` included).
pub(super) async fn call_wav(
    State(st): State<AppState>,
    _who: Reader,
    q: Result<Query<CallQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|_| ApiError::bad("Cần số thứ tự (number) và quầy (counter)"))?;
    if q.number.is_empty()
        || q.number.len() > MAX_NUMBER_LEN
        || !q.number.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiError::bad("Số thứ tự không hợp lệ"));
    }
    st.cfg.counter(q.counter)?;
    let voice = st.voice.clone();
    let wav = tokio::task::spawn_blocking(move || {
        motcua::voice::wav_bytes(&voice.render(&motcua::voice::script(&q.number, q.counter)))
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        wav,
    )
        .into_response())
}
