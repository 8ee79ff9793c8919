//! `counter serve`: the staff console and the office JSON API (axum).
//!
//! Layout: who may do what is in [`extract`] (a handler's arguments say its rule), errors in
//! [`error`], sessions, sign-in failures and device tokens in [`auth`]; one module per concern
//! for the handlers ([`login`], [`console`], [`monitor`], [`devices`], [`events`], [`status`]).
//! SQLite runs on the blocking pool, never on the async executor. The clock is injected.

pub mod auth;
pub mod console;
pub mod devices;
pub mod error;
pub mod events;
pub mod extract;
pub mod kiosk;
pub mod login;
pub mod monitor;
pub mod rating;
pub mod reports;
pub mod screens;
pub mod serve;
pub mod status;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use motcua::api::Message;
use motcua::clock::{Clock, SystemClock};
use motcua::{Config, Store};
use tokio::sync::{Notify, broadcast, watch};

use auth::Auth;
use error::ApiError;

/// After shutdown is asked for, connections get this long to finish before the server stops
/// anyway (systemd waits for a clean exit; SSE streams end at once).
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    /// The office config.
    pub cfg: Arc<Config>,
    /// The connection every change goes through.
    store: Arc<Mutex<Store>>,
    /// A read-only connection for reads: in WAL mode they never wait behind a write.
    reader: Arc<Mutex<Store>>,
    /// Sessions, failures, devices.
    pub auth: Arc<Auth>,
    events: broadcast::Sender<Message>,
    /// Wakes the event poller right after a commit (this server's, or another process's through
    /// [`motcua::wake`]); the poll every 50 ms stays as the fallback.
    committed: Arc<Notify>,
    clock: Arc<dyn Clock>,
    /// Turns true when the server shuts down: event streams and the poller end.
    stop: watch::Receiver<bool>,
    /// The board's voice (`[board] voice_dir` over the shipped clips), for the web board.
    voice: Arc<motcua::voice::Bank>,
}

/// Runs `f` with `store` on the blocking pool.
async fn blocking<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&mut store.lock().expect("store lock")))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(ApiError::from)
}

impl AppState {
    /// The injected clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs a read on the read-only connection, on the blocking pool.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> motcua::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        blocking(&self.reader, |s| f(s)).await
    }

    /// Runs a change on the blocking pool; SSE clients hear of it at once, not at the next poll.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> motcua::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let r = blocking(&self.store, f).await;
        self.committed.notify_one();
        r
    }

    /// A ticket as staff see it (without the citizen's status page address).
    pub fn staff_ticket(&self, t: &motcua::Ticket) -> motcua::api::Ticket {
        motcua::api::Ticket::of(t, &self.cfg).for_staff()
    }
}

/// A server being built: its state and the switch that shuts it down.
pub struct Server {
    /// The shared state.
    pub state: AppState,
    stop: watch::Sender<bool>,
}

impl Server {
    /// Opens the store, clears counters' officers (sessions live in memory) and starts the event
    /// poller, with time from `clock`.
    pub fn new(cfg: Config, clock: Arc<dyn Clock>) -> motcua::Result<Server> {
        let mut store = Store::open(&cfg)?;
        // Sessions live in memory: after a restart nobody is signed in at any counter.
        store.clear_counter_officers()?;
        // The poller has its own connection: `data_version` then sees this server's commits too.
        let poll_store = Store::open(&cfg)?;
        let reader = Store::open_reader(&cfg)?;
        let (tx, _) = broadcast::channel(1024);
        let (stop, stop_rx) = watch::channel(false);
        let voice = motcua::voice::Bank::load(cfg.board.voice_dir.as_deref()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "[board] voice_dir: the web board uses the shipped voice");
            motcua::voice::Bank::load(None).expect("the shipped voice decodes")
        });
        let state = AppState {
            cfg: Arc::new(cfg),
            store: Arc::new(Mutex::new(store)),
            reader: Arc::new(Mutex::new(reader)),
            auth: Arc::new(Auth::new()),
            events: tx,
            committed: Arc::default(),
            clock,
            stop: stop_rx,
            voice: Arc::new(voice),
        };
        // Commits by other processes (kiosks, the CLI) wake the poller too.
        let committed = state.committed.clone();
        motcua::wake::on_wake(&state.cfg.office.database, move || committed.notify_one());
        tokio::spawn(events::poll(
            state.events.clone(),
            Arc::new(Mutex::new(poll_store)),
            state.cfg.clone(),
            state.auth.clone(),
            state.clock.clone(),
            state.committed.clone(),
            state.stop.clone(),
        ));
        Ok(Server { state, stop })
    }

    /// The routes.
    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// Ends event streams and the poller.
    pub fn shut_down(&self) {
        let _ = self.stop.send(true);
    }
}

