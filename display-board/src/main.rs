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
use display_board::run::{NoScreen, Runner, Screen, stop_on_signals};
use display_board::voice::{Announcer, Bank};
use motcua::cli::UsageError;
use motcua::clock::SystemClock;
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
    /// Config file (default: $MOTCUA_CONFIG, else ./motcua.toml, else /etc/motcua/motcua.toml).
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
    /// Recorded voices: check a folder, level a clip.
    #[command(subcommand)]
    Voice(VoiceCommand),
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

#[derive(Subcommand)]
enum VoiceCommand {
    /// Check a folder of recorded clips (for `[board] voice_dir`): every phrase present, 16-bit
    /// mono 22050 Hz, loudness, peaks, clipping, silence at the ends. Exit 1 when anything is
    /// wrong, each problem on its own line.
    Check {
        /// The folder of WAV files.
        dir: PathBuf,
    },
    /// Print the recording script: each clip's file name and the words it says, one per line,
    /// separated by a tab (assets/voice/generate.sh reads it; offices read them aloud).
    Phrases,
    /// Make one clip ready: silence trimmed, brought to the target loudness under the peak
    /// ceiling, written as 16-bit mono 22050 Hz (the input must be 22050 Hz; mono or stereo).
    Level {
        /// The recorded or synthesised WAV file.
        input: PathBuf,
        /// The clip to write.
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    motcua::cli::main("display-board", |cli| run(cli).map(|()| ExitCode::SUCCESS))
}

fn announcer(cfg: &Config, mute: bool) -> anyhow::Result<Announcer> {
    let bank = Bank::load(cfg.board.voice_dir.as_deref()).map_err(UsageError)?;
    if let Some(dir) = cfg.board.voice_dir.as_deref()
        && let Ok(findings) = display_board::voice::check_dir(dir)
        && !findings.is_empty()
    {
        tracing::warn!(
            dir = %dir.display(),
            problems = findings.len(),
            "the recorded voice folder has problems (missing, loud, quiet or clipped clips); \
             see `display-board voice check`"
        );
    }
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
        Ok(
            match motcua::cli::device_server(
                cli.server.as_deref(),
                cli.token_file.as_deref(),
                "board",
            )? {
                None => Feed::Database,
                Some((url, token)) => Feed::Server { url, token },
            },
        )
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
    if let Some(Command::Voice(v)) = &cli.command {
        return voice_command(v);
    }
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
        Some(Command::Voice(_)) => unreachable!("handled before the config is read"),
        Some(Command::Follow) => run_headless(&cfg, &feed, &mut NoScreen, cli.mute, true),
        Some(Command::State { json }) => {
            let store = Store::open_reader(&cfg)?;
            let now = Utc::now();
            let state = store.state(now)?;
            let mut v = motcua::api::QueueState::of(&state, &cfg);
            v.set_waits(&store.service_estimates(now)?);
            if json {
                println!("{}", serde_json::to_string(&v)?);
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
            for w in &v.waiting {
                println!(
                    "  {:<34} đang chờ {} · {}",
                    cfg.service(&w.service)?.name,
                    w.waiting,
                    w.wait.as_deref().unwrap_or_default()
                );
            }
            Ok(())
        }
        None => match cli.fbdev {
            Some(dev) => {
                let mut fb = display_board::present::FbDev::open(&dev)
                    .with_context(|| format!("cannot use {}", dev.display()))?;
                run_headless(&cfg, &feed, &mut fb, cli.mute, false)
            }
            None => run_window(&cfg, &feed, cli.windowed, cli.mute),
        },
    }
}

fn print_call(c: &display_board::board::Call) -> std::io::Result<()> {
    let line = motcua::api::BoardCall {
        event_id: c.event_id,
        number: c.number.clone(),
        counter: c.counter,
        service: c.service.clone(),
        recall: c.recall,
        replayed: c.replayed,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &line)?;
    writeln!(out)?;
    out.flush()
}

/// The board's loop on a screen without a window: the framebuffer, or none (`follow`).
fn run_headless(
    cfg: &Config,
    feed: &Feed,
    screen: &mut dyn Screen,
    mute: bool,
    print: bool,
) -> anyhow::Result<()> {
    let stop = stop_on_signals()?;
    let voice = announcer(cfg, mute)?;
    let pace = Pace::new(cfg, feed);
    let (f, replayed) = feed.open(cfg)?;
    if print {
        for c in &replayed {
            print_call(c)?;
        }
    }
    let mut runner = Runner::new(cfg, f, Some(voice));
    runner.run(&SystemClock, screen, &|| pace.wait(), &stop, |calls| {
        if print {
            calls.iter().try_for_each(print_call)?;
        }
        Ok(())
    })?;
    tracing::info!("stopped");
    Ok(())
}

/// The window as a [`Screen`].
struct WindowScreen {
    window: slint::Weak<display_board::present::BoardWindow>,
    size: (u32, u32),
}

impl Screen for WindowScreen {
    fn size(&self) -> (u32, u32) {
        self.size
    }
    fn show(&mut self, frame: &display_board::frame::Frame) -> std::io::Result<()> {
        if let Some(w) = self.window.upgrade() {
            w.set_frame(display_board::present::to_image(frame));
        }
        Ok(())
    }
}

fn run_window(cfg: &Config, feed: &Feed, windowed: bool, mute: bool) -> anyhow::Result<()> {
    use display_board::present::BoardWindow;
    use slint::ComponentHandle;
    let stop = stop_on_signals()?;
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
    let runner = Rc::new(std::cell::RefCell::new(Runner::new(
        cfg,
        follower,
        Some(voice),
    )));
    let screen = Rc::new(std::cell::RefCell::new(WindowScreen {
        window: window.as_weak(),
        size,
    }));
    let tick: Rc<dyn Fn()> = Rc::new(move || {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = slint::quit_event_loop();
            return;
        }
        let _ = runner
            .borrow_mut()
            .step(Utc::now(), &mut *screen.borrow_mut());
    });
    tick();
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
    tracing::info!("stopped");
    Ok(())
}

