//! motcua's shared library: config, the pure queue core, the SQLite store and the JSON shapes.
//!
//! The binaries (`kiosk`, `counter`, `display-board`) are thin: they parse flags and config, open
//! the [`store::Store`], and call into this crate.

pub mod api;
pub mod centre;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod escpos;
pub mod estimate;
pub mod loudness;
pub mod queue;
pub mod raster;
pub mod report;
pub mod roles;
pub mod secret;
pub mod store;
pub mod ticket;
pub mod vi;
pub mod voice;
pub mod wake;

pub use config::Config;
pub use error::{Error, Result};
pub use queue::{Action, EventKind, Status, Ticket};
pub use store::Store;
