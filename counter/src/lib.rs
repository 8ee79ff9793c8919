//! The counter's library: the staff console server (`counter serve`), its pages, and reports.

pub mod charts;
pub mod http;
pub mod init;
mod pages;
pub mod report;
pub mod ship;
