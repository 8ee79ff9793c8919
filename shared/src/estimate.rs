//! The wait estimate: the queue as it is now, run forward many times with the real calling rules
//! ([`queue::pick_next`]) and service times drawn from the office's own history. Pure: no I/O,
//! time is an argument, the randomness comes from a seed.
//!
//! **Invariant:** nothing here reads a clock, a file or a database; the store gathers a
//! [`Situation`], this module answers with an [`Estimate`].
//!
//! The answer is a range (by default the 20th to the 90th percentile of the simulated waits, in
//! whole minutes, rounded outwards), set high on purpose: a citizen told 10 minutes who waits 20
//! is angrier than one told 20 who waits 10.

use std::collections::VecDeque;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::QueueRules;
use crate::queue::{self, Candidate};

/// Fewer finished tickets of a service than this: its times are pooled with the other services'.
pub const MIN_SAMPLES: usize = 5;

/// How far ahead a run is simulated before it gives up (the office's whole day).
const HORIZON_SECS: f64 = 10.0 * 3600.0;

/// A counter as the estimate sees it now.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterNow {
    /// The counter's number.
    pub number: u32,
    /// The services it calls, in its preference order.
    pub services: Vec<String>,
    /// Whether it is working.
    pub mode: CounterMode,
    /// Its priority calls in a row (`counter_state.priority_streak`).
    pub streak: u32,
    /// The ticket at the counter now (called or being served): its service and since when.
    pub busy: Option<(String, DateTime<Utc>)>,
}

/// Whether a counter calls citizens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterMode {
    /// Working: an officer is signed in, or it has called someone recently.
    Open,
    /// Nobody signed in and no recent call. Counted only when no open counter serves the
    /// ticket's service (before the office opens, it will open).
    Idle,
    /// "Tạm dừng": calls nobody until resumed.
    Paused,
}

/// Service times in seconds (called to finished, no-shows included: the counter is taken that
/// long either way), per service, sorted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceTimes {
    per_service: Vec<(String, Vec<f64>)>,
    pooled: Vec<f64>,
    fallback: Option<f64>,
}

impl ServiceTimes {
    /// From finished tickets' times per service, and the configured average for services with
    /// too little history (`[kiosk] average_service_minutes`; `None`: unknown).
    pub fn new(samples: Vec<(String, Vec<f64>)>, fallback: Option<f64>) -> ServiceTimes {
        let mut pooled: Vec<f64> = samples
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        pooled.sort_by(f64::total_cmp);
        let per_service = samples
            .into_iter()
            .map(|(s, mut v)| {
                v.sort_by(f64::total_cmp);
                (s, v)
            })
            .collect();
        ServiceTimes {
            per_service,
            pooled,
            fallback,
        }
    }

    /// The sorted times that stand for `service`, or `None`: use the fallback.
    fn sorted(&self, service: &str) -> Option<&[f64]> {
        match self.per_service.iter().find(|(s, _)| s == service) {
            Some((_, v)) if v.len() >= MIN_SAMPLES => Some(v),
            _ if self.pooled.len() >= MIN_SAMPLES && self.fallback.is_none() => Some(&self.pooled),
            _ => None,
        }
    }

    /// A service time for `service`, at quantile `u` in [0, 1); `None` when nothing is known.
    fn draw(&self, service: &str, u: f64) -> Option<f64> {
        match self.sorted(service) {
            Some(v) => Some(v[((u * v.len() as f64) as usize).min(v.len() - 1)]),
            // Only the average is known: spread it ±50 %.
            None => self.fallback.map(|mean| mean * (0.5 + u)),
        }
    }

    /// What is left of a service that has already lasted `elapsed` seconds: a time drawn among
    /// those longer than `elapsed`, less `elapsed`; past every known time, a short while.
    fn remaining(&self, service: &str, elapsed: f64, u: f64) -> Option<f64> {
        let tail = |v: &[f64]| {
            let from = v.partition_point(|x| *x <= elapsed);
            if from == v.len() {
                None
            } else {
                let i = from + ((u * (v.len() - from) as f64) as usize).min(v.len() - from - 1);
                Some(v[i] - elapsed)
            }
        };
        let left = match self.sorted(service) {
            Some(v) => tail(v),
            None => {
                let d = self.fallback? * (0.5 + u);
                (d > elapsed).then_some(d - elapsed)
            }
        };
        // An overrunning service: it ends soon (a quarter of a typical one, at least 30 s).
        Some(left.unwrap_or((self.draw(service, 0.5)? / 4.0).max(30.0)))
    }
}

