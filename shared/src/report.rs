//! Supervisors' figures over a range of service days: issued, served, no-shows, cancelled, wait
//! and service times (mean, median, 90th percentile, longest), the share called within the
//! target wait, satisfaction; in total and per service, counter, officer and priority class.
//! Pure: report rows in, figures out.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::queue::Status;
use crate::store::ReportRow;

/// The figures of one group of tickets.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    /// Tickets issued.
    pub issued: u32,
    /// Served to the end ("Hoàn thành").
    pub served: u32,
    /// Called but did not come ("Vắng mặt"), and not reactivated.
    pub no_show: u32,
    /// Withdrawn (also tickets voided because they were never printed).
    pub cancelled: u32,
    /// Still waiting, called, being served or held when the report was made.
    pub unfinished: u32,
    /// Mean seconds from issue to first call, over tickets that were called.
    pub wait_mean_s: Option<f64>,
    /// Mean seconds from start (or call) to finish, over served tickets.
    pub service_mean_s: Option<f64>,
    /// Median wait (issue to first call), seconds, over tickets that were called.
    #[serde(default)]
    pub wait_p50_s: Option<f64>,
    /// 90th percentile of the wait: nine in ten called tickets waited at most this long.
    #[serde(default)]
    pub wait_p90_s: Option<f64>,
    /// The longest wait, seconds.
    #[serde(default)]
    pub wait_max_s: Option<f64>,
    /// Median service time, seconds, over served tickets.
    #[serde(default)]
    pub service_p50_s: Option<f64>,
    /// 90th percentile of the service time.
    #[serde(default)]
    pub service_p90_s: Option<f64>,
    /// Share (0–1) of called tickets called within their target wait (`[queue]
    /// target_wait_minutes`, or the service's own); `None` when none was called.
    #[serde(default)]
    pub within_target_share: Option<f64>,
    /// Tickets the citizen rated on the status page.
    pub rated: u32,
    /// Share of those ratings that were satisfied (4 or 5 of 5); `None` when nobody rated.
    pub satisfied_share: Option<f64>,
    /// How many ratings gave 1, 2, 3, 4 and 5 of 5.
    #[serde(default)]
    pub rating_counts: [u32; 5],
    /// How often each reason was given with a low mark.
    #[serde(default)]
    pub reasons: BTreeMap<String, u32>,
    /// Share of served tickets that were rated (tablet or phone); `None` when none was served.
    #[serde(default)]
    pub rated_share: Option<f64>,
    /// Officers only: the mean time, seconds, from the end of one ticket to the officer's next
    /// call on the same day, gaps over [`BREAK_AFTER_MINUTES`] left out (a break, or signed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_mean_s: Option<f64>,
}

/// A gap between two tickets longer than this is a break, not time waiting for the next one.
pub const BREAK_AFTER_MINUTES: i64 = 30;

/// Per officer: the gaps (seconds) between the end of a ticket and their next call, same day,
/// breaks left out.
fn idle_gaps(rows: &[ReportRow]) -> BTreeMap<String, Vec<f64>> {
    // Each officer's day: (first call, end) of every ticket they called.
    type Day = Vec<(
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    )>;
    let mut by: BTreeMap<(String, NaiveDate), Day> = BTreeMap::new();
    for r in rows {
        if let (Some(o), Some(called)) = (&r.officer, r.first_called_at) {
            by.entry((o.clone(), r.ticket.business_date))
                .or_default()
                .push((called, r.ticket.finished_at));
        }
    }
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for ((officer, _), mut tickets) in by {
        tickets.sort();
        let gaps = out.entry(officer).or_default();
        for pair in tickets.windows(2) {
            if let (Some(end), next) = (pair[0].1, pair[1].0) {
                let gap = (next - end).num_seconds();
                if (0..=BREAK_AFTER_MINUTES * 60).contains(&gap) {
                    gaps.push(gap as f64);
                }
            }
        }
    }
    out
}

