//! `motcua-bench predict`: an office's day, described in a scenario file, run through the real
//! store and queue core with an injected clock. Each ticket's wait estimate at issue (and today's
//! formula's) is compared with the wait it then had. The scenario format is in
//! `docs/prediction.md`; the shipped scenarios are in `scenarios/`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration as TimeDelta, NaiveDate, NaiveTime, TimeZone, Utc};
use motcua::estimate::{self, Estimate, Target};
use motcua::{Action, Config, Store};
use motcua_testkit::OfficeToml;
use serde::Deserialize;

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

/// A scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What it stands for, in a few words.
    pub name: String,
    /// The seed of its random draws (arrivals, service times, no-shows).
    #[serde(default = "one")]
    pub seed: u64,
    /// Days run; the last one is measured, the ones before are the history the estimate learns
    /// from.
    #[serde(default = "four")]
    pub days: u32,
    /// When the doors open ("07:30"): the first hour of `arrivals`.
    pub open: String,
    /// Share of tickets with a priority class (0–1).
    #[serde(default)]
    pub priority_share: f64,
    /// Share of called citizens who do not come (0–1).
    #[serde(default)]
    pub no_show_share: f64,
    /// How long an officer waits for a citizen who does not come, in minutes.
    #[serde(default = "two")]
    pub no_show_minutes: f64,
    /// `[kiosk] average_service_minutes` of the office (none: the estimate learns only from
    /// history).
    pub average_service_minutes: Option<u32>,
    /// The services.
    pub services: Vec<ScenarioService>,
    /// The counters.
    pub counters: Vec<ScenarioCounter>,
}

fn one() -> u64 {
    1
}
fn two() -> f64 {
    2.0
}
fn four() -> u32 {
    4
}

/// A service of a scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioService {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Tickets per hour, one number per hour from `open`.
    pub arrivals: Vec<f64>,
    /// The median service time in minutes (log-normal).
    pub median_minutes: f64,
    /// The spread of service times: the log-normal's sigma (0.5: most within half to twice
    /// the median).
    #[serde(default = "half")]
    pub sigma: f64,
    /// Share of its tickets an officer transfers to `transfer_to` after serving them.
    #[serde(default)]
    pub transfer_share: f64,
    /// The service transfers go to.
    pub transfer_to: Option<String>,
}

fn half() -> f64 {
    0.5
}

/// A counter of a scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioCounter {
    /// Its number.
    pub number: u32,
    /// The services it calls, in its preference order.
    pub services: Vec<String>,
    /// Pauses each day, `["09:00", "09:30"]`: it finishes its citizen, then calls nobody.
    #[serde(default)]
    pub pauses: Vec<[String; 2]>,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let s: Scenario =
            toml::from_str(&text).with_context(|| format!("{}: not a scenario", path.display()))?;
        s.check().with_context(|| format!("{}", path.display()))?;
        Ok(s)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.days < 2 {
            bail!("days must be at least 2 (history, then the measured day)");
        }
        time(&self.open)?;
        for (what, x) in [
            ("priority_share", self.priority_share),
            ("no_show_share", self.no_show_share),
        ] {
            if !(0.0..=1.0).contains(&x) {
                bail!("{what} = {x}: must be between 0 and 1");
            }
        }
        for s in &self.services {
            if s.median_minutes <= 0.0 || s.sigma < 0.0 {
                bail!("service {}: median_minutes > 0 and sigma >= 0", s.code);
            }
            if s.arrivals.iter().any(|a| *a < 0.0) {
                bail!("service {}: arrivals must not be negative", s.code);
            }
            if let Some(to) = &s.transfer_to
                && !self.services.iter().any(|x| x.code == *to)
            {
                bail!("service {}: transfer_to {to} is not a service", s.code);
            }
        }
        for c in &self.counters {
            for s in &c.services {
                if !self.services.iter().any(|x| x.code == *s) {
                    bail!("counter {}: unknown service {s}", c.number);
                }
            }
            for [a, b] in &c.pauses {
                if time(a)? >= time(b)? {
                    bail!("counter {}: pause {a}–{b} ends before it starts", c.number);
                }
            }
        }
        Ok(())
    }

    /// The office's config text.
    fn config(&self) -> String {
        let mut o = OfficeToml::empty("Kịch bản dự báo").office("reset_at", "\"03:00\"");
        for s in &self.services {
            o = o.service(&s.code, &s.name, "digits = 4\nfirst_number = 1001");
        }
        for c in &self.counters {
            let services: Vec<&str> = c.services.iter().map(String::as_str).collect();
            o = o.counter(c.number, &services);
        }
        o = o.priority("elderly", "Người cao tuổi");
        if let Some(m) = self.average_service_minutes {
            o = o.section(&format!("[kiosk]\naverage_service_minutes = {m}"));
        }
        o.build()
    }
}

