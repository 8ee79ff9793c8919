//! Sign-in and sign-out. The sign-in form carries a CSRF token in a cookie and a field (double
//! submit); every attempt is counted before its PIN is checked.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{MAX_LOGIN_LEN, SignIn, token};
use super::error::ApiError;
use super::extract::{CSRF_HEADER, Peer, SESSION_COOKIE, cookie, session};
use crate::pages;

/// Name of the login form's CSRF cookie (double submit).
const LOGIN_CSRF_COOKIE: &str = "motcua_login_csrf";

/// A field of a URL-encoded form body whose values need no decoding (hex tokens, digits).
pub fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(body).ok()?.split('&').find_map(|kv| {
        kv.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
    })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    pin: String,
    counter: u32,
    csrf: String,
}

/// `GET /login`.
pub(super) async fn page(State(st): State<AppState>) -> Response {
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

/// `POST /login`: to the console or monitor, or the form again saying what is wrong.
pub(super) async fn submit(
    State(st): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result = match form {
        Ok(Form(f)) => sign_in(&st, &headers, peer, f).await,
        Err(_) => Err(ApiError::bad(
            "Vui lòng nhập tài khoản, mã PIN và chọn quầy",
        )),
    };
    result.unwrap_or_else(|e| login_form(&st, e.status, Some(&e.message)))
}

async fn sign_in(
    st: &AppState,
    headers: &HeaderMap,
    peer: Peer,
    f: LoginForm,
) -> Result<Response, ApiError> {
    if cookie(headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str()) {
        return Err(ApiError::forbidden(
            "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
        ));
    }
    let wrong = || ApiError::new(StatusCode::UNAUTHORIZED, "Tài khoản hoặc mã PIN không đúng");
    if f.login.is_empty() || f.login.len() > MAX_LOGIN_LEN {
        return Err(wrong());
    }
    // Logins are case-insensitive: `LAN` and `lan` are one account and one failure count.
    let asked = f.login.to_lowercase();
    // Counter 0: a supervisor watching the monitor without sitting at a counter.
    let counter = (f.counter != 0).then_some(f.counter);
    if let Some(c) = counter {
        st.cfg.counter(c)?;
    }
    if let Err(locked) = st.auth.failures.begin(&asked) {
        tracing::warn!(login = %asked, client = %peer, "sign-in refused: login locked");
        let minutes = locked.remaining.as_secs().div_ceil(60).max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Đăng nhập sai quá nhiều lần, vui lòng thử lại sau {minutes} phút"),
        ));
    }
    let login = asked.clone();
    let officer = st.read(move |s| s.officer(&login)).await?;
    let officer = officer.filter(|o| !o.disabled);
    let weak_pin = !motcua::secret::is_strong(&f.pin);
    // An unknown or disabled login costs the same argon2 check as a wrong PIN.
    let right = st
        .auth
        .check_pin(f.pin, officer.as_ref().map(|o| o.pin_hash.clone()))
        .await;
    let Some(o) = officer.filter(|_| right) else {
        tracing::warn!(login = %asked, client = %peer, "sign-in failed");
        return Err(wrong());
    };
    st.auth.failures.succeeded(&asked);
    if counter.is_none() && !matches!(o.role, motcua::config::Role::Supervisor) {
        return Err(ApiError::bad("Vui lòng chọn quầy bạn đang ngồi"));
    }
    let (s, left) = st
        .auth
        .sessions
        .start(SignIn {
            login: &o.login,
            role: o.role,
            counter,
            pin_hash: &o.pin_hash,
            weak_pin,
        })
        .map_err(|other| {
            ApiError::new(
                StatusCode::CONFLICT,
                format!("Quầy {} đang được cán bộ {other} sử dụng", f.counter),
            )
        })?;
    // Events at the counter now carry this officer (reports per officer).
    let login = o.login.clone();
    let recorded = st
        .write(move |store| {
            for c in left {
                store.set_counter_officer(c, None)?;
            }
            match counter {
                Some(c) => store.set_counter_officer(c, Some(&login)),
                None => Ok(()),
            }
        })
        .await;
    if let Err(e) = recorded {
        // Not recorded: the sign-in did not happen, and the counter stays free.
        st.auth.sessions.end(&s.id);
        return Err(e);
    }
    tracing::info!(login = %o.login, counter, client = %peer, weak_pin, "signed in");
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
                format!(
                    "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                    s.id
                ),
            ),
            (header::LOCATION, home.to_string()),
        ],
    )
        .into_response())
}

/// `POST /logout`: ends the session and frees its counter.
pub(super) async fn logout(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let s = session(&st, &headers).ok_or_else(ApiError::signed_out)?;
    // The sign-out form posts the CSRF token as a field (hex, never URL-encoded); scripts may
    // send the header instead.
    let sent = form_field(&body, "csrf")
        .or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()));
    if sent != Some(s.csrf.as_str()) {
        return Err(ApiError::bad_csrf());
    }
    st.auth.sessions.end(&s.id);
    tracing::info!(login = %s.login, counter = s.counter, "signed out");
    if let Some(c) = s.counter {
        st.write(move |store| store.set_counter_officer(c, None))
            .await?;
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
