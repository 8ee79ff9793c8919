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

/// A LAN device's office server (`--server URL`) and its token (`--token-file F`, else
/// `$MOTCUA_DEVICE_TOKEN`); `None` without `--server`. `role` names the device kind for the
/// message on how to make a token (`board`, `kiosk`).
pub fn device_server(
    server: Option<&str>,
    token_file: Option<&std::path::Path>,
    role: &str,
) -> Result<Option<(String, String)>, UsageError> {
    let Some(url) = server else {
        if token_file.is_some() {
            return Err(UsageError(
                "--token-file goes with --server URL (a device on the office LAN)".into(),
            ));
        }
        return Ok(None);
    };
    let url = url.trim().trim_end_matches('/').to_string();
    let bad = |why: &str| {
        UsageError(format!(
            "--server '{url}': {why}use the address of counter serve, e.g. http://192.168.1.10:8080"
        ))
    };
    if url.starts_with("https://") {
        return Err(bad("the office server speaks http on the office LAN; "));
    }
    let host = url.strip_prefix("http://").unwrap_or("");
    if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
        return Err(bad(""));
    }
    let token = match token_file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| UsageError(format!("--token-file {}: {e}", f.display())))?,
        None => std::env::var("MOTCUA_DEVICE_TOKEN").unwrap_or_default(),
    };
    let token = token.trim().to_string();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(UsageError(format!(
            "--server needs this {role}'s device token: --token-file FILE or $MOTCUA_DEVICE_TOKEN \
             (make one with `counter device-token --name NAME --role {role}`)"
        )));
    }
    Ok(Some((url, token)))
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

/// The log filter without `MOTCUA_LOG`: problems only, and what `counter serve` is asked to
/// keep for the office (sign-ins, sign-outs, device connections, event streams).
pub const DEFAULT_LOG: &str = "warn,counter::http=info";

/// Logs to stderr (the journal under systemd), filtered by `MOTCUA_LOG` (`tracing` syntax),
/// default [`DEFAULT_LOG`].
pub fn init_logging() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal: the journal and log files get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOTCUA_LOG")
                .unwrap_or_else(|_| DEFAULT_LOG.into()),
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

/// Reads a secret (a PIN or password) never taken on the command line. At a terminal it is
/// asked for twice without echo (`prompt`, then "Nhập lại …") until both agree, at most three
/// times; from a pipe (scripts, tests) it is the first line of standard input.
pub fn read_secret(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let secret = line.trim_end_matches(['\r', '\n']).to_string();
        if secret.is_empty() {
            return Err(UsageError(format!(
                "{prompt} expected on standard input (one line), e.g. printf '246810\\n' | …"
            ))
            .into());
        }
        return Ok(secret);
    }
    for _ in 0..3 {
        let first = rpassword::prompt_password(format!("{prompt}: "))?;
        let again = rpassword::prompt_password(format!("Nhập lại {}: ", prompt.to_lowercase()))?;
        if first == again && !first.is_empty() {
            return Ok(first);
        }
        eprintln!("Hai lần nhập không khớp, vui lòng nhập lại.");
    }
    Err(UsageError("the two entries did not match three times: nothing was changed".into()).into())
}

/// Opens the queue for a kiosk or board that runs for the day: meeting a database the server
/// has not upgraded yet, it says so once on stderr ("Máy chủ chưa được cập nhật") and waits,
/// woken by the server's migration commit (checked again every 5 s in case the wake-up is
/// missed), then opens it. Any other error is returned at once.
pub fn open_store_waiting(cfg: &crate::Config) -> crate::Result<crate::Store> {
    let db = cfg.office.database.as_path();
    let mut listener = None;
    loop {
        match crate::Store::open(cfg) {
            Err(Error::SchemaOld { found, needed }) => {
                if listener.is_none() {
                    tracing::warn!(
                        found,
                        needed,
                        "database schema is older than this program; waiting for the server to upgrade it"
                    );
                    eprintln!(
                        "Máy chủ chưa được cập nhật: cơ sở dữ liệu {} ở phiên bản {found}, chương trình này cần phiên bản {needed}. Đang chờ máy chủ (counter serve hoặc counter migrate) cập nhật…",
                        db.display()
                    );
                    listener = Some(crate::wake::Listener::bind(db).ok());
                }
                match listener.as_ref().and_then(Option::as_ref) {
                    Some(l) => {
                        l.wait(std::time::Duration::from_secs(5));
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(5)),
                }
            }
            r => {
                if r.is_ok() && listener.is_some() {
                    eprintln!("Máy chủ đã cập nhật cơ sở dữ liệu, tiếp tục.");
                }
                return r;
            }
        }
    }
}

#[cfg(test)]
mod device_server_tests {
    use super::device_server;

    #[test]
    fn a_device_on_the_lan_needs_an_http_address_and_a_token_file() {
        assert!(device_server(None, None, "kiosk").unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "kiosk-door.abc\n").unwrap();
        assert_eq!(
            device_server(Some("http://10.0.0.5:8080/"), Some(&f), "kiosk").unwrap(),
            Some(("http://10.0.0.5:8080".into(), "kiosk-door.abc".into()))
        );
        for bad in [
            "10.0.0.5",
            "https://10.0.0.5",
            "http://",
            "http://10.0.0.5/x",
        ] {
            let e = device_server(Some(bad), Some(&f), "board").unwrap_err().0;
            assert!(
                e.starts_with("--server '") && e.contains("http://192.168.1.10:8080"),
                "{bad}: {e}"
            );
        }
        std::fs::write(&f, "  \n").unwrap();
        let e = device_server(Some("http://10.0.0.5"), Some(&f), "board")
            .unwrap_err()
            .0;
        assert!(
            e.contains("MOTCUA_DEVICE_TOKEN") && e.contains("--role board"),
            "{e}"
        );
        let e = device_server(None, Some(&f), "kiosk").unwrap_err().0;
        assert!(e.contains("goes with --server"), "{e}");
    }
}
