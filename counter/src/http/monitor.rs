//! The supervisor's monitor: every counter, waiting per service, the waiting list, and cancel or
//! transfer of any ticket.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use motcua::api::{self, DeviceState, Monitor, MonitorCounter, MonitorService};
use motcua::{Action, Status};

use super::AppState;
use super::console::transfer_to;
use super::error::ApiError;
use super::extract::{Body, PageUser, Supervisor, SupervisorWrite};
use crate::pages;

/// `GET /api/monitor`.
pub(super) async fn monitor(
    State(st): State<AppState>,
    Supervisor(_): Supervisor,
) -> Result<Json<Monitor>, ApiError> {
    let officers = st.auth.sessions.officers();
    let cfg = st.cfg.clone();
    let now = st.now();
    let staff = st.clone();
    let m = st
        .read(move |store| {
            let state = store.state(now)?;
            let mut waiting: Vec<_> = store
                .tickets_of_day(state.business_date)?
                .into_iter()
                .filter(|t| matches!(t.status, Status::Waiting | Status::Held))
                .collect();
            waiting.sort_by_key(|t| t.id);
            let services = state
                .waiting
                .iter()
                .map(|(code, n)| MonitorService {
                    service: code.clone(),
                    name: cfg.service(code).map(|s| s.name.clone()).ok(),
                    waiting: *n,
                    longest_wait_s: waiting
                        .iter()
                        .filter(|t| &t.service == code && t.status == Status::Waiting)
                        .map(|t| (now - t.queue_at).num_seconds().max(0))
                        .max(),
                })
                .collect();
            let counters = state
                .counters
                .iter()
                .map(|(n, t)| MonitorCounter {
                    counter: *n,
                    name: cfg.counter(*n).map(|c| c.name.clone()).ok(),
                    officer: officers.get(n).cloned(),
                    paused: state.paused.contains(n),
                    ticket: t.as_ref().map(|t| staff.staff_ticket(t)),
                })
                .collect();
            let devices = store
                .device_statuses()?
                .into_iter()
                .map(|d| DeviceState {
                    device: d.device,
                    status: d.status,
                    detail: d.detail,
                })
                .collect();
            Ok(Monitor {
                counters,
                services,
                waiting: waiting.iter().map(|t| staff.staff_ticket(t)).collect(),
                devices,
            })
        })
        .await?;
    Ok(Json(m))
}

/// `POST /api/tickets/{id}/{cancel|transfer}`: a supervisor acts on any of today's tickets.
pub(super) async fn ticket_action(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    SupervisorWrite(_): SupervisorWrite,
    Body(body): Body<api::ActionBody>,
) -> Result<Json<api::TicketReply>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("Mã phiếu không hợp lệ"))?;
    let a = match action.as_str() {
        "cancel" => Action::Cancel,
        "transfer" => transfer_to(body.to)?,
        _ => return Err(ApiError::no_action()),
    };
    let now = st.now();
    let t = st.write(move |s| s.act_on_id(id, a, now)).await?;
    Ok(Json(api::TicketReply {
        ticket: Some(st.staff_ticket(&t)),
    }))
}

/// `GET /monitor`: the supervisor's page.
pub(super) async fn page(State(st): State<AppState>, PageUser(s): PageUser) -> Response {
    if !s.is_supervisor() {
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
