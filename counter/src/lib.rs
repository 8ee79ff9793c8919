//! The counter's library: the staff console server (`counter serve`), its pages, and reports.

mod pages;
pub mod report;
pub mod server;
