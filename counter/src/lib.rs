//! The counter's library: the staff console server (`counter serve`).

pub mod server;
