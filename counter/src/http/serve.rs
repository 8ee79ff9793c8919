//! The accept loop: HTTP/1 with hyper, bounded. axum's own `serve` has no timeouts and no
//! connection cap, and the office LAN is not a safe place (#17): an idle or slow connection is
//! closed after [`HEADER_TIMEOUT`], at most [`MAX_CONNECTIONS`] are open and at most
//! [`MAX_PER_CLIENT`] from one address, and refusals are logged (not every one: the log would
//! be the next thing to fill up).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// A connection must send a whole request head within this (also between requests on a kept-
/// alive connection): idle and slow-loris connections are closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most (the unit's `LimitNOFILE` leaves room above this).
pub const MAX_CONNECTIONS: usize = 2048;
/// Open connections from one address at most. A browser opens about six, a board one; the
/// citizens' phones behind one NAT router share an address, so this is not small.
pub const MAX_PER_CLIENT: usize = 128;

/// The bounds of [`serve`]; the defaults are the constants above.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`MAX_PER_CLIENT`].
    pub max_per_client: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_per_client: MAX_PER_CLIENT,
        }
    }
}

/// Open connections, in all and per address.
#[derive(Default)]
struct Open {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
    refused: u64,
}

/// Holds one connection's place; frees it when dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().expect("connections");
        o.total -= 1;
        if let Some(n) = o.per_client.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.per_client.remove(&self.ip);
            }
        }
    }
}

fn admit(open: &Arc<Mutex<Open>>, limits: &Limits, ip: IpAddr) -> Option<Slot> {
    let mut o = open.lock().expect("connections");
    let mine = o.per_client.get(&ip).copied().unwrap_or(0);
    if o.total >= limits.max_connections || mine >= limits.max_per_client {
        o.refused += 1;
        if o.refused.is_power_of_two() {
            tracing::warn!(
                client = %ip,
                open = o.total,
                from_client = mine,
                refused = o.refused,
                "connection refused: too many open connections"
            );
        }
        return None;
    }
    o.total += 1;
    *o.per_client.entry(ip).or_insert(0) += 1;
    Some(Slot {
        open: open.clone(),
        ip,
    })
}

/// Serves `router` on `listener` until `stop` turns true, then lets open connections finish
/// (the caller bounds how long). Each request carries `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Mutex::new(Open::default()));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors (EMFILE) and the like: wait a little rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = admit(&open, &limits, addr.ip()) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = router
            .clone()
            .map_request(move |mut req: axum::extract::Request| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
                req
            });
        let service = TowerToHyperService::new(app.map_request(
            |req: hyper::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
        ));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    graceful.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// #17.6: the shipped unit's file limit leaves room above the connection cap.
    #[test]
    fn the_unit_allows_more_files_than_connections() {
        let unit = include_str!("../../../assets/systemd/motcua-server.service");
        let limit: usize = unit
            .lines()
            .find_map(|l| l.strip_prefix("LimitNOFILE="))
            .expect("LimitNOFILE in the unit")
            .trim()
            .parse()
            .unwrap();
        assert!(limit >= 2 * MAX_CONNECTIONS, "LimitNOFILE={limit}");
    }

    #[test]
    fn one_client_cannot_take_every_connection() {
        let open = Arc::new(Mutex::new(Open::default()));
        let laptop: IpAddr = "192.168.1.66".parse().unwrap();
        let counter: IpAddr = "192.168.1.21".parse().unwrap();
        let limits = Limits::default();
        let held: Vec<Slot> = (0..MAX_PER_CLIENT)
            .map(|_| admit(&open, &limits, laptop).expect("within the cap"))
            .collect();
        assert!(admit(&open, &limits, laptop).is_none(), "the laptop's cap");
        let officer = admit(&open, &limits, counter).expect("another address still gets in");
        drop(held);
        drop(officer);
        let o = open.lock().unwrap();
        assert_eq!((o.total, o.per_client.len(), o.refused), (0, 0, 1));
    }
}
