//! `kiosk`: issues and prints queue tickets (the touchscreen UI builds on the same library).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use kiosk::printer::Printer;
use kiosk::{IssueError, Kiosk, Recovery};
use motcua::{Config, Store};

/// Exit code: the printer is not ready and no ticket was issued (CONTRACT.md).
const EXIT_NOT_READY: u8 = 3;
/// Exit code: the ticket was issued but printing failed (CONTRACT.md).
const EXIT_NOT_PRINTED: u8 = 4;

/// motcua kiosk: issue and print numbered queue tickets.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Config file (default: $MOTCUA_CONFIG, else ./motcua.toml, else /etc/motcua/motcua.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Run the touchscreen in a normal window instead of full screen (desktops, demos).
    #[arg(long)]
    windowed: bool,
    /// Issue through the office server at URL (`counter serve`, e.g. http://192.168.1.10:8080)
    /// instead of opening the database: the kiosk as its own box on the LAN.
    #[arg(long, global = true, value_name = "URL")]
    server: Option<String>,
    /// File holding this kiosk's device token (`counter device-token --role kiosk`); default:
    /// $MOTCUA_DEVICE_TOKEN.
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Without a subcommand: run the touchscreen kiosk.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Issue one ticket (and print it when [printer] is configured).
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
    /// Print today's ticket NUMBER again (staff).
    Reprint {
        /// The number as printed.
        #[arg(long, value_name = "NUMBER")]
        number: String,
        /// Service code, when the same number exists in several services today.
        #[arg(long, value_name = "CODE")]
        service: Option<String>,
    },
    /// Handle tickets committed but never printed: void them (default) or --reprint them.
    Recover {
        /// Print them instead of voiding them.
        #[arg(long)]
        reprint: bool,
    },
    /// Print a sample ticket (not in the queue) and show the printer's status.
    PrintTest,
    /// List the devices a printer may be on, for `[printer] port`.
    Printers,
    /// Hash a staff PIN (4 to 12 digits) for `[kiosk] staff_pin_hash`: asked for without echo,
    /// or one line on standard input; never on the command line, never stored itself.
    HashPin,
}

fn main() -> ExitCode {
    motcua::cli::main("kiosk", |cli| {
        run(cli).map_err(|e| match e.downcast_ref::<IssueError>() {
            Some(IssueError::NotReady(p)) => motcua::cli::Exit {
                code: EXIT_NOT_READY,
                message: format!("{e:#} ({})", p.vi()),
            }
            .into(),
            // The server refused what was asked (a token it does not know, a number it has
            // not issued today): a usage or config problem, like the same error locally.
            Some(IssueError::Refused { status, .. })
                if (400..500).contains(status) && *status != 409 =>
            {
                motcua::cli::Exit {
                    code: 2,
                    message: format!("{e:#}"),
                }
                .into()
            }
            _ => e,
        })
    })
}

/// Where the queue is: the office server (`--server`) or the database file.
enum Queue {
    Local,
    Server { url: String, token: String },
}

impl Queue {
    fn of(cli: &Cli) -> anyhow::Result<Queue> {
        Ok(
            match motcua::cli::device_server(
                cli.server.as_deref(),
                cli.token_file.as_deref(),
                "kiosk",
            )? {
                None => Queue::Local,
                Some((url, token)) => Queue::Server { url, token },
            },
        )
    }

    /// The kiosk; `wait`: for the window, a database the server has not upgraded yet is
    /// waited for instead of refused.
    fn kiosk(&self, cfg: &Config, printer: Option<Printer>, wait: bool) -> anyhow::Result<Kiosk> {
        Ok(match self {
            Queue::Local if wait => Kiosk::new(motcua::cli::open_store_waiting(cfg)?, printer),
            Queue::Local => Kiosk::new(Store::open(cfg)?, printer),
            Queue::Server { url, token } => {
                Kiosk::new(kiosk::Remote::new(cfg.clone(), url, token), printer)
            }
        })
    }
}

