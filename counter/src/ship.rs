//! Shipping the office's events to the province centre (`[centre]`, `counter ship`, or beside
//! `counter serve`): the event table is the outbox. Events after the cursor are published to
//! JetStream on `motcua.events.<office>` with the message id `<office>:<event id>`; the cursor
//! moves only past what the server acknowledged, so a lost acknowledgement means a republish,
//! which JetStream's de-duplication (and the centre's unique key) drops. Ratings follow, flagged
//! when acknowledged. The office's current state goes to the key-value bucket every few seconds
//! and on change.
//!
//! It runs on its own thread with its own runtime and its own database connection: a link that
//! is down costs the queue nothing (reads of a WAL database do not block its writers), and the
//! shipper keeps trying with a backoff of at most [`MAX_BACKOFF`].

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::{self, message::PublishMessage};
use chrono::Utc;
use motcua::centre::{self, OfficeState, Shipped};
use motcua::config::CentreLink;
use motcua::{Config, Store};
use tokio::sync::Notify;

/// Events (or ratings) published before their acknowledgements are awaited.
pub const BATCH: u32 = 256;
/// The longest wait between two tries while the centre cannot be reached.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long an acknowledgement is awaited.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Without a wake-up, the outbox is looked at this often anyway.
const POLL: Duration = Duration::from_millis(500);

/// Reads the office's nkey seed from `path`.
pub fn read_seed(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the centre credentials file {} (`[centre] credentials`)",
            path.display()
        )
    })?;
    let seed = text.trim();
    if !(seed.starts_with("SU") && seed.len() > 50 && !seed.contains(char::is_whitespace)) {
        anyhow::bail!(
            "{}: expected this office's NATS nkey seed (one line starting with \"SU\", made by `motcua-centre office add`)",
            path.display()
        );
    }
    Ok(seed.to_string())
}

/// Ships until `stop` completes. Blocking: builds its own single-threaded runtime.
pub fn run(
    cfg: Config,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Some(link) = cfg.centre.clone() else {
        anyhow::bail!(
            "{} has no [centre] section: nothing to ship (see docs/centre.md)",
            cfg.path.display()
        );
    };
    let seed = read_seed(&link.credentials)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        tokio::select! {
            r = ship(cfg, link, seed) => r,
            () = stop => Ok(()),
        }
    })
}

