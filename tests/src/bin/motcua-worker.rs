//! `motcua-worker`: a loop the SIGKILL test kills and the write benchmark runs several of —
//! issue a ticket, then call one at the counter, one JSON line per committed step.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use clap::Parser;
use motcua::{Config, Store};

/// Issue and call in a loop; print one JSON line per committed step.
#[derive(Parser)]
struct Cli {
    /// The office config.
    #[arg(long)]
    config: PathBuf,
    /// Service to issue for.
    #[arg(long, default_value = "TP")]
    service: String,
    /// Counter to call at (0: issue only).
    #[arg(long, default_value_t = 1)]
    counter: u32,
    /// Pairs to run (0: until killed).
    #[arg(long, default_value_t = 0)]
    pairs: u32,
}

fn main() -> ExitCode {
    motcua::cli::main("motcua-worker", |cli: Cli| {
        run(cli).map(|()| ExitCode::SUCCESS)
    })
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(Some(&cli.config))?;
    let mut store = Store::open(&cfg)?;
    let mut out = std::io::stdout().lock();
    let mut n = 0;
    while cli.pairs == 0 || n < cli.pairs {
        let t0 = Instant::now();
        let t = store.issue(&cli.service, None, Utc::now())?;
        let issue_us = t0.elapsed().as_micros();
        // Written only after COMMIT returned: a line on stdout is a promise the ticket exists.
        writeln!(
            out,
            r#"{{"op":"issue","id":{},"number":"{}","us":{issue_us}}}"#,
            t.id, t.number
        )?;
        if cli.counter > 0 {
            let t1 = Instant::now();
            let called = store.call_next(cli.counter, Utc::now())?;
            let call_us = t1.elapsed().as_micros();
            let id = called.map_or(-1, |t| t.id);
            writeln!(out, r#"{{"op":"call","id":{id},"us":{call_us}}}"#)?;
        }
        out.flush()?;
        n += 1;
    }
    Ok(())
}
