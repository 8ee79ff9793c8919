//! Server-sent events: a poller broadcasts every new event of the shared database, and each
//! client stream replays what it missed (`Last-Event-ID`) before following live. Streams end
//! when the server shuts down, so a SIGTERM is never held up by connected boards.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use motcua::api::{Event, Message};
use motcua::clock::Clock;
use motcua::{Config, Store};
use tokio::sync::{Notify, broadcast, watch};

use super::AppState;
use super::auth::Auth;
use super::error::ApiError;
use super::extract::Reader;

/// How often the database is checked for commits (`PRAGMA data_version`) without a wake-up.
const POLL: Duration = Duration::from_millis(50);
/// Keep-alive comments on the stream: clients (boards) notice a dead link within this.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Events read per page of a replay.
const REPLAY_PAGE: u32 = 200;

/// Up to `limit` events after id `after`, oldest first.
async fn batch(
    store: &Arc<Mutex<Store>>,
    cfg: &Arc<Config>,
    after: i64,
    limit: u32,
) -> Result<Vec<Message>, ApiError> {
    let cfg = cfg.clone();
    super::blocking(store, move |s| {
        Ok(s.events_after(after, limit)?
            .iter()
            .map(|e| Message::Event(Event::of(e, &cfg)))
            .collect())
    })
    .await
}

/// Watches the database and broadcasts new events (and [`Message::CHANGED`] for commits that
/// write none) until `stop` turns true.
pub(super) async fn poll(
    tx: broadcast::Sender<Message>,
    store: Arc<Mutex<Store>>,
    cfg: Arc<Config>,
    auth: Arc<Auth>,
    clock: Arc<dyn Clock>,
    committed: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let now = clock.now();
    let mut last = super::blocking(&store, move |s| Ok(s.state(now)?.last_event_id))
        .await
        .unwrap_or(0);
    let mut version = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = committed.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let Ok(v) = super::blocking(&store, |s| s.data_version()).await else {
            continue;
        };
        if version == Some(v) {
            continue;
        }
        version = Some(v);
        revoke_sessions(&store, &auth).await;
        let mut any = false;
        while let Ok(b) = batch(&store, &cfg, last, 500).await {
            let Some(id) = b.last().and_then(Message::id) else {
                break;
            };
            last = id;
            for m in b {
                any = true;
                let _ = tx.send(m);
            }
        }
        if !any {
            let _ = tx.send(Message::CHANGED);
        }
    }
}

/// Ends the sessions of officers disabled, removed or given a new PIN since they signed in
/// (by `counter user` in another process, or anywhere else), and frees their counters.
async fn revoke_sessions(store: &Arc<Mutex<Store>>, auth: &Arc<Auth>) {
    // Nobody signed in (a kiosk-only morning, the CLI): no accounts to read at each commit.
    if auth.sessions.is_empty() {
        return;
    }
    let Ok(officers) = super::blocking(store, |s| s.officers()).await else {
        return;
    };
    let accounts: HashMap<String, (String, bool)> = officers
        .into_iter()
        .map(|o| (o.login, (o.pin_hash, o.disabled)))
        .collect();
    let keep = |s: &super::auth::Session| {
        accounts
            .get(&s.login)
            .is_some_and(|(hash, disabled)| !disabled && *hash == s.pin_hash)
    };
    // Free the counters first, then end the sessions: when a stream ends, its counter is free.
    for s in auth.sessions.matching(|s| !keep(s)) {
        if let Some(c) = s.counter {
            let _ = super::blocking(store, move |st| st.set_counter_officer(c, None)).await;
        }
    }
    for s in auth.sessions.revoke(keep) {
        tracing::info!(login = %s.login, counter = s.counter, "session ended: account disabled or PIN changed");
    }
}

/// `?after=ID` of `GET /api/events`.
#[derive(serde::Deserialize)]
pub(super) struct After {
    after: Option<String>,
}

/// An event id of a request (`what` names where it came from): a number, 0 or more.
fn event_id(v: &str, what: &str) -> Result<i64, ApiError> {
    v.trim()
        .parse()
        .ok()
        .filter(|n: &i64| *n >= 0)
        .ok_or(ApiError::bad(format!("{what} không hợp lệ")))
}

/// `GET /api/events`: replays the events after `Last-Event-ID` (or, on a browser's first
/// connection, which cannot set the header, after `?after=`), then follows live.
pub(super) async fn stream(
    State(st): State<AppState>,
    who: Reader,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Result<Response, ApiError> {
    let from = match (headers.get("last-event-id"), q.after.as_deref()) {
        (Some(v), _) => Some(event_id(v.to_str().unwrap_or("-"), "Last-Event-ID")?),
        (None, Some(a)) => Some(event_id(a, "after")?),
        (None, None) => None,
    };
    tracing::info!(who = who.who(), from, "event stream opened");
    // Subscribe first, then replay: nothing falls between the two.
    let mut rx = st.events.subscribe();
    let now = st.now();
    let (day_start, newest) = st
        .read(move |s| Ok((s.day_start_event_id(now)?, s.last_event_id()?)))
        .await?;
    // Replay from at most the start of the service day; an id above the newest (a database
    // restored from a backup, a client of another office) resyncs: "changed", then live.
    let resync = from.is_some_and(|f| f > newest);
    let from = from.map(|f| if resync { newest } else { f.max(day_start) });
    let live_only = from.is_none();
    let mut sent = from.unwrap_or(0);
    let mut stop = st.stop.clone();
    // A signed-in officer's stream ends when the session does (sign-out, disabled, new PIN).
    let session = match &who {
        Reader::Staff(s) => Some(s.id.clone()),
        Reader::Device(_) => None,
    };
    let mut ended = st.auth.sessions.watch_ended();
    let auth = st.auth.clone();
    let (store, cfg) = (st.reader.clone(), st.cfg.clone());
    let (tx, out) = tokio::sync::mpsc::channel::<Message>(256);
    tokio::spawn(async move {
        if resync && tx.send(Message::CHANGED).await.is_err() {
            return;
        }
        // The replay, a page at a time: the channel's bound holds the memory of a slow client.
        if let Some(mut after) = from {
            loop {
                let Ok(page) = batch(&store, &cfg, after, REPLAY_PAGE).await else {
                    return;
                };
                let Some(id) = page.last().and_then(Message::id) else {
                    break;
                };
                after = id;
                for m in page {
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
            }
            // Events already replayed come through the broadcast too: each is sent once.
            sent = after;
        }
        loop {
            let m = tokio::select! {
                m = rx.recv() => m,
                _ = stop.wait_for(|s| *s) => return,
                changed = ended.changed() => {
                    if changed.is_err() || session.as_ref().is_some_and(|id| !auth.sessions.alive(id)) {
                        return;
                    }
                    continue;
                }
            };
            match m {
                Ok(m) => {
                    let new = match m.id() {
                        Some(id) => live_only || id > sent,
                        None => true,
                    };
                    let id = m.id();
                    if new && tx.send(m).await.is_err() {
                        return;
                    }
                    if let Some(id) = id {
                        sent = sent.max(id);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "SSE client fell behind; it can resume with Last-Event-ID"
                    );
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    use tokio_stream::StreamExt;
    let stream = tokio_stream::wrappers::ReceiverStream::new(out).map(|m| {
        let data = serde_json::to_string(&m).expect("messages serialise");
        let e = SseEvent::default().event(m.kind()).data(data);
        Ok::<_, Infallible>(match m.id() {
            Some(id) => e.id(id.to_string()),
            None => e,
        })
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}
