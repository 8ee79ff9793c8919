//! `counter`: the officers' side of the queue — call, recall, start, finish, no-show, transfer, cancel.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use motcua::cli::UsageError;
use motcua::config::{DeviceRole, Role};
use motcua::{Action, Config, Store, Ticket};

/// motcua counter: move the queue from an officer's counter.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Config file (default: $MOTCUA_CONFIG, else ./motcua.toml, else /etc/motcua/motcua.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct At {
    /// The counter's number from the config.
    #[arg(long, value_name = "N")]
    counter: u32,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct Numbered {
    /// The ticket number as printed, e.g. 1005.
    #[arg(long, value_name = "NUMBER")]
    number: String,
    /// Service code, when the same number exists in several services today.
    #[arg(long, value_name = "CODE")]
    service: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Call the next waiting ticket (finishes the counter's current one).
    Call(At),
    /// Call the current ticket again.
    Recall(At),
    /// The citizen arrived: start serving the current ticket.
    Start(At),
    /// Finish the current ticket.
    Finish(At),
    /// The called citizen did not come.
    NoShow(At),
    /// Park the current ticket (citizen fetching a document).
    Hold(At),
    /// Move the current ticket to another service, keeping its place.
    Transfer {
        #[command(flatten)]
        at: At,
        /// The service code to move it to.
        #[arg(long, value_name = "CODE")]
        to: String,
    },
    /// Cancel the current ticket, or the ticket given by --number.
    Cancel {
        #[command(flatten)]
        at: At,
        /// The ticket number to cancel instead of the current one.
        #[arg(long, value_name = "NUMBER")]
        number: Option<String>,
        /// Service code, when the same number exists in several services today.
        #[arg(long, value_name = "CODE", requires = "number")]
        service: Option<String>,
    },
    /// Call a specific number out of order.
    CallNumber {
        #[command(flatten)]
        at: At,
        #[command(flatten)]
        ticket: Numbered,
    },
    /// Put a held ticket back in the queue at its original place.
    Unhold {
        #[command(flatten)]
        at: At,
        #[command(flatten)]
        ticket: Numbered,
    },
    /// A no-show turned up: back in the queue at its original place.
    Reactivate {
        #[command(flatten)]
        at: At,
        #[command(flatten)]
        ticket: Numbered,
    },
    /// Pause the counter ("Tạm dừng"): it calls nobody and the board shows it paused.
    Pause(At),
    /// Resume a paused counter ("Tiếp tục").
    Resume(At),
    /// Serve the staff console and the office API (prints "listening on http://ADDR" first).
    Serve {
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: String,
    },
    /// Ship the office's events and state to the province centre (`[centre]`) until stopped;
    /// `counter serve` does the same beside the console when `[centre]` is set.
    Ship,
    /// Officer accounts for the staff console.
    #[command(subcommand)]
    User(UserCommand),
    /// Figures for supervisors over service days FROM..=TO: issued, served, no-shows, cancelled,
    /// mean wait and service times; in total and per service, counter and officer.
    Report {
        /// First service day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// Last service day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
        /// html, csv or json.
        #[arg(long, value_enum)]
        format: counter::report::Format,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Make an API token for a kiosk or board on the LAN: prints the token (give it to the
    /// device) and the `[[devices]]` entry with its hash (put it in the server's config).
    DeviceToken {
        /// The device's name, e.g. board-hall (1-32 of a-z, 0-9, '_' and '-').
        #[arg(long)]
        name: String,
        /// board (reads the queue and its events), kiosk (also issues tickets) or rating (the
        /// rating tablet of one counter, --counter N).
        #[arg(long, default_value = "board")]
        role: String,
        /// The counter of a rating device.
        #[arg(long, value_name = "N")]
        counter: Option<u32>,
    },
    /// Make a one-time code that pairs a browser (a TV as the board, a tablet as a counter's
    /// rating screen) as a device of the config's [[devices]]: open http://SERVER/pair on it and
    /// type the code. Only its hash is kept; it works once, within 15 minutes.
    Pair {
        /// The device's name in [[devices]] (role board or rating).
        #[arg(long)]
        name: String,
    },
    /// Back up the database while everything runs: a consistent copy (VACUUM INTO), checked
    /// with integrity_check, named motcua-YYYYMMDD-HHMMSS-vSCHEMA.db; older copies beyond --keep
    /// are removed.
    Backup {
        /// Folder of the copies (default: `backups/` beside the database).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// How many copies to keep, newest first (1-365).
        #[arg(long, default_value_t = 14, value_name = "N")]
        keep: u32,
    },
    /// Put a backup copy in place of the database. Refused while a motcua program has it open
    /// (stop the services first); the current file is kept aside as a checked copy.
    Restore {
        /// The copy, e.g. backups/motcua-20261203-173000-v9.db.
        file: PathBuf,
    },
    /// A clock that once ran ahead issued tickets for a day still to come, and issuing is now
    /// refused: void that day's open tickets (with a "voided" event each) so issuing resumes today.
    ClockRepair {
        /// The service day to void, YYYY-MM-DD (it must lie after today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        void_day: String,
        /// Do not ask to confirm by typing the day again.
        #[arg(long)]
        yes: bool,
    },
    /// First run, in Vietnamese: asks for the office's name, services, counters, printer and
    /// first supervisor, and writes the config (re-run it to change the answers; the rest of the
    /// file is kept). Answers may be piped in, one per line.
    Init,
    /// Upgrade the database to this version's schema, after a checked copy named with the old
    /// version (in `backups/` beside the database). `counter serve` does the same at start;
    /// kiosks and boards wait for it ("máy chủ chưa được cập nhật").
    Migrate,
    /// Show the queue: waiting per service and each counter's current ticket.
    Queue {
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an officer. The PIN or password (a PIN of 6 or more digits, or 8 or more characters)
    /// is asked for without echo, or read as one line from standard input; it is stored only as
    /// an argon2 hash and never taken on the command line.
    Add {
        /// Sign-in name.
        #[arg(long)]
        login: String,
        /// officer (calls at a counter) or supervisor (also sees and manages every counter).
        #[arg(long, default_value = "officer")]
        role: String,
        /// Full name for reports, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        name: Option<String>,
        /// Job title for reports, e.g. "Công chức Tư pháp - Hộ tịch".
        #[arg(long)]
        title: Option<String>,
    },
    /// Set an officer's full name and job title for reports.
    SetName {
        /// Sign-in name.
        #[arg(long)]
        login: String,
        /// Full name, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        name: String,
        /// Job title (left empty when not given).
        #[arg(long)]
        title: Option<String>,
    },
    /// List officers.
    List,
    /// Disable an officer: they can no longer sign in.
    Disable {
        /// Sign-in name.
        #[arg(long)]
        login: String,
    },
    /// Set a new PIN or password (and enable the account again); asked for like `add`'s.
    SetPin {
        /// Sign-in name.
        #[arg(long)]
        login: String,
    },
}

fn main() -> ExitCode {
    motcua::cli::main("counter", |cli| run(cli).map(|()| ExitCode::SUCCESS))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::DeviceToken {
        name,
        role,
        counter,
    } = &cli.command
    {
        return device_token(name, role, *counter);
    }
    if let Command::Init = &cli.command {
        return init(cli.config.as_deref());
    }
    let cfg = Config::load(cli.config.as_deref())?;
    // Restore opens the database only to keep the current file aside, and closes it first.
    if let Command::Restore { file } = &cli.command {
        return restore(&cfg, file);
    }
    if let Command::Migrate = &cli.command {
        let store = upgrade(&cfg)?;
        drop(store);
        println!(
            "Cơ sở dữ liệu {} ở phiên bản {}.",
            cfg.office.database.display(),
            motcua::store::SCHEMA_VERSION
        );
        return Ok(());
    }
    if let Command::Ship = &cli.command {
        // The schema is the server's to upgrade; shipping waits for it.
        drop(Store::open(&cfg)?);
        return counter::ship::run(cfg, counter::http::shutdown_signal());
    }
    if let Command::Serve { listen } = &cli.command {
        let addr: std::net::SocketAddr = listen.parse().map_err(|_| {
            UsageError(format!(
                "--listen '{listen}': use HOST:PORT, e.g. 0.0.0.0:8080"
            ))
        })?;
        // Only the server (and `counter migrate`) upgrades the schema, after a backup.
        upgrade(&cfg)?;
        counter::ship::spawn(&cfg);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        return rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let ready = |addr| {
                use std::io::Write;
                println!("listening on http://{addr}");
                let _ = std::io::stdout().flush();
                // Type=notify: systemd starts what comes after the server only now.
                if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
                    tracing::warn!(error = %e, "cannot tell systemd the server is ready");
                }
            };
            counter::http::run(listener, cfg, ready, counter::http::shutdown_signal()).await
        });
    }
    // Commands that only read open the database read-only: they work on a full or read-only
    // disk and write nothing.
    let mut store = match cli.command {
        Command::Queue { .. } | Command::Report { .. } | Command::Backup { .. } => {
            Store::open_reader(&cfg)?
        }
        _ => Store::open(&cfg)?,
    };
    let now = Utc::now();
    let (at, result) = match cli.command {
        Command::Call(at) => {
            let t = store.call_next(at.counter, now)?;
            (at, t)
        }
        Command::Recall(at) => current(&mut store, at, Action::Recall)?,
        Command::Start(at) => current(&mut store, at, Action::Start)?,
        Command::Finish(at) => current(&mut store, at, Action::Finish)?,
        Command::NoShow(at) => current(&mut store, at, Action::NoShow)?,
        Command::Hold(at) => current(&mut store, at, Action::Hold)?,
        Command::Transfer { at, to } => current(&mut store, at, Action::Transfer { to })?,
        Command::Cancel {
            at,
            number: None,
            service: _,
        } => current(&mut store, at, Action::Cancel)?,
        Command::Cancel {
            at,
            number: Some(number),
            service,
        } => {
            cfg.counter(at.counter)?;
            let t = store.act_on_number(&number, service.as_deref(), Action::Cancel, now)?;
            (at, Some(t))
        }
        Command::CallNumber { at, ticket } => {
            let action = Action::Call {
                counter: at.counter,
            };
            numbered(&mut store, at, ticket, action)?
        }
        Command::Unhold { at, ticket } => numbered(&mut store, at, ticket, Action::Unhold)?,
        Command::Reactivate { at, ticket } => numbered(&mut store, at, ticket, Action::Reactivate)?,
        Command::Serve { .. }
        | Command::Ship
        | Command::DeviceToken { .. }
        | Command::Restore { .. }
        | Command::Init
        | Command::Migrate => {
            unreachable!("handled above")
        }
        Command::User(cmd) => return user(&mut store, cmd),
        Command::Report {
            from,
            to,
            format,
            out,
        } => return report(&store, &cfg, &from, &to, format, &out),
        Command::Pair { name } => return pair(&mut store, &cfg, &name),
        Command::ClockRepair { void_day, yes } => {
            return clock_repair(&mut store, &void_day, yes);
        }
        Command::Backup { out, keep } => return backup(&store, &cfg, out, keep),
        Command::Pause(at) => return pause(&mut store, &at, true),
        Command::Resume(at) => return pause(&mut store, &at, false),
        Command::Queue { json } => {
            let state = store.state(now)?;
            if json {
                println!("{}", to_json(&motcua::api::QueueState::of(&state, &cfg)));
            } else {
                println!("Ngày {}", state.business_date);
                for (code, n) in &state.waiting {
                    println!("  {:<34} đang chờ: {n}", cfg.service(code)?.name);
                }
                for (c, t) in &state.counters {
                    let name = &cfg.counter(*c)?.name;
                    match t {
                        Some(t) => println!("  {name:<34} số {} ({})", t.number, t.status.vi()),
                        None => println!("  {name:<34} trống"),
                    }
                }
            }
            return Ok(());
        }
    };
    print_ticket(&cfg, &at, result.as_ref())
}

fn user(store: &mut Store, cmd: UserCommand) -> anyhow::Result<()> {
    let login_ok = |l: &str| {
        if (1..=32).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            Ok(())
        } else {
            Err(UsageError(format!(
                "--login '{l}': use 1-32 of a-z, A-Z, 0-9, '.', '_', '-'"
            )))
        }
    };
    match cmd {
        UserCommand::Add {
            login,
            role,
            name,
            title,
        } => {
            login_ok(&login)?;
            let name = name.map(|n| person_text("--name", &n)).transpose()?;
            let title = title.map(|t| person_text("--title", &t)).transpose()?;
            // Logins are case-insensitive; they are kept in lower case.
            let login = login.to_lowercase();
            let Some(role) = Role::parse(&role) else {
                return Err(
                    UsageError(format!("--role '{role}': use officer or supervisor")).into(),
                );
            };
            let pin = motcua::cli::read_secret("Mã PIN hoặc mật khẩu")?;
            let hash = motcua::secret::hash_password(&pin).map_err(UsageError)?;
            store.add_officer(&login, &hash, role, Utc::now())?;
            if name.is_some() || title.is_some() {
                store.set_officer_name(&login, name.as_deref(), title.as_deref())?;
            }
            let role = role.as_str();
            println!("Đã thêm tài khoản {login} ({role}).");
        }
        UserCommand::SetName { login, name, title } => {
            let name = person_text("--name", &name)?;
            let title = title.map(|t| person_text("--title", &t)).transpose()?;
            store.set_officer_name(&login, Some(&name), title.as_deref())?;
            println!("Đã đặt tên của {login}: {name}.");
        }
        UserCommand::List => {
            for o in store.officers()? {
                let state = if o.disabled {
                    "đã khóa"
                } else {
                    "đang dùng"
                };
                let who = match (&o.full_name, &o.title) {
                    (Some(n), Some(t)) => format!("{n}, {t}"),
                    (Some(n), None) => n.clone(),
                    (None, Some(t)) => t.clone(),
                    (None, None) => String::new(),
                };
                println!("{:<24} {:<11} {state:<10} {who}", o.login, o.role.as_str());
            }
        }
        UserCommand::Disable { login } => {
            store.update_officer(&login, None, Some(true))?;
            println!("Đã khóa tài khoản {login}.");
        }
        UserCommand::SetPin { login } => {
            let pin = motcua::cli::read_secret("Mã PIN hoặc mật khẩu mới")?;
            let hash = motcua::secret::hash_password(&pin).map_err(UsageError)?;
            store.update_officer(&login, Some(&hash), Some(false))?;
            println!("Đã đổi mã PIN của {login}.");
        }
    }
    Ok(())
}

