//! `motcua-bench report`: the month report and its page on a large office's year of tickets
//! (300,000 by default), and the memory it takes. The year is written straight into a fresh
//! database in one transaction (a benchmark fixture: the real store would take half an hour to
//! issue and serve that many); the figures are then read through the real store, exactly as
//! `counter report` and `/reports` read them.

use std::time::Instant;

use anyhow::Context;
use chrono::{Duration as TimeDelta, NaiveDate, TimeZone};
use motcua::EventKind;
use motcua_e2e::scenario::{self, Scenario};

/// Options of `motcua-bench report`.
#[derive(clap::Args)]
pub struct Reports {
    /// Tickets in the database (a large ward's year: 300,000).
    #[arg(long, default_value_t = 300_000)]
    tickets: u32,
    /// Working days they are spread over.
    #[arg(long, default_value_t = 250)]
    days: u32,
}

/// `motcua-bench report`.
pub fn run(o: &Reports) -> anyhow::Result<()> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/ward-month.toml");
    let spec = Scenario::load(&root)?;
    let dir = tempfile::tempdir()?;
    let store = scenario::open(&spec, dir.path())?;
    let cfg = store.config().clone();
    drop(store);
    let started = Instant::now();
    let days = fill(&cfg, o.tickets, o.days)?;
    println!(
        "{} tickets over {} days written in {:.1} s",
        o.tickets,
        days.len(),
        started.elapsed().as_secs_f64()
    );
    let store = motcua::Store::open(&cfg)?;
    let last = *days.last().context("no days")?;
    let month_from = last - TimeDelta::days(29);
    let mut times = Vec::new();
    let mut month_tickets = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let rows = store.report_rows(month_from, last)?;
        month_tickets = rows.len();
        let mut r = motcua::report::build(&rows, &cfg, month_from, last);
        r.name_officers(&store.officers()?);
        let page = counter::report::page(
            &cfg,
            &r,
            &rows,
            &counter::report::PageQuery {
                from: month_from,
                to: last,
                ..Default::default()
            },
            &counter::report::Choices::default(),
            "giamsat",
            "x",
        );
        std::hint::black_box(page);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let t = Instant::now();
    let rows = store.report_rows(days[0], last)?;
    let year = motcua::report::build(&rows, &cfg, days[0], last);
    let year_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "month report and page ({month_tickets} tickets of {}): median {:.0} ms, max {:.0} ms of 7",
        o.tickets, times[3], times[6]
    );
    println!(
        "the whole year as one report ({} tickets): {year_ms:.0} ms",
        year.totals.issued
    );
    println!(
        "RSS now {:.1} MiB, peak {:.1} MiB",
        crate::proc_mib("self", "VmRSS:"),
        crate::proc_mib("self", "VmHWM:")
    );
    Ok(())
}

/// Writes `tickets` served tickets (with their events and four in ten rated) over `days`
/// working days ending on 30 November 2026; returns the days.
fn fill(cfg: &motcua::Config, tickets: u32, days: u32) -> anyhow::Result<Vec<NaiveDate>> {
    let tz = cfg.office.timezone;
    let mut dates = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2026, 11, 30).context("date")?;
    while dates.len() < days as usize {
        if !matches!(d.format("%a").to_string().as_str(), "Sat" | "Sun") {
            dates.push(d);
        }
        d -= TimeDelta::days(1);
    }
    dates.reverse();
    let per_day = tickets.div_ceil(days);
    let mut rng = fastrand::Rng::with_seed(300);
    let mut db = rusqlite::Connection::open(&cfg.office.database)?;
    let tx = db.transaction()?;
    {
        let mut ticket = tx.prepare(
            "INSERT INTO ticket (id, service, origin_service, business_date, seq, number, priority, \
             status, queue_at, issued_at, called_at, started_at, finished_at, counter, recalls, \
             waiting_ahead, token, printed_at) \
             VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?9, ?10, ?11, 0, 0, ?12, ?8)",
        )?;
        let mut event = tx.prepare(
            "INSERT INTO event (at, kind, ticket_id, counter, data, officer) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut rating = tx.prepare(
            "INSERT INTO rating (ticket_id, score, at, counter, officer) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut id = 0i64;
        for date in &dates {
            let open = tz
                .from_local_datetime(&date.and_hms_opt(7, 30, 0).context("time")?)
                .earliest()
                .context("local time")?
                .timestamp_millis();
            let mut seq = [0u32; 4];
            for k in 0..per_day {
                if id >= i64::from(tickets) {
                    break;
                }
                id += 1;
                let s = rng.usize(..cfg.services.len().min(4));
                let service = &cfg.services[s].code;
                seq[s] += 1;
                let issued = open + i64::from(k) * 9 * 3_600_000 / i64::from(per_day);
                let called = issued + rng.i64(0..20 * 60_000);
                let finished = called + rng.i64(3 * 60_000..15 * 60_000);
                let status = match rng.u32(..100) {
                    0..4 => "no_show",
                    4 => "cancelled",
                    _ => "done",
                };
                let serving: Vec<u32> = cfg
                    .counters
                    .iter()
                    .filter(|c| c.services.contains(service))
                    .map(|c| c.number)
                    .collect();
                let counter = serving
                    .get(rng.usize(..serving.len().max(1)))
                    .copied()
                    .unwrap_or(1);
                let officer = format!("officer{counter}");
                ticket.execute(rusqlite::params![
                    id,
                    service,
                    date.to_string(),
                    seq[s],
                    format!("{}", 1000 + seq[s]),
                    (rng.u32(..10) == 0).then_some("elderly"),
                    status,
                    issued,
                    called,
                    finished,
                    counter,
                    format!("t{id}")
                ])?;
                let kinds: &[(EventKind, i64)] = match status {
                    "done" => &[
                        (EventKind::Issued, issued),
                        (EventKind::Called, called),
                        (EventKind::Finished, finished),
                    ],
                    "no_show" => &[
                        (EventKind::Issued, issued),
                        (EventKind::Called, called),
                        (EventKind::NoShow, finished),
                    ],
                    _ => &[
                        (EventKind::Issued, issued),
                        (EventKind::Cancelled, finished),
                    ],
                };
                for (kind, at) in kinds {
                    let at_counter = !matches!(kind, EventKind::Issued | EventKind::Cancelled);
                    event.execute(rusqlite::params![
                        at,
                        kind.as_str(),
                        id,
                        at_counter.then_some(counter),
                        serde_json::to_string(kind)?,
                        at_counter.then_some(&officer)
                    ])?;
                }
                if status == "done" && rng.u32(..10) < 4 {
                    rating.execute(rusqlite::params![
                        id,
                        rng.u8(1..=5),
                        finished,
                        counter,
                        officer
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(dates)
}
