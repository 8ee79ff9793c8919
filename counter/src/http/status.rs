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

/// The ticket behind a status-page token, with the tickets waiting before it and its rating.
async fn ticket_status(
    st: &AppState,
    token: String,
) -> Result<(motcua::Ticket, u32, Option<u8>), ApiError> {
    let not_found = || ApiError::not_found("Không tìm thấy phiếu này");
    if token.is_empty()
        || token.len() > MAX_TICKET_TOKEN_LEN
        || !token.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(not_found());
    }
    let found = st
        .read(move |s| {
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
fn citizen_error(st: &AppState, e: ApiError) -> Response {
    (e.status, Html(pages::message(&st.cfg, &e.message))).into_response()
}

/// `GET /t/{token}`.
pub(super) async fn page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    match ticket_status(&st, token).await {
        Ok((t, ahead, rating)) => {
            Html(pages::status(&st.cfg, &t, ahead, rating, None)).into_response()
        }
        Err(e) => citizen_error(&st, e),
    }
}

/// `POST /t/{token}/rate`: a citizen rates a served ticket, once.
pub(super) async fn rate(
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
    let now = st.now();
    match st.write(move |s| s.rate(id, score, now)).await {
        Ok(()) => {
            tracing::info!(number = %t.number, score, "rated");
            Redirect::to(&format!("/t/{}", t.token)).into_response()
        }
        Err(e) => refused(e.status, &e.message),
    }
}