/// Tickets expected per hour of one service from now on (history of the same hour).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    /// The service.
    pub service: String,
    /// Normal tickets per hour.
    pub normal_per_hour: f64,
    /// Priority tickets per hour.
    pub priority_per_hour: f64,
}

/// Everything the estimate needs, gathered by the store at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    /// The moment of the estimate.
    pub now: DateTime<Utc>,
    /// The office's calling rules.
    pub rules: QueueRules,
    /// Waiting tickets, in issue order.
    pub waiting: Vec<Candidate>,
    /// Every counter.
    pub counters: Vec<CounterNow>,
    /// Service times.
    pub times: ServiceTimes,
    /// Tickets expected to arrive, per service.
    pub arrivals: Vec<Arrivals>,
}

/// Whose wait to estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A waiting ticket, by id.
    Ticket(i64),
    /// A ticket that would be issued now.
    New {
        /// Its service.
        service: String,
        /// Whether it has a priority class.
        priority: bool,
    },
}

/// How the estimate runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Simulated runs.
    pub runs: u32,
    /// The seed of the first run (the same seed, the same answer).
    pub seed: u64,
    /// The range's low end, a quantile of the simulated waits.
    pub low: f64,
    /// The range's high end.
    pub high: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            runs: 64,
            seed: 0x6d6f_7463_7561,
            low: 0.2,
            high: 0.9,
        }
    }
}

/// The answer. In JSON: `{"kind": "minutes", "low": 10, "high": 15}`, `{"kind": "no_data"}`,
/// `{"kind": "no_counter"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Estimate {
    /// The wait from now, in whole minutes: `low` to `high`.
    Minutes {
        /// The short end.
        low: u32,
        /// The long end.
        high: u32,
    },
    /// No finished ticket to learn from and no configured average: no guess.
    NoData,
    /// No counter that could call the ticket is working (all paused, or none serves it).
    NoCounter,
}

impl Estimate {
    /// The midpoint of the range in minutes, where there is one.
    pub fn midpoint(&self) -> Option<f64> {
        match *self {
            Estimate::Minutes { low, high } => Some(f64::from(low + high) / 2.0),
            _ => None,
        }
    }

    /// The range in Vietnamese for citizens: "khoảng 10–15 phút", "Chưa đủ dữ liệu", …
    pub fn vi(&self) -> String {
        match *self {
            Estimate::Minutes { high: 0, .. } => "sắp được gọi".to_string(),
            Estimate::Minutes { low, high } if low == high => format!("khoảng {high} phút"),
            Estimate::Minutes { low, high } => format!("khoảng {low}–{high} phút"),
            Estimate::NoData => "Chưa đủ dữ liệu".to_string(),
            Estimate::NoCounter => "Chưa có quầy đang mở".to_string(),
        }
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vi())
    }
}

/// The estimated wait of `target` from `s.now`.
pub fn estimate(s: &Situation, target: &Target, settings: &Settings) -> Estimate {
    let mut waits = simulate(s, target, settings);
    match waits {
        Err(e) => e,
        Ok(ref mut w) => {
            w.sort_by(f64::total_cmp);
            let q = |p: f64| w[((p * (w.len() - 1) as f64).round() as usize).min(w.len() - 1)];
            Estimate::Minutes {
                low: (q(settings.low) / 60.0).floor() as u32,
                high: (q(settings.high) / 60.0).ceil() as u32,
            }
        }
    }
}

