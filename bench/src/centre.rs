//! `motcua-bench centre`: office → centre lag, the catch-up of an office that was offline for a
//! day, the centre's ingest rate and its memory, on a real nats-server and PostgreSQL (started
//! here on loopback, as the tests do) with the release `counter` and `motcua-centre` beside this
//! binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use motcua::{Config, Store};
use motcua_e2e::centre::{Centre, Nats, Postgres, key_with};
use motcua_testkit::OfficeToml;

use crate::percentile;

/// Options of `motcua-bench centre`.
#[derive(clap::Args)]
pub struct CentreBench {
    /// Offices issuing and calling at the same time (lag).
    #[arg(long, default_value_t = 20)]
    offices: usize,
    /// Tickets per second per office (each issued and called: two events).
    #[arg(long, default_value_t = 2.0)]
    rate: f64,
    /// Seconds of traffic for the lag.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Tickets of the office that was offline for a day.
    #[arg(long, default_value_t = 2000)]
    day: u32,
}

fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let p = std::env::current_exe()?.with_file_name(name);
    if !p.exists() {
        bail!(
            "{} is missing: cargo build --release -p counter -p motcua-centre -p motcua-bench",
            p.display()
        );
    }
    Ok(p)
}

struct Office {
    id: String,
    dir: tempfile::TempDir,
    ship: Option<Child>,
}

impl Office {
    fn config(&self) -> PathBuf {
        self.dir.path().join("motcua.toml")
    }

    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&Config::load(Some(&self.config()))?)?)
    }

    fn start_shipping(&mut self, counter: &Path) -> anyhow::Result<()> {
        self.ship = Some(
            Command::new(counter)
                .arg("--config")
                .arg(self.config())
                .arg("ship")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("counter ship")?,
        );
        Ok(())
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        if let Some(mut c) = self.ship.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn pg_client(
    pg: &Postgres,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<tokio_postgres::Client> {
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&pg.conn(), tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        Ok(client)
    })
}

/// The newest event id the centre holds per office.
fn max_ids(pg: &tokio_postgres::Client, rt: &tokio::runtime::Runtime) -> HashMap<String, i64> {
    rt.block_on(async {
        match pg
            .query("SELECT office, MAX(id) FROM event GROUP BY office", &[])
            .await
        {
            Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
            Err(_) => HashMap::new(),
        }
    })
}

