//! Who may do what: the roles of officers' accounts and of devices with an API token.

use serde::{Deserialize, Serialize};

/// An officer account's role in the staff console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works at one counter.
    Officer,
    /// Any counter, any ticket, and the monitor.
    Supervisor,
}

impl Role {
    /// The name in the database, the config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
        }
    }

    /// From [`Role::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "officer" => Some(Role::Officer),
            "supervisor" => Some(Role::Supervisor),
            _ => None,
        }
    }
}

/// What a device may do through the office API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// Reads the queue state and follows `/api/events`.
    Board,
    /// Also issues tickets (`POST /api/tickets`).
    Kiosk,
    /// The rating tablet of one counter (`[[devices]] counter`): reads the queue and takes the
    /// citizens' ratings given at that counter.
    Rating,
}

impl DeviceRole {
    /// The name in the config and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Board => "board",
            DeviceRole::Kiosk => "kiosk",
            DeviceRole::Rating => "rating",
        }
    }

    /// From [`DeviceRole::as_str`]'s names.
    pub fn parse(s: &str) -> Option<DeviceRole> {
        match s {
            "board" => Some(DeviceRole::Board),
            "kiosk" => Some(DeviceRole::Kiosk),
            "rating" => Some(DeviceRole::Rating),
            _ => None,
        }
    }
}
