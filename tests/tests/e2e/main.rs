//! motcua's end-to-end tests: the built binaries as real processes on real files, one test
//! binary (linked once) with a module per area.

mod architecture;
mod backup;
mod board;
mod browser;
mod centre;
mod chromium;
mod cli;
mod clock;
mod concurrency;
mod console;
mod flood;
mod init;
mod kiosk_window;
mod lan_kiosk;
mod links;
mod prediction;
mod printing;
mod report;
mod reports_page;
mod screens;
mod shutdown;
mod sigkill;
mod status_page;
mod virtual_printer;
