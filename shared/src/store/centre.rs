//! The office's side of shipping to the province centre: the event table is the outbox, read
//! after the cursor the centre's acknowledgements moved; ratings carry a "shipped" flag.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::centre::{OfficeState, ServiceNow, ShippedEvent, ShippedRating, TicketSnapshot};
use crate::error::Result;

use super::*;

/// The cursor row of the events outbox.
const EVENTS: &str = "events";

/// A counter that called someone this recently counts as open without a signed-in officer.
const RECENT_CALL_MS: i64 = 30 * 60 * 1000;

impl Store {
    /// The newest event id the centre acknowledged (0: none yet).
    pub fn centre_cursor(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row(
                "SELECT last_id FROM centre_cursor WHERE outbox = ?1",
                [EVENTS],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Moves the cursor to `last_id` once the centre acknowledged every event up to it; never
    /// backwards.
    pub fn set_centre_cursor(&mut self, last_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO centre_cursor (outbox, last_id) VALUES (?1, ?2) \
                 ON CONFLICT (outbox) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)",
                params![EVENTS, last_id],
            )?;
            Ok(())
        })
    }

    /// Up to `limit` events after `after`, oldest first, each with its ticket as it is now.
    pub fn outbox_events(&self, office: &str, after: i64, limit: u32) -> Result<Vec<ShippedEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.at, e.kind, e.data, e.counter, e.officer, t.id, t.service, t.number, \
             t.priority, t.business_date, t.status, t.queue_at, t.issued_at, t.called_at, \
             t.started_at, t.finished_at, t.counter, t.recalls \
             FROM event e JOIN ticket t ON t.id = e.ticket_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            let service: String = r.get(7)?;
            let date: String = r.get(10)?;
            Ok(ShippedEvent {
                office: office.to_string(),
                id: r.get(0)?,
                at: r.get(1)?,
                kind: r.get(2)?,
                data: r.get(3)?,
                counter: r.get(4)?,
                officer: r.get(5)?,
                ticket: TicketSnapshot {
                    id: r.get(6)?,
                    target_wait_s: self.cfg.target_wait(&service).as_secs() as u32,
                    service,
                    number: r.get(8)?,
                    priority: r.get(9)?,
                    business_date: date.parse().map_err(|_| bad_column(10, "business date"))?,
                    status: r.get(11)?,
                    queue_at: r.get(12)?,
                    issued_at: r.get(13)?,
                    called_at: r.get(14)?,
                    started_at: r.get(15)?,
                    finished_at: r.get(16)?,
                    counter: r.get(17)?,
                    recalls: r.get(18)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Up to `limit` ratings the centre has not acknowledged yet.
    pub fn outbox_ratings(&self, office: &str, limit: u32) -> Result<Vec<ShippedRating>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ticket_id, score, reason, at, counter FROM rating WHERE shipped = 0 \
             ORDER BY ticket_id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(ShippedRating {
                office: office.to_string(),
                ticket_id: r.get(0)?,
                score: r.get(1)?,
                reason: r.get(2)?,
                at: r.get(3)?,
                counter: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Marks ratings the centre acknowledged.
    pub fn mark_ratings_shipped(&mut self, ticket_ids: &[i64]) -> Result<()> {
        self.write(|tx| {
            let mut stmt =
                tx.prepare_cached("UPDATE rating SET shipped = 1 WHERE ticket_id = ?1")?;
            for id in ticket_ids {
                stmt.execute([id])?;
            }
            Ok(())
        })
    }

    /// The office's queue at `now` for the centre's live page.
    pub fn office_state(&self, office: &str, now: DateTime<Utc>) -> Result<OfficeState> {
        let today = self.business_date(now);
        let tx = self.conn.unchecked_transaction()?;
        let mut services = Vec::with_capacity(self.cfg.services.len());
        {
            let mut stmt = tx.prepare_cached(
                "SELECT COUNT(*), MIN(queue_at) FROM ticket \
                 WHERE status = 'waiting' AND business_date = ?1 AND service = ?2",
            )?;
            for s in &self.cfg.services {
                let (waiting, oldest): (u32, Option<i64>) = stmt
                    .query_row(params![today.to_string(), s.code], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                services.push(ServiceNow {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    waiting,
                    longest_wait_s: oldest
                        .map(|at| ((ms(now) - at).max(0) / 1000) as u32)
                        .unwrap_or(0),
                    target_wait_s: self.cfg.target_wait(&s.code).as_secs() as u32,
                });
            }
        }
        let (mut open, mut paused) = (0, 0);
        for c in &self.cfg.counters {
            let (is_paused, officer): (bool, Option<String>) = tx
                .query_row(
                    "SELECT paused, officer FROM counter_state WHERE counter = ?1",
                    [c.number],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((false, None));
            if is_paused {
                paused += 1;
                continue;
            }
            let recent: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM ticket WHERE counter = ?1 AND business_date = ?2 \
                 AND (status IN ('called', 'serving') OR called_at >= ?3))",
                params![c.number, today.to_string(), ms(now) - RECENT_CALL_MS],
                |r| r.get(0),
            )?;
            if officer.is_some() || recent {
                open += 1;
            }
        }
        let last_event_id: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) FROM event", [], |r| r.get(0))?;
        tx.finish()?;
        Ok(OfficeState {
            office: office.to_string(),
            name: self.cfg.office.name.clone(),
            at: ms(now),
            business_date: today,
            services,
            counters_open: open,
            counters_paused: paused,
            counters_total: self.cfg.counters.len() as u32,
            last_event_id,
        })
    }
}
