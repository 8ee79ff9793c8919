//! From JetStream into PostgreSQL: the durable consumer of every office's events, and the watch
//! of the offices' state bucket.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, kv, stream};
use motcua::centre::{self, OfficeState};
use tokio_stream::StreamExt;

use crate::config::CentreConfig;
use crate::db::{self, Incoming};

/// Messages taken per batch (one PostgreSQL transaction).
pub const BATCH: usize = 500;
/// How long the messages already on their way are gathered into a batch after its first.
const GATHER: Duration = Duration::from_millis(3);
/// A repeated `Nats-Msg-Id` within this window is dropped by JetStream itself.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

/// The offices' latest states as the bucket gave them, by office id.
pub type States = Arc<RwLock<HashMap<String, OfficeState>>>;

/// Connects to NATS as the centre.
pub async fn connect(cfg: &CentreConfig) -> anyhow::Result<jetstream::Context> {
    let seed = crate::config::read_seed(&cfg.credentials)?
        .seed()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = async_nats::ConnectOptions::with_nkey(seed)
        .name("motcua-centre")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(cfg.nats_url.as_str())
        .await
        .with_context(|| format!("cannot connect to NATS at {}", cfg.nats_url))?;
    Ok(jetstream::new(client))
}

/// Creates the events stream and the state bucket if they are missing.
pub async fn setup(js: &jetstream::Context) -> anyhow::Result<(stream::Stream, kv::Store)> {
    let stream = js
        .get_or_create_stream(stream::Config {
            name: centre::EVENTS_STREAM.to_string(),
            subjects: vec![centre::EVENTS_SUBJECTS.to_string()],
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the events stream: {e}"))?;
    // The bucket's stream is made as the client's create_key_value makes it, without its account
    // query, whose reply Debian's nats-server 2.9 words differently from what the client reads.
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{}", centre::STATE_BUCKET),
        subjects: vec![format!("$KV.{}.>", centre::STATE_BUCKET)],
        max_messages_per_subject: 1,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("cannot create the state bucket: {e}"))?;
    let bucket = js
        .get_key_value(centre::STATE_BUCKET)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the state bucket: {e}"))?;
    Ok((stream, bucket))
}

/// Takes the events stream into PostgreSQL until an error: batch by batch, each acknowledged
/// only after its transaction committed, so a crash means a redelivery, which the unique key
/// absorbs.
pub async fn events(
    cfg: &CentreConfig,
    stream: &stream::Stream,
    pg: &mut tokio_postgres::Client,
) -> anyhow::Result<()> {
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            centre::CENTRE_CONSUMER,
            consumer::pull::Config {
                durable_name: Some(centre::CENTRE_CONSUMER.to_string()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 20_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the centre's consumer: {e}"))?;
    let known = |id: &str| cfg.office(id).is_some();
    // Pull requests stay outstanding, so a message is taken as soon as it is stored; what came
    // with it (up to a batch) goes into the same transaction.
    let mut msgs = consumer
        .stream()
        .max_messages_per_batch(BATCH)
        .heartbeat(Duration::from_secs(5))
        .messages()
        .await
        .map_err(|e| anyhow::anyhow!("cannot fetch events: {e}"))?;
    loop {
        let Some(first) = msgs.next().await else {
            anyhow::bail!("the events stream ended");
        };
        let mut taken = vec![first.map_err(|e| anyhow::anyhow!("cannot fetch events: {e}"))?];
        while taken.len() < BATCH {
            match tokio::time::timeout(GATHER, msgs.next()).await {
                Ok(Some(m)) => {
                    taken.push(m.map_err(|e| anyhow::anyhow!("cannot fetch events: {e}"))?)
                }
                Ok(None) | Err(_) => break,
            }
        }
        let batch: Vec<Incoming> = taken
            .iter()
            .map(|m| Incoming {
                seq: m.info().map(|i| i.stream_sequence).unwrap_or(0),
                subject: m.subject.to_string(),
                payload: m.payload.to_vec(),
            })
            .collect();
        let stored = db::store_batch(pg, &batch, &known).await?;
        tracing::debug!(?stored, "batch stored");
        for m in taken {
            m.ack()
                .await
                .map_err(|e| anyhow::anyhow!("cannot acknowledge: {e}"))?;
        }
    }
}

/// Follows the state bucket into `states` and PostgreSQL until an error; a value that does not
/// parse, or names another office than its key, is logged and skipped.
pub async fn state(
    cfg: &CentreConfig,
    bucket: &kv::Store,
    pg: &tokio_postgres::Client,
    states: &States,
) -> anyhow::Result<()> {
    let mut watch = bucket
        .watch_all()
        .await
        .map_err(|e| anyhow::anyhow!("cannot watch the state bucket: {e}"))?;
    while let Some(entry) = watch.next().await {
        let entry = entry.map_err(|e| anyhow::anyhow!("state bucket: {e}"))?;
        if entry.operation != kv::Operation::Put {
            continue;
        }
        let state: OfficeState = match serde_json::from_slice(&entry.value) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(key = %entry.key, error = %e, "malformed office state skipped");
                continue;
            }
        };
        if state.office != entry.key || cfg.office(&state.office).is_none() {
            tracing::warn!(key = %entry.key, office = %state.office, "foreign office state skipped");
            continue;
        }
        db::put_state(pg, &state).await?;
        states
            .write()
            .expect("states lock")
            .insert(state.office.clone(), state);
    }
    anyhow::bail!("the state bucket's watch ended")
}
