//! The rating tablet of a counter (`[[devices]] role = "rating"`, bound to one counter): what
//! it shows, and the ratings it takes. One rating per ticket, whichever device gives it first
//! (the citizen's phone still can, from the status page).

use axum::Json;
use axum::extract::{Path, State};
use motcua::api::{self, RateBody, RateState, TicketReply};
use motcua::config::ASK_REASON_AT_OR_BELOW;

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, RatingDevice};

/// The counter of the path, which must be the device's own.
pub(super) fn own_counter(
    st: &AppState,
    d: &super::auth::Device,
    counter: &str,
) -> Result<u32, ApiError> {
    let n: u32 = counter
        .parse()
        .map_err(|_| ApiError::not_found("Không có quầy này"))?;
    st.cfg.counter(n)?;
    match d.counter {
        Some(own) if own == n => Ok(n),
        Some(own) => Err(ApiError::forbidden(format!(
            "Máy đánh giá này thuộc quầy {own}, không dùng được cho quầy {n}"
        ))),
        None => Err(ApiError::forbidden(
            "Máy đánh giá này chưa gắn với quầy nào",
        )),
    }
}

/// `GET /api/rate/{counter}`: the counter, its officer and current ticket, and the ticket to
/// rate while `[rating] seconds` last after it was finished.
pub(super) async fn state(
    State(st): State<AppState>,
    Path(counter): Path<String>,
    RatingDevice(d): RatingDevice,
) -> Result<Json<RateState>, ApiError> {
    let n = own_counter(&st, &d, &counter)?;
    let now = st.now();
    let window = st.cfg.rating.show_for;
    let (current, officer, last) = st
        .read(move |s| {
            let state = s.state(now)?;
            let current = state
                .counters
                .into_iter()
                .find(|(c, _)| *c == n)
                .and_then(|(_, t)| t);
            Ok((current, s.counter_officer(n)?, s.last_finished(n, now)?))
        })
        .await?;
    let (to_rate, seconds_left) = match last {
        Some((t, at, false)) => {
            let left = window.as_secs() as i64 - (now - at).num_seconds();
            if left > 0 {
                (Some(st.staff_ticket(&t)), left as u32)
            } else {
                (None, 0)
            }
        }
        _ => (None, 0),
    };
    Ok(Json(RateState {
        counter: n,
        counter_name: st.cfg.counter(n)?.name.clone(),
        officer,
        current: current.map(|t| st.staff_ticket(&t)),
        to_rate,
        seconds_left,
        reasons: st.cfg.rating.reasons.clone(),
        ask_reason_at_or_below: ASK_REASON_AT_OR_BELOW,
    }))
}

/// `POST /api/rate/{counter}`: a citizen's mark at the counter, with a reason when it is low.
pub(super) async fn rate(
    State(st): State<AppState>,
    Path(counter): Path<String>,
    RatingDevice(d): RatingDevice,
    Body(b): Body<RateBody>,
) -> Result<Json<TicketReply>, ApiError> {
    let n = own_counter(&st, &d, &counter)?;
    let id = b
        .ticket
        .ok_or_else(|| ApiError::bad("Thiếu phiếu cần đánh giá"))?;
    let score = b
        .score
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| ApiError::bad("Mức đánh giá là từ 1 đến 5"))?;
    let reason = match b.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        _ if score > ASK_REASON_AT_OR_BELOW => None,
        None => return Err(ApiError::bad("Vui lòng chọn lý do chưa hài lòng")),
        Some(r) if st.cfg.rating.reasons.iter().any(|x| x == r) => Some(r.to_string()),
        Some(_) => return Err(ApiError::bad("Lý do không có trong danh sách")),
    };
    let now = st.now();
    let device = d.name.clone();
    let t = st
        .write(move |s| {
            let t = s.ticket(id)?;
            if t.counter != Some(n) {
                return Err(motcua::Error::NotAtCounter {
                    number: t.number,
                    counter: n,
                    elsewhere: t.counter,
                });
            }
            s.rate_with(id, score, reason.as_deref(), Some(&device), now)?;
            Ok(t)
        })
        .await?;
    tracing::info!(number = %t.number, score, counter = n, "rated at the counter");
    Ok(Json(TicketReply {
        ticket: Some(api::Ticket::of(&t, &st.cfg).for_staff()),
    }))
}