fn open(cfg: &Config, queue: &Queue, want_printer: bool) -> anyhow::Result<Kiosk> {
    let printer = match cfg.printer.as_ref().filter(|_| want_printer) {
        None => None,
        Some(p) => Some(Printer::open(p).map_err(IssueError::NotReady)?),
    };
    queue.kiosk(cfg, printer, false)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Command::HashPin) = &cli.command {
        let pin = motcua::cli::read_secret("Mã PIN nhân viên")?;
        let h = motcua::secret::hash(&pin).map_err(motcua::cli::UsageError)?;
        println!("{h}");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(Command::Printers) = &cli.command {
        println!("Thiết bị có thể là máy in (ghi vào [printer] port trong motcua.toml):");
        for c in kiosk::candidates::all() {
            println!("  {:<28} {}", c.port, c.what);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let queue = Queue::of(&cli)?;
    let cfg = Config::load(cli.config.as_deref())?;
    let now = Utc::now();
    let Some(command) = cli.command else {
        // The printer is opened by the worker when first needed: a printer that is off at
        // start-up shows as trouble on screen instead of stopping the kiosk.
        let kiosk = queue.kiosk(&cfg, None, true)?;
        kiosk::ui::run(cfg, kiosk, cli.windowed).context("the kiosk window failed")?;
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Issue {
            service,
            priority,
            no_print,
            json,
        } => {
            // A bad service code is a usage error even when the printer is also unplugged.
            cfg.service(&service)?;
            if let Some(p) = &priority {
                cfg.priority(p)?;
            }
            let mut kiosk = open(&cfg, &queue, !no_print)?;
            let issued = kiosk.issue(&service, priority.as_deref(), !no_print, now)?;
            let t = &issued.ticket;
            if json {
                let out = motcua::api::Issued {
                    ticket: motcua::api::Ticket::of(t, &cfg),
                    printed: issued.printed,
                    wait: issued.wait,
                };
                println!("{}", serde_json::to_string(&out)?);
            } else {
                let name = &cfg.service(&t.service)?.name;
                println!(
                    "Số thứ tự {} – {} – {} người đang chờ trước{}",
                    t.number,
                    name,
                    t.waiting_ahead,
                    issued
                        .wait
                        .map(|w| format!(" – dự kiến chờ: {w}"))
                        .unwrap_or_default()
                );
            }
            if issued.paper_near_end {
                eprintln!(
                    "kiosk: warning: printer paper is running low (Máy in sắp hết giấy): load a new roll soon"
                );
            }
            if let Some(e) = issued.print_error {
                eprintln!(
                    "kiosk: ticket {} was issued but not printed: {e} ({}); reprint it with `kiosk reprint --number {}`",
                    t.number,
                    e.vi(),
                    t.number
                );
                return Ok(ExitCode::from(EXIT_NOT_PRINTED));
            }
        }
        Command::Reprint { number, service } => {
            let mut kiosk = open(&cfg, &queue, true)?;
            let t = kiosk.reprint(number.trim(), service.as_deref(), now)?;
            println!("Đã in lại số {}", t.number);
        }
        Command::Recover { reprint } => {
            let mut kiosk = open(&cfg, &queue, reprint)?;
            let done = kiosk.recover(reprint, now)?;
            for (t, what) in &done {
                match what {
                    Recovery::Reprinted => println!("Đã in lại số {}", t.number),
                    Recovery::Voided => println!("Đã hủy số {} (chưa được in)", t.number),
                    Recovery::Kept => println!(
                        "Số {0} chưa in được nhưng vẫn giữ chỗ trong hàng đợi (in lại: kiosk reprint --number {0})",
                        t.number
                    ),
                }
            }
            if done.is_empty() {
                println!("Không có phiếu nào bị sót.");
            }
        }
        Command::HashPin | Command::Printers => {
            unreachable!("handled before the config is read")
        }
        Command::PrintTest => {
            let mut kiosk = open(&cfg, &queue, true)?;
            let st = kiosk.print_test(now).map_err(IssueError::NotReady)?;
            println!(
                "Đã in phiếu thử. Máy in: {}",
                if st.paper_near_end {
                    "sắp hết giấy"
                } else {
                    "sẵn sàng"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