/// The lowest rating (of 5) that counts as satisfied.
pub const SATISFIED_FROM: u8 = 4;

#[derive(Default)]
struct Acc {
    f: Figures,
    /// Waits of called tickets, seconds.
    waits: Vec<f64>,
    /// Service times of served tickets, seconds.
    services: Vec<f64>,
    /// Called within their target.
    on_time: u32,
    satisfied: u32,
}

/// The `p`-th percentile (0–1) of `sorted` by nearest rank: the smallest value that at least
/// `p` of the values do not exceed.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    (n > 0).then(|| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
}

impl Acc {
    /// Adds one ticket; `target`: the wait it is measured against, seconds.
    fn add(&mut self, r: &ReportRow, target: f64) {
        let t = &r.ticket;
        self.f.issued += 1;
        match t.status {
            Status::Done => self.f.served += 1,
            Status::NoShow => self.f.no_show += 1,
            Status::Cancelled => self.f.cancelled += 1,
            Status::Waiting | Status::Called | Status::Serving | Status::Held => {
                self.f.unfinished += 1
            }
        }
        if let Some(c) = r.first_called_at {
            let wait = (c - t.issued_at).num_milliseconds().max(0) as f64 / 1000.0;
            self.waits.push(wait);
            self.on_time += u32::from(wait <= target);
        }
        if t.status == Status::Done
            && let (Some(start), Some(end)) = (t.started_at.or(t.called_at), t.finished_at)
        {
            self.services
                .push((end - start).num_milliseconds().max(0) as f64 / 1000.0);
        }
        if let Some(score) = r.rating {
            self.f.rated += 1;
            self.satisfied += u32::from(score >= SATISFIED_FROM);
            self.f.rating_counts[usize::from(score.clamp(1, 5) - 1)] += 1;
            if let Some(reason) = &r.reason {
                *self.f.reasons.entry(reason.clone()).or_default() += 1;
            }
        }
    }

    fn figures(mut self) -> Figures {
        let tenth = |v: f64| (v * 10.0).round() / 10.0;
        let mean =
            |v: &[f64]| (!v.is_empty()).then(|| tenth(v.iter().sum::<f64>() / v.len() as f64));
        let ratio = |n: u32, of: u32| {
            (of > 0).then(|| (f64::from(n) / f64::from(of) * 1000.0).round() / 1000.0)
        };
        self.waits.sort_by(f64::total_cmp);
        self.services.sort_by(f64::total_cmp);
        let (w, sv) = (&self.waits, &self.services);
        Figures {
            wait_mean_s: mean(w),
            service_mean_s: mean(sv),
            wait_p50_s: percentile(w, 0.5).map(tenth),
            wait_p90_s: percentile(w, 0.9).map(tenth),
            wait_max_s: w.last().copied().map(tenth),
            service_p50_s: percentile(sv, 0.5).map(tenth),
            service_p90_s: percentile(sv, 0.9).map(tenth),
            within_target_share: ratio(self.on_time, w.len() as u32),
            satisfied_share: ratio(self.satisfied, self.f.rated),
            rated_share: ratio(self.f.rated, self.f.served),
            ..self.f
        }
    }
}

/// One row of a breakdown: a service, counter or officer.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Service code, counter number or officer login.
    pub key: String,
    /// What people read: the service's or counter's name, the login for officers.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// First service day included.
    pub from: NaiveDate,
    /// Last service day included.
    pub to: NaiveDate,
    /// Every ticket of the range.
    pub totals: Figures,
    /// Per service (the service a ticket ended in; transferred tickets count where they went),
    /// every configured service in config order.
    pub services: Vec<Group>,
    /// Per counter that called a ticket, configured counters in config order.
    pub counters: Vec<Group>,
    /// Per officer signed in at the counter when the ticket's last counter event happened.
    pub officers: Vec<Group>,
    /// Per priority class: normal tickets (key "", "Thông thường") first, then every
    /// configured class in config order, then codes no longer configured.
    pub priorities: Vec<Group>,
}

