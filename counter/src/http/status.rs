//! The citizen's status page behind the ticket's QR code (public: the token is the key) and the
//! one rating per served ticket.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::AppState;
use super::error::ApiError;
use super::login::form_field;
use crate::pages;

/// The longest ticket token accepted (the store makes 24 hex digits).
const MAX_TICKET_TOKEN_LEN: usize = 64;

/// What the status page shows of one ticket: the ticket, the tickets waiting before it, its
/// rating, and while it waits the estimated wait from now.
struct Found {
    ticket: motcua::Ticket,
    ahead: u32,
    rating: Option<u8>,
    wait: Option<motcua::estimate::Estimate>,
}

/// The ticket behind a status-page token, and what its page shows.
async fn ticket_status(st: &AppState, token: String) -> Result<Found, ApiError> {
    let not_found = || ApiError::not_found("Không tìm thấy phiếu này");
    if token.is_empty()
        || token.len() > MAX_TICKET_TOKEN_LEN
        || !token.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(not_found());
    }
    let now = st.now();
    let found = st
        .read(move |s| {
            let Some(t) = s.ticket_by_token(&token)? else {
                return Ok(None);
            };
            let ahead = s.waiting_before(&t)?;
            let rating = s.rating(t.id)?;
            let wait = if t.status == motcua::Status::Waiting {
                Some(s.estimate(&motcua::estimate::Target::Ticket(t.id), now)?)
            } else {
                None
            };
            Ok(Some(Found {
                ticket: t,
                ahead,
                rating,
                wait,
            }))
        })
        .await?;
    found.ok_or_else(not_found)
}

/// An HTML page for a citizen's request that went wrong.
fn citizen_error(st: &AppState, e: ApiError) -> Response {
    (e.status, Html(pages::message(&st.cfg, &e.message))).into_response()
}

/// `GET /t/{token}`.
pub(super) async fn page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    match ticket_status(&st, token).await {
        Ok(f) => Html(pages::status(
            &st.cfg, &f.ticket, f.ahead, f.wait, f.rating, None,
        ))
        .into_response(),
        Err(e) => citizen_error(&st, e),
    }
}

/// `POST /t/{token}/rate`: a citizen rates a served ticket, once.
pub(super) async fn rate(
    State(st): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Found {
        ticket: t,
        ahead,
        rating,
        wait,
    } = match ticket_status(&st, token).await {
        Ok(found) => found,
        Err(e) => return citizen_error(&st, e),
    };
    let score = form_field(&body, "score")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    let refused = |code: StatusCode, message: &str| {
        (
            code,
            Html(pages::status(
                &st.cfg,
                &t,
                ahead,
                wait,
                rating,
                Some(message),
            )),
        )
            .into_response()
    };
    let Some(score) = score else {
        return refused(StatusCode::BAD_REQUEST, "Vui lòng chọn một mức đánh giá");
    };
    let id = t.id;
    let now = st.now();
    match st.write(move |s| s.rate(id, score, now)).await {
        Ok(()) => {
            tracing::info!(number = %t.number, score, "rated");
            Redirect::to(&format!("/t/{}", t.token)).into_response()
        }
        Err(e) => refused(e.status, &e.message),
    }
}
