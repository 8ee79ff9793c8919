//! The browser screens (#12): call committed → the web board's page updated, in real headless
//! Chromium; `counter serve`'s memory with boards and rating tablets connected; Chromium's memory
//! for the board page over a day of calls, compressed.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use fantoccini::{Client as Browser, ClientBuilder};
use motcua::{Config, Store};
use motcua_testkit::OfficeToml;
use serde_json::json;

use crate::{Served, percentile, proc_mib, server_binary, tempfile_dir};

/// Options of `motcua-bench screens`.
#[derive(clap::Args)]
pub struct Screens {
    /// Calls timed from commit to the board page's update.
    #[arg(long, default_value_t = 100)]
    calls: u32,
    /// Boards following the server while its memory is read.
    #[arg(long, default_value_t = 10)]
    boards: u32,
    /// Rating tablets following the server while its memory is read.
    #[arg(long, default_value_t = 30)]
    tablets: u32,
    /// Calls of the compressed day (4 counters, one call every 48 s each for 8 hours: 2,400).
    #[arg(long, default_value_t = 2400)]
    day: u32,
}

async fn browser(driver: &str, profile: &Path) -> anyhow::Result<Browser> {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": motcua_e2e::chromedriver::CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1920,1080", format!("--user-data-dir={}", profile.display()),
                // Sound stays locked: calls come far faster than they can be spoken here, and
                // a real queue of speech would only measure the compression.
                "--autoplay-policy=document-user-activation-required",
                // A garbage collection before each memory reading, and exact heap figures.
                "--js-flags=--expose-gc", "--enable-precise-memory-info",
            ],
        }),
    );
    Ok(
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(driver)
            .await?,
    )
}

async fn js(b: &Browser, script: &str) -> anyhow::Result<serde_json::Value> {
    Ok(b.execute(script, vec![]).await?)
}

async fn wait_js(b: &Browser, script: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if js(b, script).await? == json!(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the board page never got to: {script}")
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Proportional memory (PSS: shared pages split between their users) of the Chromium processes
/// of the profile `profile`, in MiB.
fn chromium_rss(profile: &Path) -> f64 {
    let profile = profile.display().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return f64::NAN;
    };
    dir.flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().to_string();
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            if !String::from_utf8_lossy(&cmd).contains(&profile) {
                return None;
            }
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            let kb: f64 = rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some(kb / 1024.0)
        })
        .filter(|m| m.is_finite())
        .sum()
}

/// Issues and calls one ticket at a counter (1–4) in this process; the commit's wall time.
fn commit_call(store: &mut Store, counter: u32) -> anyhow::Result<(String, f64)> {
    let now = chrono::Utc::now();
    let service = if counter == 4 { "DD" } else { "TP" };
    store.issue(service, None, now)?;
    let t = store.call_next(counter, now)?.context("a ticket to call")?;
    Ok((t.number, epoch_ms()))
}

