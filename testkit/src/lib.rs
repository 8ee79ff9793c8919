//! What motcua's tests and benchmarks share: an office-config builder ([`office`]) and one
//! golden-file module ([`golden`]). Kept free of motcua itself so that every crate's tests can
//! use it.

pub mod golden;
pub mod office;

pub use office::OfficeToml;
