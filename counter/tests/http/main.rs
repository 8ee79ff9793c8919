//! The server's HTTP rules, in process: the access matrix and the hardening regressions.

mod clock;
mod estimate;
mod hardening;
mod matrix;
mod office;
mod reports;
mod screens;
