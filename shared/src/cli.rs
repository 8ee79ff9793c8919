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
