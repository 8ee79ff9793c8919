//! The counter's library: the staff console server (`counter serve`) and its pages.

mod pages;
pub mod server;