/// The longest full name or job title kept.
const MAX_PERSON_TEXT: usize = 100;

/// A full name or job title: trimmed, NFC, one line, at most [`MAX_PERSON_TEXT`] characters.
fn person_text(flag: &str, v: &str) -> Result<String, UsageError> {
    let v = motcua::vi::nfc(v);
    if v.is_empty() || v.chars().count() > MAX_PERSON_TEXT || v.chars().any(char::is_control) {
        return Err(UsageError(format!(
            "{flag} '{v}': give 1 to {MAX_PERSON_TEXT} characters on one line"
        )));
    }
    Ok(v)
}

fn pause(store: &mut Store, at: &At, paused: bool) -> anyhow::Result<()> {
    store.set_paused(at.counter, paused)?;
    if at.json {
        let out = motcua::api::Paused {
            counter: at.counter,
            paused,
        };
        println!("{}", to_json(&out));
    } else if paused {
        println!("Quầy {} tạm dừng.", at.counter);
    } else {
        println!("Quầy {} tiếp tục gọi số.", at.counter);
    }
    Ok(())
}

fn current(store: &mut Store, at: At, action: Action) -> anyhow::Result<(At, Option<Ticket>)> {
    let t = store.act_on_current(at.counter, action, Utc::now())?;
    Ok((at, Some(t)))
}

