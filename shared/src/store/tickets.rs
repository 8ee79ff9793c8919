//! Tickets and events: issuing, calling, every transition, and the reads that follow the queue.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::queue::{self, Action, Candidate, EventKind, Status, Ticket};

use super::*;

fn new_token() -> Result<String> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|e| Error::Io {
        context: "cannot get random bytes for a ticket token".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Writes every mutable column of `t` back.
fn update_ticket(tx: &Transaction<'_>, t: &Ticket) -> Result<()> {
    tx.prepare_cached(
        "UPDATE ticket SET service = ?2, status = ?3, called_at = ?4, started_at = ?5, \
         finished_at = ?6, counter = ?7, recalls = ?8, printed_at = ?9 WHERE id = ?1",
    )?
    .execute(params![
        t.id,
        t.service,
        t.status.as_str(),
        t.called_at.map(ms),
        t.started_at.map(ms),
        t.finished_at.map(ms),
        t.counter,
        t.recalls,
        t.printed_at.map(ms),
    ])?;
    Ok(())
}

fn insert_event(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    kind: &EventKind,
    t: &Ticket,
) -> Result<i64> {
    let data = serde_json::to_string(kind).expect("event kinds serialise");
    tx.prepare_cached(
        "INSERT INTO event (at, kind, ticket_id, counter, data, officer) VALUES (?1, ?2, ?3, ?4, ?5, \
         (SELECT officer FROM counter_state WHERE counter = ?4))",
    )?
    .execute(params![ms(at), kind.as_str(), t.id, t.counter, data])?;
    Ok(tx.last_insert_rowid())
}

/// The columns [`candidate_from_row`] reads.
pub(super) const CANDIDATE_COLUMNS: &str = "id, service, priority IS NOT NULL, queue_at";

/// A waiting ticket as [`queue::pick_next`] sees it, from [`CANDIDATE_COLUMNS`].
pub(super) fn candidate_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        id: r.get(0)?,
        service: r.get(1)?,
        priority: r.get(2)?,
        queue_at: from_ms(r.get(3)?)?,
    })
}

/// The statuses of a ticket not final yet (`clock-repair` voids these).
const OPEN: &str = "status IN ('waiting', 'called', 'serving', 'held')";

/// The newest service day tickets were issued for, leaving out what `clock-repair` voided.
const LATEST_DAY: &str = "SELECT MAX(business_date) FROM ticket t WHERE NOT EXISTS \
     (SELECT 1 FROM repaired_day r WHERE r.business_date = t.business_date AND t.id <= r.last_id)";