/// The simulated waits of `target` from `s.now` in seconds, one per run (runs where it is never
/// called count the horizon), or the answer when no run is needed (no data, no counter, or a
/// ticket no longer waiting).
pub fn simulate(s: &Situation, target: &Target, settings: &Settings) -> Result<Vec<f64>, Estimate> {
    let (target_id, target_service, mut waiting) = match target {
        Target::Ticket(id) => {
            let Some(t) = s.waiting.iter().find(|c| c.id == *id) else {
                // No longer waiting: called (e.g. between issue and estimate), nothing to wait.
                return Err(Estimate::Minutes { low: 0, high: 0 });
            };
            (*id, t.service.clone(), s.waiting.clone())
        }
        Target::New { service, priority } => {
            let id = s.waiting.iter().map(|c| c.id).max().unwrap_or(0) + 1;
            let mut w = s.waiting.clone();
            w.push(Candidate {
                id,
                service: service.clone(),
                priority: *priority,
                queue_at: s.now,
            });
            (id, service.clone(), w)
        }
    };
    waiting.sort_by_key(|c| c.id);

    // The counters that take part: open ones, or idle ones when no open counter serves the
    // ticket's service; never paused ones.
    let serves = |c: &CounterNow| c.services.contains(&target_service);
    let any_open = s
        .counters
        .iter()
        .any(|c| c.mode == CounterMode::Open && serves(c));
    let counters: Vec<&CounterNow> = s
        .counters
        .iter()
        .filter(|c| match c.mode {
            CounterMode::Open => true,
            CounterMode::Idle => !any_open,
            CounterMode::Paused => false,
        })
        .collect();
    if !counters.iter().any(|c| serves(c)) {
        return Err(Estimate::NoCounter);
    }

    // Tickets grouped by (service, class), each group in issue order: `pick_next` only ever
    // takes a group's first ticket, so it is asked about the groups' heads alone.
    let mut services: Vec<&str> = Vec::new();
    for c in &waiting {
        if !services.contains(&c.service.as_str()) {
            services.push(&c.service);
        }
    }
    for a in &s.arrivals {
        if !services.contains(&a.service.as_str()) {
            services.push(&a.service);
        }
    }
    let group_of = |service: &str, priority: bool| {
        services.iter().position(|x| *x == service).unwrap_or(0) * 2 + usize::from(priority)
    };
    let mut start_groups: Vec<VecDeque<Candidate>> = vec![VecDeque::new(); services.len() * 2];
    for c in &waiting {
        start_groups[group_of(&c.service, c.priority)].push_back(c.clone());
    }
    let next_id = waiting.iter().map(|c| c.id).max().unwrap_or(0) + 1;

    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let mut waits = Vec::with_capacity(settings.runs as usize);
    for _ in 0..settings.runs {
        let mut run = Run {
            groups: start_groups.clone(),
            heads: Vec::new(),
            head_group: Vec::new(),
        };
        for g in 0..run.groups.len() {
            run.refresh_head(g);
        }
        // Each counter: when it is next free (seconds from now), its streak. A busy counter whose
        // service time nothing tells: unknown (it counts only if the ticket is called at once).
        let mut unknown = false;
        let mut free: Vec<(f64, u32)> = counters
            .iter()
            .map(|c| {
                let at = match &c.busy {
                    Some((service, since)) => {
                        let elapsed = (s.now - *since).num_milliseconds().max(0) as f64 / 1000.0;
                        s.times
                            .remaining(service, elapsed, rng.f64())
                            .unwrap_or_else(|| {
                                unknown = true;
                                f64::INFINITY
                            })
                    }
                    None => 0.0,
                };
                (at, c.streak)
            })
            .collect();
        // The next arrival of each service and class.
        let mut arrivals: Vec<(f64, &str, bool, f64)> = s
            .arrivals
            .iter()
            .flat_map(|a| {
                [
                    (a.service.as_str(), false, a.normal_per_hour),
                    (a.service.as_str(), true, a.priority_per_hour),
                ]
            })
            .filter(|(_, _, rate)| *rate > 0.0)
            .map(|(service, priority, rate)| {
                let per_sec = rate / 3600.0;
                (exp(&mut rng, per_sec), service, priority, per_sec)
            })
            .collect();
        let mut id = next_id;
        let wait = loop {
            let Some((ci, t)) = free
                .iter()
                .enumerate()
                .filter(|(_, f)| f.0.is_finite())
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
                .map(|(i, f)| (i, f.0))
            else {
                // Nobody will ever call it (no counter left with anything to do).
                break HORIZON_SECS;
            };
            if t >= HORIZON_SECS {
                break HORIZON_SECS;
            }
            // Tickets issued until then join their groups, in time order.
            while let Some((k, _)) = arrivals
                .iter()
                .enumerate()
                .filter(|(_, a)| a.0 <= t)
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            {
                let (at, service, priority, per_sec) = arrivals[k];
                let g = group_of(service, priority);
                run.groups[g].push_back(Candidate {
                    id,
                    service: service.to_string(),
                    priority,
                    queue_at: s.now + secs(at),
                });
                id += 1;
                if run.groups[g].len() == 1 {
                    run.refresh_head(g);
                }
                arrivals[k].0 = at + exp(&mut rng, per_sec);
            }
            let c = counters[ci];
            match queue::pick_next(
                &c.services,
                &run.heads,
                free[ci].1,
                &s.rules,
                s.now + secs(t),
            ) {
                Some(pick) if pick.id == target_id => break t,
                Some(pick) => {
                    let service = run.take(pick.id);
                    // A service time is needed before the ticket is called: without one, no
                    // guess. (A ticket called at once by a free counter needs none.)
                    let Some(d) = s.times.draw(&service, rng.f64()) else {
                        return Err(Estimate::NoData);
                    };
                    free[ci] = (t + d.max(1.0), pick.streak);
                }
                None => {
                    // Nothing for this counter: it waits for the next ticket to arrive.
                    let next = arrivals.iter().map(|a| a.0).fold(f64::INFINITY, f64::min);
                    free[ci].0 = if next > t { next } else { f64::INFINITY };
                }
            }
        };
        if unknown && wait > 0.0 {
            return Err(Estimate::NoData);
        }
        waits.push(wait);
    }
    Ok(waits)
}

