//! `motcua-centre`: the province centre's server and its tools.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use motcua_centre::config::{self, CentreConfig};
use motcua_centre::db;

/// The config file when neither --config nor $MOTCUA_CENTRE_CONFIG names one.
const DEFAULT_CONFIG: &str = "/etc/motcua-centre/centre.toml";

#[derive(Parser)]
#[command(name = "motcua-centre", version, about = "motcua's province centre")]
struct Cli {
    /// The centre's config file.
    #[arg(long, global = true, value_name = "FILE", env = "MOTCUA_CENTRE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Take every office's events into PostgreSQL and serve the leaders' page (prints
    /// "listening on http://ADDR" first).
    Serve,
    /// Make a new NATS key (for an office or the centre): writes its secret seed to FILE
    /// (mode 600) and prints its public key for centre.toml.
    Key {
        /// Where to write the seed; must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the nats-server `authorization` block for the offices in centre.toml.
    NatsConfig,
    /// Add or replace a leader's account; the password is read from standard input.
    User {
        /// Sign-in name.
        login: String,
        /// province: every office; office: only those given with --office.
        #[arg(long, value_enum)]
        role: LeaderRole,
        /// An office this leader sees (repeat for several).
        #[arg(long = "office", value_name = "ID")]
        offices: Vec<String>,
    },
    /// Print how many events the centre holds per office (JSON).
    Counts,
}

#[derive(Clone, Copy, ValueEnum)]
enum LeaderRole {
    Province,
    Office,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("motcua-centre: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Key { out } = &cli.command {
        let public = config::write_new_seed(out)?;
        println!("{public}");
        return Ok(());
    }
    let path = cli.config.unwrap_or_else(|| DEFAULT_CONFIG.into());
    let cfg = CentreConfig::load(&path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match cli.command {
        Command::Key { .. } => unreachable!("handled above"),
        Command::NatsConfig => {
            let centre = config::read_seed(&cfg.credentials)?;
            print!("{}", cfg.nats_authorization(&centre.public_key()));
            Ok(())
        }
        Command::User {
            login,
            role,
            offices,
        } => {
            if !motcua::config::is_slug(&login) {
                anyhow::bail!("login '{login}': use 1-32 of a-z, 0-9, '_' and '-'");
            }
            let role = match role {
                LeaderRole::Province => "province",
                LeaderRole::Office => "office",
            };
            if role == "office" && offices.is_empty() {
                anyhow::bail!("an office viewer needs at least one --office ID");
            }
            if let Some(o) = offices.iter().find(|o| cfg.office(o).is_none()) {
                anyhow::bail!("office '{o}' is not in {}", cfg.path.display());
            }
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let hash = motcua::secret::hash_password(password.trim_end_matches(['\r', '\n']))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            rt.block_on(async {
                let pg = db::connect(&cfg.postgres).await?;
                db::put_leader(
                    &pg,
                    &db::Leader {
                        login: login.clone(),
                        password_hash: hash,
                        role: role.into(),
                        offices,
                    },
                )
                .await
            })?;
            println!("Đã lưu tài khoản {login}.");
            Ok(())
        }
        Command::Counts => rt.block_on(async {
            let pg = db::connect(&cfg.postgres).await?;
            let counts = db::event_counts(&pg).await?;
            let json: Vec<_> = counts
                .iter()
                .map(|(o, n, max)| serde_json::json!({"office": o, "events": n, "max_id": max}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
            Ok(())
        }),
        Command::Serve => rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(cfg.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
            let ready = |addr| {
                use std::io::Write;
                println!("listening on http://{addr}");
                let _ = std::io::stdout().flush();
            };
            motcua_centre::serve(cfg, listener, ready, shutdown()).await
        }),
    }
}

async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
