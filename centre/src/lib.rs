//! motcua's province centre: every office's events from NATS JetStream into PostgreSQL, the
//! offices' live state, and the leaders' page.

pub mod config;
pub mod db;
pub mod ingest;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

/// Runs the centre until `shutdown`: ingest and the state watch restart after an error (with a
/// pause), the page keeps serving. `ready` gets the page's address once it listens.
pub async fn serve(
    cfg: config::CentreConfig,
    listener: tokio::net::TcpListener,
    ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let cfg = Arc::new(cfg);
    let reader = Arc::new(db::connect(&cfg.postgres).await?);
    let states = ingest::States::default();
    let js = ingest::connect(&cfg).await?;
    {
        let (cfg, js, states) = (cfg.clone(), js.clone(), states.clone());
        tokio::spawn(async move {
            loop {
                let run = async {
                    let (stream, bucket) = ingest::setup(&js).await?;
                    let mut pg = db::connect(&cfg.postgres).await?;
                    let state_pg = db::connect(&cfg.postgres).await?;
                    tokio::select! {
                        r = ingest::events(&cfg, &stream, &mut pg) => r,
                        r = ingest::state(&cfg, &bucket, &state_pg, &states) => r,
                    }
                };
                if let Err(e) = run.await {
                    tracing::error!(error = %format!("{e:#}"), "ingest stopped; restarting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    let app = web::App::new(cfg.clone(), reader, states);
    let addr = listener.local_addr()?;
    ready(addr);
    axum::serve(listener, web::router(app))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