fn numbered(
    store: &mut Store,
    at: At,
    ticket: Numbered,
    action: Action,
) -> anyhow::Result<(At, Option<Ticket>)> {
    if ticket.number.trim().is_empty() {
        return Err(UsageError("--number must not be empty".into()).into());
    }
    let t = store.act_on_number_at(
        at.counter,
        ticket.number.trim(),
        ticket.service.as_deref(),
        action,
        Utc::now(),
    )?;
    Ok((at, Some(t)))
}

fn print_ticket(cfg: &Config, at: &At, t: Option<&Ticket>) -> anyhow::Result<()> {
    if at.json {
        let out = motcua::api::TicketReply {
            ticket: t.map(|t| motcua::api::Ticket::of(t, cfg)),
        };
        println!("{}", to_json(&out));
        return Ok(());
    }
    match t {
        None => println!("Không có công dân nào đang chờ."),
        Some(t) => {
            let service = &cfg.service(&t.service)?.name;
            println!("Số {} – {} – {}", t.number, service, status_vi(t));
        }
    }
    Ok(())
}

fn status_vi(t: &Ticket) -> String {
    let counter = t.counter.unwrap_or_default();
    match t.status {
        motcua::Status::Called => format!("mời đến quầy {counter}"),
        motcua::Status::Serving => format!("đang phục vụ tại quầy {counter}"),
        other => other.vi().to_string(),
    }
}

