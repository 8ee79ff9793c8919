//! `motcua-bench`: prints the queue's speed figures for BENCHMARKS.md, and runs the looping worker
//! processes that the benchmark and the SIGKILL test start.

mod centre;
mod flood;
mod links;
mod predict;
mod reports;
mod screens;
mod voice;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use motcua::{Config, Store};
use motcua_testkit::OfficeToml;

/// motcua benchmarks.
#[derive(Parser)]
#[command(about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every benchmark on a fresh database in a temporary folder and print the figures.
    Run {
        /// Tickets issued by the single idle process.
        #[arg(long, default_value_t = 1000)]
        single: u32,
        /// Issue+call pairs per writer process.
        #[arg(long, default_value_t = 300)]
        pairs: u32,
        /// Writer processes running at once.
        #[arg(long, default_value_t = 4)]
        writers: u32,
        /// Folder for the benchmark database (default: a new temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Ticket bytes per layout, and issue-to-last-byte latency against a printer on PORT
    /// (a pty of the emupos emulator; a pty does not enforce the baud rate, so wire time is excluded).
    Print {
        /// The printer's serial port (e.g. the emupos pty).
        #[arg(long)]
        port: Option<String>,
        /// Tickets to issue and print.
        #[arg(long, default_value_t = 200)]
        count: u32,
    },
    /// The kiosk screen, headless (software renderer): start to first frame, tap to done-screen
    /// with the virtual printer, and memory after COUNT tickets.
    Kiosk {
        /// Tickets to issue through the screen.
        #[arg(long, default_value_t = 1000)]
        count: u32,
    },
    /// The board: frame render time, and call committed → frame rendered latency with the real
    /// follower (50 ms data_version polling) in another thread.
    Board {
        /// Calls to time.
        #[arg(long, default_value_t = 100)]
        calls: u32,
    },
    /// The staff console server (`counter serve`, the release binary beside this one): action
    /// request latency with OFFICERS signed in and acting at once, SSE delivery to CLIENTS
    /// streams, and the server's memory.
    Console {
        /// Officers acting at once, one counter each.
        #[arg(long, default_value_t = 20)]
        officers: u32,
        /// Actions per officer (call and finish alternately).
        #[arg(long, default_value_t = 100)]
        actions: u32,
        /// SSE clients following /api/events.
        #[arg(long, default_value_t = 100)]
        clients: u32,
        /// Calls timed from request to delivery on every SSE client.
        #[arg(long, default_value_t = 50)]
        calls: u32,
        /// Mean pause of an officer between actions in ms (uniform 0..2×); 0 = back to back.
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
    /// The staff console server under a LAN flood (idle connections, stalled uploads, failed
    /// sign-ins with random logins, replays from event 0) while officers keep acting: their
    /// latency and the server's memory.
    Flood(flood::Flood),
    /// Press to last byte on each printer link (emupos as a serial, usb: and tcp:// printer)
    /// and for a kiosk on the LAN through `counter serve` (loopback).
    Links(links::Links),
    /// The browser screens: call committed → web board page updated in headless Chromium,
    /// `counter serve`'s memory with boards and rating tablets connected, and the board page's
    /// memory over a compressed day of calls.
    Screens(screens::Screens),
    /// The wait estimate against an office's day described in a scenario file (docs/
    /// prediction.md): error figures of the estimate and of the old formula; `--cost` times
    /// the estimator.
    Predict(predict::Predict),
    /// The month report and its page on a large office's year of tickets, and its memory.
    Report(reports::Reports),
    /// The twenty calls an independent speech recogniser scores for intelligibility
    /// (scripts/voice-intelligibility.sh), as WAV files and their candidate sentences.
    Voice(voice::Opts),
    /// The province centre: office → centre lag, an offline day's catch-up, the ingest rate
    /// and the centre's memory (release counter and motcua-centre beside this binary).
    Centre(centre::CentreBench),
}

/// The write benchmark's office: one service, 8 counters.
fn bench_config(database: &str) -> String {
    OfficeToml::bench(database, 8).build()
}

fn main() -> anyhow::Result<()> {
    let cli: Cli = motcua::cli::parse_args();
    match cli.command {
        Cmd::Run {
            single,
            pairs,
            writers,
            dir,
        } => run(single, pairs, writers, dir),
        Cmd::Print { port, count } => print_bench(port, count),
        Cmd::Kiosk { count } => kiosk_bench(count),
        Cmd::Board { calls } => board_bench(calls),
        Cmd::Console {
            officers,
            actions,
            clients,
            calls,
            think_ms,
        } => console_bench(officers, actions, clients, calls, think_ms),
        Cmd::Flood(f) => flood::flood_bench(f),
        Cmd::Links(l) => links::links_bench(l),
        Cmd::Screens(o) => screens::run(&o),
        Cmd::Predict(p) => predict::run(&p),
        Cmd::Report(r) => reports::run(&r),
        Cmd::Voice(v) => voice::run(&v),
        Cmd::Centre(c) => centre::run(&c),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn run(single: u32, pairs: u32, writers: u32, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let (dir, remove) = match dir {
        Some(d) => (d, false),
        None => (tempfile_dir(), true),
    };
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, single, pairs, writers);
    if remove {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn measure(dir: &Path, single: u32, pairs: u32, writers: u32) -> anyhow::Result<()> {
    let fsync = fsync_times(dir)?;
    println!(
        "fsync (4 KiB write + fdatasync, 200 times): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&fsync, 50.0),
        percentile(&fsync, 99.0)
    );

    // 1. One process, idle machine: issue latency.
    let cfg_path = dir.join("single.toml");
    std::fs::write(&cfg_path, bench_config("single.db"))?;
    let cfg = Config::load(Some(&cfg_path))?;
    let mut store = Store::open(&cfg)?;
    let mut lat = Vec::with_capacity(single as usize);
    for _ in 0..single {
        let t0 = Instant::now();
        store.issue("TP", None, Utc::now())?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "single process, {single} issues: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 50.0),
        percentile(&lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN)
    );

    // 2. N writer processes, each issue+call pairs, on one file.
    let cfg_path = dir.join("multi.toml");
    std::fs::write(&cfg_path, bench_config("multi.db"))?;
    drop(Store::open(&Config::load(Some(&cfg_path))?)?);
    // The looping worker is the end-to-end crate's `motcua-worker`, built beside this binary.
    let me = std::env::current_exe()?.with_file_name("motcua-worker");
    if !me.exists() {
        bail!(
            "{} is missing: build it with cargo build -p motcua-e2e --bins (--release to match)",
            me.display()
        );
    }
    let start = Instant::now();
    let children = (1..=writers)
        .map(|i| {
            Command::new(&me)
                .arg("--config")
                .arg(&cfg_path)
                .args(["--counter", &i.to_string(), "--pairs", &pairs.to_string()])
                .stdout(Stdio::piped())
                .spawn()
                .context("start worker")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut issue = Vec::new();
    let mut call = Vec::new();
    for c in children {
        let out = c.wait_with_output()?;
        if !out.status.success() {
            bail!("worker failed: {}", out.status);
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let ms = v["us"].as_f64().unwrap_or(f64::NAN) / 1000.0;
            match v["op"].as_str() {
                Some("issue") => issue.push(ms),
                _ => call.push(ms),
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    issue.sort_by(f64::total_cmp);
    call.sort_by(f64::total_cmp);
    let total = (writers * pairs) as f64;
    println!(
        "{writers} writer processes x {pairs} issue+call pairs: {:.0} pairs/s ({:.2} s wall)",
        total / wall,
        wall
    );
    println!(
        "  issue latency p50 {:.2} ms, p99 {:.2} ms; call latency p50 {:.2} ms, p99 {:.2} ms",
        percentile(&issue, 50.0),
        percentile(&issue, 99.0),
        percentile(&call, 50.0),
        percentile(&call, 99.0)
    );
    Ok(())
}

fn tempfile_dir() -> PathBuf {
    std::env::temp_dir().join(format!("motcua-bench-{}", std::process::id()))
}

/// Sorted times (ms) of a small write + fdatasync in `dir`: the floor under every durable commit.
fn fsync_times(dir: &Path) -> anyhow::Result<Vec<f64>> {
    let mut f = File::create(dir.join("fsync.probe"))?;
    let buf = [0u8; 4096];
    let mut times = Vec::new();
    for _ in 0..200 {
        let t0 = Instant::now();
        f.write_all(&buf)?;
        f.sync_data()?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// The printing and kiosk benchmarks' office (the long LD name numbered from 4001).
static PRINT_CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    OfficeToml::empty("UBND phường Hòa Khê")
        .office("database", "\"print.db\"")
        .service("TP", "Tư pháp - Hộ tịch", "first_number = 1001\ndigits = 4")
        .service(
            "LD",
            "Lao động - Thương binh và Xã hội",
            "first_number = 4001\ndigits = 4",
        )
        .counter(1, &["TP", "LD"])
        .priority("elderly", "Người cao tuổi")
        .section("[status]\nbase_url = \"http://192.168.1.10:8080\"")
        .build()
});

fn print_bench(port: Option<String>, count: u32) -> anyhow::Result<()> {
    use motcua::config::QrMode;
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> anyhow::Result<()> {
        // Bytes per layout, from the real encoder.
        println!("| layout | bytes | wire 9600 baud | wire 115200 baud |");
        println!("|---|---|---|---|");
        for (width, qr, status, service, priority) in [
            (576, "native", true, "TP", Some("elderly")),
            (576, "native", false, "TP", None),
            (576, "native", true, "LD", Some("elderly")),
            (576, "raster", true, "TP", Some("elderly")),
            (384, "native", true, "TP", Some("elderly")),
            (384, "native", false, "LD", None),
        ] {
            let mut text = PRINT_CONFIG.to_string();
            if !status {
                text = text.replace("[status]\nbase_url = \"http://192.168.1.10:8080\"\n", "");
            }
            text += &format!(
                "\n[printer]\nport = \"virtual:v\"\nwidth_dots = {width}\nqr = \"{qr}\"\n"
            );
            let path = dir.join("p.toml");
            std::fs::write(&path, text)?;
            let cfg = Config::load(Some(&path))?;
            let mut store = Store::open_path(
                &dir.join(format!("bytes-{width}-{qr}-{status}-{service}.db")),
                &cfg,
            )?;
            let t = store.issue(service, priority, Utc::now())?;
            let wait = motcua::estimate::Estimate::Minutes { low: 10, high: 15 };
            let blocks = motcua::ticket::layout(&t, &cfg, Some(&wait), width);
            let q = if qr == "raster" {
                QrMode::Raster
            } else {
                QrMode::Native
            };
            let n = motcua::ticket::encode_to_vec(&blocks, q)?.len();
            let wire = |baud: f64| n as f64 * 10.0 / baud;
            println!(
                "| {} mm, {}{}, {} | {n} | {:.2} s | {:.3} s |",
                if width == 576 { 80 } else { 58 },
                if status {
                    format!("QR {qr}")
                } else {
                    "no QR".into()
                },
                if priority.is_some() { ", priority" } else { "" },
                cfg.service(service)?.name,
                wire(9600.0),
                wire(115200.0)
            );
        }
        let Some(port) = port else { return Ok(()) };
        let path = dir.join("serial.toml");
        std::fs::write(
            &path,
            format!("{}\n[printer]\nport = \"{port}\"\n", *PRINT_CONFIG),
        )?;
        let cfg = Config::load(Some(&path))?;
        let store = Store::open(&cfg)?;
        let printer = kiosk::printer::Printer::open(cfg.printer.as_ref().unwrap())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut k = kiosk::Kiosk::new(store, Some(printer));
        let lat = links::press_to_last_byte(&mut k, count)?;
        println!(
            "press to last byte on {port}, {count} tickets (status check, COMMIT, encode, send, status check, mark printed): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Resident memory of this process in MiB (Linux /proc).
fn rss_mib() -> f64 {
    proc_mib("self", "VmRSS:")
}

/// A memory figure (e.g. `VmRSS:`, `VmHWM:`) of process `pid` in MiB.
fn proc_mib(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn kiosk_bench(count: u32) -> anyhow::Result<()> {
    use kiosk::ui::{KioskAdapter, KioskWindow, ManualDispatcher};
    use slint::ComponentHandle;
    use std::rc::Rc;
    let start = Instant::now();
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> anyhow::Result<()> {
        kiosk::headless::init()?;
        let path = dir.join("kiosk.toml");
        std::fs::write(
            &path,
            format!("{}\n[printer]\nport = \"virtual:tickets\"\n", *PRINT_CONFIG),
        )?;
        let cfg = Config::load(Some(&path))?;
        let k = kiosk::Kiosk::new(Store::open(&cfg)?, None);
        let window = KioskWindow::new()?;
        let (w, h) = cfg.kiosk.orientation.size();
        window.window().set_size(slint::PhysicalSize::new(w, h));
        let d = Rc::new(ManualDispatcher::new(k, window.as_weak()));
        let controller = kiosk::ui::setup(&window, cfg.clone(), d.clone());
        d.run_pending();
        window.show()?;
        let first = kiosk::headless::render(w, h);
        let first_frame = start.elapsed();
        anyhow::ensure!(first.iter().any(|b| *b != first[0]), "first frame is blank");
        println!(
            "start to first frame (headless software renderer, {w}x{h}; database, fonts, window, first draw): {:.1} ms; RSS {:.1} MiB",
            first_frame.as_secs_f64() * 1000.0,
            rss_mib()
        );
        let codes: Vec<String> = cfg.services.iter().map(|s| s.code.clone()).collect();
        let mut lat = Vec::with_capacity(count as usize);
        for i in 0..count as usize {
            let t0 = Instant::now();
            window
                .global::<KioskAdapter>()
                .invoke_issue(codes[i % codes.len()].clone().into(), "".into());
            d.run_pending();
            kiosk::headless::render(w, h);
            lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                window.global::<KioskAdapter>().get_page() == kiosk::ui::Page::Done,
                "ticket {i} did not reach the done screen"
            );
            controller.go_home();
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "tap to done-screen drawn, virtual printer (issue, print files, frame), {count} tickets: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
        println!("RSS after {count} tickets: {:.1} MiB", rss_mib());
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn board_bench(calls: u32) -> anyhow::Result<()> {
    use display_board::follow::Follower;
    use std::time::Duration;
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> anyhow::Result<()> {
        let path = dir.join("board.toml");
        std::fs::write(&path, &*PRINT_CONFIG)?;
        let cfg = Config::load(Some(&path))?;
        let mut store = Store::open(&cfg)?;
        for _ in 0..calls + 20 {
            store.issue("TP", None, Utc::now())?;
        }
        for _ in 0..6 {
            store.call_next(1, Utc::now())?;
        }
        // Frame render time at two sizes.
        let (f, _) = Follower::open(&cfg, Utc::now())?;
        for size in [(1920, 1080), (1280, 720), (1080, 1920)] {
            let mut t = Vec::new();
            for _ in 0..50 {
                let t0 = Instant::now();
                let frame = display_board::render(&f.board, &cfg, Utc::now(), size);
                t.push(t0.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(frame);
            }
            t.sort_by(f64::total_cmp);
            println!(
                "frame render {}x{}: p50 {:.1} ms, p99 {:.1} ms",
                size.0,
                size.1,
                percentile(&t, 50.0),
                percentile(&t, 99.0)
            );
        }
        drop(f);
        // Call committed -> frame rendered, with the follower polling like the board does: every
        // 50 ms, and at once when a commit's wake-up datagram arrives.
        let cfg2 = cfg.clone();
        let board = std::thread::spawn(move || -> anyhow::Result<Vec<(String, Instant)>> {
            let wake = motcua::wake::Listener::bind(&cfg2.office.database)?;
            let (mut f, _) = Follower::open(&cfg2, Utc::now())?;
            let mut seen = Vec::new();
            while seen.len() < calls as usize {
                if let Some(new) = f.poll(Utc::now())?
                    && !new.is_empty()
                {
                    let frame = display_board::render(&f.board, &cfg2, Utc::now(), (1920, 1080));
                    std::hint::black_box(frame);
                    let done = Instant::now();
                    seen.extend(new.into_iter().map(|c| (c.number, done)));
                }
                wake.wait(Duration::from_millis(50));
            }
            Ok(seen)
        });
        let mut committed = std::collections::HashMap::new();
        for _ in 0..calls {
            std::thread::sleep(Duration::from_millis(fastrand_ms()));
            let t = store.call_next(1, Utc::now())?.expect("a waiting ticket");
            committed.insert(t.number.clone(), Instant::now());
        }
        let seen = board
            .join()
            .map_err(|_| anyhow::anyhow!("board thread panicked"))??;
        let mut lat: Vec<f64> = seen
            .iter()
            .filter_map(|(n, done)| {
                committed
                    .get(n)
                    .map(|c| done.saturating_duration_since(*c).as_secs_f64() * 1000.0)
            })
            .collect();
        lat.sort_by(f64::total_cmp);
        println!(
            "call committed -> frame rendered (wake-up + 50 ms polling, 1920x1080), {} calls: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lat.len(),
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A pause of 60-160 ms between calls, so calls land at every phase of the poll.
fn fastrand_ms() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    60 + u64::from(nanos % 100)
}

/// A signed-in HTTP session with `counter serve` (cookie and CSRF token).
/// A signed-in officer: the end-to-end tests' browser-like client, timed.
pub(crate) struct Officer(motcua_e2e::console::Client);

impl Officer {
    fn sign_in(base: &str, login: &str, pin: &str, counter: u32) -> anyhow::Result<Officer> {
        let mut c = motcua_e2e::console::Client::at(base);
        let (status, _) = c.submit_login(login, pin, &counter.to_string());
        if status != 303 {
            bail!("sign-in of {login} refused: {status}");
        }
        Ok(Officer(c))
    }

    /// POSTs a counter action: the time to its answer in ms, and the answer.
    fn act(&mut self, action: &str) -> anyhow::Result<(f64, serde_json::Value)> {
        let t0 = Instant::now();
        let (status, v) = self.0.act(action, serde_json::json!({}), None);
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if !(200..300).contains(&status) {
            bail!("{action}: {status}");
        }
        Ok((ms, v))
    }
}

/// The release `counter` beside this binary, which the server benchmarks start.
fn server_binary() -> anyhow::Result<PathBuf> {
    let bin = std::env::current_exe()?.with_file_name("counter");
    if !bin.exists() {
        bail!(
            "{} is missing: cargo build --release -p counter -p motcua-bench",
            bin.display()
        );
    }
    Ok(bin)
}

/// Officers `o1`..`oN` (PIN 246810), one per counter.
fn add_officers(store: &mut Store, officers: u32) -> anyhow::Result<()> {
    let hash = motcua::secret::hash_password(OFFICER_PIN).map_err(anyhow::Error::msg)?;
    for n in 1..=officers {
        store.add_officer(
            &format!("o{n}"),
            &hash,
            motcua::config::Role::Officer,
            Utc::now(),
        )?;
    }
    Ok(())
}

/// The PIN of the benchmarks' accounts.
const OFFICER_PIN: &str = "246810";

/// A `counter serve` started on `cfg_path` (any free port), once it said where it listens.
struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// Its process id, for `/proc`.
    pid: String,
}

impl Served {
    fn start(bin: &Path, cfg_path: &Path, stderr: Stdio) -> anyhow::Result<Served> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(cfg_path)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .context("start counter serve")?;
        let mut first = String::new();
        BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut first)?;
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .context("server did not say where it listens")?
            .to_string();
        let pid = child.id().to_string();
        Ok(Served { child, base, pid })
    }

    /// Signs in `o1`..`oN`, each at their counter.
    fn sign_in_officers(&self, officers: u32) -> anyhow::Result<Vec<Officer>> {
        (1..=officers)
            .map(|n| Officer::sign_in(&self.base, &format!("o{n}"), OFFICER_PIN, n))
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every officer acts `actions` times at once (call and finish alternately), after a pause of
/// 0..2×`think_ms` ms before each action (none when 0): the sorted latencies in ms and the
/// seconds it took.
fn officers_act(
    officers: Vec<Officer>,
    actions: u32,
    think_ms: u64,
) -> anyhow::Result<(Vec<f64>, f64)> {
    use std::sync::{Arc, Barrier};
    let barrier = Arc::new(Barrier::new(officers.len()));
    let t0 = Instant::now();
    let handles: Vec<_> = officers
        .into_iter()
        .map(|mut o| {
            let barrier = barrier.clone();
            std::thread::spawn(move || -> anyhow::Result<Vec<f64>> {
                barrier.wait();
                (0..actions)
                    .map(|i| {
                        if think_ms > 0 {
                            let pause = fastrand::u64(0..=2 * think_ms);
                            std::thread::sleep(std::time::Duration::from_millis(pause));
                        }
                        o.act(if i % 2 == 0 { "call" } else { "finish" })
                            .map(|(ms, _)| ms)
                    })
                    .collect()
            })
        })
        .collect();
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(h.join().expect("officer thread")?);
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok((lat, secs))
}

fn console_bench(
    officers: u32,
    actions: u32,
    clients: u32,
    calls: u32,
    think_ms: u64,
) -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Barrier, mpsc};

    let server_bin = server_binary()?;
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let config = OfficeToml::bench("console.db", officers).build();
    let cfg_path = dir.join("console.toml");
    std::fs::write(&cfg_path, config)?;
    let cfg = Config::load(Some(&cfg_path))?;
    let mut store = Store::open(&cfg)?;
    add_officers(&mut store, officers)?;
    let hash = motcua::secret::hash_password(OFFICER_PIN).map_err(anyhow::Error::msg)?;
    store.add_officer("sup", &hash, motcua::config::Role::Supervisor, Utc::now())?;
    // Enough citizens that every call finds one.
    for _ in 0..(officers * actions / 2 + calls + 10) {
        store.issue("TP", None, Utc::now())?;
    }
    drop(store);

    let server = Served::start(&server_bin, &cfg_path, Stdio::inherit())?;
    let (base, pid) = (server.base.clone(), server.pid.clone());
    let result = (|| -> anyhow::Result<()> {
        println!("server RSS at start: {:.1} MiB", proc_mib(&pid, "VmRSS:"));
        // 1. OFFICERS act at once.
        let (lat, secs) = officers_act(server.sign_in_officers(officers)?, actions, think_ms)?;
        println!(
            "{officers} officers × {actions} actions at once, pause {think_ms} ms: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} actions/s",
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN),
            lat.len() as f64 / secs
        );

        println!(
            "server RSS after the officers' run: {:.1} MiB",
            proc_mib(&pid, "VmRSS:")
        );
        // 2. CLIENTS follow /api/events; CALLS are timed from request to each delivery.
        let sup = Officer::sign_in(&base, "sup", OFFICER_PIN, 0)?;
        let (tx, rx) = mpsc::channel::<(String, Instant)>();
        let ready = Arc::new(Barrier::new(clients as usize + 1));
        for _ in 0..clients {
            let mut r = sup
                .0
                .agent
                .get(&format!("{base}/api/events"))
                .header("Cookie", &sup.0.cookie_header())
                .config()
                .timeout_global(None)
                .build()
                .call()?;
            let tx = tx.clone();
            let ready = ready.clone();
            std::thread::spawn(move || {
                ready.wait();
                let reader = BufReader::new(r.body_mut().as_reader());
                for line in reader.lines().map_while(Result::ok) {
                    if let Some(d) = line.strip_prefix("data: ")
                        && d.contains("\"kind\":\"called\"")
                    {
                        let v: serde_json::Value = serde_json::from_str(d).unwrap_or_default();
                        let n = v["number"].as_str().unwrap_or("").to_string();
                        if tx.send((n, Instant::now())).is_err() {
                            return;
                        }
                    }
                }
            });
        }
        drop(tx);
        ready.wait();
        println!(
            "server RSS with {clients} SSE clients connected: {:.1} MiB",
            proc_mib(&pid, "VmRSS:")
        );
        let mut caller = Officer::sign_in(&base, "o1", OFFICER_PIN, 1)?;
        let mut sent = std::collections::HashMap::new();
        let mut delivery = Vec::new();
        for _ in 0..calls {
            let t = Instant::now();
            let (_, r) = caller.act("call")?;
            let number = r["ticket"]["number"]
                .as_str()
                .context("a ticket was called")?
                .to_string();
            sent.insert(number, t);
            // Wait for this call to reach every client before the next one.
            let mut got = 0;
            while got < clients {
                let (n, at) = rx
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .context("an SSE client missed a call")?;
                // Calls from the officers' run may still be on their way: not timed.
                if let Some(from) = sent.get(&n) {
                    delivery.push(at.duration_since(*from).as_secs_f64() * 1000.0);
                    got += 1;
                }
            }
        }
        delivery.sort_by(f64::total_cmp);
        println!(
            "SSE fan-out, {calls} calls × {clients} clients: request → delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&delivery, 50.0),
            percentile(&delivery, 99.0),
            delivery.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "server RSS with {clients} SSE clients: {:.1} MiB (peak {:.1} MiB)",
            proc_mib(&pid, "VmRSS:"),
            proc_mib(&pid, "VmHWM:")
        );
        Ok(())
    })();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    result
}
