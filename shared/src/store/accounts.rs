//! Officers' accounts: logins, PIN hashes, roles.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use crate::error::{Error, Result};

use crate::roles::Role;

use super::*;

/// An officer account of the staff console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Sign-in name.
    pub login: String,
    /// Argon2 hash of the PIN or password (never the secret itself).
    pub pin_hash: String,
    /// What they may do.
    pub role: Role,
    /// A disabled account cannot sign in.
    pub disabled: bool,
}

fn officer_from_row(r: &Row<'_>) -> rusqlite::Result<Officer> {
    Ok(Officer {
        login: r.get(0)?,
        pin_hash: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?).ok_or_else(|| bad_column(2, "role"))?,
        disabled: r.get(3)?,
    })
}

impl Store {
    /// Adds an officer; `pin_hash` must already be a hash. Refuses a login that exists in any
    /// letter case (logins are case-insensitive: `LAN` is `lan`).
    pub fn add_officer(
        &mut self,
        login: &str,
        pin_hash: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM officer WHERE login = ?1 COLLATE NOCASE)",
                [login],
                |r| r.get(0),
            )?;
            if exists {
                return Err(Error::OfficerExists(login.to_string()));
            }
            tx.execute(
                "INSERT INTO officer (login, pin_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![login, pin_hash, role.as_str(), ms(now)],
            )?;
            Ok(())
        })
    }

    /// The officer with this login (in any letter case).
    pub fn officer(&self, login: &str) -> Result<Option<Officer>> {
        Ok(self
            .conn
            .query_row(
                "SELECT login, pin_hash, role, disabled FROM officer WHERE login = ?1 COLLATE NOCASE",
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
                 WHERE login = ?1 COLLATE NOCASE",
                params![login, pin_hash, disabled],
            )?;
            if n == 0 {
                return Err(Error::UnknownOfficer(login.to_string()));
            }
            Ok(())
        })
    }
}