fn device_token(name: &str, role: &str, counter: Option<u32>) -> anyhow::Result<()> {
    if !motcua::config::is_slug(name) {
        return Err(UsageError(format!(
            "--name '{name}': use 1-32 of a-z, 0-9, '_' and '-', e.g. board-hall"
        ))
        .into());
    }
    let Some(parsed) = DeviceRole::parse(role) else {
        return Err(UsageError(format!("--role '{role}': use board, kiosk or rating")).into());
    };
    let counter_line = match (parsed, counter) {
        (DeviceRole::Rating, Some(n)) if n >= 1 => format!("\ncounter = {n}"),
        (DeviceRole::Rating, _) => {
            return Err(UsageError(
                "--role rating: add --counter N, the counter whose citizens the tablet rates"
                    .into(),
            )
            .into());
        }
        (_, Some(_)) => {
            return Err(UsageError("--counter goes with --role rating".into()).into());
        }
        (_, None) => String::new(),
    };
    let (token, hash) = counter::http::auth::device_token(name).map_err(anyhow::Error::msg)?;
    println!("# Token for {name} (give it to the device, e.g. MOTCUA_DEVICE_TOKEN={token}):");
    println!("# {token}");
    println!("# Put this in the server's config (only the hash is kept there):");
    println!(
        "[[devices]]\nname = \"{name}\"\nrole = \"{role}\"{counter_line}\ntoken_hash = \"{hash}\""
    );
    Ok(())
}

