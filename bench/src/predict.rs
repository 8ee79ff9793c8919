//! `motcua-bench predict`: an office's day, described in a scenario file, run through the real
//! store and queue core with an injected clock. Each ticket's wait estimate at issue (and today's
//! formula's) is compared with the wait it then had. The scenario format is in
//! `docs/prediction.md`; the shipped scenarios are in `scenarios/`.

use std::path::PathBuf;
use std::time::Instant;

use chrono::{Duration as TimeDelta, TimeZone, Utc};
use motcua::estimate::{self, Estimate, Target};
use motcua_e2e::scenario::{self, Record, Scenario};

/// Options of `motcua-bench predict`.
#[derive(clap::Args)]
pub struct Predict {
    /// The scenario file (TOML, see docs/prediction.md).
    #[arg(long, required_unless_present = "cost")]
    scenario: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Time the estimator instead: WAITING tickets and COUNTERS counters, p50/p99 per estimate.
    #[arg(long)]
    cost: bool,
    /// Waiting tickets for --cost.
    #[arg(long, default_value_t = 200)]
    waiting: u32,
    /// Counters for --cost.
    #[arg(long, default_value_t = 20)]
    counters: u32,
}

/// The error figures of one way of estimating, over some tickets.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Figures {
    /// Tickets counted.
    pub tickets: usize,
    /// Mean absolute error of the range's midpoint, minutes.
    pub mae_min: f64,
    /// Share of tickets whose actual wait fell inside the range shown.
    pub inside_share: f64,
    /// Share of tickets that waited more than 5 minutes longer than the midpoint.
    pub under5_share: f64,
}

fn figures(pairs: &[(f64, f64, f64)]) -> Figures {
    // (actual, low, high) in minutes.
    let n = pairs.len().max(1) as f64;
    let mid = |l: f64, h: f64| (l + h) / 2.0;
    Figures {
        tickets: pairs.len(),
        mae_min: pairs
            .iter()
            .map(|(a, l, h)| (a - mid(*l, *h)).abs())
            .sum::<f64>()
            / n,
        inside_share: pairs
            .iter()
            .filter(|(a, l, h)| *l <= *a && *a <= *h)
            .count() as f64
            / n,
        under5_share: pairs
            .iter()
            .filter(|(a, l, h)| *a - mid(*l, *h) > 5.0)
            .count() as f64
            / n,
    }
}

/// The figures of a scenario's measured day.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    /// The estimate, over tickets that waited up to 30 minutes.
    #[serde(flatten)]
    pub estimate: Figures,
    /// Today's formula (people ahead × mean service ÷ counters; its range is its single
    /// number ± 1 minute), over the same tickets.
    pub baseline: Figures,
    /// Both over every ticket called, however long it waited.
    pub all: AllFigures,
    /// Tickets issued on the measured day, those without an estimate ("Chưa đủ dữ liệu"), and
    /// the longest wait.
    pub issued: usize,
    /// Tickets the estimate had no answer for.
    pub no_estimate: usize,
    /// The longest wait of the day, minutes.
    pub longest_wait_min: f64,
}

/// The figures over every called ticket.
#[derive(Debug, serde::Serialize)]
pub struct AllFigures {
    /// The estimate.
    #[serde(flatten)]
    pub estimate: Figures,
    /// Today's formula.
    pub baseline: Figures,
}

fn outcome(records: &[Record]) -> Outcome {
    let mut est = Vec::new();
    let mut base = Vec::new();
    let mut est30 = Vec::new();
    let mut base30 = Vec::new();
    let mut no_estimate = 0;
    let mut longest: f64 = 0.0;
    for r in records {
        let Some(called) = r.called else { continue };
        let actual = (called - r.issued).num_milliseconds() as f64 / 60_000.0;
        longest = longest.max(actual);
        let Estimate::Minutes { low, high } = r.estimate else {
            no_estimate += 1;
            continue;
        };
        let e = (actual, f64::from(low), f64::from(high));
        let b = (actual, (r.baseline - 1.0).max(0.0), r.baseline + 1.0);
        est.push(e);
        base.push(b);
        if actual <= 30.0 {
            est30.push(e);
            base30.push(b);
        }
    }
    Outcome {
        estimate: figures(&est30),
        baseline: figures(&base30),
        all: AllFigures {
            estimate: figures(&est),
            baseline: figures(&base),
        },
        issued: records.len(),
        no_estimate,
        longest_wait_min: longest,
    }
}

