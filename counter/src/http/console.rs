//! The officer's counter: its state, its actions (a closed enum, parsed once), and the console
//! page.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use motcua::api::{self, CounterState, CounterView, ServiceWaiting};
use motcua::{Action, Ticket};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::extract::{AtCounter, PageUser, Staff, target_counter};
use crate::pages;

/// The longest ticket number accepted in a request.
const MAX_NUMBER_LEN: usize = 12;

/// What an officer can do at a counter (`POST /api/counter/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterAction {
    /// Call the next ticket (finishing the current one).
    Call,
    /// Call the current ticket again.
    Recall,
    /// The citizen arrived.
    Start,
    /// Served.
    Finish,
    /// Did not come.
    NoShow,
    /// Park the current ticket.
    Hold,
    /// Cancel the current ticket.
    Cancel,
    /// Move the current ticket to another service (`to`).
    Transfer,
    /// Stop calling.
    Pause,
    /// Call again.
    Resume,
    /// Call a numbered ticket out of order (`number`).
    CallNumber,
    /// Put a held ticket back (`number`).
    Unhold,
    /// A no-show came back (`number`).
    Reactivate,
}

impl CounterAction {
    /// Every action with its path segment.
    pub const ALL: [(CounterAction, &'static str); 13] = [
        (CounterAction::Call, "call"),
        (CounterAction::Recall, "recall"),
        (CounterAction::Start, "start"),
        (CounterAction::Finish, "finish"),
        (CounterAction::NoShow, "no-show"),
        (CounterAction::Hold, "hold"),
        (CounterAction::Cancel, "cancel"),
        (CounterAction::Transfer, "transfer"),
        (CounterAction::Pause, "pause"),
        (CounterAction::Resume, "resume"),
        (CounterAction::CallNumber, "call-number"),
        (CounterAction::Unhold, "unhold"),
        (CounterAction::Reactivate, "reactivate"),
    ];

    /// The action named by a path segment.
    pub fn parse(s: &str) -> Option<CounterAction> {
        CounterAction::ALL
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(a, _)| *a)
    }
}

#[derive(Deserialize)]
pub(super) struct CounterQuery {
    counter: Option<u32>,
}

/// `GET /api/counter[?counter=N]`: the counter's current ticket, paused, and waiting counts.
pub(super) async fn state(
    State(st): State<AppState>,
    Staff(s): Staff,
    q: Result<Query<CounterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CounterView>, ApiError> {
    let Query(q) = q.map_err(|_| ApiError::bad("Số quầy không hợp lệ"))?;
    let counter = target_counter(&s, q.counter)?;
    let cfg = st.cfg.clone();
    let now = st.now();
    let state = st
        .read(move |store| {
            let state = store.state(now)?;
            let served = &cfg.counter(counter)?.services;
            let ticket = state
                .counters
                .iter()
                .find(|(n, _)| *n == counter)
                .and_then(|(_, t)| t.as_ref())
                .map(|t| api::Ticket::of(t, &cfg).for_staff());
            Ok(CounterState {
                counter,
                paused: state.paused.contains(&counter),
                ticket,
                waiting: state
                    .waiting
                    .iter()
                    .filter(|(c, _)| served.contains(c))
                    .map(|(c, n)| ServiceWaiting {
                        service: c.clone(),
                        name: cfg.service(c).map(|s| s.name.clone()).ok(),
                        waiting: *n,
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(Json(CounterView {
        officer: s.login,
        role: s.role,
        state,
    }))
}

/// The service to transfer to.
pub(super) fn transfer_to(to: Option<String>) -> Result<Action, ApiError> {
    let to = to.ok_or_else(|| ApiError::bad("Vui lòng chọn lĩnh vực chuyển đến"))?;
    Ok(Action::Transfer { to })
}

/// What an action does to the store.
enum Op {
    /// Call the next ticket.
    CallNext,
    /// Pause (true) or resume.
    Pause(bool),
    /// A transition of the counter's current ticket.
    Current(Action),
    /// A transition of a ticket named by its number.
    Numbered(Action),
}

impl CounterAction {
    /// What the action does at `counter`; `to` is a transfer's target service.
    fn op(self, counter: u32, to: Option<String>) -> Result<Op, ApiError> {
        Ok(match self {
            CounterAction::Call => Op::CallNext,
            CounterAction::Pause => Op::Pause(true),
            CounterAction::Resume => Op::Pause(false),
            CounterAction::Recall => Op::Current(Action::Recall),
            CounterAction::Start => Op::Current(Action::Start),
            CounterAction::Finish => Op::Current(Action::Finish),
            CounterAction::NoShow => Op::Current(Action::NoShow),
            CounterAction::Hold => Op::Current(Action::Hold),
            CounterAction::Cancel => Op::Current(Action::Cancel),
            CounterAction::Transfer => Op::Current(transfer_to(to)?),
            CounterAction::CallNumber => Op::Numbered(Action::Call { counter }),
            CounterAction::Unhold => Op::Numbered(Action::Unhold),
            CounterAction::Reactivate => Op::Numbered(Action::Reactivate),
        })
    }
}

/// `POST /api/counter/{action}`: an officer acts at their counter.
pub(super) async fn act(
    State(st): State<AppState>,
    Path(action): Path<String>,
    at: AtCounter,
) -> Result<Response, ApiError> {
    let action = CounterAction::parse(&action).ok_or_else(ApiError::no_action)?;
    let AtCounter { counter, body, .. } = at;
    let now = st.now();
    let ticket: Option<Ticket> = match action.op(counter, body.to)? {
        Op::CallNext => st.write(move |s| s.call_next(counter, now)).await?,
        Op::Pause(paused) => {
            st.write(move |s| s.set_paused(counter, paused)).await?;
            return Ok(Json(api::Paused { counter, paused }).into_response());
        }
        Op::Current(a) => Some(st.write(move |s| s.act_on_current(counter, a, now)).await?),
        Op::Numbered(a) => {
            let number = body
                .number
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty() && n.len() <= MAX_NUMBER_LEN)
                .ok_or_else(|| ApiError::bad("Vui lòng nhập số thứ tự"))?;
            let service = body.service;
            Some(
                st.write(move |s| s.act_on_number_at(counter, &number, service.as_deref(), a, now))
                    .await?,
            )
        }
    };
    Ok(Json(api::TicketReply {
        ticket: ticket.map(|t| st.staff_ticket(&t)),
    })
    .into_response())
}

/// `GET /console`: the officer's page (a supervisor without a counter goes to the monitor).
pub(super) async fn page(State(st): State<AppState>, PageUser(s): PageUser) -> Response {
    let Some(counter) = s.counter else {
        return Redirect::to("/monitor").into_response();
    };
    Html(pages::console(
        &st.cfg,
        counter,
        &s.login,
        s.is_supervisor(),
        &s.csrf,
        s.weak_pin,
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: an unknown action used to fall through to a transfer.
    #[test]
    fn every_action_parses_and_nothing_else_does() {
        for (a, name) in CounterAction::ALL {
            assert_eq!(CounterAction::parse(name), Some(a));
        }
        for bogus in ["", "Call", "delete", "transfer2", "no_show"] {
            assert_eq!(CounterAction::parse(bogus), None, "{bogus}");
        }
    }
}
