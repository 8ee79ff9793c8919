//! What a kiosk device on the LAN (`kiosk --server URL`) uses besides `POST /api/tickets`: it
//! prints the tickets the server issues and reports back, and at start-up handles the ones it
//! never printed. A kiosk device acts only on tickets it printed, except `reprinted` (staff
//! print a lost slip again at any kiosk).

use axum::Json;
use axum::extract::{Path, Query, State};
use motcua::api::{self, PrinterReport, TicketReply, Unprinted, UnprintedList};

use super::AppState;
use super::error::ApiError;
use super::extract::{Body, KioskDevice};

/// The device name of a kiosk device's printer in the device status table.
pub fn printer_device(kiosk: &str) -> String {
    format!("printer:{kiosk}")
}

/// Longest printer status detail kept.
const MAX_DETAIL_CHARS: usize = 300;

fn not_ours() -> ApiError {
    ApiError::not_found("Không tìm thấy phiếu do máy này in")
}

/// `GET /api/kiosk/unprinted`: this kiosk's tickets of today that were committed for printing
/// but never marked printed, oldest first.
pub(super) async fn unprinted(
    State(st): State<AppState>,
    KioskDevice(d): KioskDevice,
) -> Result<Json<UnprintedList>, ApiError> {
    let now = st.now();
    let cfg = st.cfg.clone();
    let list = st
        .read(move |s| s.unprinted(Some(&d.name), now))
        .await?
        .into_iter()
        .map(|(t, told)| Unprinted {
            ticket: api::Ticket::of(&t, &cfg),
            told,
        })
        .collect();
    Ok(Json(UnprintedList { tickets: list }))
}

/// `?number=…&service=…` of `GET /api/kiosk/tickets`.
#[derive(serde::Deserialize)]
pub(super) struct Find {
    number: String,
    service: Option<String>,
}

/// `GET /api/kiosk/tickets?number=N[&service=S]`: today's ticket with that number (reprint).
pub(super) async fn find(
    State(st): State<AppState>,
    _: KioskDevice,
    Query(q): Query<Find>,
) -> Result<Json<TicketReply>, ApiError> {
    let now = st.now();
    let t = st
        .read(move |s| s.find_number(q.number.trim(), q.service.as_deref(), now))
        .await?;
    Ok(Json(TicketReply {
        ticket: Some(api::Ticket::of(&t, &st.cfg)),
    }))
}

/// `POST /api/kiosk/tickets/{id}/{action}`: `printed`, `print-failed`, `void` (a ticket that
/// never reached the printer, at start-up) and `reprinted`.
pub(super) async fn act(
    State(st): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    KioskDevice(d): KioskDevice,
) -> Result<Json<TicketReply>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("Mã phiếu không hợp lệ"))?;
    let now = st.now();
    // Only `reprinted` may name another kiosk's ticket; a missing id reads as "not ours", so
    // ids of other kiosks are not revealed.
    if matches!(action.as_str(), "printed" | "print-failed" | "void") {
        let name = d.name.clone();
        let ours = st
            .read(move |s| Ok(s.issued_by(id)?.as_deref() == Some(name.as_str())))
            .await?;
        if !ours {
            return Err(not_ours());
        }
    }
    let t = match action.as_str() {
        "printed" => {
            st.write(move |s| {
                s.mark_printed(id, now)?;
                s.ticket(id)
            })
            .await?
        }
        "print-failed" => {
            st.write(move |s| {
                s.mark_print_failed(id)?;
                s.ticket(id)
            })
            .await?
        }
        "void" => {
            let name = d.name.clone();
            let pending = st
                .read(move |s| s.unprinted(Some(&name), now))
                .await?
                .into_iter()
                .any(|(t, told)| t.id == id && !told);
            if !pending {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "Phiếu này đã được in hoặc đã báo cho công dân, không hủy được",
                ));
            }
            st.write(move |s| s.void_unprinted(id, now)).await?
        }
        "reprinted" => {
            st.write(move |s| {
                let t = s.ticket(id)?;
                if t.status == motcua::Status::Cancelled || t.business_date != s.business_date(now)
                {
                    return Err(motcua::Error::InvalidTransition {
                        number: t.number,
                        status: "cancelled",
                        action: "reprint",
                    });
                }
                s.record_reprint(id, now)?;
                s.ticket(id)
            })
            .await?
        }
        _ => return Err(ApiError::no_action()),
    };
    Ok(Json(TicketReply {
        ticket: Some(api::Ticket::of(&t, &st.cfg)),
    }))
}

/// `PUT /api/kiosk/printer`: the kiosk's printer status, shown to staff on the monitor; the
/// answer is what was stored.
pub(super) async fn printer(
    State(st): State<AppState>,
    KioskDevice(d): KioskDevice,
    Body(r): Body<PrinterReport>,
) -> Result<Json<PrinterReport>, ApiError> {
    let status = r.status.trim().to_string();
    if status.is_empty()
        || status.len() > 32
        || !status.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return Err(ApiError::bad("Trạng thái máy in không hợp lệ"));
    }
    let detail: String = r
        .detail
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DETAIL_CHARS)
        .collect();
    let now = st.now();
    let device = printer_device(&d.name);
    let stored = PrinterReport {
        status: status.clone(),
        detail: detail.clone(),
    };
    st.write(move |s| s.set_device_status(&device, &status, &detail, now))
        .await?;
    Ok(Json(stored))
}
