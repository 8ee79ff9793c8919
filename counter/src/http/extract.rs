//! Who may do what, as extractors: a handler's arguments state its rule, and a request that
//! breaks it is refused before the handler runs (and before its body is read).
//!
//! - [`Staff`]: any signed-in officer or supervisor (reads);
//! - [`StaffWrite`]: the same with the session's CSRF token (every state change);
//! - [`Supervisor`], [`SupervisorWrite`]: supervisors only;
//! - [`Reader`]: a signed-in officer or a device with a token (queue state, events);
//! - [`KioskDevice`]: a device of the `kiosk` role (issues tickets);
//! - [`AtCounter`]: an officer acting at their own counter (a supervisor at any), with the
//!   action's JSON body;
//! - [`PageUser`]: a signed-in officer for an HTML page (signed out: a redirect to sign-in).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use motcua::api::ActionBody;
use motcua::config::DeviceRole;

use super::AppState;
use super::auth::{Device, Session};
use super::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "motcua_session";
/// The header carrying the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The largest JSON body an API route takes: every body is a few short fields.
pub const MAX_JSON_BODY: usize = 4 * 1024;

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The live session the request's cookie names.
pub fn session(st: &AppState, headers: &HeaderMap) -> Option<Session> {
    st.auth.sessions.touch(&cookie(headers, SESSION_COOKIE)?)
}

fn csrf_ok(s: &Session, headers: &HeaderMap) -> bool {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) == Some(s.csrf.as_str())
}

/// Any signed-in officer or supervisor.
pub struct Staff(pub Session);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        session(st, &p.headers)
            .map(Staff)
            .ok_or_else(ApiError::signed_out)
    }
}

/// A signed-in officer or supervisor changing something: the session's CSRF token is required.
pub struct StaffWrite(pub Session);

impl FromRequestParts<AppState> for StaffWrite {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Staff(s) = Staff::from_request_parts(p, st).await?;
        if !csrf_ok(&s, &p.headers) {
            return Err(ApiError::bad_csrf());
        }
        Ok(StaffWrite(s))
    }
}

/// A signed-in supervisor.
pub struct Supervisor(pub Session);

impl FromRequestParts<AppState> for Supervisor {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let Staff(s) = Staff::from_request_parts(p, st).await?;
        if !s.is_supervisor() {
            return Err(ApiError::supervisors_only());
        }
        Ok(Supervisor(s))
    }
}

/// A signed-in supervisor changing something (CSRF checked).
pub struct SupervisorWrite(pub Session);

impl FromRequestParts<AppState> for SupervisorWrite {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let StaffWrite(s) = StaffWrite::from_request_parts(p, st).await?;
        if !s.is_supervisor() {
            return Err(ApiError::supervisors_only());
        }
        Ok(SupervisorWrite(s))
    }
}

/// Name of the cookie a paired browser (the TV's board, a rating tablet) keeps its device
/// token in.
pub const DEVICE_COOKIE: &str = "motcua_device";
/// A paired browser's changes carry this header: a form on another site cannot send it.
pub const DEVICE_HEADER: &str = "x-motcua-device";

/// The token of `Authorization: Bearer TOKEN`: `None` without the header, `Some(None)` for a
/// header of another form.
pub fn bearer_token(headers: &HeaderMap) -> Option<Option<String>> {
    let v = headers.get(header::AUTHORIZATION)?;
    Some(
        v.to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string()),
    )
}

/// The device presenting `Authorization: Bearer TOKEN` or, from a paired browser, the device
/// cookie: `None` without either.
async fn bearer(p: &Parts, st: &AppState) -> Option<Result<Device, ApiError>> {
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "Mã thiết bị không hợp lệ");
    let token = match bearer_token(&p.headers) {
        Some(Some(t)) => t,
        Some(None) => return Some(Err(refused())),
        None => {
            let t = cookie(&p.headers, DEVICE_COOKIE)?;
            if !p.method.is_safe() && !p.headers.contains_key(DEVICE_HEADER) {
                return Some(Err(ApiError::forbidden(
                    "Yêu cầu không đến từ trang của thiết bị",
                )));
            }
            t
        }
    };
    Some(device_by_token(st, &token).await.ok_or_else(refused))
}

/// The device of `token`: its own token or a browser paired as it.
pub async fn device_by_token(st: &AppState, token: &str) -> Option<Device> {
    let name = token.rsplit_once('.')?.0.to_string();
    let hash = st
        .cfg
        .devices
        .iter()
        .find(|d| d.name == name)?
        .token_hash
        .clone();
    let paired = async {
        st.read(move |s| s.paired_tokens(&name, &hash))
            .await
            .unwrap_or_default()
    };
    st.auth.device(&st.cfg, token, paired).await
}

