//! Server-sent events: a poller broadcasts every new event of the shared database, and each
//! client stream replays what it missed (`Last-Event-ID`) before following live. Streams end
//! when the server shuts down, so a SIGTERM is never held up by connected boards.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use motcua::api::{Event, Message};
use motcua::clock::Clock;
use motcua::{Config, Store};
use tokio::sync::{Notify, broadcast, watch};

use super::AppState;
use super::error::ApiError;
use super::extract::Reader;

/// How often the database is checked for commits (`PRAGMA data_version`) without a wake-up.
const POLL: Duration = Duration::from_millis(50);
/// Keep-alive comments on the stream: clients (boards) notice a dead link within this.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

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

/// `GET /api/events`.
pub(super) async fn stream(
    State(st): State<AppState>,
    who: Reader,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let from: Option<i64> = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .filter(|n: &i64| *n >= 0)
                .ok_or(ApiError::bad("Last-Event-ID không hợp lệ"))?,
        ),
    };
    tracing::info!(who = who.who(), from, "event stream opened");
    // Subscribe first, then replay: nothing falls between the two.
    let mut rx = st.events.subscribe();
    let mut replay = Vec::new();
    if let Some(mut after) = from {
        loop {
            let b = batch(&st.store, &st.cfg, after, 1000).await?;
            let Some(id) = b.last().and_then(Message::id) else {
                break;
            };
            after = id;
            replay.extend(b);
        }
    }
    // Events already replayed come through the broadcast too: each is sent once.
    let mut sent = replay.last().and_then(Message::id).or(from).unwrap_or(0);
    let live_only = from.is_none();
    let mut stop = st.stop.clone();
    let (tx, out) = tokio::sync::mpsc::channel::<Message>(256);
    tokio::spawn(async move {
        loop {
            let m = tokio::select! {
                m = rx.recv() => m,
                _ = stop.wait_for(|s| *s) => return,
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
    let stream = tokio_stream::iter(replay)
        .chain(tokio_stream::wrappers::ReceiverStream::new(out))
        .map(|m| {
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