fn clock_repair(store: &mut Store, day: &str, yes: bool) -> anyhow::Result<()> {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
        UsageError(format!(
            "--void-day '{day}': use a date YYYY-MM-DD, e.g. 2026-12-04"
        ))
    })?;
    let (open, all) = store.day_tickets(d)?;
    if !yes {
        use std::io::{BufRead, Write};
        println!(
            "Ngày {}: {all} số đã cấp, {open} số chưa xong sẽ bị hủy (ghi sự kiện \"voided\").",
            d.format("%d/%m/%Y")
        );
        print!("Nhập lại ngày {day} để xác nhận: ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != day {
            anyhow::bail!(
                "not confirmed: nothing was voided (type the day exactly, or pass --yes)"
            );
        }
    }
    let voided = store.repair_future_day(d, Utc::now())?;
    println!(
        "Đã hủy {voided} số của ngày {}; cấp số tiếp tục từ hôm nay.",
        d.format("%d/%m/%Y")
    );
    Ok(())
}

/// Office time now as YYYYMMDD-HHMMSS, for the names of backup copies.
fn file_stamp(cfg: &Config) -> String {
    Utc::now()
        .with_timezone(&cfg.office.timezone)
        .format("%Y%m%d-%H%M%S")
        .to_string()
}

/// The name of a backup copy: `motcua-YYYYMMDD-HHMMSS-vSCHEMA.db` (office time).
fn is_backup_name(name: &str) -> bool {
    name.starts_with("motcua-") && name.ends_with(".db") && name.contains("-v")
}

/// `counter init`, then a restart of the installed server so it serves the new answers.
fn init(flag: Option<&std::path::Path>) -> anyhow::Result<()> {
    let path = Config::resolve_path(flag);
    // The printers this machine has, as `kiosk printers` (installed beside this binary) lists them.
    let printers = std::env::current_exe()
        .ok()
        .and_then(|me| {
            std::process::Command::new(me.with_file_name("kiosk"))
                .arg("printers")
                .output()
                .ok()
        })
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    counter::init::run(&path, printers)?;
    let installed = path == std::path::Path::new(motcua::config::SYSTEM_CONFIG_FILE);
    if installed && std::path::Path::new("/run/systemd/system").exists() {
        let restarted = std::process::Command::new("systemctl")
            .args(["try-restart", "motcua-server.service"])
            .status()
            .is_ok_and(|s| s.success());
        if restarted {
            println!("Đã khởi động lại máy chủ (motcua-server) với cấu hình mới.");
        } else {
            println!("Khởi động lại máy chủ để áp dụng: sudo systemctl restart motcua-server");
        }
    }
    Ok(())
}

