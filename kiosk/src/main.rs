//! `kiosk`: issues queue tickets (the touchscreen UI and printing build on this).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use motcua::{Config, Store};

/// motcua kiosk: issue numbered queue tickets.
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
    /// Issue one ticket.
    Issue {
        /// Service code from the config, e.g. TP.
        #[arg(long, value_name = "CODE")]
        service: String,
        /// Priority class code from the config, e.g. elderly.
        #[arg(long, value_name = "CODE")]
        priority: Option<String>,
        /// Do not print the ticket even when a printer is configured.
        #[arg(long)]
        no_print: bool,
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
            eprintln!("kiosk: {e:#}");
            ExitCode::from(motcua::cli::exit_code(e.as_ref()) as u8)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Issue {
            service,
            priority,
            no_print: _,
            json,
        } => {
            let mut store = Store::open(&cfg).context("cannot open the queue database")?;
            let ticket = store.issue(&service, priority.as_deref(), chrono::Utc::now())?;
            if json {
                let out = serde_json::json!({
                    "ticket": motcua::json::ticket(&ticket, &cfg),
                    "printed": false,
                });
                println!("{out}");
            } else {
                let name = &cfg.service(&ticket.service)?.name;
                println!(
                    "Số thứ tự {} – {} – {} người đang chờ trước",
                    ticket.number, name, ticket.waiting_ahead
                );
            }
        }
    }
    Ok(())
}