/// Starts [`run`] on its own thread when `[centre]` is configured (for `counter serve`); a
/// failure is logged, never stops the server.
pub fn spawn(cfg: &Config) {
    if cfg.centre.is_none() {
        return;
    }
    let cfg = cfg.clone();
    let spawned = std::thread::Builder::new()
        .name("ship".into())
        .spawn(move || {
            if let Err(e) = run(cfg, std::future::pending()) {
                tracing::error!(error = %format!("{e:#}"), "shipping to the centre stopped");
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start shipping to the centre");
    }
}

async fn ship(cfg: Config, link: CentreLink, seed: String) -> anyhow::Result<()> {
    let office = link.office_id.clone();
    let mut store = Store::open(&cfg)?;
    let wake = Arc::new(Notify::new());
    {
        let wake = wake.clone();
        motcua::wake::on_wake(&cfg.office.database, move || wake.notify_one());
    }
    let client = async_nats::ConnectOptions::with_nkey(seed)
        .name(format!("motcua-office-{office}"))
        .custom_inbox_prefix(centre::inbox_prefix(&office))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((250 * attempts as u64).min(MAX_BACKOFF.as_millis() as u64))
        })
        .connect(link.url.as_str())
        .await
        .with_context(|| format!("cannot connect to the centre at {}", link.url))?;
    let mut js = jetstream::new(client);
    js.set_timeout(ACK_TIMEOUT);
    tracing::info!(office, url = %link.url, "shipping events to the centre");

    let subject = centre::events_subject(&office);
    let mut backoff = Duration::from_millis(250);
    let mut failing = false;
    let mut last_state: Option<(OfficeState, Instant)> = None;
    loop {
        let t0 = Instant::now();
        let shipped = ship_outbox(&mut store, &js, &office, &subject).await;
        let t1 = Instant::now();
        let state = put_state(&store, &js, &office, &link, &mut last_state).await;
        tracing::debug!(
            outbox_ms = (t1 - t0).as_millis() as u64,
            state_ms = t1.elapsed().as_millis() as u64,
            "shipping round"
        );
        match state.and(shipped) {
            Ok(more) => {
                if failing {
                    tracing::info!(office, "the centre is reachable again");
                    failing = false;
                }
                backoff = Duration::from_millis(250);
                if more {
                    continue;
                }
                let _ = tokio::time::timeout(POLL, wake.notified()).await;
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(office, error = %format!("{e:#}"), "cannot ship to the centre; retrying");
                    failing = true;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Publishes one batch of events (else of ratings) and moves the cursor past what was
/// acknowledged. True when a whole batch went, so more may be waiting.
async fn ship_outbox(
    store: &mut Store,
    js: &jetstream::Context,
    office: &str,
    subject: &str,
) -> anyhow::Result<bool> {
    let after = store.centre_cursor()?;
    let events = store.outbox_events(office, after, BATCH)?;
    if !events.is_empty() {
        let full = events.len() == BATCH as usize;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let messages = events
            .into_iter()
            .map(|e| Shipped::Event(Box::new(e)))
            .collect();
        let acked = publish_all(js, subject, messages).await;
        if acked > 0 {
            store.set_centre_cursor(ids[acked - 1])?;
        }
        if acked < ids.len() {
            anyhow::bail!("the centre acknowledged {acked} of {} events", ids.len());
        }
        return Ok(full);
    }
    let ratings = store.outbox_ratings(office, BATCH)?;
    if ratings.is_empty() {
        return Ok(false);
    }
    let full = ratings.len() == BATCH as usize;
    let ids: Vec<i64> = ratings.iter().map(|r| r.ticket_id).collect();
    let messages = ratings.into_iter().map(Shipped::Rating).collect();
    let acked = publish_all(js, subject, messages).await;
    store.mark_ratings_shipped(&ids[..acked])?;
    if acked < ids.len() {
        anyhow::bail!("the centre acknowledged {acked} of {} ratings", ids.len());
    }
    Ok(full)
}

/// Publishes every message, then awaits the acknowledgements in order: how many from the first
/// were acknowledged.
async fn publish_all(js: &jetstream::Context, subject: &str, messages: Vec<Shipped>) -> usize {
    let mut pending = Vec::with_capacity(messages.len());
    for m in &messages {
        let payload = serde_json::to_vec(m).expect("shipped messages serialise");
        match js
            .send_publish(
                subject.to_string(),
                PublishMessage::build()
                    .message_id(m.msg_id())
                    .payload(payload.into()),
            )
            .await
        {
            Ok(ack) => pending.push(ack),
            Err(e) => {
                tracing::debug!(error = %e, "publish failed");
                break;
            }
        }
    }
    let mut acked = 0;
    for ack in pending {
        match ack.await {
            Ok(_) => acked += 1,
            Err(e) => {
                tracing::debug!(error = %e, "no acknowledgement");
                break;
            }
        }
    }
    acked
}

/// Puts the office's state in the bucket when it changed, or when the last put is older than
/// `[centre] state_seconds`.
async fn put_state(
    store: &Store,
    js: &jetstream::Context,
    office: &str,
    link: &CentreLink,
    last: &mut Option<(OfficeState, Instant)>,
) -> anyhow::Result<()> {
    let state = store.office_state(office, Utc::now())?;
    let same = |a: &OfficeState, b: &OfficeState| {
        OfficeState { at: 0, ..a.clone() } == OfficeState { at: 0, ..b.clone() }
    };
    if let Some((prev, at)) = last
        && same(prev, &state)
        && at.elapsed() < link.state_every
    {
        return Ok(());
    }
    let payload = serde_json::to_vec(&state).expect("office states serialise");
    js.publish(centre::state_subject(office), payload.into())
        .await?
        .await?;
    *last = Some((state, Instant::now()));
    Ok(())
}
