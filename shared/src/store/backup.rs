//! Backups: a consistent copy of the database while every program goes on writing (`VACUUM
//! INTO` reads one snapshot in a read transaction, so writers never wait and nothing half-written
//! is copied), checked with `integrity_check` before it counts.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

use super::Store;

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// Its schema version (`PRAGMA user_version`).
    pub schema: i64,
    /// Tickets in it.
    pub tickets: i64,
    /// Its size in bytes.
    pub bytes: u64,
}

impl Store {
    /// Writes a consistent copy of the database to `path`, which must not exist yet, and checks
    /// it ([`check_copy`]). A copy that fails the check is removed.
    pub fn backup_into(&self, path: &Path) -> Result<Copy> {
        let target = path.to_str().ok_or_else(|| Error::Storage {
            path: path.to_path_buf(),
            what: "the backup path is not UTF-8".into(),
            advice: "choose a folder whose name is plain text",
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .map_err(|e| Error::storage(path, "cannot write the backup", &e))?;
        check_copy(path).inspect_err(|_| {
            let _ = std::fs::remove_file(path);
        })
    }
}

/// Opens `path` read-only and checks it: `integrity_check` must say "ok"; its schema version and
/// ticket count are read.
pub fn check_copy(path: &Path) -> Result<Copy> {
    let bad = |what: String| Error::Storage {
        path: path.to_path_buf(),
        what,
        advice: "the copy is not usable: keep the previous backup and check the disk",
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::storage(path, "cannot read the copy", &e))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(format!("integrity check failed to run: {e}")))?;
    if verdict != "ok" {
        return Err(bad(format!("integrity check: {verdict}")));
    }
    let schema: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tickets: i64 = conn
        .query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get(0))
        .map_err(|e| bad(format!("no ticket table: {e}")))?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| Error::storage(path, "cannot read the copy", &e))?
        .len();
    Ok(Copy {
        schema,
        tickets,
        bytes,
    })
}
