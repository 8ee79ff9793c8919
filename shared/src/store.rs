//! The shared SQLite queue: schema, migrations, and every read and write the binaries make.
//!
//! **Invariant:** this is the only module that imports rusqlite. Every write runs in a
//! `BEGIN IMMEDIATE` transaction that does no other I/O, and is retried on SQLITE_BUSY with jitter.
//! Decisions (numbering, transitions, who is next) are made by [`crate::queue`], never here.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior, params,
};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::queue::{self, Action, Candidate, EventKind, Status, Ticket};

/// The newest schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 6;
/// How long one statement waits for another process's lock before SQLITE_BUSY.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a write transaction is tried when SQLite still answers BUSY.
pub const WRITE_ATTEMPTS: u32 = 5;

const MIGRATIONS: [&str; 6] = [
    r#"
CREATE TABLE ticket (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    service        TEXT    NOT NULL,
    origin_service TEXT    NOT NULL,
    business_date  TEXT    NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    number         TEXT    NOT NULL,
    priority       TEXT,
    status         TEXT    NOT NULL,
    queue_at       INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    called_at      INTEGER,
    started_at     INTEGER,
    finished_at    INTEGER,
    counter        INTEGER,
    recalls        INTEGER NOT NULL DEFAULT 0,
    waiting_ahead  INTEGER NOT NULL,
    token          TEXT    NOT NULL UNIQUE,
    printed_at     INTEGER,
    UNIQUE (origin_service, business_date, seq)
);
CREATE INDEX ticket_queue   ON ticket (status, business_date, service, queue_at);
CREATE INDEX ticket_number  ON ticket (business_date, number);
CREATE INDEX ticket_counter ON ticket (counter, status);
CREATE TABLE event (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES ticket (id),
    counter   INTEGER,
    data      TEXT    NOT NULL
);
CREATE INDEX event_ticket ON event (ticket_id);
CREATE TABLE counter_state (
    counter         INTEGER PRIMARY KEY,
    priority_streak INTEGER NOT NULL DEFAULT 0
);
"#,
    r#"
-- 1 while a ticket that should be printed has not been (committed first, printed after COMMIT).
ALTER TABLE ticket ADD COLUMN print_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ticket_print_pending ON ticket (print_pending) WHERE print_pending = 1;
-- The latest state of each device (printer, ...) for staff: "paper_near_end", "paper_out", ...
CREATE TABLE device_status (
    device TEXT    PRIMARY KEY,
    status TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT '',
    at     INTEGER NOT NULL
);
"#,
    r#"
-- A paused counter calls nobody; the board shows it as "Tạm dừng".
ALTER TABLE counter_state ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
-- Officers of the staff console. PINs are stored only as argon2 hashes.
CREATE TABLE officer (
    login      TEXT    PRIMARY KEY,
    pin_hash   TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('officer', 'supervisor')),
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
"#,
    r#"
-- Who is signed in at each counter (staff console), and who was when an event happened:
-- reports per officer read it from the events.
ALTER TABLE counter_state ADD COLUMN officer TEXT;
ALTER TABLE event ADD COLUMN officer TEXT;
"#,
    r#"
-- Citizens rate the service of a finished ticket once, from its status page (1 to 5).
CREATE TABLE rating (
    ticket_id INTEGER PRIMARY KEY REFERENCES ticket (id),
    score     INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    at        INTEGER NOT NULL
);
"#,
];

const TICKET_COLUMNS: &str = "id, service, origin_service, business_date, seq, number, priority, \
     status, queue_at, issued_at, called_at, started_at, finished_at, counter, recalls, \
     waiting_ahead, token, printed_at";

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Increasing id: boards and SSE clients resume from the last one they saw.
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: EventKind,
    /// The ticket's id.
    pub ticket_id: i64,
    /// The ticket's number.
    pub number: String,
    /// The ticket's service after the change.
    pub service: String,
    /// The counter involved, if any.
    pub counter: Option<u32>,
}

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
}

