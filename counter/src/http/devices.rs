//! What boards and kiosks on the LAN use: the queue state and issuing a ticket.

use axum::Json;
use axum::extract::State;
use motcua::api::{self, IssueBody, QueueState};

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, KioskDevice, Reader};

/// `GET /api/state`: waiting counts with the estimated wait of a ticket taken now, each
/// counter's current ticket, paused counters, and where today's events start.
pub(super) async fn state(
    State(st): State<AppState>,
    _: Reader,
) -> Result<Json<QueueState>, ApiError> {
    let cfg = st.cfg.clone();
    let now = st.now();
    let v = st
        .read(move |s| {
            let mut v = QueueState::of(&s.state(now)?, &cfg);
            v.day_start_event_id = Some(s.day_start_event_id(now)?);
            v.set_waits(&s.service_estimates(now)?);
            Ok(v)
        })
        .await?;
    Ok(Json(v))
}

/// `GET /api/clock`: the server's time and whether its clock is synchronised.
pub(super) async fn clock(State(st): State<AppState>, _: Reader) -> Json<api::ClockNow> {
    Json(api::ClockNow {
        now: api::OfficeTime::of(st.now(), &st.cfg),
        synchronised: st.clock.synchronised(),
    })
}

/// `POST /api/tickets`: a kiosk device issues a ticket (it prints the ticket itself, so the
/// answer carries the status page address for the QR code). With `"print": true` the ticket
/// stays print pending until the kiosk reports back (`/api/kiosk/tickets/{id}/printed`).
pub(super) async fn issue(
    State(st): State<AppState>,
    KioskDevice(d): KioskDevice,
    Body(body): Body<IssueBody>,
) -> Result<Json<api::Issued>, ApiError> {
    let service = body
        .service
        .ok_or_else(|| ApiError::bad("Vui lòng chọn lĩnh vực"))?;
    let now = st.now();
    let t = st
        .write(move |s| {
            if body.print {
                s.issue_for_print_by(&service, body.priority.as_deref(), &d.name, now)
            } else {
                s.issue(&service, body.priority.as_deref(), now)
            }
        })
        .await?;
    let id = t.id;
    // The ticket is committed: a failed estimate leaves only the wait out of the answer.
    let wait = st
        .read(move |s| s.estimate(&motcua::estimate::Target::Ticket(id), now))
        .await
        .ok();
    Ok(Json(api::Issued {
        ticket: api::Ticket::of(&t, &st.cfg),
        printed: false,
        wait,
    }))
}
