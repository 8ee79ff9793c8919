//! Ratings and the reads reports make.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};

use super::tickets::load_ticket;
use super::*;

/// One ticket as a report sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The ticket as it is now.
    pub ticket: Ticket,
    /// When it was first called (recalls move `called_at`, not this).
    pub first_called_at: Option<DateTime<Utc>>,
    /// The officer signed in at the counter of its last event there, if any.
    pub officer: Option<String>,
    /// The citizen's rating, 1 to 5, if given.
    pub rating: Option<u8>,
    /// The reason given with a low rating.
    pub reason: Option<String>,
}

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRecord {
    /// 1 to 5.
    pub score: u8,
    /// The counter that served the ticket.
    pub counter: Option<u32>,
    /// The officer who served it.
    pub officer: Option<String>,
    /// Why, for a low mark.
    pub reason: Option<String>,
    /// The rating tablet that took it; `None`: the citizen's phone.
    pub device: Option<String>,
}

impl Store {
    /// The citizen's rating of a ticket, if given.
    pub fn rating(&self, ticket_id: i64) -> Result<Option<u8>> {
        Ok(self
            .conn
            .query_row(
                "SELECT score FROM rating WHERE ticket_id = ?1",
                [ticket_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records a citizen's rating (1 to 5) of a served ticket from the status page; once per
    /// ticket.
    pub fn rate(&mut self, ticket_id: i64, score: u8, now: DateTime<Utc>) -> Result<()> {
        self.rate_with(ticket_id, score, None, None, now)
    }

    /// Records a rating with the reason given for a low mark and the `device` that took it
    /// (a counter's rating tablet; `None`: the citizen's phone). Once per ticket, whichever
    /// comes first. The counter and the officer who served it are kept with it.
    pub fn rate_with(
        &mut self,
        ticket_id: i64,
        score: u8,
        reason: Option<&str>,
        device: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let t = load_ticket(tx, ticket_id)?;
            if t.status != Status::Done {
                return Err(Error::NotRateable {
                    number: t.number,
                    reason: "it has not been served",
                    rated: false,
                });
            }
            let inserted = tx.execute(
                "INSERT INTO rating (ticket_id, score, at, counter, officer, reason, device) \
                 VALUES (?1, ?2, ?3, ?4, (SELECT officer FROM event WHERE ticket_id = ?1 \
                 AND officer IS NOT NULL ORDER BY id DESC LIMIT 1), ?5, ?6) \
                 ON CONFLICT (ticket_id) DO NOTHING",
                params![
                    ticket_id,
                    score.clamp(1, 5),
                    ms(now),
                    t.counter,
                    reason,
                    device
                ],
            )?;
            if inserted == 0 {
                return Err(Error::NotRateable {
                    number: t.number,
                    reason: "it is rated already",
                    rated: true,
                });
            }
            Ok(())
        })
    }

    /// The ticket finished last at `counter` on today's service day (still done), when it was
    /// finished, and whether it is rated: what the counter's rating tablet asks about.
    pub fn last_finished(
        &self,
        counter: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<(Ticket, DateTime<Utc>, bool)>> {
        let row: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT ticket_id, at FROM event WHERE kind = 'finished' AND counter = ?1 \
                 ORDER BY id DESC LIMIT 1",
                [counter],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((id, at)) = row else {
            return Ok(None);
        };
        let t = self.ticket(id)?;
        if t.business_date != self.business_date(now) || t.status != Status::Done {
            return Ok(None);
        }
        let rated = self.rating(id)?.is_some();
        Ok(Some((t, super::from_ms(at)?, rated)))
    }

    /// The whole rating of a ticket, if given.
    pub fn rating_record(&self, ticket_id: i64) -> Result<Option<RatingRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT score, counter, officer, reason, device FROM rating WHERE ticket_id = ?1",
                [ticket_id],
                |r| {
                    Ok(RatingRecord {
                        score: r.get(0)?,
                        counter: r.get(1)?,
                        officer: r.get(2)?,
                        reason: r.get(3)?,
                        device: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every ticket of the service days `from..=to` for reports, with the time it was first
    /// called and the officer of its last event at a counter.
    pub fn report_rows(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS}, \
             (SELECT MIN(e.at) FROM event e WHERE e.ticket_id = ticket.id AND e.kind = 'called'), \
             (SELECT e.officer FROM event e WHERE e.ticket_id = ticket.id AND e.officer IS NOT NULL \
              ORDER BY e.id DESC LIMIT 1), \
             (SELECT score FROM rating WHERE rating.ticket_id = ticket.id), \
             (SELECT reason FROM rating WHERE rating.ticket_id = ticket.id) \
             FROM ticket WHERE business_date BETWEEN ?1 AND ?2 ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([from.to_string(), to.to_string()], |r| {
            let first_called: Option<i64> = r.get(18)?;
            Ok(ReportRow {
                ticket: ticket_from_row(r)?,
                first_called_at: first_called.map(from_ms).transpose()?,
                officer: r.get(19)?,
                rating: r.get(20)?,
                reason: r.get(21)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Mean service time in seconds per service over the day's finished tickets.
    pub fn mean_service_secs(&self, day: NaiveDate) -> Result<Vec<(String, f64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT service, AVG(finished_at - started_at) / 1000.0 FROM ticket \
             WHERE business_date = ?1 AND status = 'done' AND started_at IS NOT NULL \
             GROUP BY service",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
