//! `display-board`: the waiting-room board — who goes to which counter, in view and in voice.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use display_board::follow::Follower;
use display_board::voice::{Announcer, Bank};
use motcua::cli::UsageError;
use motcua::{Config, Store};

/// How often the database is polled for new commits (NOTES.md: 50 ms → p99 ≈ 50 ms, 0.2 % CPU);
/// commits by other processes also wake the board at once ([`motcua::wake`]).
const POLL: Duration = Duration::from_millis(50);

thread_local! {
    /// The window's poll-and-draw step, for wake-ups arriving from the wake thread.
    static TICK: std::cell::RefCell<Option<Rc<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// The pace of the headless loops: wait up to [`POLL`], less when a commit wakes the board.
struct Pace(Option<std::sync::mpsc::Receiver<()>>);

impl Pace {
    fn new(cfg: &Config, feed: &Feed) -> Pace {
        let Feed::Database = feed else {
            return Pace(None);
        };
        let (tx, rx) = std::sync::mpsc::channel();
        motcua::wake::on_wake(&cfg.office.database, move || {
            let _ = tx.send(());
        });
        Pace(Some(rx))
    }

    fn wait(&self) {
        match &self.0 {
            Some(rx) => {
                let _ = rx.recv_timeout(POLL);
                while rx.try_recv().is_ok() {}
            }
            None => std::thread::sleep(POLL),
        }
    }
}

/// motcua display board: who is called to which counter.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Config file (default: $MOTCUA_CONFIG, else ./motcua.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Show the board in a normal window instead of full screen.
    #[arg(long)]
    windowed: bool,
    /// Draw on a Linux framebuffer device (e.g. /dev/fb0) instead of a window (no X needed).
    #[arg(long, value_name = "DEVICE")]
    fbdev: Option<PathBuf>,
    /// Do not speak (no chime, no voice).
    #[arg(long)]
    mute: bool,
    /// Follow `counter serve` at this address (e.g. http://192.168.1.10:8080) instead of opening
    /// the database; the device token comes from --token-file or $MOTCUA_DEVICE_TOKEN.
    #[arg(long, global = true, value_name = "URL")]
    server: Option<String>,
    /// File holding this board's API token (made with `counter device-token`).
    #[arg(long, global = true, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Without a subcommand: run the board.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write the board as it is now to a PNG file.
    Snapshot {
        /// The PNG file to write.
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Size WIDTHxHEIGHT (default: [board] size, else 1920x1080).
        #[arg(long, value_name = "WxH")]
        size: Option<String>,
    },
    /// Write the chime and the spoken call of NUMBER to COUNTER as a WAV file.
    Announce {
        /// The ticket number, e.g. 1005.
        #[arg(long)]
        number: String,
        /// The counter number.
        #[arg(long)]
        counter: u32,
        /// The WAV file to write.
        #[arg(long, value_name = "FILE.wav")]
        out: PathBuf,
    },
    /// Follow the queue without a screen: print each call as a JSON line (calls made while the
    /// board was off first, marked "replayed"), and speak new ones unless --mute.
    Follow,
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

fn announcer(cfg: &Config, mute: bool) -> anyhow::Result<Announcer> {
    let bank = Bank::load(cfg.board.voice_dir.as_deref()).map_err(UsageError)?;
    let sink = if mute {
        Box::new(display_board::voice::Silent) as Box<dyn display_board::voice::Sink>
    } else {
        display_board::voice::default_sink()
    };
    Ok(Announcer::start(bank, sink))
}

/// Where the board's events come from: the server given with --server, else the database.
enum Feed {
    Database,
    Server { url: String, token: String },
}

impl Feed {
    fn of(cli: &Cli) -> anyhow::Result<Feed> {
        let Some(url) = &cli.server else {
            return Ok(Feed::Database);
        };
        let url = url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("http://") && url.len() > "http://".len()) {
            return Err(UsageError(format!(
                "--server '{url}': use the address of counter serve, e.g. http://192.168.1.10:8080"
            ))
            .into());
        }
        let token = match &cli.token_file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| UsageError(format!("--token-file {}: {e}", p.display())))?,
            None => std::env::var("MOTCUA_DEVICE_TOKEN").map_err(|_| {
                UsageError(
                    "--server needs this board's token: --token-file PATH or MOTCUA_DEVICE_TOKEN \
                     (make one with `counter device-token`)"
                        .into(),
                )
            })?,
        };
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(UsageError("the board's device token is empty".into()).into());
        }
        Ok(Feed::Server { url, token })
    }

    /// The follower, and the calls it replayed while catching up (database only; a server's
    /// replayed calls come through `poll`, marked).
    fn open(&self, cfg: &Config) -> anyhow::Result<(Follower, Vec<display_board::board::Call>)> {
        match self {
            Feed::Database => {
                Follower::open(cfg, Utc::now()).context("cannot open the queue database")
            }
            Feed::Server { url, token } => Ok((Follower::connect(cfg, url, token), Vec::new())),
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref())?;
    let feed = Feed::of(&cli)?;
    if matches!(feed, Feed::Server { .. })
        && matches!(
            cli.command,
            Some(Command::Snapshot { .. } | Command::State { .. })
        )
    {
        return Err(UsageError(
            "--server works with the board itself and `follow`; snapshot and state read the database".into(),
        )
        .into());
    }
    match cli.command {
        Some(Command::Announce {
            number,
            counter,
            out,
        }) => {
            if number.trim().is_empty() || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(UsageError(format!(
                    "--number '{number}': use the number as printed, e.g. 1005"
                ))
                .into());
            }
            let bank = Bank::load(cfg.board.voice_dir.as_deref()).map_err(UsageError)?;
            let samples = bank.render(&display_board::voice::script(&number, counter));
            display_board::voice::write_wav(&out, &samples).map_err(anyhow::Error::msg)?;
            Ok(())
        }
        Some(Command::Snapshot { out, size }) => {
            let size = match size {
                None => cfg.board.size,
                Some(s) => motcua::config::parse_size(&s).ok_or_else(|| {
                    UsageError(format!("--size '{s}': use WIDTHxHEIGHT, e.g. 1920x1080"))
                })?,
            };
            let now = Utc::now();
            let (f, _) = Follower::open(&cfg, now).context("cannot open the queue database")?;
            let frame = display_board::render(&f.board, &cfg, now, size);
            std::fs::write(&out, frame.png()?)
                .with_context(|| format!("cannot write {}", out.display()))?;
            Ok(())
        }
        Some(Command::Follow) => follow(&cfg, &feed, cli.mute),
        Some(Command::State { json }) => {
            let store = Store::open(&cfg).context("cannot open the queue database")?;
            let state = store.state(Utc::now())?;
            if json {
                println!("{}", motcua::json::state(&state, &cfg));
                return Ok(());
            }
            println!("{}", cfg.office.name);
            for (n, t) in &state.counters {
                let name = &cfg.counter(*n)?.name;
                match t {
                    Some(t) => println!("  {name:<10} {}", t.number),
                    None if state.paused.contains(n) => println!("  {name:<10} Tạm dừng"),
                    None => println!("  {name:<10} —"),
                }
            }
            for (code, waiting) in &state.waiting {
                println!("  {:<34} đang chờ {waiting}", cfg.service(code)?.name);
            }
            Ok(())
        }
        None => match cli.fbdev {
            Some(dev) => run_fbdev(&cfg, &feed, &dev, cli.mute),
            None => run_window(&cfg, &feed, cli.windowed, cli.mute),
        },
    }
}