fn total(pg: &tokio_postgres::Client, rt: &tokio::runtime::Runtime) -> i64 {
    rt.block_on(async {
        pg.query_one("SELECT COUNT(*) FROM event", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or(0)
    })
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Issues a ticket and calls it at counter 1: the two events' ids and when they committed.
fn issue_and_call(store: &mut Store) -> anyhow::Result<(i64, Instant)> {
    store.issue("TP", None, Utc::now())?;
    store.call_next(1, Utc::now())?;
    Ok((store.last_event_id()?, Instant::now()))
}

pub fn run(o: &CentreBench) -> anyhow::Result<()> {
    let (counter, centre_bin) = (sibling("counter")?, sibling("motcua-centre")?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let work = tempfile::tempdir()?;
    let pg = Postgres::start();
    key_with(&centre_bin, &work.path().join("centre.nk"));
    let n = o.offices + 2;
    let mut offices: Vec<Office> = Vec::with_capacity(n);
    let mut toml = String::new();
    for i in 0..n {
        let dir = tempfile::tempdir()?;
        let public = key_with(&centre_bin, &dir.path().join("office.nk"));
        let id = format!("office-{i:03}");
        toml.push_str(&format!(
            "\n[[offices]]\nid = \"{id}\"\nname = \"Trung tâm {i}\"\nnkey = \"{public}\"\n"
        ));
        offices.push(Office {
            id,
            dir,
            ship: None,
        });
    }
    let centre_toml = |url: &str| {
        format!(
            "[centre]\nname = \"Benchmark\"\nlisten = \"127.0.0.1:0\"\nnats_url = \"{url}\"\n\
             credentials = \"centre.nk\"\npostgres = \"{}\"\n{toml}",
            pg.conn()
        )
    };
    let cfg_path = work.path().join("centre.toml");
    std::fs::write(&cfg_path, centre_toml("nats://127.0.0.1:1"))?;
    let auth = Command::new(&centre_bin)
        .arg("--config")
        .arg(&cfg_path)
        .arg("nats-config")
        .output()?;
    if !auth.status.success() {
        bail!("nats-config: {}", String::from_utf8_lossy(&auth.stderr));
    }
    let nats = Nats::start(&String::from_utf8(auth.stdout)?);
    std::fs::write(&cfg_path, centre_toml(&nats.url()))?;
    let office_toml = OfficeToml::standard().build();
    for off in &offices {
        std::fs::write(
            off.config(),
            format!(
                "{office_toml}\n[centre]\nurl = \"{}\"\noffice_id = \"{}\"\ncredentials = \"office.nk\"\n",
                nats.url(),
                off.id
            ),
        )?;
        drop(off.store()?);
    }
    let mut centre = Centre::start_with(&centre_bin, &cfg_path);
    let pg_c = pg_client(&pg, &rt)?;

    // 1. Lag: `offices` offices issue and call at `rate` tickets a second each.
    let (busy, rest) = offices.split_at_mut(o.offices);
    for off in busy.iter_mut() {
        off.start_shipping(&counter)?;
    }
    let stop = AtomicBool::new(false);
    let period = Duration::from_secs_f64(1.0 / o.rate);
    let (commits, seen) = std::thread::scope(|s| -> anyhow::Result<_> {
        let workers: Vec<_> = busy
            .iter()
            .map(|off| {
                let stop = &stop;
                s.spawn(move || -> anyhow::Result<Vec<(i64, Instant)>> {
                    let mut store = off.store()?;
                    let mut out = Vec::new();
                    let mut next = Instant::now();
                    while !stop.load(Ordering::Relaxed) {
                        out.push(issue_and_call(&mut store)?);
                        next += period;
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    }
                    Ok(out)
                })
            })
            .collect();
        // The centre's newest id per office, read every 5 ms: when each event arrived.
        let mut seen: Vec<HashMap<String, i64>> = Vec::new();
        let mut at: Vec<Instant> = Vec::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(o.seconds) {
            seen.push(max_ids(&pg_c, &rt));
            at.push(Instant::now());
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::Relaxed);
        let mut commits = Vec::new();
        for w in workers {
            commits.push(w.join().expect("worker")?);
        }
        // Until the last commits arrive.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ids = max_ids(&pg_c, &rt);
            seen.push(ids.clone());
            at.push(Instant::now());
            if busy.iter().zip(&commits).all(|(off, c)| {
                c.last()
                    .is_none_or(|(id, _)| ids.get(&off.id).is_some_and(|m| m >= id))
            }) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok((commits, seen.into_iter().zip(at).collect::<Vec<_>>()))
    })?;
    let mut lags = Vec::new();
    for (off, list) in busy.iter().zip(&commits) {
        for (id, committed) in list {
            if let Some((_, arrived)) = seen
                .iter()
                .find(|(ids, _)| ids.get(&off.id).is_some_and(|m| m >= id))
            {
                lags.push(arrived.saturating_duration_since(*committed).as_secs_f64() * 1000.0);
            }
        }
    }
    lags.sort_by(f64::total_cmp);
    let sent: usize = commits.iter().map(Vec::len).sum();
    println!(
        "lag (commit at the office → row in PostgreSQL, {} offices × {} tickets/s, {} s): {} of {} calls arrived; p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        o.offices,
        o.rate,
        o.seconds,
        lags.len(),
        sent,
        percentile(&lags, 50.0),
        percentile(&lags, 90.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or(f64::NAN)
    );

    // 2. Catch-up: a day of `day` tickets made while the office's shipper was not running.
    let day_office = &mut rest[0];
    let mut store = day_office.store()?;
    let before_day = store.last_event_id()?;
    for i in 0..o.day {
        store.issue(if i % 3 == 0 { "DD" } else { "TP" }, None, Utc::now())?;
        let t = store
            .call_next(1, Utc::now())?
            .context("a ticket to call")?;
        store.act_on_id(t.id, motcua::Action::Start, Utc::now())?;
        let t = store.act_on_id(t.id, motcua::Action::Finish, Utc::now())?;
        if i % 3 == 0 {
            store.rate(t.id, 5, Utc::now())?;
        }
    }
    let day_events = store.last_event_id()?;
    let t0 = Instant::now();
    day_office.start_shipping(&counter)?;
    while max_ids(&pg_c, &rt)
        .get(&day_office.id)
        .copied()
        .unwrap_or(0)
        < day_events
    {
        if t0.elapsed() > Duration::from_secs(300) {
            bail!("the offline office did not catch up in 300 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let catch_up = t0.elapsed();
    println!(
        "catch-up of an office offline for a day ({} tickets, {} events, {} ratings): {:.1} s",
        o.day,
        day_events - before_day,
        o.day.div_ceil(3),
        catch_up.as_secs_f64()
    );

    // 3. Ingest rate: the centre stopped while an office's backlog reaches the stream, then
    // started again and timed until PostgreSQL holds it all.
    centre.kill();
    let backlog = &mut rest[1];
    let mut store = backlog.store()?;
    for i in 0..o.day * 2 {
        store.issue(if i % 2 == 0 { "DD" } else { "TP" }, None, Utc::now())?;
        let t = store
            .call_next(1, Utc::now())?
            .context("a ticket to call")?;
        store.act_on_id(t.id, motcua::Action::Start, Utc::now())?;
        store.act_on_id(t.id, motcua::Action::Finish, Utc::now())?;
    }
    let backlog_events = store.last_event_id()?;
    backlog.start_shipping(&counter)?;
    let t0 = Instant::now();
    while store.centre_cursor()? < backlog_events {
        if t0.elapsed() > Duration::from_secs(300) {
            bail!("the backlog did not reach the stream in 300 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = total(&pg_c, &rt);
    let t0 = Instant::now();
    centre.restart();
    while total(&pg_c, &rt) < before + backlog_events {
        if t0.elapsed() > Duration::from_secs(300) {
            bail!("the centre did not ingest the backlog in 300 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let ingest = t0.elapsed().as_secs_f64();
    let rate = backlog_events as f64 / ingest;
    println!(
        "ingest: {backlog_events} events waiting in the stream taken in {ingest:.2} s from the centre's start: {rate:.0} events/s"
    );
    println!(
        "projection: 3,321 commune centres × 1,100 messages a day = 3.65 M a day, 150/s in the busiest hour: {:.1}× headroom on this machine",
        rate / 150.0
    );
    if let Some(kib) = centre.pid().and_then(vm_hwm_kib) {
        println!("centre RSS (peak, VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
    drop(centre);
    drop(offices);
    drop(nats);
    drop(pg);
    Ok(())
}
