//! Office days described in a scenario file (docs/prediction.md), run through the real store
//! and queue core with an injected clock: `motcua-bench predict` measures the wait estimate on
//! them, and the report tests use a month of one as their data set.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration as TimeDelta, NaiveDate, NaiveTime, TimeZone, Utc};
use motcua::estimate::{self, Estimate, Target};
use motcua::{Action, Config, Store};
use motcua_testkit::OfficeToml;
use serde::Deserialize;

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
    /// Only Monday to Friday count as days (a month of an office).
    #[serde(default)]
    pub weekdays_only: bool,
    /// Share of served citizens who rate the service (at the counter's tablet).
    #[serde(default)]
    pub rating_share: f64,
    /// Share of tickets withdrawn after 10 minutes if still waiting.
    #[serde(default)]
    pub cancel_share: f64,
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
            ("rating_share", self.rating_share),
            ("cancel_share", self.cancel_share),
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
    pub fn config(&self) -> String {
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

pub fn time(s: &str) -> anyhow::Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").with_context(|| format!("{s:?}: a time is HH:MM"))
}

/// One ticket of the measured day.
#[derive(Debug, Clone)]
pub struct Record {
    /// When it was issued.
    pub issued: DateTime<Utc>,
    /// When it was first called.
    pub called: Option<DateTime<Utc>>,
    /// The estimate at issue (`NoData` when the replay does not estimate).
    pub estimate: Estimate,
    /// Today's formula, in minutes.
    pub baseline: f64,
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
    /// A ticket is withdrawn if it still waits.
    Cancel(i64),
}

/// The scenario's office in `dir` (its `motcua.toml` and database), opened.
pub fn open(s: &Scenario, dir: &Path) -> anyhow::Result<Store> {
    let path = dir.join("motcua.toml");
    std::fs::write(&path, s.config())?;
    let cfg = Config::parse(&s.config(), &path)?;
    Ok(Store::open(&cfg)?)
}

/// A mark of 1–5 (most citizens satisfied) and, for 3 or less, a reason.
fn rating(rng: &mut fastrand::Rng) -> (u8, Option<&'static str>) {
    let score = match rng.f64() {
        u if u < 0.05 => 1,
        u if u < 0.12 => 2,
        u if u < 0.22 => 3,
        u if u < 0.50 => 4,
        _ => 5,
    };
    let reasons = ["Chờ lâu", "Thái độ cán bộ", "Hướng dẫn chưa rõ"];
    (
        score,
        (score <= 3).then(|| reasons[rng.usize(..reasons.len())]),
    )
}

/// Runs a scenario through the real `store` (opened with [`open`]); the last day's records.
/// `estimate`: each new ticket's wait estimate and the old formula's are recorded (the
/// prediction benchmark); without, the replay is quicker.
pub fn replay(s: &Scenario, store: &mut Store, estimate: bool) -> anyhow::Result<Vec<Record>> {
    let cfg = store.config().clone();
    let tz = cfg.office.timezone;
    let mut rng = fastrand::Rng::with_seed(s.seed);
    let open = time(&s.open)?;
    // A Monday, then the days after it.
    let first = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    let mut measured = Vec::new();
    let dates: Vec<NaiveDate> = first
        .iter_days()
        .filter(|d| {
            !s.weekdays_only || !matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
        })
        .take(s.days as usize)
        .collect();
    for (day, date) in dates.into_iter().enumerate() {
        let day = day as u32;
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
        // The ticket each counter is serving (to finish, and maybe rate, when it is free).
        let mut serving: HashMap<u32, i64> = HashMap::new();
        let mut records: HashMap<i64, Record> = HashMap::new();
        let mut order = Vec::new();
        while let Some(Reverse((now, _, h))) = queue.pop() {
            match h {
                Happening::Arrival(i) => {
                    let svc = &s.services[i];
                    let priority = rng.f64() < s.priority_share;
                    let (estimate, baseline) = if estimate {
                        let situation = store.situation(now)?;
                        let e = estimate::estimate(
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
                        (e, baseline(store, &cfg, &svc.code, ahead, now)?)
                    } else {
                        (Estimate::NoData, 0.0)
                    };
                    let t = store.issue(&svc.code, priority.then_some("elderly"), now)?;
                    if s.cancel_share > 0.0 && rng.f64() < s.cancel_share {
                        push(
                            &mut queue,
                            now + TimeDelta::minutes(10),
                            Happening::Cancel(t.id),
                        );
                    }
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
                        serving.remove(&c);
                        store.act_on_current(c, Action::Transfer { to }, now)?;
                    }
                    // The citizen at the counter is served; some rate it at the tablet.
                    if let Some(id) = serving.remove(&c) {
                        store.act_on_current(c, Action::Finish, now)?;
                        if s.rating_share > 0.0 && rng.f64() < s.rating_share {
                            let (score, reason) = rating(&mut rng);
                            store.rate_with(id, score, reason, Some("tablet"), now)?;
                        }
                    }
                    if pausing.contains(&c) {
                        pausing.retain(|x| *x != c);
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
                            serving.insert(c, t.id);
                            push(&mut queue, now + d, Happening::Free(c));
                        }
                    }
                }
                Happening::NoShow(c) => {
                    store.act_on_current(c, Action::NoShow, now)?;
                    push(&mut queue, now, Happening::Free(c));
                }
                Happening::Cancel(id) => {
                    // Called meanwhile: it stays.
                    if store.ticket(id)?.status == motcua::Status::Waiting {
                        store.act_on_id(id, Action::Cancel, now)?;
                    }
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