/// `display-board voice …`: needs no config.
fn voice_command(v: &VoiceCommand) -> anyhow::Result<()> {
    match v {
        VoiceCommand::Check { dir } => {
            let findings = display_board::voice::check_dir(dir).map_err(UsageError)?;
            let mut out = std::io::stdout().lock();
            for f in &findings {
                writeln!(out, "{}: {}", f.file, f.problem)?;
            }
            if findings.is_empty() {
                writeln!(out, "Thư mục {} đạt yêu cầu.", dir.display())?;
                return Ok(());
            }
            Err(motcua::cli::Exit {
                code: 1,
                message: format!(
                    "thư mục {} chưa dùng được: {} lỗi (xem từng dòng ở trên)",
                    dir.display(),
                    findings.len()
                ),
            }
            .into())
        }
        VoiceCommand::Phrases => {
            let mut out = std::io::stdout().lock();
            for c in display_board::voice::spoken_clips() {
                writeln!(out, "{}.wav\t{}", c.file_stem(), c.text())?;
            }
            Ok(())
        }
        VoiceCommand::Level { input, output } => {
            let samples = read_any_wav(input)?;
            let levelled = motcua::loudness::level(
                &samples,
                display_board::voice::RATE,
                motcua::loudness::TARGET_LUFS,
            )
            .ok_or_else(|| UsageError(format!("{}: tệp chỉ có im lặng", input.display())))?;
            display_board::voice::write_wav(output, &levelled).map_err(anyhow::Error::msg)
        }
    }
}

/// A WAV file at the clips' rate as mono floats: integer or float samples, channels mixed down.
fn read_any_wav(path: &std::path::Path) -> anyhow::Result<Vec<f32>> {
    let bad =
        |e: hound::Error| UsageError(format!("{}: không đọc được tệp WAV ({e})", path.display()));
    let r = hound::WavReader::open(path).map_err(bad)?;
    let spec = r.spec();
    if spec.sample_rate != display_board::voice::RATE {
        return Err(UsageError(format!(
            "{}: tần số lấy mẫu {} Hz, cần 22050 Hz; chuyển trước: sox {} -r 22050 TEP_MOI.wav",
            path.display(),
            spec.sample_rate,
            path.display()
        ))
        .into());
    }
    let flat: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        hound::SampleFormat::Int => {
            let full = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 / full))
                .collect::<Result<_, _>>()
                .map_err(bad)?
        }
    };
    let ch = usize::from(spec.channels.max(1));
    Ok(flat
        .chunks(ch)
        .map(|f| f.iter().sum::<f32>() / ch as f32)
        .collect())
}
