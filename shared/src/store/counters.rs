//! Counters' state (paused, the officer signed in) and devices' reported states.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::error::Result;

use super::*;

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

impl Store {
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

    /// Who is recorded as signed in at `counter`.
    pub fn counter_officer(&self, counter: u32) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT officer FROM counter_state WHERE counter = ?1",
                [counter],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
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
}
