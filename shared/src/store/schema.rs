//! Schema and migrations (`PRAGMA user_version`): each migration runs once, in order, inside one write.

use crate::error::{Error, Result};

use super::Store;

/// The newest schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 12;

const MIGRATIONS: [&str; 12] = [
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
    r#"
-- The kiosk device (of [[devices]]) that prints a ticket issued over the API; NULL for the
-- kiosk on the office host. Recovery of unprinted tickets looks only at its own.
ALTER TABLE ticket ADD COLUMN issued_by TEXT;
"#,
    r#"
-- A rating is tied to where and by whom the citizen was served (kept even if the events are
-- read differently later), says why when the mark was low, and which device took it (NULL:
-- the citizen's own phone, from the status page).
ALTER TABLE rating ADD COLUMN counter INTEGER;
ALTER TABLE rating ADD COLUMN officer TEXT;
ALTER TABLE rating ADD COLUMN reason TEXT;
ALTER TABLE rating ADD COLUMN device TEXT;
"#,
    r#"
-- Browsers paired as a device of [[devices]] (a TV's browser as the board, a tablet as a
-- counter's rating screen). `counter pair` makes a one-time code, kept only as an argon2 hash
-- until it expires; the browser that types it gets a token of its own, also kept only as a
-- hash, valid while the device's token in the config is the one it was paired under.
CREATE TABLE pairing_code (
    device     TEXT    PRIMARY KEY,
    code_hash  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE paired_browser (
    id          INTEGER PRIMARY KEY,
    device      TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL,
    device_hash TEXT    NOT NULL,
    paired_at   INTEGER NOT NULL
);
"#,
    r#"
-- A service day a clock that once ran ahead issued tickets for, voided by `counter
-- clock-repair`: its tickets up to `last_id` no longer count as "the newest day", so issuing
-- resumes today. Tickets issued later on that day, when it really comes, count again.
CREATE TABLE repaired_day (
    business_date TEXT    PRIMARY KEY,
    last_id       INTEGER NOT NULL,
    voided        INTEGER NOT NULL,
    at            INTEGER NOT NULL
);
"#,
    r#"
-- Officers by their full name and job title in reports ("Nguyễn Thị Lan", "Công chức Tư pháp -
-- Hộ tịch"); NULL: shown by login.
ALTER TABLE officer ADD COLUMN full_name TEXT;
ALTER TABLE officer ADD COLUMN title TEXT;
"#,
    r#"
-- How far the office's events have reached the province centre: the newest event id the
-- centre's NATS JetStream acknowledged (one row). Ratings are keyed by ticket, not in order, so
-- each carries its own flag instead.
CREATE TABLE centre_cursor (
    outbox  TEXT    PRIMARY KEY,
    last_id INTEGER NOT NULL
);
ALTER TABLE rating ADD COLUMN shipped INTEGER NOT NULL DEFAULT 0;
CREATE INDEX rating_unshipped ON rating (ticket_id) WHERE shipped = 0;
"#,
];

impl Store {
    /// The schema version in the file, refused when newer than this build.
    pub(super) fn check_schema(&self) -> Result<i64> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(version)
    }

    /// Brings the schema to [`SCHEMA_VERSION`]. A new (empty) database is created by any
    /// program; a database with an older schema only when `upgrade` is set (`counter serve`,
    /// `counter migrate`, after their backup), else [`Error::SchemaOld`]. Returns the version
    /// found.
    pub(super) fn migrate(&mut self, upgrade: bool) -> Result<i64> {
        let found = self.check_schema()?;
        if found == SCHEMA_VERSION {
            // Current already: opening writes nothing.
            return Ok(found);
        }
        if found > 0 && !upgrade {
            return Err(Error::SchemaOld {
                found,
                needed: SCHEMA_VERSION,
            });
        }
        self.write(|tx| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew {
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            if version > 0 && !upgrade {
                // Another program made it meanwhile, with an older build.
                return Err(Error::SchemaOld {
                    found: version,
                    needed: SCHEMA_VERSION,
                });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tracing::info!(version = i + 1, "migrating database schema");
                tx.execute_batch(sql)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
            Ok(())
        })?;
        Ok(found)
    }
}

/// Builds a database at schema `version` (1..=[`SCHEMA_VERSION`]) with the migrations as they
/// were shipped, as the build of that version left it: for migration tests from every earlier
/// version.
#[doc(hidden)]
pub fn create_at_version(path: &std::path::Path, version: i64) -> Result<()> {
    assert!((1..=SCHEMA_VERSION).contains(&version));
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;")?;
    for sql in &MIGRATIONS[..version as usize] {
        conn.execute_batch(sql)?;
    }
    conn.execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))?;
    Ok(())
}
