//! Supervisors' figures over a range of service days: issued, served, no-shows, cancelled, mean
//! wait and service times, satisfaction; in total and per service, counter and officer.
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
}

/// The lowest rating (of 5) that counts as satisfied.
pub const SATISFIED_FROM: u8 = 4;

#[derive(Default)]
struct Acc {
    f: Figures,
    wait_sum: f64,
    waits: u32,
    service_sum: f64,
    services: u32,
    satisfied: u32,
}

impl Acc {
    fn add(&mut self, r: &ReportRow) {
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
            self.wait_sum += (c - t.issued_at).num_milliseconds().max(0) as f64 / 1000.0;
            self.waits += 1;
        }
        if t.status == Status::Done
            && let (Some(start), Some(end)) = (t.started_at.or(t.called_at), t.finished_at)
        {
            self.service_sum += (end - start).num_milliseconds().max(0) as f64 / 1000.0;
            self.services += 1;
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

    fn figures(self) -> Figures {
        let mean = |sum: f64, n: u32| (n > 0).then(|| (sum / f64::from(n) * 10.0).round() / 10.0);
        let ratio = |n: u32, of: u32| {
            (of > 0).then(|| (f64::from(n) / f64::from(of) * 1000.0).round() / 1000.0)
        };
        Figures {
            wait_mean_s: mean(self.wait_sum, self.waits),
            service_mean_s: mean(self.service_sum, self.services),
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
}

/// Builds the report of `rows` (from [`crate::Store::report_rows`]).
pub fn build(rows: &[ReportRow], cfg: &Config, from: NaiveDate, to: NaiveDate) -> Report {
    let mut totals = Acc::default();
    let mut services: BTreeMap<String, Acc> = BTreeMap::new();
    let mut counters: BTreeMap<u32, Acc> = BTreeMap::new();
    let mut officers: BTreeMap<String, Acc> = BTreeMap::new();
    for r in rows {
        totals.add(r);
        services.entry(r.ticket.service.clone()).or_default().add(r);
        if let Some(c) = r.ticket.counter {
            counters.entry(c).or_default().add(r);
        }
        if let Some(o) = &r.officer {
            officers.entry(o.clone()).or_default().add(r);
        }
    }
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
    Report {
        from,
        to,
        totals: totals.figures(),
        services: service_groups,
        counters: counter_groups,
        officers: officers
            .into_iter()
            .map(|(login, acc)| Group {
                name: login.clone(),
                key: login,
                figures: acc.figures(),
            })
            .collect(),
    }
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
    }
}