/// Who reads the queue: a signed-in officer or a device.
pub enum Reader {
    /// An officer or supervisor.
    Staff(Session),
    /// A board or kiosk.
    Device(Device),
}

impl Reader {
    /// Who, for the log.
    pub fn who(&self) -> String {
        match self {
            Reader::Staff(s) => s.login.clone(),
            Reader::Device(d) => format!("device {}", d.name),
        }
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        if let Some(s) = session(st, &p.headers) {
            return Ok(Reader::Staff(s));
        }
        match bearer(p, st).await {
            Some(d) => d.map(Reader::Device),
            None => Err(ApiError::signed_out()),
        }
    }
}

/// The device presenting a token of `role`: 403 `other` for a device of another role, 401
/// `none` without a token.
async fn device_of(
    p: &Parts,
    st: &AppState,
    role: DeviceRole,
    other: &str,
    none: &str,
) -> Result<Device, ApiError> {
    match bearer(p, st).await {
        Some(Ok(d)) if d.role == role => Ok(d),
        Some(Ok(_)) => Err(ApiError::forbidden(other)),
        Some(Err(e)) => Err(e),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, none)),
    }
}

/// A device of the `kiosk` role.
pub struct KioskDevice(pub Device);

impl FromRequestParts<AppState> for KioskDevice {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        device_of(
            p,
            st,
            DeviceRole::Kiosk,
            "Thiết bị này không được phép cấp số",
            "Chỉ máy cấp số (kiosk) được cấp số qua API",
        )
        .await
        .map(KioskDevice)
    }
}

/// A device of the `rating` role (the rating tablet of its counter).
pub struct RatingDevice(pub Device);

impl FromRequestParts<AppState> for RatingDevice {
    type Rejection = ApiError;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        const ONLY: &str = "Chỉ máy đánh giá tại quầy được làm việc này";
        device_of(p, st, DeviceRole::Rating, ONLY, ONLY)
            .await
            .map(RatingDevice)
    }
}

/// A JSON body of at most [`MAX_JSON_BODY`] bytes; empty, `null` and `{}` are the default.
pub struct Body<T>(pub T);

impl<T> FromRequest<AppState> for Body<T>
where
    T: Default + serde::de::DeserializeOwned,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, st)
            .await
            .map_err(|_| ApiError::bad_body())?;
        if bytes.len() > MAX_JSON_BODY {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Dữ liệu gửi lên quá lớn",
            ));
        }
        match bytes.trim_ascii() {
            b"" | b"null" | b"{}" => Ok(Body(T::default())),
            raw => serde_json::from_slice(raw)
                .map(Body)
                .map_err(|_| ApiError::bad_body()),
        }
    }
}

/// The counter a session acts on: its own, or (supervisors only) the one asked for.
pub fn target_counter(s: &Session, asked: Option<u32>) -> Result<u32, ApiError> {
    match (asked, s.counter) {
        (Some(a), _) if s.is_supervisor() => Ok(a),
        (Some(a), Some(own)) if a != own => Err(ApiError::forbidden(format!(
            "Bạn đang làm việc ở quầy {own}, không thể thao tác cho quầy {a}"
        ))),
        (_, Some(own)) => Ok(own),
        (_, None) => Err(ApiError::bad("Vui lòng chọn quầy")),
    }
}

/// An officer acting at their own counter (a supervisor at any configured counter), with the
/// action's body. The session and its CSRF token are checked before the body is read.
pub struct AtCounter {
    /// Who acts.
    pub session: Session,
    /// Where: a configured counter.
    pub counter: u32,
    /// The rest of the body.
    pub body: ActionBody,
}

impl FromRequest<AppState> for AtCounter {
    type Rejection = ApiError;
    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let StaffWrite(session) = StaffWrite::from_request_parts(&mut parts, st).await?;
        let Body(body) =
            Body::<ActionBody>::from_request(Request::from_parts(parts, body), st).await?;
        let counter = target_counter(&session, body.counter)?;
        st.cfg.counter(counter)?;
        Ok(AtCounter {
            session,
            counter,
            body,
        })
    }
}

/// A signed-in officer opening an HTML page; signed out, the browser goes to sign-in.
pub struct PageUser(pub Session);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(p: &mut Parts, st: &AppState) -> Result<Self, Response> {
        session(st, &p.headers)
            .map(PageUser)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// The client's address, for the log ("-" when the connection did not say, as in tests).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<std::net::SocketAddr>);

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => write!(f, "{a}"),
            None => f.write_str("-"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(p: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            p.extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}
