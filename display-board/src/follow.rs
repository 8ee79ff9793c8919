//! Feeds the [`Board`] with the queue's events, from either source:
//! - the shared SQLite file: polls `PRAGMA data_version` and reads new rows of the event table;
//! - a `counter serve` on the LAN (`--server URL`): follows `/api/events` ([`crate::remote`]),
//!   reconnecting and resuming from the last event id after a network cut.
//!
//! On start the current service day's events are replayed silently, so calls made while the
//! board was off are shown but not announced again.

use std::sync::mpsc::{Receiver, TryRecvError};

use chrono::{DateTime, NaiveDate, Utc};
use motcua::{Config, Store};

use crate::board::{Board, Call, Snapshot};
use crate::remote::{self, Msg};

/// Events read per query while catching up.
const BATCH: u32 = 1000;

enum Source {
    Local {
        store: Box<Store>,
        version: Option<i64>,
    },
    Remote(Receiver<Msg>),
}

/// The board fed from the database or a server.
pub struct Follower {
    source: Source,
    cfg: Config,
    /// The board as of the last poll.
    pub board: Board,
    /// Increases every time the board's content may have changed.
    pub revision: u64,
    /// The service day the board shows; at the next one it starts empty by itself.
    day: Option<NaiveDate>,
    /// When the database was last read (the waits are estimated again a minute later even
    /// when nothing changed).
    read_at: Option<DateTime<Utc>>,
}

/// How long the estimated waits stand when nothing in the queue changes.
const WAITS_REFRESH: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

impl Follower {
    /// Opens the database and catches up silently with today's events already in it. A
    /// database the server has not upgraded yet is waited for
    /// ([`motcua::cli::open_store_waiting`]).
    pub fn open(cfg: &Config, now: DateTime<Utc>) -> motcua::Result<(Follower, Vec<Call>)> {
        let store = motcua::cli::open_store_waiting(cfg)?;
        let mut board = Board::new(cfg);
        board.last_event_id = store.day_start_event_id(now)?;
        let mut f = Follower {
            source: Source::Local {
                store: Box::new(store),
                version: None,
            },
            cfg: cfg.clone(),
            board,
            revision: 0,
            day: Some(motcua::queue::business_date(
                now,
                cfg.office.timezone,
                cfg.office.reset_at,
            )),
            read_at: None,
        };
        let mut replayed = f.read_local(now)?;
        for c in &mut replayed {
            c.replayed = true;
        }
        Ok((f, replayed))
    }

    /// Follows the server at `url` (its `/api/state` and `/api/events`) with a device token.
    /// Returns at once; the connection is made, and re-made after a cut, in the background.
    pub fn connect(cfg: &Config, url: &str, token: &str) -> Follower {
        Follower {
            source: Source::Remote(remote::start(url, token)),
            cfg: cfg.clone(),
            board: Board::new(cfg),
            revision: 0,
            day: None,
            read_at: None,
        }
    }

    fn read_local(&mut self, now: DateTime<Utc>) -> motcua::Result<Vec<Call>> {
        let Source::Local { store, version } = &mut self.source else {
            return Ok(Vec::new());
        };
        // The version first: a commit landing between the two reads is seen again next poll.
        *version = Some(store.data_version()?);
        let today = store.business_date(now);
        let mut calls = Vec::new();
        loop {
            let events = store.events_after(self.board.last_event_id, BATCH)?;
            if events.is_empty() {
                break;
            }
            for e in &events {
                calls.extend(self.board.apply(e, today, &self.cfg));
            }
        }
        let state = store.state(now)?;
        let mut snapshot = Snapshot::of(&state);
        // The waits are extra: a failed estimate leaves them out, never the board.
        match store.service_estimates(now) {
            Ok(waits) => {
                snapshot.waits = waits.into_iter().map(|(s, e)| (s, e.vi())).collect();
            }
            Err(e) => tracing::warn!(error = %e, "cannot estimate the waits"),
        }
        self.board.set_state(&snapshot, &self.cfg);
        self.read_at = Some(now);
        self.revision += 1;
        Ok(calls)
    }

    /// Calls since the last poll, oldest first (those marked `replayed` are shown but not
    /// announced); `None` when nothing changed.
    pub fn poll(&mut self, now: DateTime<Utc>) -> motcua::Result<Option<Vec<Call>>> {
        let today =
            motcua::queue::business_date(now, self.cfg.office.timezone, self.cfg.office.reset_at);
        let rolled = self.day.is_some_and(|d| d != today);
        self.day = Some(today);
        if rolled {
            // A new service day: yesterday's calls, history and counts leave the screen.
            tracing::info!(%today, "new service day: the board starts empty");
            let last = self.board.last_event_id;
            self.board = Board::new(&self.cfg);
            self.board.last_event_id = last;
            self.revision += 1;
            if let Source::Local { version, .. } = &mut self.source {
                *version = None;
            }
        }
        let polled = self.poll_source(now)?;
        Ok(match polled {
            None if rolled => Some(Vec::new()),
            p => p,
        })
    }

    fn poll_source(&mut self, now: DateTime<Utc>) -> motcua::Result<Option<Vec<Call>>> {
        match &mut self.source {
            Source::Local { store, version } => {
                // Nothing changed: read again only when the waits may have moved with time.
                let fresh = self.read_at.is_some_and(|at| now - at < WAITS_REFRESH);
                if *version == Some(store.data_version()?) && fresh {
                    return Ok(None);
                }
                self.read_local(now).map(Some)
            }
            Source::Remote(rx) => {
                let today = motcua::queue::business_date(
                    now,
                    self.cfg.office.timezone,
                    self.cfg.office.reset_at,
                );
                let mut calls = Vec::new();
                let mut changed = false;
                loop {
                    match rx.try_recv() {
                        Ok(Msg::State(s)) => {
                            self.board.set_state(&s, &self.cfg);
                            changed = true;
                        }
                        Ok(Msg::Event { event, replayed }) => {
                            // Each event once, even if a reconnection sends it again.
                            if event.id <= self.board.last_event_id {
                                continue;
                            }
                            if let Some(mut c) = self.board.apply(&event, today, &self.cfg) {
                                c.replayed = replayed;
                                calls.push(c);
                            }
                            changed = true;
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            return Err(motcua::Error::Io {
                                context: "the connection to the server stopped".into(),
                                source: std::io::Error::other("connection thread ended"),
                            });
                        }
                    }
                }
                if !changed {
                    return Ok(None);
                }
                self.revision += 1;
                Ok(Some(calls))
            }
        }
    }
}