impl Report {
    /// Shows officers by their full name where one is set (`counter user set-name`).
    pub fn name_officers(&mut self, officers: &[crate::store::Officer]) {
        for g in &mut self.officers {
            if let Some(o) = officers.iter().find(|o| o.login == g.key) {
                g.name = o.display_name().to_string();
            }
        }
    }
}

/// The name of tickets without a priority class in reports.
pub const NORMAL_VI: &str = "Thông thường";

/// The figures of `rows` as one group, each ticket measured against `target_s(row)` seconds:
/// the totals of [`build`], and what the province centre computes per office from the rows it
/// rebuilt (so both sides count alike).
pub fn figures(rows: &[ReportRow], target_s: impl Fn(&ReportRow) -> f64) -> Figures {
    let mut acc = Acc::default();
    for r in rows {
        acc.add(r, target_s(r));
    }
    acc.figures()
}

/// Builds the report of `rows` (from [`crate::Store::report_rows`]).
pub fn build(rows: &[ReportRow], cfg: &Config, from: NaiveDate, to: NaiveDate) -> Report {
    let mut totals = Acc::default();
    let mut services: BTreeMap<String, Acc> = BTreeMap::new();
    let mut counters: BTreeMap<u32, Acc> = BTreeMap::new();
    let mut officers: BTreeMap<String, Acc> = BTreeMap::new();
    let mut priorities: BTreeMap<String, Acc> = BTreeMap::new();
    for r in rows {
        let target = cfg.target_wait(&r.ticket.service).as_secs_f64();
        totals.add(r, target);
        services
            .entry(r.ticket.service.clone())
            .or_default()
            .add(r, target);
        if let Some(c) = r.ticket.counter {
            counters.entry(c).or_default().add(r, target);
        }
        if let Some(o) = &r.officer {
            officers.entry(o.clone()).or_default().add(r, target);
        }
        priorities
            .entry(r.ticket.priority.clone().unwrap_or_default())
            .or_default()
            .add(r, target);
    }
    let mut priority_groups = vec![Group {
        key: String::new(),
        name: NORMAL_VI.to_string(),
        figures: priorities.remove("").unwrap_or_default().figures(),
    }];
    for p in &cfg.priorities {
        priority_groups.push(Group {
            key: p.code.clone(),
            name: p.name.clone(),
            figures: priorities.remove(&p.code).unwrap_or_default().figures(),
        });
    }
    priority_groups.extend(priorities.into_iter().map(|(code, acc)| Group {
        name: code.clone(),
        key: code,
        figures: acc.figures(),
    }));
    // Configured services first (all of them, in config order), then codes no longer configured.
    let mut service_groups = Vec::new();
    for s in &cfg.services {
        let figures = services.remove(&s.code).unwrap_or_default().figures();
        service_groups.push(Group {
            key: s.code.clone(),
            name: s.name.clone(),
            figures,
        });
    }
    service_groups.extend(services.into_iter().map(|(code, acc)| Group {
        name: code.clone(),
        key: code,
        figures: acc.figures(),
    }));
    let mut counter_groups = Vec::new();
    for c in &cfg.counters {
        if let Some(acc) = counters.remove(&c.number) {
            counter_groups.push(Group {
                key: c.number.to_string(),
                name: c.name.clone(),
                figures: acc.figures(),
            });
        }
    }
    counter_groups.extend(counters.into_iter().map(|(n, acc)| Group {
        key: n.to_string(),
        name: format!("Quầy {n}"),
        figures: acc.figures(),
    }));
    let idle = idle_gaps(rows);
    Report {
        from,
        to,
        totals: totals.figures(),
        services: service_groups,
        counters: counter_groups,
        officers: officers
            .into_iter()
            .map(|(login, acc)| {
                let mut figures = acc.figures();
                figures.idle_mean_s = idle
                    .get(&login)
                    .filter(|g| !g.is_empty())
                    .map(|g| (g.iter().sum::<f64>() / g.len() as f64 * 10.0).round() / 10.0);
                Group {
                    name: login.clone(),
                    key: login,
                    figures,
                }
            })
            .collect(),
        priorities: priority_groups,
    }
}