/// A device's latest recorded state (e.g. the kiosk printer's "paper_near_end").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStatus {
    /// Device name, e.g. `printer`.
    pub device: String,
    /// Short state code.
    pub status: String,
    /// Human-readable detail (English, for logs and staff pages).
    pub detail: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// An officer account of the staff console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Sign-in name.
    pub login: String,
    /// Argon2 hash of the PIN or password (never the secret itself).
    pub pin_hash: String,
    /// `officer` or `supervisor`.
    pub role: String,
    /// A disabled account cannot sign in.
    pub disabled: bool,
}

/// The queue at one moment, for the board and `counter queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    /// The service day shown.
    pub business_date: NaiveDate,
    /// Waiting tickets per service code, in config order.
    pub waiting: Vec<(String, u32)>,
    /// Each configured counter's current (called or serving) ticket.
    pub counters: Vec<(u32, Option<Ticket>)>,
    /// Numbers of the counters that are paused.
    pub paused: Vec<u32>,
    /// The newest event id included.
    pub last_event_id: i64,
}

/// A connection to the shared queue database.
pub struct Store {
    conn: Connection,
    cfg: Config,
    /// The database file, whose followers are woken after each commit ([`crate::wake`]).
    path: std::path::PathBuf,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, v))
}

fn opt_ms(v: Option<i64>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    v.map(from_ms).transpose()
}

fn bad_column(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("bad {what} in database").into(),
    )
}

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    let date: String = r.get(3)?;
    let status: String = r.get(7)?;
    Ok(Ticket {
        id: r.get(0)?,
        service: r.get(1)?,
        origin_service: r.get(2)?,
        business_date: date.parse().map_err(|_| bad_column(3, "business_date"))?,
        seq: r.get(4)?,
        number: r.get(5)?,
        priority: r.get(6)?,
        status: Status::parse(&status).ok_or_else(|| bad_column(7, "status"))?,
        queue_at: from_ms(r.get(8)?)?,
        issued_at: from_ms(r.get(9)?)?,
        called_at: opt_ms(r.get(10)?)?,
        started_at: opt_ms(r.get(11)?)?,
        finished_at: opt_ms(r.get(12)?)?,
        counter: r.get(13)?,
        recalls: r.get(14)?,
        waiting_ahead: r.get(15)?,
        token: r.get(16)?,
        printed_at: opt_ms(r.get(17)?)?,
    })
}

fn officer_from_row(r: &Row<'_>) -> rusqlite::Result<Officer> {
    Ok(Officer {
        login: r.get(0)?,
        pin_hash: r.get(1)?,
        role: r.get(2)?,
        disabled: r.get(3)?,
    })
}

fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Database(rusqlite::Error::SqliteFailure(f, _))
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

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

impl Store {
    /// Opens (creating and migrating if needed) the database named by the config.
    pub fn open(cfg: &Config) -> Result<Store> {
        Store::open_path(&cfg.office.database, cfg)
    }