/// `motcua-bench predict`.
pub fn run(p: &Predict) -> anyhow::Result<()> {
    if p.cost {
        return cost(p.waiting, p.counters, p.json);
    }
    let path = p.scenario.as_ref().expect("clap requires --scenario");
    let scenario = Scenario::load(path)?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let mut store = scenario::open(&scenario, dir.path())?;
    let records = scenario::replay(&scenario, &mut store, true)?;
    let o = outcome(&records);
    if p.json {
        println!("{}", serde_json::to_string(&o)?);
        return Ok(());
    }
    println!(
        "{} ({}; {} days, the last measured; {:.1} s)",
        scenario.name,
        path.display(),
        scenario.days,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  tickets issued {}, no estimate {}, longest wait {:.1} min",
        o.issued, o.no_estimate, o.longest_wait_min
    );
    let row = |what: &str, f: &Figures| {
        println!(
            "  {what:<28} {:>5} {:>8.2} {:>8.1} % {:>8.1} %",
            f.tickets,
            f.mae_min,
            f.inside_share * 100.0,
            f.under5_share * 100.0
        );
    };
    println!(
        "  {:<28} {:>5} {:>8} {:>10} {:>10}",
        "", "n", "MAE min", "inside", "under >5"
    );
    row("estimate, waits ≤ 30 min", &o.estimate);
    row("today's formula, ≤ 30 min", &o.baseline);
    row("estimate, all waits", &o.all.estimate);
    row("today's formula, all", &o.all.baseline);
    Ok(())
}

/// The estimator's cost on a queue of `waiting` tickets and `counters` counters (three services,
/// a tenth priority, every counter busy): p50 and p99 of one estimate of a new ticket.
fn cost(waiting: u32, counters: u32, json: bool) -> anyhow::Result<()> {
    use motcua::estimate::{Arrivals, CounterMode, CounterNow, ServiceTimes, Situation};
    use motcua::queue::Candidate;
    let now = Utc
        .with_ymd_and_hms(2026, 12, 4, 3, 0, 0)
        .single()
        .expect("a time");
    let services = ["TP", "DD", "LD"];
    let mut rng = fastrand::Rng::with_seed(3);
    let s = Situation {
        now,
        rules: motcua::config::QueueRules::default(),
        waiting: (1..=i64::from(waiting))
            .map(|id| Candidate {
                id,
                service: services[id as usize % 3].to_string(),
                priority: id % 10 == 0,
                queue_at: now - TimeDelta::seconds(i64::from(waiting) * 20 - id * 20),
            })
            .collect(),
        counters: (1..=counters)
            .map(|n| CounterNow {
                number: n,
                services: (0..3)
                    .map(|k| services[(n as usize + k) % 3].to_string())
                    .take(1 + n as usize % 3)
                    .collect(),
                mode: CounterMode::Open,
                streak: 0,
                busy: Some((
                    services[n as usize % 3].to_string(),
                    now - TimeDelta::seconds(i64::from(n) * 30),
                )),
            })
            .collect(),
        times: ServiceTimes::new(
            services
                .iter()
                .map(|s| {
                    (
                        s.to_string(),
                        (0..300).map(|_| 120.0 + rng.f64() * 900.0).collect(),
                    )
                })
                .collect(),
            None,
        ),
        arrivals: services
            .iter()
            .map(|s| Arrivals {
                service: s.to_string(),
                normal_per_hour: 20.0,
                priority_per_hour: 2.0,
            })
            .collect(),
    };
    let mut times = Vec::new();
    for i in 0..500 {
        let target = Target::New {
            service: services[i % 3].to_string(),
            priority: false,
        };
        let t = Instant::now();
        let e = estimate::estimate(&s, &target, &estimate::Settings::default());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(e);
    }
    times.sort_by(f64::total_cmp);
    let (p50, p99) = (
        crate::percentile(&times, 50.0),
        crate::percentile(&times, 99.0),
    );
    if json {
        println!(
            "{}",
            serde_json::json!({"waiting": waiting, "counters": counters, "p50_ms": p50, "p99_ms": p99})
        );
    } else {
        println!(
            "estimate of a new ticket, {waiting} waiting, {counters} counters, {} runs: p50 {p50:.2} ms, p99 {p99:.2} ms",
            estimate::Settings::default().runs
        );
    }
    Ok(())
}
