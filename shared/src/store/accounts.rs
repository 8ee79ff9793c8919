//! Officers' accounts (logins, PIN hashes, roles) and browsers paired as devices.

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
    /// Full name for reports ("Nguyễn Thị Lan"), when given.
    pub full_name: Option<String>,
    /// Job title for reports, when given.
    pub title: Option<String>,
}

impl Officer {
    /// The name reports show: the full name, else the login.
    pub fn display_name(&self) -> &str {
        self.full_name.as_deref().unwrap_or(&self.login)
    }
}

/// The columns [`officer_from_row`] reads.
const OFFICER_COLUMNS: &str = "login, pin_hash, role, disabled, full_name, title";

fn officer_from_row(r: &Row<'_>) -> rusqlite::Result<Officer> {
    Ok(Officer {
        login: r.get(0)?,
        pin_hash: r.get(1)?,
        role: Role::parse(&r.get::<_, String>(2)?).ok_or_else(|| bad_column(2, "role"))?,
        disabled: r.get(3)?,
        full_name: r.get(4)?,
        title: r.get(5)?,
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
                &format!("SELECT {OFFICER_COLUMNS} FROM officer WHERE login = ?1 COLLATE NOCASE"),
                [login],
                officer_from_row,
            )
            .optional()?)
    }

    /// Every officer, by login.
    pub fn officers(&self) -> Result<Vec<Officer>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OFFICER_COLUMNS} FROM officer ORDER BY login"
        ))?;
        let rows = stmt.query_map([], officer_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Sets an officer's full name and job title for reports (`None` clears one); an error if
    /// the login is unknown.
    pub fn set_officer_name(
        &mut self,
        login: &str,
        full_name: Option<&str>,
        title: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE officer SET full_name = ?2, title = ?3 WHERE login = ?1 COLLATE NOCASE",
                params![login, full_name, title],
            )?;
            if n == 0 {
                return Err(Error::UnknownOfficer(login.to_string()));
            }
            Ok(())
        })
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

impl Store {
    /// Keeps a pairing code for `device` (its argon2 hash) until `expires_at`, replacing the
    /// device's earlier code.
    pub fn set_pairing_code(
        &mut self,
        device: &str,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO pairing_code (device, code_hash, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device) DO UPDATE SET code_hash = ?2, expires_at = ?3",
                params![device, code_hash, ms(expires_at)],
            )?;
            Ok(())
        })
    }

    /// The pairing codes not expired at `now`: (device, code hash).
    pub fn pairing_codes(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT device, code_hash FROM pairing_code WHERE expires_at > ?1 ORDER BY device",
        )?;
        let rows = stmt.query_map([ms(now)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Pairs a browser as `device`: its code is used up (and expired codes go), and the
    /// browser's token is kept as `token_hash`, valid under the device's `device_hash`.
    /// Refused when the code was taken meanwhile (two browsers typing the same code).
    pub fn pair_browser(
        &mut self,
        device: &str,
        code_hash: &str,
        token_hash: &str,
        device_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.write(|tx| {
            let taken = tx.execute(
                "DELETE FROM pairing_code WHERE device = ?1 AND code_hash = ?2 AND expires_at > ?3",
                params![device, code_hash, ms(now)],
            )?;
            tx.execute("DELETE FROM pairing_code WHERE expires_at <= ?1", [ms(now)])?;
            if taken == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO paired_browser (device, token_hash, device_hash, paired_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![device, token_hash, device_hash, ms(now)],
            )?;
            Ok(true)
        })
    }

    /// The token hashes of browsers paired as `device` under its current `device_hash`.
    pub fn paired_tokens(&self, device: &str, device_hash: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT token_hash FROM paired_browser WHERE device = ?1 AND device_hash = ?2
             ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([device, device_hash], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