/// Which tickets a report covers besides its days: `None` fields take every ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The service a ticket ended in.
    pub service: Option<String>,
    /// The counter it was last called to.
    pub counter: Option<u32>,
    /// The officer of its last event at a counter.
    pub officer: Option<String>,
    /// Its priority class; `Some(None)`: tickets without one.
    pub priority: Option<Option<String>>,
    /// The weekday of its service day (the hours of a Monday are not a Friday's).
    pub weekday: Option<chrono::Weekday>,
}

impl Filter {
    /// Whether `r` is one of the tickets this filter keeps.
    pub fn keeps(&self, r: &ReportRow) -> bool {
        self.service.as_ref().is_none_or(|s| *s == r.ticket.service)
            && self.counter.is_none_or(|c| r.ticket.counter == Some(c))
            && self
                .officer
                .as_ref()
                .is_none_or(|o| r.officer.as_ref() == Some(o))
            && self
                .priority
                .as_ref()
                .is_none_or(|p| *p == r.ticket.priority)
            && self
                .weekday
                .is_none_or(|w| chrono::Datelike::weekday(&r.ticket.business_date) == w)
    }
}

/// Tickets issued and served on each service day `from..=to`, every day listed.
pub fn per_day(rows: &[ReportRow], from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, u32, u32)> {
    let mut days: BTreeMap<NaiveDate, (u32, u32)> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| (d, (0, 0)))
        .collect();
    for r in rows {
        if let Some(d) = days.get_mut(&r.ticket.business_date) {
            d.0 += 1;
            d.1 += u32::from(r.ticket.status == Status::Done);
        }
    }
    days.into_iter().map(|(d, (i, s))| (d, i, s)).collect()
}

/// For each local hour of the day (0–23): tickets issued in it and their mean wait in seconds
/// (over those called).
pub fn per_hour(rows: &[ReportRow], tz: chrono_tz::Tz) -> Vec<(u32, Option<f64>)> {
    use chrono::Timelike;
    let mut hours = vec![(0u32, 0f64, 0u32); 24];
    for r in rows {
        let h = r.ticket.issued_at.with_timezone(&tz).hour() as usize;
        hours[h].0 += 1;
        if let Some(c) = r.first_called_at {
            hours[h].1 += (c - r.ticket.issued_at).num_milliseconds().max(0) as f64 / 1000.0;
            hours[h].2 += 1;
        }
    }
    hours
        .into_iter()
        .map(|(n, sum, called)| (n, (called > 0).then(|| sum / f64::from(called))))
        .collect()
}

