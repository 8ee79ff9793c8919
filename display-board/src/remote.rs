//! A board on the LAN following `counter serve` instead of the SQLite file: reads `/api/state`,
//! then follows `/api/events` (server-sent events) from the last event id it saw. After a
//! network cut or a server restart it reconnects and resumes with `Last-Event-ID`, so nothing
//! is missed and nothing is applied twice.

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use motcua::api::{Message, QueueState};
use motcua::store::Event;

use crate::board::Snapshot;

/// Wait before reconnecting after a failure (doubling up to [`MAX_BACKOFF`]).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Each event stream is renewed after this long (resuming from the last id: nothing lost, nothing
/// twice). The HTTP client has no idle-read timeout, only one for the whole body, so this is also
/// the longest a silently dead link (cable pulled, no TCP reset) goes unnoticed.
/// `MOTCUA_STREAM_RENEW_MS` changes it (tests renew often to prove renewals lose nothing).
const STREAM_LIFETIME: Duration = Duration::from_secs(60);
/// Calls missed during a cut are still announced when at most this old; older ones are shown.
const STILL_WORTH_ANNOUNCING: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What the connection thread hands to the board.
#[derive(Debug)]
pub enum Msg {
    /// A fresh queue snapshot.
    State(Snapshot),
    /// An event, in id order.
    Event {
        /// The event.
        event: Event,
        /// Show, do not announce: it was in the log when the board first connected, or it was
        /// missed during a cut and is too old to call out now.
        replayed: bool,
    },
}

/// Starts the connection thread for the server at `url` with a device `token`.
pub fn start(url: &str, token: &str) -> Receiver<Msg> {
    let (tx, rx) = channel();
    let url = url.trim_end_matches('/').to_string();
    let token = token.to_string();
    std::thread::Builder::new()
        .name("board-server".into())
        .spawn(move || follow(&url, &token, &tx))
        .expect("start the server connection thread");
    rx
}

/// Why a connection ended.
enum End {
    /// The board is gone: stop.
    Closed,
    /// Try again after a pause.
    Retry(String),
    /// The stream reached its lifetime: open the next one at once.
    Renew,
}

fn follow(url: &str, token: &str, tx: &Sender<Msg>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_recv_body(None)
        .build()
        .into();
    let lifetime = std::env::var("MOTCUA_STREAM_RENEW_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(STREAM_LIFETIME, Duration::from_millis);
    let mut at = Cursor::default();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match session(&agent, url, token, lifetime, &mut at, tx, &mut backoff) {
            End::Closed => return,
            End::Renew => tracing::debug!(server = url, "renewing the event stream"),
            End::Retry(why) => {
                tracing::warn!(server = url, "{why}; reconnecting in {backoff:?}");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn get_state(agent: &ureq::Agent, url: &str, auth: &str) -> Result<(Snapshot, i64), String> {
    let mut r = agent
        .get(&format!("{url}/api/state"))
        .header("Authorization", auth)
        .call()
        .map_err(|e| format!("cannot read {url}/api/state: {e}"))?;
    let v: QueueState = r
        .body_mut()
        .read_json()
        .map_err(|e| format!("unexpected /api/state: {e}"))?;
    Ok((Snapshot::of_api(&v), v.day_start_event_id.unwrap_or(0)))
}

/// Where the board is in the server's event log.
#[derive(Default)]
struct Cursor {
    /// The last event received.
    last: Option<i64>,
    /// A stream was opened before: what happened since is news, not history.
    connected: bool,
}

/// One connection: a snapshot, then the event stream until it ends.
fn session(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    lifetime: Duration,
    at: &mut Cursor,
    tx: &Sender<Msg>,
    backoff: &mut Duration,
) -> End {
    let auth = format!("Bearer {token}");
    let (snap, day_start) = match get_state(agent, url, &auth) {
        Ok(s) => s,
        Err(e) => return End::Retry(e),
    };
    // Events up to the snapshot happened before this connection.
    let caught_up_at = snap.last_event_id;
    let first = !at.connected;
    if tx.send(Msg::State(snap)).is_err() {
        return End::Closed;
    }
    let from = at.last.unwrap_or(day_start);
    let mut r = match agent
        .get(&format!("{url}/api/events"))
        .header("Authorization", &auth)
        .header("Last-Event-ID", &from.to_string())
        .config()
        .timeout_recv_body(Some(lifetime))
        .build()
        .call()
    {
        Ok(r) => r,
        Err(e) => return End::Retry(format!("cannot follow {url}/api/events: {e}")),
    };
    tracing::debug!(server = url, from, "following the server's events");
    at.connected = true;
    *backoff = FIRST_BACKOFF;
    let mut reader = BufReader::new(r.body_mut().as_reader());
    let (mut id, mut data) = (None::<i64>, String::new());
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return End::Retry("the server closed the event stream".into()),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return End::Renew,
            Err(e) => return End::Retry(format!("event stream: {e}")),
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if let Some(v) = l.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = l.strip_prefix("data:") {
            data.push_str(v.trim_start());
        } else if l.is_empty() && !data.is_empty() {
            let m = serde_json::from_str::<Message>(&data);
            data.clear();
            let msg = match (id.take(), m) {
                // A logged event.
                (Some(n), m) => match m {
                    Ok(Message::Event(event)) => {
                        let event = event.into_store();
                        at.last = Some(n);
                        let old = chrono::Utc::now() - event.at > STILL_WORTH_ANNOUNCING;
                        Msg::Event {
                            replayed: n <= caught_up_at && (first || old),
                            event,
                        }
                    }
                    _ => {
                        tracing::warn!(id = n, "skipping an event the board cannot read");
                        continue;
                    }
                },
                // "Something changed" without an event (e.g. a counter paused).
                (None, _) => match get_state(agent, url, &auth) {
                    Ok((s, _)) => Msg::State(s),
                    Err(e) => return End::Retry(e),
                },
            };
            let live = matches!(
                &msg,
                Msg::Event {
                    replayed: false,
                    ..
                }
            );
            if tx.send(msg).is_err() {
                return End::Closed;
            }
            // Waiting counts and current numbers follow each live event.
            if live {
                match get_state(agent, url, &auth) {
                    Ok((s, _)) => {
                        if tx.send(Msg::State(s)).is_err() {
                            return End::Closed;
                        }
                    }
                    Err(e) => return End::Retry(e),
                }
            }
        }
    }
}

/// Whether a read failed because the stream reached its lifetime (ureq's body timeout).
fn is_timeout(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}
