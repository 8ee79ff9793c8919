//! Follows the shared SQLite queue: polls `PRAGMA data_version` and applies new events from the
//! event table to the [`Board`]. On start it replays the day's events silently, so calls made
//! while the board was off are shown but not announced again.

use chrono::{DateTime, Utc};
use motcua::{Config, Store};

use crate::board::{Board, Call};

/// Events read per query while catching up.
const BATCH: u32 = 1000;

/// The board fed from the database.
pub struct Follower {
    store: Store,
    cfg: Config,
    /// The board as of the last poll.
    pub board: Board,
    version: Option<i64>,
    /// Increases every time the board's content may have changed.
    pub revision: u64,
}

impl Follower {
    /// Opens the database and catches up silently with everything already in it.
    pub fn open(cfg: &Config, now: DateTime<Utc>) -> motcua::Result<(Follower, Vec<Call>)> {
        let mut f = Follower {
            store: Store::open(cfg)?,
            cfg: cfg.clone(),
            board: Board::new(cfg),
            version: None,
            revision: 0,
        };
        let replayed = f.read_events(now)?;
        Ok((f, replayed))
    }

    fn read_events(&mut self, now: DateTime<Utc>) -> motcua::Result<Vec<Call>> {
        // The version first: a commit landing between the two reads is seen again next poll.
        self.version = Some(self.store.data_version()?);
        let today = self.store.business_date(now);
        let mut calls = Vec::new();
        loop {
            let events = self.store.events_after(self.board.last_event_id, BATCH)?;
            if events.is_empty() {
                break;
            }
            for e in &events {
                if let Some(c) = self.board.apply(e, today, &self.cfg) {
                    calls.push(c);
                }
            }
        }
        let state = self.store.state(now)?;
        self.board.set_state(&state, &self.cfg);
        self.revision += 1;
        Ok(calls)
    }

    /// New calls since the last poll, oldest first; `None` when nothing was committed since.
    pub fn poll(&mut self, now: DateTime<Utc>) -> motcua::Result<Option<Vec<Call>>> {
        if self.version == Some(self.store.data_version()?) {
            return Ok(None);
        }
        self.read_events(now).map(Some)
    }
}