/// One simulated run's queue.
struct Run {
    groups: Vec<VecDeque<Candidate>>,
    /// The first ticket of each non-empty group (what `pick_next` is shown).
    heads: Vec<Candidate>,
    /// `heads[i]` is the head of group `head_group[i]`.
    head_group: Vec<usize>,
}

impl Run {
    /// Makes `heads` show group `g`'s current first ticket (or drops it when empty).
    fn refresh_head(&mut self, g: usize) {
        let pos = self.head_group.iter().position(|x| *x == g);
        match (pos, self.groups[g].front()) {
            (Some(i), Some(c)) => self.heads[i] = c.clone(),
            (None, Some(c)) => {
                self.heads.push(c.clone());
                self.head_group.push(g);
            }
            (Some(i), None) => {
                self.heads.swap_remove(i);
                self.head_group.swap_remove(i);
            }
            (None, None) => {}
        }
    }

    /// Takes the head ticket `id` out of the queue; its service.
    fn take(&mut self, id: i64) -> String {
        let i = self
            .heads
            .iter()
            .position(|c| c.id == id)
            .expect("pick_next picks among the heads");
        let g = self.head_group[i];
        let c = self.groups[g]
            .pop_front()
            .expect("a head's group is not empty");
        self.refresh_head(g);
        c.service
    }
}

/// An exponential waiting time (seconds) at `rate` per second.
fn exp(rng: &mut fastrand::Rng, rate: f64) -> f64 {
    -(1.0 - rng.f64()).ln() / rate
}

