//! `display-board`: what the waiting-room board shows (text for now; the rendered board builds on it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use motcua::{Config, Store};

/// motcua display board: who is called to which counter.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Config file (default: $MOTCUA_CONFIG, else ./motcua.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what the board shows now: each counter's current number and the waiting counts.
    State {
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli: Cli = motcua::cli::parse_args();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("display-board: {e:#}");
            ExitCode::from(motcua::cli::exit_code(e.as_ref()) as u8)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref())?;
    let store = Store::open(&cfg).context("cannot open the queue database")?;
    match cli.command {
        Command::State { json } => {
            let state = store.state(chrono::Utc::now())?;
            if json {
                println!("{}", motcua::json::state(&state, &cfg));
                return Ok(());
            }
            println!("{}", cfg.office.name);
            for (n, t) in &state.counters {
                let name = &cfg.counter(*n)?.name;
                match t {
                    Some(t) => println!("  {name:<10} {}", t.number),
                    None => println!("  {name:<10} —"),
                }
            }
            for (code, waiting) in &state.waiting {
                println!("  {:<34} đang chờ {waiting}", cfg.service(code)?.name);
            }
        }
    }
    Ok(())
}