    /// Opens the database at `path` with the multi-process settings of NOTES.md.
    pub fn open_path(path: &Path, cfg: &Config) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                context: format!("cannot create database folder {}", dir.display()),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "database is not in WAL mode");
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA journal_size_limit = 67108864;",
        )?;
        let mut store = Store {
            conn,
            cfg: cfg.clone(),
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        self.write(|tx| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tracing::info!(version = i + 1, "migrating database schema");
                tx.execute_batch(sql)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
            Ok(())
        })
    }

    /// The config this store was opened with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, retrying on SQLITE_BUSY with 5–50 ms jitter.
    fn write<T>(&mut self, mut f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            let result = (|| {
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if is_busy(&e) && attempt < WRITE_ATTEMPTS => {
                    tracing::debug!(attempt, "database busy, retrying");
                    std::thread::sleep(Duration::from_millis(fastrand::u64(5..=50)));
                    attempt += 1;
                }
                Err(e) if is_busy(&e) => return Err(Error::Busy(attempt)),
                Ok(value) => {
                    crate::wake::notify(&self.path);
                    return Ok(value);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The service day `now` falls in, in the office time zone.
    pub fn business_date(&self, now: DateTime<Utc>) -> NaiveDate {
        queue::business_date(now, self.cfg.office.timezone, self.cfg.office.reset_at)
    }

    /// Issues a ticket for `service` (and priority class) at `now`.
    pub fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.issue_ticket(service, priority, false, now)
    }

    /// Issues a ticket that is about to be printed: it stays marked "print pending" until
    /// [`Store::mark_printed`], so a crash between COMMIT and the printer is found at start-up.
    pub fn issue_for_print(
        &mut self,
        service: &str,
        priority: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        self.issue_ticket(service, priority, true, now)
    }

    fn issue_ticket(
        &mut self,
        service: &str,
        priority: Option<&str>,
        print_pending: bool,
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
                tx.query_row("SELECT MAX(business_date) FROM ticket", [], |r| r.get(0))?;
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
                 status, queue_at, issued_at, waiting_ahead, token, print_pending) \
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, 'waiting', ?6, ?6, ?7, ?8, ?9)",
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
                print_pending
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
            finish_current(tx, counter, now)?;
            let placeholders = vec!["?"; served.len()].join(",");
            let sql = format!(
                "SELECT id, service, priority IS NOT NULL, queue_at FROM ticket \
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
                .query_map(args.as_slice(), |r| {
                    Ok(Candidate {
                        id: r.get(0)?,
                        service: r.get(1)?,
                        priority: r.get(2)?,
                        queue_at: from_ms(r.get(3)?)?,
                    })
                })?
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
        self.write(|tx| {
            let t = current_ticket(tx, counter)?.ok_or(Error::NoCurrentTicket(counter))?;
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
        if let Some(s) = service {
            self.cfg.service(s)?;
        }
        if let Action::Call { counter } = action {
            self.cfg.counter(counter)?;
        }
        self.check_action(&action)?;
        let today = self.business_date(now);
        self.write(|tx| {
            let t = find_by_number(tx, today, number, service)?;
            if let Action::Call { counter } = action {
                // A counter serves one citizen at a time: calling a number ends the current one.
                finish_current(tx, counter, now)?;
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

    /// Pauses (or resumes) a counter: a paused counter is shown as such and calls nobody.
    pub fn set_paused(&mut self, counter: u32, paused: bool) -> Result<()> {
        self.cfg.counter(counter)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO counter_state (counter, paused) VALUES (?1, ?2) \
                 ON CONFLICT (counter) DO UPDATE SET paused = excluded.paused",
                params![counter, paused],
            )?;
            Ok(())
        })
    }

    /// Records who is signed in at `counter` (`None`: nobody); events at the counter carry it.
    pub fn set_counter_officer(&mut self, counter: u32, login: Option<&str>) -> Result<()> {
        self.cfg.counter(counter)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO counter_state (counter, officer) VALUES (?1, ?2) \
                 ON CONFLICT (counter) DO UPDATE SET officer = excluded.officer",
                params![counter, login],
            )?;
            Ok(())
        })
    }

    /// Forgets every counter's officer (the staff console starts with nobody signed in).
    pub fn clear_counter_officers(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE counter_state SET officer = NULL WHERE officer IS NOT NULL",
                [],
            )?;
            Ok(())
        })
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
             AND service = ?2 AND (queue_at < ?3 OR (queue_at = ?3 AND id < ?4))",
            params![t.business_date.to_string(), t.service, ms(t.queue_at), t.id],
            |r| r.get(0),
        )?)
    }

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

    /// Records a citizen's rating (1 to 5) of a served ticket; once per ticket.
    pub fn rate(&mut self, ticket_id: i64, score: u8, now: DateTime<Utc>) -> Result<()> {
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
                "INSERT INTO rating (ticket_id, score, at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (ticket_id) DO NOTHING",
                params![ticket_id, score.clamp(1, 5), ms(now)],
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

    /// Every ticket of the service days `from..=to` for reports, with the time it was first
    /// called and the officer of its last event at a counter.
    pub fn report_rows(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS}, \
             (SELECT MIN(e.at) FROM event e WHERE e.ticket_id = ticket.id AND e.kind = 'called'), \
             (SELECT e.officer FROM event e WHERE e.ticket_id = ticket.id AND e.officer IS NOT NULL \
              ORDER BY e.id DESC LIMIT 1), \
             (SELECT score FROM rating WHERE rating.ticket_id = ticket.id) \
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
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Adds an officer; `pin_hash` must already be a hash. Refuses a login that exists.
    pub fn add_officer(
        &mut self,
        login: &str,
        pin_hash: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM officer WHERE login = ?1)",
                [login],
                |r| r.get(0),
            )?;
            if exists {
                return Err(Error::OfficerExists(login.to_string()));
            }
            tx.execute(
                "INSERT INTO officer (login, pin_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![login, pin_hash, role, ms(now)],
            )?;
            Ok(())
        })
    }

    /// The officer with this login.
    pub fn officer(&self, login: &str) -> Result<Option<Officer>> {
        Ok(self
            .conn
            .query_row(
                "SELECT login, pin_hash, role, disabled FROM officer WHERE login = ?1",
                [login],
                officer_from_row,
            )
            .optional()?)
    }

    /// Every officer, by login.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        let mut stmt = self
            .conn
            .prepare("SELECT login, pin_hash, role, disabled FROM officer ORDER BY login")?;
        let rows = stmt.query_map([], officer_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Changes an officer's PIN hash or disabled flag; an error if the login is unknown.
    pub fn update_officer(
        &mut self,
        login: &str,
        pin_hash: Option<&str>,
        disabled: Option<bool>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE officer SET pin_hash = COALESCE(?2, pin_hash), disabled = COALESCE(?3, disabled) \
                 WHERE login = ?1",
                params![login, pin_hash, disabled],
            )?;
            if n == 0 {
                return Err(Error::UnknownOfficer(login.to_string()));
            }
            Ok(())
        })
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

    /// Today's waiting tickets that were committed for printing but never marked printed (the
    /// kiosk died or the printer failed between COMMIT and paper), oldest first.
    pub fn unprinted(&self, now: DateTime<Utc>) -> Result<Vec<Ticket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM ticket WHERE print_pending = 1 AND status = 'waiting' \
             AND business_date = ?1 ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([self.business_date(now).to_string()], ticket_from_row)?;
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

    /// Records a device's latest state for staff (e.g. printer "paper_near_end").
    pub fn set_device_status(
        &mut self,
        device: &str,
        status: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO device_status (device, status, detail, at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (device) DO UPDATE SET status = excluded.status, detail = excluded.detail, at = excluded.at",
                params![device, status, detail, ms(now)],
            )?;
            Ok(())
        })
    }

    /// Every device's latest state.
    pub fn device_statuses(&self) -> Result<Vec<DeviceStatus>> {
        let mut stmt = self
            .conn
            .prepare("SELECT device, status, detail, at FROM device_status ORDER BY device")?;
        let rows = stmt.query_map([], |r| {
            Ok(DeviceStatus {
                device: r.get(0)?,
                status: r.get(1)?,
                detail: r.get(2)?,
                at: from_ms(r.get(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The ticket with this id.
    pub fn ticket(&self, id: i64) -> Result<Ticket> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], ticket_from_row)?)
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
            counters.push((c.number, current_ticket(&tx, c.number)?));
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes whenever another connection commits (`PRAGMA data_version`).
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

fn load_ticket(tx: &Transaction<'_>, id: i64) -> Result<Ticket> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM ticket WHERE id = ?1");
    Ok(tx.query_row(&sql, [id], ticket_from_row)?)
}

fn current_ticket(conn: &Connection, counter: u32) -> Result<Option<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM ticket WHERE counter = ?1 AND status IN ('called', 'serving') \
         ORDER BY called_at DESC, id DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, [counter], ticket_from_row)
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
fn finish_current(tx: &Transaction<'_>, counter: u32, now: DateTime<Utc>) -> Result<()> {
    while let Some(t) = current_ticket(tx, counter)? {
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