fn print_call(c: &display_board::board::Call) -> anyhow::Result<()> {
    let line = serde_json::json!({
        "event_id": c.event_id,
        "number": c.number,
        "counter": c.counter,
        "service": c.service,
        "recall": c.recall,
        "replayed": c.replayed,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// Announces the calls that are not replays.
fn announce(voice: &Announcer, calls: &[display_board::board::Call]) {
    for c in calls.iter().filter(|c| !c.replayed) {
        voice.announce(&c.number, c.counter);
    }
}

fn follow(cfg: &Config, feed: &Feed, mute: bool) -> anyhow::Result<()> {
    let voice = announcer(cfg, mute)?;
    let pace = Pace::new(cfg, feed);
    let (mut f, replayed) = feed.open(cfg)?;
    for c in &replayed {
        print_call(c)?;
    }
    loop {
        if let Some(calls) = f.poll(Utc::now())? {
            for c in &calls {
                print_call(c)?;
            }
            announce(&voice, &calls);
        }
        pace.wait();
    }
}

fn run_fbdev(cfg: &Config, feed: &Feed, dev: &std::path::Path, mute: bool) -> anyhow::Result<()> {
    let mut fb = display_board::present::FbDev::open(dev)
        .with_context(|| format!("cannot use {}", dev.display()))?;
    let voice = announcer(cfg, mute)?;
    let pace = Pace::new(cfg, feed);
    let (mut f, _) = feed.open(cfg)?;
    let mut shown = None;
    loop {
        let now = Utc::now();
        if let Some(calls) = f.poll(now)? {
            announce(&voice, &calls);
        }
        // Redraw only when something visible changed (content, clock, blink, scrolling notice).
        let key = display_board::frame_key(&f.board, f.revision, cfg, now, fb.size());
        if shown != Some(key) {
            fb.show(&display_board::render(&f.board, cfg, now, fb.size()))?;
            shown = Some(key);
        }
        pace.wait();
    }
}

fn run_window(cfg: &Config, feed: &Feed, windowed: bool, mute: bool) -> anyhow::Result<()> {
    use display_board::present::{BoardWindow, to_image};
    use slint::ComponentHandle;
    let voice = announcer(cfg, mute)?;
    let (follower, _) = feed.open(cfg)?;
    let window = BoardWindow::new()?;
    let size = cfg.board.size;
    window
        .window()
        .set_size(slint::LogicalSize::new(size.0 as f32, size.1 as f32));
    if !windowed {
        window.window().set_fullscreen(true);
    }
    window.set_frame(to_image(&display_board::render(
        &follower.board,
        cfg,
        Utc::now(),
        size,
    )));
    let follower = Rc::new(std::cell::RefCell::new(follower));
    let cfg2 = cfg.clone();
    let weak = window.as_weak();
    let shown = std::cell::Cell::new(None);
    let tick: Rc<dyn Fn()> = Rc::new(move || {
        let now = Utc::now();
        let mut f = follower.borrow_mut();
        match f.poll(now) {
            Ok(Some(calls)) => announce(&voice, &calls),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the queue"),
        }
        // Redraw only when something visible changed (content, clock, blink, scrolling notice).
        let key = display_board::frame_key(&f.board, f.revision, &cfg2, now, size);
        if shown.get() != Some(key) {
            if let Some(w) = weak.upgrade() {
                w.set_frame(to_image(&display_board::render(&f.board, &cfg2, now, size)));
            }
            shown.set(Some(key));
        }
    });
    // Every 50 ms, and at once when another process commits (database feed).
    let timer = slint::Timer::default();
    let on_timer = tick.clone();
    timer.start(slint::TimerMode::Repeated, POLL, move || on_timer());
    if let Feed::Database = feed {
        TICK.with(|t| *t.borrow_mut() = Some(tick));
        motcua::wake::on_wake(&cfg.office.database, || {
            let _ = slint::invoke_from_event_loop(|| {
                TICK.with(|t| {
                    if let Some(tick) = &*t.borrow() {
                        tick();
                    }
                })
            });
        });
    }
    window.run()?;
    Ok(())
}