/// Waits of called tickets counted in `bins` bins of `bin_minutes` each; the last bin also
/// holds every longer wait.
pub fn wait_histogram(rows: &[ReportRow], bin_minutes: u32, bins: usize) -> Vec<u32> {
    let mut out = vec![0; bins.max(1)];
    for r in rows {
        if let Some(c) = r.first_called_at {
            let mins = (c - r.ticket.issued_at).num_milliseconds().max(0) as f64 / 60_000.0;
            let i = ((mins / f64::from(bin_minutes.max(1))) as usize).min(out.len() - 1);
            out[i] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Ticket;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap() + chrono::TimeDelta::minutes(min)
    }

    fn row(
        status: Status,
        called: Option<i64>,
        started: Option<i64>,
        done: Option<i64>,
    ) -> ReportRow {
        ReportRow {
            ticket: Ticket {
                id: 1,
                service: "TP".into(),
                origin_service: "TP".into(),
                business_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                seq: 1,
                number: "1001".into(),
                priority: None,
                status,
                queue_at: at(0),
                issued_at: at(0),
                // A recall moves called_at; the report's wait uses the first call.
                called_at: called.map(|c| at(c + 1)),
                started_at: started.map(at),
                finished_at: done.map(at),
                counter: called.map(|_| 1),
                recalls: 0,
                waiting_ahead: 0,
                token: "t".into(),
                printed_at: None,
            },
            first_called_at: called.map(at),
            officer: called.map(|_| "lan".to_string()),
            rating: None,
            reason: None,
        }
    }

    #[test]
    fn means_and_counts() {
        let cfg = crate::config::Config::parse(
            &motcua_testkit::OfficeToml::empty("X")
                .service("TP", "Tư pháp", "")
                .service("DD", "Đất đai", "")
                .counter(1, &["TP"])
                .build(),
            std::path::Path::new("motcua.toml"),
        )
        .unwrap();
        let rated = |score| ReportRow {
            rating: Some(score),
            ..row(Status::Done, Some(10), Some(12), Some(18))
        };
        let rows = [
            // waited 10 min, served 6 min (from start); rated 5 of 5
            rated(5),
            // waited 20 min, finished without "start": served from the call, 4 min
            row(Status::Done, Some(20), None, Some(25)),
            row(Status::NoShow, Some(30), None, Some(32)),
            row(Status::Waiting, None, None, None),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let r = build(&rows, &cfg, day, day);
        let t = &r.totals;
        assert_eq!(
            (t.issued, t.served, t.no_show, t.cancelled, t.unfinished),
            (4, 2, 1, 0, 1)
        );
        assert_eq!(
            t.wait_mean_s,
            Some(20.0 * 60.0),
            "(10 + 20 + 30) / 3 minutes"
        );
        assert_eq!(t.service_mean_s, Some(5.0 * 60.0), "(6 + 4) / 2 minutes");
        // Nearest rank: of 10, 20 and 30 minutes the median is 20 and the 90th percentile 30.
        assert_eq!(
            (t.wait_p50_s, t.wait_p90_s, t.wait_max_s),
            (Some(1200.0), Some(1800.0), Some(1800.0))
        );
        assert_eq!(
            (t.service_p50_s, t.service_p90_s),
            (Some(240.0), Some(360.0))
        );
        // Called within 20 minutes (the default target): 10 and 20, not 30.
        assert_eq!(t.within_target_share, Some(0.667));
        assert_eq!((t.rated, t.satisfied_share), (1, Some(1.0)));
        let mut more = rows.to_vec();
        more.push(rated(3));
        more.push(rated(4));
        let r3 = build(&more, &cfg, day, day);
        assert_eq!(
            (r3.totals.rated, r3.totals.satisfied_share),
            (3, Some(0.667)),
            "5 and 4 of 5, 3 is not"
        );
        // #12: the distribution, the reasons and the share of served tickets rated.
        let mut low = more.clone();
        low.push(ReportRow {
            reason: Some("Chờ lâu".into()),
            ..rated(2)
        });
        low.push(ReportRow {
            reason: Some("Chờ lâu".into()),
            ..rated(1)
        });
        let rl = build(&low, &cfg, day, day);
        assert_eq!(rl.totals.rating_counts, [1, 1, 1, 1, 1]);
        assert_eq!(rl.totals.reasons.get("Chờ lâu"), Some(&2));
        assert_eq!(rl.totals.served, 6);
        assert_eq!(rl.totals.rated_share, Some(0.833), "5 rated of 6 served");
        assert_eq!(rl.officers[0].figures.rating_counts, [1, 1, 1, 1, 1]);
        assert_eq!(rl.counters[0].figures.reasons.len(), 1);
        assert_eq!(r.totals.rated_share, Some(0.5), "1 rated of 2 served");
        let none = build(&rows[1..], &cfg, day, day);
        assert_eq!((none.totals.rated, none.totals.satisfied_share), (0, None));
        assert_eq!(
            r.services.len(),
            2,
            "every configured service, even without tickets"
        );
        assert_eq!(r.services[1].figures, Figures::default());
        assert_eq!((r.counters.len(), r.officers.len()), (1, 1));
        assert_eq!(r.officers[0].figures.issued, 3);
        // lan: called at 10, done at 18; called at 20 (2 minutes idle), done at 25; called at
        // 30 (5 minutes idle).
        assert_eq!(r.officers[0].figures.idle_mean_s, Some(3.5 * 60.0));
        assert_eq!(r.totals.idle_mean_s, None, "officers only");
        // Every ticket here is normal: one group, "Thông thường".
        assert_eq!(r.priorities.len(), 1);
        assert_eq!(
            (
                r.priorities[0].name.as_str(),
                r.priorities[0].figures.issued
            ),
            (NORMAL_VI, 4)
        );
    }

    #[test]
    fn a_service_can_have_its_own_target_and_priority_classes_are_grouped() {
        let cfg = crate::config::Config::parse(
            &motcua_testkit::OfficeToml::empty("X")
                .service("TP", "Tư pháp", "target_wait_minutes = 15")
                .service("DD", "Đất đai", "")
                .counter(1, &["TP", "DD"])
                .priority("elderly", "Người cao tuổi")
                .priority("veteran", "Người có công")
                .section("[queue]\ntarget_wait_minutes = 25")
                .build(),
            std::path::Path::new("motcua.toml"),
        )
        .unwrap();
        let in_service = |service: &str, priority: Option<&str>, waited: i64| {
            let mut r = row(Status::Done, Some(waited), None, Some(waited + 5));
            r.ticket.service = service.into();
            r.ticket.priority = priority.map(str::to_string);
            r
        };
        let rows = [
            in_service("TP", None, 10),
            in_service("TP", Some("elderly"), 18),
            in_service("DD", Some("elderly"), 18),
            in_service("DD", None, 30),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let r = build(&rows, &cfg, day, day);
        // TP's target is 15 minutes: 10 is on time, 18 is not. DD keeps the office's 25.
        assert_eq!(r.services[0].figures.within_target_share, Some(0.5));
        assert_eq!(r.services[1].figures.within_target_share, Some(0.5));
        assert_eq!(r.totals.within_target_share, Some(0.5));
        let names: Vec<_> = r
            .priorities
            .iter()
            .map(|g| (g.name.as_str(), g.figures.issued))
            .collect();
        assert_eq!(
            names,
            [(NORMAL_VI, 2), ("Người cao tuổi", 2), ("Người có công", 0)]
        );
        assert_eq!(r.priorities[1].figures.within_target_share, Some(0.5));

        // Filters keep what they name; the chart series count the kept tickets.
        let elderly = Filter {
            priority: Some(Some("elderly".into())),
            ..Filter::default()
        };
        let kept: Vec<_> = rows.iter().filter(|r| elderly.keeps(r)).cloned().collect();
        assert_eq!(kept.len(), 2);
        let dd_normal = Filter {
            service: Some("DD".into()),
            priority: Some(None),
            ..Filter::default()
        };
        assert_eq!(rows.iter().filter(|r| dd_normal.keeps(r)).count(), 1);
        // 24 November 2026 is a Tuesday.
        for (weekday, kept) in [(chrono::Weekday::Tue, 4), (chrono::Weekday::Mon, 0)] {
            let f = Filter {
                weekday: Some(weekday),
                ..Filter::default()
            };
            assert_eq!(rows.iter().filter(|r| f.keeps(r)).count(), kept);
        }
        assert_eq!(
            per_day(&rows, day, day + chrono::TimeDelta::days(1)),
            [(day, 4, 4), (day + chrono::TimeDelta::days(1), 0, 0)]
        );
        // Waits of 10, 18, 18 and 30 minutes in 5-minute bins, the last open-ended.
        assert_eq!(wait_histogram(&rows, 5, 5), [0, 0, 1, 2, 1]);
        let hours = per_hour(&rows, chrono_tz::Asia::Ho_Chi_Minh);
        // Issued at 01:00 UTC, 08:00 in Hanoi; mean wait 19 minutes.
        assert_eq!(hours[8], (4, Some(19.0 * 60.0)));
        assert_eq!(hours[9], (0, None));
    }
}