/// The backup folder when none is given: `backups/` beside the database.
fn backup_dir(cfg: &Config) -> PathBuf {
    cfg.office
        .database
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("backups")
}

/// Brings the database to this version's schema (a checked copy first), saying what was done.
fn upgrade(cfg: &Config) -> anyhow::Result<Store> {
    let up = Store::open_upgrading(cfg, &backup_dir(cfg), &file_stamp(cfg))?;
    match &up.backup {
        Some(copy) => eprintln!(
            "Đã cập nhật cơ sở dữ liệu {} từ phiên bản {} lên {}; bản sao trước khi cập nhật: {}",
            cfg.office.database.display(),
            up.from,
            motcua::store::SCHEMA_VERSION,
            copy.display()
        ),
        None => tracing::debug!("database schema is current"),
    }
    Ok(up.store)
}

fn backup(store: &Store, cfg: &Config, out: Option<PathBuf>, keep: u32) -> anyhow::Result<()> {
    if !(1..=365).contains(&keep) {
        return Err(UsageError(format!("--keep {keep}: keep 1 to 365 copies")).into());
    }
    let dir = out.unwrap_or_else(|| backup_dir(cfg));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot make the backup folder {}", dir.display()))?;
    let stamp = file_stamp(cfg);
    // Written under a temporary name, renamed once checked: a copy with the final name is good.
    let partial = dir.join(format!(".motcua-{stamp}.partial"));
    let _ = std::fs::remove_file(&partial);
    let copy = store.backup_into(&partial)?;
    // The copy holds what the database holds: not for everyone on the host to read.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o640))
            .with_context(|| format!("cannot set the permissions of {}", partial.display()))?;
    }
    let path = dir.join(format!("motcua-{stamp}-v{}.db", copy.schema));
    std::fs::rename(&partial, &path)
        .with_context(|| format!("cannot name the backup {}", path.display()))?;
    let mut copies: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .flatten()
        .filter(|e| is_backup_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    copies.sort();
    let old = copies.len().saturating_sub(keep as usize);
    for p in &copies[..old] {
        std::fs::remove_file(p).with_context(|| format!("cannot remove {}", p.display()))?;
    }
    println!(
        "Đã sao lưu {}: {} số, {} KB, kiểm tra toàn vẹn: ok.",
        path.display(),
        copy.tickets,
        copy.bytes.div_ceil(1024)
    );
    println!(
        "Giữ {} bản gần nhất trong {} (đã xóa {old} bản cũ).",
        copies.len() - old,
        dir.display()
    );
    Ok(())
}

/// Other processes that have `db` (or its -wal/-shm) open, as far as /proc shows them:
/// "PID (COMMAND)".
fn holders(db: &std::path::Path) -> Vec<String> {
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let files = motcua::store::database_files(&db);
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for p in procs.flatten() {
        let pid = p.file_name().to_string_lossy().to_string();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let open = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| files.contains(&t)));
        if open {
            let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            found.push(format!("{pid} ({})", comm.trim()));
        }
    }
    found
}

