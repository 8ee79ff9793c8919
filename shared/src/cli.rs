//! Helpers every binary's `main` shares: one-line usage errors and exit codes (CONTRACT.md).

use crate::error::{EXIT_OTHER, EXIT_USAGE, Error};

/// Parses the command line; on a usage error prints one line on stderr and exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    match T::try_parse() {
        Ok(v) => v,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    EXIT_USAGE
                } else {
                    0
                };
                let _ = e.print();
                std::process::exit(code);
            }
            // clap's message spreads over a paragraph; scripts and people get its gist on one line.
            let text = e.render().to_string();
            let gist: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            eprintln!("{} (see --help)", gist.join(" "));
            std::process::exit(EXIT_USAGE);
        }
    }
}

/// The exit code for an error chain: the first motcua [`Error`] in it decides, else 1.
pub fn exit_code_of(err: &(dyn std::error::Error + 'static)) -> i32 {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(e) = e.downcast_ref::<Error>() {
            return e.exit_code();
        }
        cur = e.source();
    }
    EXIT_OTHER
}

/// Usage error raised by a binary after parsing (e.g. a flag combination clap cannot express).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Like [`exit_code_of`], also mapping [`UsageError`] to 2.
pub fn exit_code(err: &(dyn std::error::Error + 'static)) -> i32 {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<UsageError>().is_some() {
            return EXIT_USAGE;
        }
        cur = e.source();
    }
    exit_code_of(err)
}

/// An error that carries its own exit code and line (e.g. the kiosk's "printer not ready", 3).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    /// The exit code.
    pub code: u8,
    /// The one line for stderr.
    pub message: String,
}

/// Logs to stderr, filtered by `MOTCUA_LOG` (`tracing` syntax), default `warn`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
}

/// Every binary's `main`: parses the command line (usage errors exit 2 with one line), starts
/// logging, runs `run`, and turns an error into one line on stderr (`NAME: what, why`) and the
/// exit code of CONTRACT.md.
pub fn main<T: clap::Parser>(
    name: &str,
    run: impl FnOnce(T) -> anyhow::Result<std::process::ExitCode>,
) -> std::process::ExitCode {
    let cli: T = parse_args();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            let code = match e.downcast_ref::<Exit>() {
                Some(x) => x.code,
                None => exit_code(e.as_ref()) as u8,
            };
            std::process::ExitCode::from(code)
        }
    }
}