fn secs(s: f64) -> TimeDelta {
    TimeDelta::milliseconds((s * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
    }

    fn ticket(id: i64, service: &str, priority: bool) -> Candidate {
        Candidate {
            id,
            service: service.into(),
            priority,
            queue_at: now() - TimeDelta::minutes(30 - id),
        }
    }

    fn counter(number: u32, services: &[&str]) -> CounterNow {
        CounterNow {
            number,
            services: services.iter().map(|s| s.to_string()).collect(),
            mode: CounterMode::Open,
            streak: 0,
            busy: None,
        }
    }

    /// Every service takes exactly `minutes`.
    fn constant(services: &[&str], minutes: f64) -> ServiceTimes {
        ServiceTimes::new(
            services
                .iter()
                .map(|s| (s.to_string(), vec![minutes * 60.0; 10]))
                .collect(),
            None,
        )
    }

    fn situation(waiting: Vec<Candidate>, counters: Vec<CounterNow>) -> Situation {
        Situation {
            now: now(),
            rules: QueueRules {
                priority_ratio: 3,
                max_wait: None,
                ..QueueRules::default()
            },
            waiting,
            counters,
            times: constant(&["TP", "DD"], 10.0),
            arrivals: Vec::new(),
        }
    }

    fn new(service: &str) -> Target {
        Target::New {
            service: service.into(),
            priority: false,
        }
    }

    fn check(s: &Situation, target: Target, expected: Estimate) {
        assert_eq!(estimate(s, &target, &Settings::default()), expected);
    }

    #[test]
    fn one_counter_one_service_constant_time_is_exact() {
        let s = situation(
            (1..=3).map(|i| ticket(i, "TP", false)).collect(),
            vec![counter(1, &["TP"])],
        );
        check(&s, Target::Ticket(1), Estimate::Minutes { low: 0, high: 0 });
        check(
            &s,
            Target::Ticket(3),
            Estimate::Minutes { low: 20, high: 20 },
        );
        check(&s, new("TP"), Estimate::Minutes { low: 30, high: 30 });
    }

    #[test]
    fn the_ticket_at_the_counter_counts_for_what_is_left_of_it() {
        let mut c = counter(1, &["TP"]);
        c.busy = Some(("TP".into(), now() - TimeDelta::minutes(4)));
        let s = situation(vec![ticket(1, "TP", false)], vec![c]);
        check(&s, Target::Ticket(1), Estimate::Minutes { low: 6, high: 6 });
    }

    #[test]
    fn a_paused_counter_lengthens_the_estimate() {
        let waiting: Vec<_> = (1..=6).map(|i| ticket(i, "TP", false)).collect();
        let open = situation(
            waiting.clone(),
            vec![counter(1, &["TP"]), counter(2, &["TP"])],
        );
        let mut paused = open.clone();
        paused.counters[1].mode = CounterMode::Paused;
        let mid = |s: &Situation| estimate(s, &new("TP"), &Settings::default()).midpoint();
        assert_eq!(mid(&open), Some(30.0));
        assert_eq!(mid(&paused), Some(60.0));
        paused.counters[0].mode = CounterMode::Paused;
        check(&paused, new("TP"), Estimate::NoCounter);
    }

    #[test]
    fn idle_counters_count_only_when_no_open_counter_serves_the_service() {
        let waiting: Vec<_> = (1..=4).map(|i| ticket(i, "TP", false)).collect();
        let mut s = situation(waiting, vec![counter(1, &["TP"]), counter(2, &["TP"])]);
        s.counters[1].mode = CounterMode::Idle;
        check(&s, new("TP"), Estimate::Minutes { low: 40, high: 40 });
        s.counters[0].mode = CounterMode::Idle;
        check(&s, new("TP"), Estimate::Minutes { low: 20, high: 20 });
    }

    #[test]
    fn a_priority_ticket_issued_later_never_shortens_a_normal_tickets_wait() {
        let mut s = situation(
            (1..=5).map(|i| ticket(i, "TP", false)).collect(),
            vec![counter(1, &["TP"]), counter(2, &["TP", "DD"])],
        );
        s.times = ServiceTimes::new(
            vec![("TP".into(), (4..=16).map(|m| f64::from(m) * 60.0).collect())],
            None,
        );
        s.arrivals = vec![Arrivals {
            service: "DD".into(),
            normal_per_hour: 4.0,
            priority_per_hour: 1.0,
        }];
        let before = simulate(&s, &Target::Ticket(5), &Settings::default()).unwrap();
        for extra in 1..=3 {
            s.waiting.push(ticket(5 + extra, "TP", true));
            let after = simulate(&s, &Target::Ticket(5), &Settings::default()).unwrap();
            let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
            assert!(
                mean(&after) >= mean(&before),
                "{extra} priority: {} < {}",
                mean(&after),
                mean(&before)
            );
            let e = estimate(&s, &Target::Ticket(5), &Settings::default());
            let b = {
                let mut s0 = s.clone();
                s0.waiting.truncate(5);
                estimate(&s0, &Target::Ticket(5), &Settings::default())
            };
            assert!(e.midpoint() >= b.midpoint(), "{e:?} vs {b:?}");
        }
    }

    #[test]
    fn a_priority_ticket_goes_before_normal_ones_up_to_the_ratio() {
        let mut waiting: Vec<_> = (1..=4).map(|i| ticket(i, "TP", false)).collect();
        waiting.push(ticket(5, "TP", true));
        let s = situation(waiting, vec![counter(1, &["TP"])]);
        check(&s, Target::Ticket(5), Estimate::Minutes { low: 0, high: 0 });
        check(
            &s,
            Target::Ticket(1),
            Estimate::Minutes { low: 10, high: 10 },
        );
        let mut s = s;
        s.counters[0].streak = 3;
        // After three priority calls in a row, a normal ticket goes first.
        check(
            &s,
            Target::Ticket(5),
            Estimate::Minutes { low: 10, high: 10 },
        );
    }

    #[test]
    fn counters_shared_between_services_follow_their_preference_order() {
        // Counter 1 serves TP first, then DD; counter 2 only DD.
        let waiting = vec![
            ticket(1, "DD", false),
            ticket(2, "DD", false),
            ticket(3, "TP", false),
            ticket(4, "TP", false),
        ];
        let s = situation(
            waiting,
            vec![counter(1, &["TP", "DD"]), counter(2, &["DD"])],
        );
        // TP tickets go first at counter 1: 0 and 10 minutes.
        check(&s, Target::Ticket(3), Estimate::Minutes { low: 0, high: 0 });
        check(
            &s,
            Target::Ticket(4),
            Estimate::Minutes { low: 10, high: 10 },
        );
        // DD: counter 2 takes 1 now and 2 at 10 minutes.
        check(
            &s,
            Target::Ticket(2),
            Estimate::Minutes { low: 10, high: 10 },
        );
        // A new DD ticket: counter 1 is free again at 20, counter 2 at 20.
        check(&s, new("DD"), Estimate::Minutes { low: 20, high: 20 });
    }

    #[test]
    fn overdue_tickets_go_first_as_the_rules_say() {
        let mut old = ticket(1, "DD", false);
        old.queue_at = now() - TimeDelta::minutes(28);
        let mut fresh = ticket(2, "TP", true);
        fresh.queue_at = now() - TimeDelta::minutes(2);
        let mut s = situation(vec![old, fresh], vec![counter(1, &["TP", "DD"])]);
        check(&s, Target::Ticket(2), Estimate::Minutes { low: 0, high: 0 });
        // With max_wait 20 the ticket that waited 28 minutes goes before the priority one.
        s.rules.max_wait = Some(Duration::from_secs(20 * 60));
        check(
            &s,
            Target::Ticket(2),
            Estimate::Minutes { low: 10, high: 10 },
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_answer_and_others_a_spread() {
        let mut s = situation(
            (1..=8).map(|i| ticket(i, "TP", i % 3 == 0)).collect(),
            vec![counter(1, &["TP"]), counter(2, &["TP", "DD"])],
        );
        s.times = ServiceTimes::new(
            vec![
                ("TP".into(), (2..=20).map(|m| f64::from(m) * 60.0).collect()),
                ("DD".into(), (5..=25).map(|m| f64::from(m) * 60.0).collect()),
            ],
            None,
        );
        s.arrivals = vec![Arrivals {
            service: "TP".into(),
            normal_per_hour: 10.0,
            priority_per_hour: 2.0,
        }];
        let a = simulate(&s, &new("TP"), &Settings::default()).unwrap();
        let b = simulate(&s, &new("TP"), &Settings::default()).unwrap();
        assert_eq!(a, b);
        let other = Settings {
            seed: 7,
            ..Settings::default()
        };
        assert_ne!(a, simulate(&s, &new("TP"), &other).unwrap());
        let Estimate::Minutes { low, high } = estimate(&s, &new("TP"), &Settings::default()) else {
            panic!("no estimate");
        };
        assert!(low < high, "{low}..{high}");
    }

    #[test]
    fn no_history_and_no_average_is_no_guess() {
        let mut s = situation(vec![ticket(1, "TP", false)], vec![counter(1, &["TP"])]);
        s.times = ServiceTimes::new(Vec::new(), None);
        check(&s, new("TP"), Estimate::NoData);
        // Nobody ahead and a free counter: no service time is needed to say so.
        check(&s, Target::Ticket(1), Estimate::Minutes { low: 0, high: 0 });
        assert_eq!(Estimate::NoData.vi(), "Chưa đủ dữ liệu");
        s.times = ServiceTimes::new(Vec::new(), Some(600.0));
        // One ahead, 5 to 15 minutes each.
        let Estimate::Minutes { low, high } = estimate(&s, &new("TP"), &Settings::default()) else {
            panic!("no estimate from the average");
        };
        assert!(
            (5..=8).contains(&low) && (12..=15).contains(&high),
            "{low}..{high}"
        );
    }

    #[test]
    fn a_service_with_little_history_borrows_the_others_times() {
        let mut s = situation(
            vec![ticket(1, "TP", false)],
            vec![counter(1, &["TP", "DD"])],
        );
        s.times = ServiceTimes::new(
            vec![
                ("TP".into(), vec![120.0; 2]),
                ("DD".into(), vec![300.0; 10]),
            ],
            None,
        );
        check(&s, new("TP"), Estimate::Minutes { low: 5, high: 5 });
    }

    #[test]
    fn the_range_reads_in_vietnamese() {
        assert_eq!(
            Estimate::Minutes { low: 10, high: 15 }.vi(),
            "khoảng 10–15 phút"
        );
        assert_eq!(Estimate::Minutes { low: 5, high: 5 }.vi(), "khoảng 5 phút");
        assert_eq!(Estimate::Minutes { low: 0, high: 0 }.vi(), "sắp được gọi");
        assert_eq!(Estimate::NoCounter.vi(), "Chưa có quầy đang mở");
    }
}
