//! The shared SQLite queue: connection settings and the write transaction here; the schema and
//! migrations, tickets and events, counters, accounts and report reads in the submodules.
//!
//! **Invariant:** this is the only module that imports rusqlite. Every write runs in a
//! `BEGIN IMMEDIATE` transaction that does no other I/O, and is retried on SQLITE_BUSY with jitter.
//! Decisions (numbering, transitions, who is next) are made by [`crate::queue`], never here.

mod accounts;
mod backup;
mod centre;
mod counters;
mod reports;
mod schema;
mod situation;
mod tickets;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, Row, Transaction, TransactionBehavior};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::queue::{self, EventKind, Status, Ticket};

pub use accounts::Officer;
pub use backup::{Copy, check_copy};
pub use counters::DeviceStatus;
pub use reports::{RatingRecord, ReportRow};
pub use schema::{SCHEMA_VERSION, create_at_version};
pub use situation::HISTORY_DAYS;

/// The database file at `path` and the `-wal` and `-shm` files SQLite keeps beside it.
pub fn database_files(path: &Path) -> [std::path::PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        p.into()
    })
}

/// Refuses, before SQLite touches anything, a database (or its `-wal`/`-shm` files) this user
/// cannot write: opening it anyway would leave `-wal`/`-shm` files the owner cannot use. A new
/// database file is created with mode 0660 (the office's group shares it, nobody else reads
/// it).
///
/// Existing files are checked with `access(2)`, never opened: closing any descriptor of a file
/// drops every POSIX lock this process holds on it, and the server's other connections hold
/// SQLite's locks on these very files.
fn check_writable(path: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    if !path.exists() {
        return match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o660)
            .open(path)
        {
            Ok(_) => Ok(()),
            // Another process created it meanwhile: check it like any other.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => check_writable(path),
            Err(e) => Err(Error::storage(path, "cannot create", &e)),
        };
    }
    for f in database_files(path).iter().filter(|f| f.exists()) {
        let c = std::ffi::CString::new(f.as_os_str().as_bytes()).map_err(|_| Error::Storage {
            path: f.clone(),
            what: "a path with a NUL byte".into(),
            advice: "check `office.database`",
        })?;
        // SAFETY: `c` is a valid NUL-terminated path; faccessat only reads it.
        let r = unsafe {
            libc::faccessat(
                libc::AT_FDCWD,
                c.as_ptr(),
                libc::R_OK | libc::W_OK,
                libc::AT_EACCESS,
            )
        };
        if r != 0 {
            return Err(Error::storage(
                f,
                "cannot write",
                &std::io::Error::last_os_error(),
            ));
        }
    }
    Ok(())
}

/// How long one statement waits for another process's lock before SQLITE_BUSY.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times a write transaction is tried when SQLite still answers BUSY.
pub const WRITE_ATTEMPTS: u32 = 5;

const TICKET_COLUMNS: &str = "id, service, origin_service, business_date, seq, number, priority, \
     status, queue_at, issued_at, called_at, started_at, finished_at, counter, recalls, \
     waiting_ahead, token, printed_at";
/// How many columns [`TICKET_COLUMNS`] names.
const TICKET_COLUMN_COUNT: usize = 18;

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

/// What [`Store::open_upgrading`] found and did.
pub struct Upgrade {
    /// The open, current store.
    pub store: Store,
    /// The schema version the file had ([`SCHEMA_VERSION`] when nothing was done).
    pub from: i64,
    /// The copy written before migrating, if a migration ran.
    pub backup: Option<std::path::PathBuf>,
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

fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Database(rusqlite::Error::SqliteFailure(f, _))
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

impl Store {
    /// Opens (creating and migrating if needed) the database named by the config.
    pub fn open(cfg: &Config) -> Result<Store> {
        Store::open_path(&cfg.office.database, cfg)
    }

    /// Opens the database at `path` with the multi-process settings of NOTES.md, creating it
    /// (mode 0660: the office's group shares it, nobody else reads it) and migrating it if
    /// needed. A database that is already current is not written to.
    pub fn open_path(path: &Path, cfg: &Config) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::storage(dir, "cannot create the folder", &e))?;
        }
        check_writable(path)?;
        let conn = Connection::open(path).map_err(|e| Error::storage(path, "cannot open", &e))?;
        let mut store = Store::configure(conn, path, cfg)?;
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| Error::storage(path, "cannot open", &e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "database is not in WAL mode");
        }
        store.migrate(false)?;
        Ok(store)
    }

    /// Opens the database like [`Store::open`], and upgrades an older schema: first a checked
    /// copy of it goes to `backups` as `motcua-YYYYMMDD-HHMMSS-vOLD.db` (`stamp` is the time
    /// part), then the migrations run. Only `counter serve` and `counter migrate` do this; every
    /// other program meeting an older schema gets [`Error::SchemaOld`] and waits for them.
    pub fn open_upgrading(cfg: &Config, backups: &Path, stamp: &str) -> Result<Upgrade> {
        let path = cfg.office.database.as_path();
        let old = match Store::open(cfg) {
            Ok(store) => {
                return Ok(Upgrade {
                    store,
                    from: SCHEMA_VERSION,
                    backup: None,
                });
            }
            Err(Error::SchemaOld { found, .. }) => found,
            Err(e) => return Err(e),
        };
        std::fs::create_dir_all(backups)
            .map_err(|e| Error::storage(backups, "cannot create the backup folder", &e))?;
        let copy = backups.join(format!("motcua-{stamp}-v{old}.db"));
        let _ = std::fs::remove_file(&copy);
        Store::open_reader(cfg)?.backup_into(&copy)?;
        let conn = Connection::open(path).map_err(|e| Error::storage(path, "cannot open", &e))?;
        let mut store = Store::configure(conn, path, cfg)?;
        let from = store.migrate(true)?;
        tracing::info!(from, to = SCHEMA_VERSION, backup = %copy.display(), "database schema upgraded");
        Ok(Upgrade {
            store,
            from,
            backup: Some(copy),
        })
    }

    /// Opens the database read-only, for commands that only read (`queue`, `report`, a
    /// board's `state`): they work on a full or read-only disk. Only a database that does not
    /// exist yet is created (empty), as every other command does.
    pub fn open_reader(cfg: &Config) -> Result<Store> {
        let path = cfg.office.database.as_path();
        if !path.exists() {
            // A new office: the first reader creates the (empty) queue.
            return Store::open(cfg);
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| Error::storage(path, "cannot read", &e))?;
        let store = Store::configure(conn, path, cfg)?;
        store.check_schema()?;
        Ok(store)
    }

    fn configure(conn: Connection, path: &Path, cfg: &Config) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| {
                conn.execute_batch(
                    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA journal_size_limit = 67108864;",
                )
            })
            .map_err(|e| Error::storage(path, "cannot open", &e))?;
        Ok(Store {
            conn,
            cfg: cfg.clone(),
            path: path.to_path_buf(),
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

    /// A number that changes whenever another connection commits (`PRAGMA data_version`).
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}