impl Store {
    /// Issues a ticket for `service` (and priority class) at `now`.
    pub fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.issue_ticket(service, priority, false, None, now)
    }

    /// Issues a ticket that is about to be printed: it stays marked "print pending" until
    /// [`Store::mark_printed`], so a crash between COMMIT and the printer is found at start-up.
    pub fn issue_for_print(
        &mut self,
        service: &str,
        priority: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.issue_ticket(service, priority, true, None, now)
    }

    /// [`Store::issue_for_print`] for the kiosk device `by`, which prints it on the LAN: its
    /// recovery finds it with [`Store::unprinted`].
    pub fn issue_for_print_by(
        &mut self,
        service: &str,
        priority: Option<&str>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.issue_ticket(service, priority, true, Some(by), now)
    }

    fn issue_ticket(
        &mut self,
        service: &str,
        priority: Option<&str>,
        print_pending: bool,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        let svc = self.cfg.service(service)?.clone();
        if let Some(p) = priority {
            self.cfg.priority(p)?;
        }
        let today = self.business_date(now);
        let token = new_token()?;
        let ticket = self.write(|tx| {
            let latest: Option<String> =
                tx.query_row(LATEST_DAY, [], |r| r.get(0))?;
            let latest = latest.and_then(|d| d.parse().ok());
            queue::check_clock(today, latest)?;
            let seq: u32 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM ticket WHERE origin_service = ?1 AND business_date = ?2",
                params![svc.code, today.to_string()],
                |r| r.get(0),
            )?;
            let number = queue::format_number(&svc, seq)?;
            let waiting_ahead: u32 = tx.query_row(
                "SELECT COUNT(*) FROM ticket WHERE status = 'waiting' AND business_date = ?1 \
                 AND service = ?2 AND (?3 = 0 OR priority IS NOT NULL)",
                params![today.to_string(), svc.code, priority.is_some()],
                |r| r.get(0),
            )?;
            tx.prepare_cached(
                "INSERT INTO ticket (service, origin_service, business_date, seq, number, priority, \
                 status, queue_at, issued_at, waiting_ahead, token, print_pending, issued_by) \
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                svc.code,
                today.to_string(),
                seq,
                number,
                priority,
                ms(now),
                waiting_ahead,
                token,
                print_pending,
                by
            ])?;
            let t = Ticket {
                id: tx.last_insert_rowid(),
                service: svc.code.clone(),
                origin_service: svc.code.clone(),
                business_date: today,
                seq,
                number,
                priority: priority.map(str::to_string),
                status: Status::Waiting,
                queue_at: now,
                issued_at: now,
                called_at: None,
                started_at: None,
                finished_at: None,
                counter: None,
                recalls: 0,
                waiting_ahead,
                token: token.clone(),
                printed_at: None,
            };
            insert_event(tx, now, &EventKind::Issued, &t)?;
            Ok(t)
        })?;
        tracing::info!(number = %ticket.number, service, "ticket issued");
        Ok(ticket)
    }

    /// Calls the next ticket to `counter`, first finishing the ticket the counter had.
    /// `None` when nobody waits for the counter's services.
    pub fn call_next(&mut self, counter: u32, now: DateTime<Utc>) -> Result<Option<Ticket>> {
        let served = self.cfg.counter(counter)?.services.clone();
        let today = self.business_date(now);
        let rules = self.cfg.queue;
        let called = self.write(|tx| {
            finish_current(tx, counter, today, now)?;
            let placeholders = vec!["?"; served.len()].join(",");
            let sql = format!(
                "SELECT {CANDIDATE_COLUMNS} FROM ticket \
                 WHERE status = 'waiting' AND business_date = ? AND service IN ({placeholders})"
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(served.len() + 1);
            let day = today.to_string();
            args.push(&day);
            for s in &served {
                args.push(s);
            }
            let waiting = stmt
                .query_map(args.as_slice(), candidate_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            let streak: u32 = tx
                .query_row(
                    "SELECT priority_streak FROM counter_state WHERE counter = ?1",
                    [counter],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let paused: bool = tx
                .query_row(
                    "SELECT paused FROM counter_state WHERE counter = ?1",
                    [counter],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false);
            if paused {
                return Err(Error::CounterPaused(counter));
            }
            let Some(pick) = queue::pick_next(&served, &waiting, streak, &rules, now) else {
                return Ok(None);
            };
            tx.execute(
                "INSERT INTO counter_state (counter, priority_streak) VALUES (?1, ?2) \
                 ON CONFLICT (counter) DO UPDATE SET priority_streak = excluded.priority_streak",
                params![counter, pick.streak],
            )?;
            let t = load_ticket(tx, pick.id)?;
            apply_and_record(tx, &t, &Action::Call { counter }, now).map(Some)
        })?;
        if let Some(t) = &called {
            tracing::info!(number = %t.number, counter, "ticket called");
        }
        Ok(called)
    }

    /// Applies `action` to the counter's current (called or serving) ticket.
    pub fn act_on_current(
        &mut self,
        counter: u32,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.cfg.counter(counter)?;
        self.check_action(&action)?;
        let today = self.business_date(now);
        self.write(|tx| {
            let t = current_ticket(tx, counter, today)?.ok_or(Error::NoCurrentTicket(counter))?;
            apply_and_record(tx, &t, &action, now)
        })
    }

    /// Applies `action` to today's ticket with this number (`service` disambiguates when the same
    /// number exists in several services).
    pub fn act_on_number(
        &mut self,
        number: &str,
        service: Option<&str>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.act_numbered(None, number, service, action, now)
    }

    /// Applies a numbered action (`call-number`, `unhold`, `reactivate`) at `counter` under the
    /// counter's rules: a waiting ticket only of a service the counter serves, a held or
    /// no-show ticket only at the counter that held it or called it (or, if it has none, of a
    /// service the counter serves).
    pub fn act_on_number_at(
        &mut self,
        counter: u32,
        number: &str,
        service: Option<&str>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.act_numbered(Some(counter), number, service, action, now)
    }

    /// [`Store::act_on_number`], and with `at` the counter's rules of
    /// [`Store::act_on_number_at`].
    fn act_numbered(
        &mut self,
        at: Option<u32>,
        number: &str,
        service: Option<&str>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        if let Some(s) = service {
            self.cfg.service(s)?;
        }
        let served = match at {
            Some(c) => Some((c, self.cfg.counter(c)?.services.clone())),
            None => None,
        };
        if let Action::Call { counter } = action {
            self.cfg.counter(counter)?;
        }
        self.check_action(&action)?;
        let today = self.business_date(now);
        self.write(|tx| {
            let t = find_by_number(tx, today, number, service)?;
            if let Some((counter, served)) = &served {
                let here = match (t.status, t.counter) {
                    (Status::Held | Status::NoShow, Some(c)) => c == *counter,
                    _ => served.contains(&t.service),
                };
                if !here {
                    return Err(Error::NotAtCounter {
                        number: t.number.clone(),
                        counter: *counter,
                        elsewhere: t.counter.filter(|c| c != counter),
                    });
                }
            }
            if let Action::Call { counter } = action {
                // A counter serves one citizen at a time: calling a number ends the current one.
                finish_current(tx, counter, today, now)?;
            }
            apply_and_record(tx, &t, &action, now)
        })
    }

    /// Applies `action` to the ticket with this id (the supervisor's monitor acts on any ticket).
    pub fn act_on_id(&mut self, id: i64, action: Action, now: DateTime<Utc>) -> Result<Ticket> {
        self.check_action(&action)?;
        self.write(|tx| {
            let sql = format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE id = ?1");
            let t = tx
                .query_row(&sql, [id], ticket_from_row)
                .optional()?
                .ok_or(Error::TicketNotFound {
                    number: format!("#{id}"),
                    service: None,
                })?;
            apply_and_record(tx, &t, &action, now)
        })
    }

    fn check_action(&self, action: &Action) -> Result<()> {
        if let Action::Transfer { to } = action {
            self.cfg.service(to)?;
        }
        Ok(())
    }

    /// The ticket with this status-page token, if any.
    pub fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE token = ?1");
        Ok(self
            .conn
            .query_row(&sql, [token], ticket_from_row)
            .optional()?)
    }

    /// How many tickets of the same service wait before `t` now (in queue order; a priority
    /// ticket may still go first).
    pub fn waiting_before(&self, t: &Ticket) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM ticket WHERE status = 'waiting' AND business_date = ?1 \
             AND service = ?2 AND id < ?3",
            params![t.business_date.to_string(), t.service, t.id],
            |r| r.get(0),
        )?)
    }

    /// Marks a ticket printed at `now`.
    pub fn mark_printed(&mut self, ticket_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE ticket SET printed_at = ?2, print_pending = 0 WHERE id = ?1",
                params![ticket_id, ms(now)],
            )?;
            Ok(())
        })
    }

    /// The printer step was reached and failed: the citizen was told the number (on screen,
    /// or exit 4), so the ticket stays in the queue. It is marked `print_pending = 2`: recovery
    /// may reprint it but never voids it.
    pub fn mark_print_failed(&mut self, ticket_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE ticket SET print_pending = 2 WHERE id = ?1 AND print_pending = 1",
                [ticket_id],
            )?;
            Ok(())
        })
    }

    /// Today's waiting tickets that were committed for printing but never marked printed,
    /// oldest first, each with whether the citizen was told its number (the print failed:
    /// keep it) or not (the kiosk died between COMMIT and the printer: it may be voided).
    /// `by`: the kiosk device that prints them (`None`: the kiosk on the office host).
    pub fn unprinted(&self, by: Option<&str>, now: DateTime<Utc>) -> Result<Vec<(Ticket, bool)>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS}, print_pending = 2 FROM ticket WHERE print_pending IN (1, 2) \
             AND status = 'waiting' AND business_date = ?1 AND issued_by IS ?2 ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![self.business_date(now).to_string(), by], |r| {
            Ok((ticket_from_row(r)?, r.get::<_, bool>(TICKET_COLUMN_COUNT)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Voids an unprinted ticket: it leaves the queue (cancelled) with a `voided` event.
    pub fn void_unprinted(&mut self, id: i64, now: DateTime<Utc>) -> Result<Ticket> {
        self.write(|tx| {
            let t = load_ticket(tx, id)?;
            let (mut changed, _) = queue::apply(&t, &Action::Cancel, now)?;
            changed.printed_at = None;
            update_ticket(tx, &changed)?;
            tx.execute("UPDATE ticket SET print_pending = 0 WHERE id = ?1", [id])?;
            insert_event(tx, now, &EventKind::Voided, &changed)?;
            Ok(changed)
        })
    }

    /// Tickets of service day `day` that are not final yet (what `clock-repair` would void),
    /// and all its tickets.
    pub fn day_tickets(&self, day: NaiveDate) -> Result<(u32, u32)> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT COUNT(*) FILTER (WHERE {OPEN}), COUNT(*) FROM ticket WHERE business_date = ?1"
            ),
            [day.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Voids service day `day`, which must lie after today at `now` (a clock that ran ahead
    /// issued tickets for it): each of its tickets not final yet is cancelled with a `voided`
    /// event, and the day's tickets no longer count as the newest day, so issuing resumes today
    /// at the first number. Returns how many were voided.
    pub fn repair_future_day(&mut self, day: NaiveDate, now: DateTime<Utc>) -> Result<u32> {
        let today = self.business_date(now);
        if day <= today {
            return Err(Error::NotAFutureDay { day, today });
        }
        self.write(|tx| {
            let ids: Vec<i64> = tx
                .prepare(&format!(
                    "SELECT id FROM ticket WHERE business_date = ?1 AND {OPEN} ORDER BY id"
                ))?
                .query_map([day.to_string()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut voided = 0;
            for id in ids {
                let t = load_ticket(tx, id)?;
                if let Ok((changed, _)) = queue::apply(&t, &Action::Cancel, now) {
                    update_ticket(tx, &changed)?;
                    tx.execute("UPDATE ticket SET print_pending = 0 WHERE id = ?1", [id])?;
                    insert_event(tx, now, &EventKind::Voided, &changed)?;
                    voided += 1;
                }
            }
            let last_id: i64 = tx.query_row(
                "SELECT COALESCE(MAX(id), 0) FROM ticket WHERE business_date = ?1",
                [day.to_string()],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO repaired_day (business_date, last_id, voided, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (business_date) DO UPDATE SET last_id = ?2, voided = voided + ?3, at = ?4",
                params![day.to_string(), last_id, voided, ms(now)],
            )?;
            Ok(voided)
        })
    }

    /// Records that a ticket was printed again (`reprinted` event; state unchanged).
    pub fn record_reprint(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let t = load_ticket(tx, id)?;
            tx.execute(
                "UPDATE ticket SET printed_at = ?2, print_pending = 0 WHERE id = ?1",
                params![id, ms(now)],
            )?;
            insert_event(tx, now, &EventKind::Reprinted, &t)?;
            Ok(())
        })
    }

    /// Today's ticket with this number (see [`Store::act_on_number`] for `service`).
    pub fn find_number(
        &self,
        number: &str,
        service: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        if let Some(s) = service {
            self.cfg.service(s)?;
        }
        let tx = self.conn.unchecked_transaction()?;
        let t = find_by_number(&tx, self.business_date(now), number, service);
        tx.finish()?;
        t
    }

    /// The kiosk device that prints ticket `id` (`None`: the office host's kiosk, or no such
    /// ticket).
    pub fn issued_by(&self, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT issued_by FROM ticket WHERE id = ?1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten())
    }

    /// The ticket with this id.
    pub fn ticket(&self, id: i64) -> Result<Ticket> {
        ticket_by_id(&self.conn, id)
    }

    /// Events with an id greater than `after`, oldest first, at most `limit`.
    pub fn events_after(&self, after: i64, limit: u32) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.at, e.data, e.ticket_id, t.number, t.service, e.counter \
             FROM event e JOIN ticket t ON t.id = e.ticket_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            let data: String = r.get(2)?;
            Ok(Event {
                id: r.get(0)?,
                at: from_ms(r.get(1)?)?,
                kind: serde_json::from_str(&data).map_err(|_| bad_column(2, "event data"))?,
                ticket_id: r.get(3)?,
                number: r.get(4)?,
                service: r.get(5)?,
                counter: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The queue as it is at `now`: waiting counts and each counter's current ticket.
    pub fn state(&self, now: DateTime<Utc>) -> Result<QueueState> {
        let today = self.business_date(now);
        // One read transaction, so counts, counters and the event id agree with each other.
        let tx = self.conn.unchecked_transaction()?;
        let mut waiting = Vec::new();
        for s in &self.cfg.services {
            let n: u32 = tx.query_row(
                "SELECT COUNT(*) FROM ticket WHERE status = 'waiting' AND business_date = ?1 AND service = ?2",
                params![today.to_string(), s.code],
                |r| r.get(0),
            )?;
            waiting.push((s.code.clone(), n));
        }
        let mut counters = Vec::new();
        for c in &self.cfg.counters {
            counters.push((c.number, current_ticket(&tx, c.number, today)?));
        }
        let paused = tx
            .prepare("SELECT counter FROM counter_state WHERE paused = 1 ORDER BY counter")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<u32>>>()?;
        let last_event_id =
            tx.query_row("SELECT COALESCE(MAX(id), 0) FROM event", [], |r| r.get(0))?;
        tx.finish()?;
        Ok(QueueState {
            business_date: today,
            waiting,
            counters,
            paused,
            last_event_id,
        })
    }

    /// The newest event's id (0 before the first).
    pub fn last_event_id(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM event", [], |r| r.get(0))?)
    }

    /// The id after which the current service day's events start: a board catching up reads
    /// from here instead of from the first event ever.
    pub fn day_start_event_id(&self, now: DateTime<Utc>) -> Result<i64> {
        let today = self.business_date(now).to_string();
        Ok(self.conn.query_row(
            "SELECT COALESCE((SELECT MIN(e.id) - 1 FROM event e JOIN ticket t ON t.id = e.ticket_id \
             WHERE t.business_date = ?1), (SELECT COALESCE(MAX(id), 0) FROM event))",
            [today],
            |r| r.get(0),
        )?)
    }

    /// Tickets of one service day, in issue order.
    pub fn tickets_of_day(&self, day: NaiveDate) -> Result<Vec<Ticket>> {
        let sql =
            format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE business_date = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([day.to_string()], ticket_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

pub(super) fn load_ticket(tx: &Transaction<'_>, id: i64) -> Result<Ticket> {
    ticket_by_id(tx, id)
}

/// The ticket with id `id`; a missing one is [`Error::TicketNotFound`], not a database error.
fn ticket_by_id(conn: &Connection, id: i64) -> Result<Ticket> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE id = ?1");
    conn.query_row(&sql, [id], ticket_from_row)
        .optional()?
        .ok_or_else(|| Error::TicketNotFound {
            number: format!("#{id}"),
            service: None,
        })
}

/// The counter's current ticket of service day `day`: a ticket left called or served
/// yesterday is not today's (the day rolls over by itself; reports count it unfinished).
pub(super) fn current_ticket(
    conn: &Connection,
    counter: u32,
    day: NaiveDate,
) -> Result<Option<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM ticket WHERE counter = ?1 AND status IN ('called', 'serving') \
         AND business_date = ?2 ORDER BY called_at DESC, id DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![counter, day.to_string()], ticket_from_row)
        .optional()?)
}

fn find_by_number(
    tx: &Transaction<'_>,
    day: NaiveDate,
    number: &str,
    service: Option<&str>,
) -> Result<Ticket> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM ticket WHERE business_date = ?1 AND number = ?2 \
         AND (?3 IS NULL OR origin_service = ?3 OR service = ?3) LIMIT 2"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let found = stmt
        .query_map(params![day.to_string(), number, service], ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    match found.as_slice() {
        [t] => Ok(t.clone()),
        [] => Err(Error::TicketNotFound {
            number: number.to_string(),
            service: service.map(str::to_string),
        }),
        _ => Err(Error::AmbiguousNumber(number.to_string())),
    }
}

/// Finishes whatever the counter is busy with (the officer moving on means it was served).
fn finish_current(
    tx: &Transaction<'_>,
    counter: u32,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    while let Some(t) = current_ticket(tx, counter, day)? {
        apply_and_record(tx, &t, &Action::Finish, now)?;
    }
    Ok(())
}

fn apply_and_record(
    tx: &Transaction<'_>,
    t: &Ticket,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let (changed, kind) = queue::apply(t, action, now)?;
    update_ticket(tx, &changed)?;
    insert_event(tx, now, &kind, &changed)?;
    Ok(changed)
}