pub fn run(o: &Screens) -> anyhow::Result<()> {
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("screens.db");
    let mut toml =
        OfficeToml::standard().office("database", &format!("{:?}", db.display().to_string()));
    let board_token = format!("board-tv.{}", "b0".repeat(24));
    let mut devices = vec![("board-tv".to_string(), "board", None, board_token.clone())];
    for i in 1..=o.boards {
        devices.push((
            format!("board-{i}"),
            "board",
            None,
            format!("board-{i}.{}", "b1".repeat(24)),
        ));
    }
    for i in 1..=o.tablets {
        let counter = (i - 1) % 4 + 1;
        devices.push((
            format!("rate-{i}"),
            "rating",
            Some(counter),
            format!("rate-{i}.{}", "d1".repeat(24)),
        ));
    }
    for (name, role, counter, token) in &devices {
        let hash = motcua::secret::hash_token(token).map_err(anyhow::Error::msg)?;
        let counter = counter.map_or(String::new(), |c| format!("counter = {c}\n"));
        toml = toml.section(&format!(
            "[[devices]]\nname = \"{name}\"\nrole = \"{role}\"\n{counter}token_hash = \"{hash}\"\n"
        ));
    }
    let cfg_path = dir.join("screens.toml");
    std::fs::write(&cfg_path, toml.build())?;
    let cfg = Config::load(Some(&cfg_path))?;
    let mut store = Store::open(&cfg)?;
    let served = Served::start(&server_binary()?, &cfg_path, Stdio::null())?;
    println!(
        "counter serve RSS idle: {:.1} MiB",
        proc_mib(&served.pid, "VmRSS:")
    );

    // Boards and tablets on the LAN: each follows /api/events; a tablet reads its counter too.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut streams = Vec::new();
    for (name, _, counter, token) in devices.iter().skip(1) {
        let auth = format!("Bearer {token}");
        if let Some(c) = counter {
            let r = agent
                .get(&format!("{}/api/rate/{c}", served.base))
                .header("Authorization", &auth)
                .call()?;
            if r.status() != 200 {
                bail!("{name}: /api/rate/{c} answered {}", r.status());
            }
        }
        let r = agent
            .get(&format!("{}/api/events", served.base))
            .header("Authorization", &auth)
            .call()?;
        if r.status() != 200 {
            bail!("{name}: /api/events answered {}", r.status());
        }
        streams.push(r);
    }
    // Each stream is read on its own thread, as a device would.
    for mut r in streams {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut r.body_mut().as_reader(), &mut std::io::sink());
        });
    }

    let (_driver, driver_url) = motcua_e2e::chromedriver::start().map_err(anyhow::Error::msg)?;
    let profile = dir.join("chromium");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let b = browser(&driver_url, &profile).await?;
        b.goto(&format!("{}/pair", served.base)).await?;
        let form = format!(
            "return fetch('/pair', {{method: 'POST', body: 'code={board_token}', headers: {{'Content-Type': 'application/x-www-form-urlencoded'}}}}).then(r => r.ok)"
        );
        if js(&b, &form).await? != json!(true) {
            bail!("pairing the board failed");
        }
        b.goto(&format!("{}/board", served.base)).await?;
        wait_js(&b, "return !!(window.motcuaBoard && motcuaBoard.connected)").await?;
        // The page notes when its big number changes, on this machine's clock.
        js(&b, "window.__seen = {}; window.__obs = new MutationObserver(() => { const n = document.getElementById('latest-number').textContent; if (!(n in __seen)) __seen[n] = performance.timeOrigin + performance.now(); }); __obs.observe(document.getElementById('latest-number'), {childList: true, characterData: true, subtree: true}); return true").await?;

        // Latency: one call at a time, as counters call.
        let mut lat = Vec::new();
        for i in 0..o.calls {
            let (number, at) = commit_call(&mut store, i % 4 + 1)?;
            wait_js(&b, &format!("return '{number}' in __seen")).await?;
            let seen = js(&b, &format!("return __seen['{number}']")).await?;
            lat.push(seen.as_f64().unwrap_or(f64::NAN) - at);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "call committed → web board updated, {} calls: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lat.len(),
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "counter serve RSS with {} boards, {} tablets and the web board connected: {:.1} MiB (peak {:.1} MiB)",
            o.boards,
            o.tablets,
            proc_mib(&served.pid, "VmRSS:"),
            proc_mib(&served.pid, "VmHWM:")
        );

        // A day of calls, compressed: the page's memory at the start, in the middle, at the end.
        let heap = "gc(); return [performance.memory.usedJSHeapSize / 1048576, document.getElementsByTagName('*').length, motcuaBoard.announced.length]";
        // The benchmark's own observer goes first: the day measures the page alone.
        js(&b, "__obs.disconnect(); delete window.__obs; delete window.__seen; return true").await?;
        let mut readings = Vec::new();
        readings.push((0, js(&b, heap).await?, chromium_rss(&profile)));
        for i in 1..=o.day {
            let (number, _) = commit_call(&mut store, i % 4 + 1)?;
            if i % 100 == 0 {
                // One unchanging script: each new script text is compiled and kept by the
                // browser, which would show here as the page's growth.
                let deadline = Instant::now() + Duration::from_secs(30);
                while js(&b, "return document.getElementById('latest-number').textContent").await?
                    != json!(number)
                {
                    if Instant::now() > deadline {
                        bail!("the board never showed {number}");
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            if i % (o.day / 4).max(1) == 0 {
                readings.push((i, js(&b, heap).await?, chromium_rss(&profile)));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Then the board stands idle a minute (its clock and blink run): no calls, same memory?
        tokio::time::sleep(Duration::from_secs(60)).await;
        readings.push((o.day, js(&b, heap).await?, chromium_rss(&profile)));
        for (calls, h, rss) in &readings {
            println!(
                "board page after {calls} calls: JS heap {:.2} MiB, {} elements, {} announcements kept; Chromium PSS {:.0} MiB",
                h[0].as_f64().unwrap_or(f64::NAN),
                h[1],
                h[2],
                rss
            );
        }
        b.close().await?;
        Ok(())
    });
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
    result
}