fn time(s: &str) -> anyhow::Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").with_context(|| format!("{s:?}: a time is HH:MM"))
}

/// One ticket of the measured day.
#[derive(Debug, Clone)]
struct Record {
    issued: DateTime<Utc>,
    called: Option<DateTime<Utc>>,
    estimate: Estimate,
    /// Today's formula, in minutes.
    baseline: f64,
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

/// What happens next in the simulated office.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    /// A citizen takes a ticket of service `usize` (index in the scenario).
    Arrival(usize),
    /// A counter is done with its citizen (or wakes up) and calls the next.
    Free(u32),
    /// The counter's citizen did not come: no-show, then the next.
    NoShow(u32),
    /// A pause starts (taken when the counter is next free).
    PauseStart(u32),
    /// A pause ends.
    PauseEnd(u32),
}

/// Runs a scenario through the real store; the measured day's records.
fn replay(s: &Scenario, dir: &Path) -> anyhow::Result<Vec<Record>> {
    let path = dir.join("motcua.toml");
    std::fs::write(&path, s.config())?;
    let cfg = Config::parse(&s.config(), &path)?;
    let mut store = Store::open(&cfg)?;
    let tz = cfg.office.timezone;
    let mut rng = fastrand::Rng::with_seed(s.seed);
    let open = time(&s.open)?;
    // A Monday, then the days after it.
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    let mut measured = Vec::new();
    for day in 0..s.days {
        let date = first + TimeDelta::days(i64::from(day));
        let at = |t: NaiveTime| -> DateTime<Utc> {
            tz.from_local_datetime(&date.and_time(t))
                .earliest()
                .expect("no gap in the office's time zone")
                .with_timezone(&Utc)
        };
        let opens = at(open);
        let mut queue: BinaryHeap<Reverse<(DateTime<Utc>, u64, Happening)>> = BinaryHeap::new();
        let mut seq = 0u64;
        let mut push = |q: &mut BinaryHeap<_>, t: DateTime<Utc>, h: Happening| {
            seq += 1;
            q.push(Reverse((t, seq, h)));
        };
        // Arrivals: a Poisson process per service, its rate changing each hour.
        for (i, svc) in s.services.iter().enumerate() {
            for (hour, rate) in svc.arrivals.iter().enumerate() {
                if *rate <= 0.0 {
                    continue;
                }
                let start = opens + TimeDelta::hours(hour as i64);
                let mut t = 0.0;
                loop {
                    t += -(1.0 - rng.f64()).ln() / rate * 3600.0;
                    if t >= 3600.0 {
                        break;
                    }
                    push(
                        &mut queue,
                        start + TimeDelta::milliseconds((t * 1000.0) as i64),
                        Happening::Arrival(i),
                    );
                }
            }
        }
        for c in &s.counters {
            store.set_counter_officer(c.number, Some(&format!("officer{}", c.number)))?;
            push(&mut queue, opens, Happening::Free(c.number));
            for [a, b] in &c.pauses {
                push(&mut queue, at(time(a)?), Happening::PauseStart(c.number));
                push(&mut queue, at(time(b)?), Happening::PauseEnd(c.number));
            }
        }
        let mut idle: Vec<u32> = Vec::new();
        let mut pausing: Vec<u32> = Vec::new();
        let mut paused: Vec<u32> = Vec::new();
        // The ticket at each counter is to be transferred when its service ends.
        let mut transfer: HashMap<u32, String> = HashMap::new();
        let mut records: HashMap<i64, Record> = HashMap::new();
        let mut order = Vec::new();
        while let Some(Reverse((now, _, h))) = queue.pop() {
            match h {
                Happening::Arrival(i) => {
                    let svc = &s.services[i];
                    let priority = rng.f64() < s.priority_share;
                    let situation = store.situation(now)?;
                    let estimate = estimate::estimate(
                        &situation,
                        &Target::New {
                            service: svc.code.clone(),
                            priority,
                        },
                        &estimate::Settings::default(),
                    );
                    let ahead = situation
                        .waiting
                        .iter()
                        .filter(|c| c.service == svc.code)
                        .count() as f64;
                    let baseline = baseline(&store, &cfg, &svc.code, ahead, now)?;
                    let t = store.issue(&svc.code, priority.then_some("elderly"), now)?;
                    records.insert(
                        t.id,
                        Record {
                            issued: now,
                            called: None,
                            estimate,
                            baseline,
                        },
                    );
                    order.push(t.id);
                    for c in idle.drain(..) {
                        push(&mut queue, now, Happening::Free(c));
                    }
                }
                Happening::Free(c) => {
                    if let Some(to) = transfer.remove(&c) {
                        store.act_on_current(c, Action::Transfer { to }, now)?;
                    }
                    if pausing.contains(&c) {
                        pausing.retain(|x| *x != c);
                        if store.act_on_current(c, Action::Finish, now).is_err() {
                            // Nobody at the counter.
                        }
                        store.set_paused(c, true)?;
                        paused.push(c);
                        continue;
                    }
                    if paused.contains(&c) {
                        continue;
                    }
                    match store.call_next(c, now)? {
                        None => idle.push(c),
                        Some(t) => {
                            if let Some(r) = records.get_mut(&t.id)
                                && r.called.is_none()
                            {
                                r.called = Some(now);
                            }
                            if rng.f64() < s.no_show_share {
                                let wait =
                                    TimeDelta::milliseconds((s.no_show_minutes * 60_000.0) as i64);
                                push(&mut queue, now + wait, Happening::NoShow(c));
                                continue;
                            }
                            let svc = s
                                .services
                                .iter()
                                .find(|x| x.code == t.service)
                                .expect("a scenario service");
                            let minutes = svc.median_minutes * (svc.sigma * normal(&mut rng)).exp();
                            if let Some(to) = &svc.transfer_to
                                && rng.f64() < svc.transfer_share
                            {
                                transfer.insert(c, to.clone());
                            }
                            let d =
                                TimeDelta::milliseconds((minutes * 60_000.0).max(20_000.0) as i64);
                            push(&mut queue, now + d, Happening::Free(c));
                        }
                    }
                }
                Happening::NoShow(c) => {
                    store.act_on_current(c, Action::NoShow, now)?;
                    push(&mut queue, now, Happening::Free(c));
                }
                Happening::PauseStart(c) => {
                    if idle.contains(&c) {
                        idle.retain(|x| *x != c);
                        store.set_paused(c, true)?;
                        paused.push(c);
                    } else {
                        pausing.push(c);
                    }
                }
                Happening::PauseEnd(c) => {
                    pausing.retain(|x| *x != c);
                    if paused.contains(&c) {
                        paused.retain(|x| *x != c);
                        store.set_paused(c, false)?;
                        push(&mut queue, now, Happening::Free(c));
                    }
                }
            }
        }
        for c in &s.counters {
            store.set_counter_officer(c.number, None)?;
        }
        if day + 1 == s.days {
            measured = order
                .iter()
                .map(|id| records[id].clone())
                .collect::<Vec<_>>();
        }
    }
    Ok(measured)
}

/// Today's kiosk formula: people ahead × today's mean service time of the service (else the
/// configured average, else 8 minutes) ÷ the counters configured for it.
fn baseline(
    store: &Store,
    cfg: &Config,
    service: &str,
    ahead: f64,
    now: DateTime<Utc>,
) -> anyhow::Result<f64> {
    let mean = store
        .mean_service_secs(store.business_date(now))?
        .into_iter()
        .find(|(s, _)| s == service)
        .map(|(_, m)| m)
        .filter(|m| *m > 0.0)
        .or(cfg.kiosk.average_service.map(|d| d.as_secs_f64()))
        .unwrap_or(480.0);
    let counters = cfg
        .counters
        .iter()
        .filter(|c| c.services.iter().any(|s| s == service))
        .count()
        .max(1) as f64;
    Ok((ahead * mean / counters / 60.0).ceil())
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
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
    let records = replay(&scenario, dir.path())?;
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