/// The largest request body of any route (a sign-in form, a few JSON fields): larger ones are
/// refused from their `Content-Length`, before a byte of them is read.
pub const MAX_BODY: usize = 8 * 1024;
/// A request body must arrive within this (stalled uploads hold a connection, not memory).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The citizens' routes: the status page and its rating form. Alone on `[status] listen`.
fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/t/{token}", get(status::page))
        .route("/t/{token}/rate", post(status::rate))
}

/// The limits every router gets.
fn limited(r: Router) -> Router {
    r.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_TIMEOUT,
        ))
}

/// What `[status] listen` serves: only the status pages; 404 everywhere else.
pub fn public_router(st: AppState) -> Router {
    limited(
        public_routes()
            .fallback(|| async { ApiError::no_route() })
            .with_state(st),
    )
}

/// Every route of the server.
pub fn router(st: AppState) -> Router {
    let r = Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/console", get(console::page))
        .route("/monitor", get(monitor::page))
        .route("/reports", get(reports::page))
        .route("/reports/export", get(reports::export))
        .route("/reports/sheet", get(reports::sheet))
        .route("/api/counter", get(console::state))
        .route("/api/counter/{action}", post(console::act))
        .route("/api/monitor", get(monitor::monitor))
        .route("/api/state", get(devices::state))
        .route("/api/clock", get(devices::clock))
        .route("/api/tickets", post(devices::issue))
        .route("/api/tickets/{id}/{action}", post(monitor::ticket_action))
        .route("/api/kiosk/unprinted", get(kiosk::unprinted))
        .route("/api/kiosk/tickets", get(kiosk::find))
        .route("/api/kiosk/tickets/{id}/{action}", post(kiosk::act))
        .route("/api/kiosk/printer", axum::routing::put(kiosk::printer))
        .route("/api/rate/{counter}", get(rating::state).post(rating::rate))
        .route("/api/events", get(events::stream))
        .route("/board", get(screens::board))
        .route("/rate/{counter}", get(screens::rate))
        .route("/pair", get(screens::pair_page).post(screens::pair))
        .route("/web/{file}", get(screens::asset))
        .route("/voice/call.wav", get(screens::call_wav))
        .merge(public_routes())
        .fallback(|| async { ApiError::no_route() })
        .with_state(st);
    limited(r)
}

/// Serves on `listener` with the system clock until `shutdown` resolves; then event streams
/// end and connections get [`SHUTDOWN_GRACE`] to finish. `ready` runs once the database is
/// open and requests are served ("listening on" means the server works).
pub async fn run(
    listener: tokio::net::TcpListener,
    cfg: Config,
    ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The citizens' second address is bound before anything is served: a wrong one stops the
    // server at start, with its name.
    let public = match cfg.status.as_ref().and_then(|s| s.listen) {
        None => None,
        Some(a) => Some(
            tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on [status] listen = \"{a}\": {e}"))?,
        ),
    };
    let server = Server::new(cfg, Arc::new(SystemClock))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    let (asked_tx, asked) = watch::channel(false);
    let mut served = vec![tokio::spawn(serve::serve(
        listener,
        server.router(),
        serve::Limits::default(),
        asked.clone(),
    ))];
    if let Some(p) = public {
        tracing::info!(addr = %p.local_addr()?, "serving the status pages only");
        served.push(tokio::spawn(serve::serve(
            p,
            public_router(server.state.clone()),
            serve::Limits::default(),
            asked,
        )));
    }
    ready(addr);
    shutdown.await;
    tracing::info!("shutting down");
    server.shut_down();
    let _ = asked_tx.send(true);
    let all = async {
        for s in served {
            let _ = s.await;
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
        tracing::warn!("connections still open after the grace period; stopping");
    }
    Ok(())
}

/// Resolves on SIGTERM (systemd stopping the service) or Ctrl-C.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = term => tracing::info!("SIGTERM"),
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C"),
    }
}