fn restore(cfg: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let db = cfg.office.database.clone();
    let copy = motcua::store::check_copy(file)?;
    if copy.schema > motcua::store::SCHEMA_VERSION {
        anyhow::bail!(
            "{}: schema version {} is newer than this motcua ({}): restore it with the newer version",
            file.display(),
            copy.schema,
            motcua::store::SCHEMA_VERSION
        );
    }
    let followers = motcua::wake::followers(&db);
    let held = holders(&db);
    if followers > 0 || !held.is_empty() {
        anyhow::bail!(
            "{} is in use ({} following it{}{}): stop the motcua services first (systemctl stop motcua-server motcua-kiosk motcua-board), then restore",
            db.display(),
            followers,
            if held.is_empty() { "" } else { "; open in " },
            held.join(", ")
        );
    }
    let stamp = file_stamp(cfg);
    let mut aside = None;
    if db.exists() {
        let path = db.with_file_name(format!(
            "{}.before-restore-{stamp}.db",
            db.file_name().unwrap_or_default().to_string_lossy()
        ));
        let _ = std::fs::remove_file(&path);
        Store::open_reader(cfg)?.backup_into(&path)?;
        for p in motcua::store::database_files(&db) {
            match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", p.display()));
                }
                _ => {}
            }
        }
        aside = Some(path);
    }
    // Copied beside the database, synced, then renamed into place: never a half-written file
    // under the database's name.
    let mut tmp = db.as_os_str().to_owned();
    tmp.push(".restoring");
    let tmp = PathBuf::from(tmp);
    std::fs::copy(file, &tmp).with_context(|| format!("cannot copy {}", file.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o660))?;
        std::fs::File::open(&tmp)?.sync_all()?;
    }
    std::fs::rename(&tmp, &db)
        .with_context(|| format!("cannot put the copy at {}", db.display()))?;
    if let Some(dir) = db.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = dir.sync_all();
    }
    println!(
        "Đã khôi phục {} từ {}: {} số.",
        db.display(),
        file.display(),
        copy.tickets
    );
    if let Some(p) = aside {
        println!("Dữ liệu trước khi khôi phục được giữ tại {}.", p.display());
    }
    Ok(())
}

fn pair(store: &mut Store, cfg: &Config, name: &str) -> anyhow::Result<()> {
    use counter::http::screens::{PAIRING_CODE_DIGITS, PAIRING_CODE_MINUTES};
    let Some(d) = cfg.devices.iter().find(|d| d.name == name) else {
        return Err(UsageError(format!(
            "--name '{name}': no such device in [[devices]] of the config (make one with counter device-token)"
        ))
        .into());
    };
    if d.role == DeviceRole::Kiosk {
        return Err(UsageError(format!(
            "--name '{name}' is a kiosk: it runs the kiosk program with its token, not a browser"
        ))
        .into());
    }
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no random bytes for the code: {e}"))?;
    // 64 random bits modulo 10^8: every code equally likely, to one part in 10^11.
    let code = format!(
        "{:0width$}",
        u64::from_le_bytes(bytes) % 10u64.pow(PAIRING_CODE_DIGITS as u32),
        width = PAIRING_CODE_DIGITS
    );
    let hash = motcua::secret::hash_token(&code).map_err(anyhow::Error::msg)?;
    let now = Utc::now();
    let until = now + chrono::TimeDelta::minutes(PAIRING_CODE_MINUTES);
    store.set_pairing_code(name, &hash, until)?;
    let local = until.with_timezone(&cfg.office.timezone).format("%H:%M");
    println!(
        "Mã ghép nối của {name}: {} {}",
        &code[..PAIRING_CODE_DIGITS / 2],
        &code[PAIRING_CODE_DIGITS / 2..]
    );
    println!(
        "Mở http://ĐỊA-CHỈ-MÁY-CHỦ:8080/pair trên thiết bị và nhập mã này. Mã dùng được một lần, đến {local}."
    );
    Ok(())
}

fn report(
    store: &Store,
    cfg: &Config,
    from: &str,
    to: &str,
    format: counter::report::Format,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use counter::report::{Format, to_csv, to_html, to_json, to_xlsx};
    let day = |flag: &str, v: &str| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            UsageError(format!(
                "--{flag} '{v}': use a date YYYY-MM-DD, e.g. 2026-11-24"
            ))
        })
    };
    let (from, to) = (day("from", from)?, day("to", to)?);
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")).into());
    }
    let rows = store.report_rows(from, to)?;
    let mut r = motcua::report::build(&rows, cfg, from, to);
    r.name_officers(&store.officers()?);
    let bytes = match format {
        Format::Json => format!("{}\n", to_json(&r)).into_bytes(),
        Format::Csv => to_csv(&r)?.into_bytes(),
        Format::Html => {
            to_html(&r, &cfg.office.name, cfg.queue.target_wait.as_secs() / 60).into_bytes()
        }
        Format::Xlsx => to_xlsx(&r, &cfg.office.name)?,
    };
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

/// One JSON object on one line.
fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("wire types serialise")
}
