//! What the wait estimate needs from the database: today's queue, each counter's state, the
//! service times of recent days and how many tickets the same hour brought on earlier days.

use chrono::{DateTime, Duration as TimeDelta, NaiveDate, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};

use super::tickets::{CANDIDATE_COLUMNS, candidate_from_row, current_ticket};
use crate::error::Result;
use crate::estimate::{
    self, Arrivals, CounterMode, CounterNow, Estimate, ServiceTimes, Settings, Situation, Target,
};

use super::*;

/// Service days of history the estimate learns from.
pub const HISTORY_DAYS: i64 = 14;
/// The newest finished tickets per service the estimate keeps.
const SAMPLES_PER_SERVICE: usize = 500;
/// A "service" longer than this is a ticket left open (lunch, the day's end), not a service.
const LONGEST_SERVICE_MS: i64 = 3 * 3600 * 1000;
/// Service times of the same time of day (± 1 hour) are used alone once a service has this many.
const SAME_HOUR_ENOUGH: usize = 30;
/// A counter that called someone this recently counts as open without a signed-in officer.
const RECENT_ACTIVITY: TimeDelta = TimeDelta::minutes(30);

impl Store {
    /// The queue at `now` as the wait estimate sees it.
    pub fn situation(&self, now: DateTime<Utc>) -> Result<Situation> {
        let today = self.business_date(now);
        let tx = self.conn.unchecked_transaction()?;
        let waiting = tx
            .prepare_cached(&format!(
                "SELECT {CANDIDATE_COLUMNS} FROM ticket \
                 WHERE status = 'waiting' AND business_date = ?1 ORDER BY id"
            ))?
            .query_map([today.to_string()], candidate_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;

        let mut counters = Vec::with_capacity(self.cfg.counters.len());
        for c in &self.cfg.counters {
            let (streak, paused, officer): (u32, bool, Option<String>) = tx
                .query_row(
                    "SELECT priority_streak, paused, officer FROM counter_state WHERE counter = ?1",
                    [c.number],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .unwrap_or((0, false, None));
            let current = current_ticket(&tx, c.number, today)?;
            let last_call: Option<i64> = tx.query_row(
                "SELECT MAX(called_at) FROM ticket WHERE counter = ?1 AND business_date = ?2",
                params![c.number, today.to_string()],
                |r| r.get(0),
            )?;
            let recent = last_call.is_some_and(|at| at >= ms(now - RECENT_ACTIVITY));
            let mode = if paused {
                CounterMode::Paused
            } else if officer.is_some() || current.is_some() || recent {
                CounterMode::Open
            } else {
                CounterMode::Idle
            };
            counters.push(CounterNow {
                number: c.number,
                services: c.services.clone(),
                mode,
                streak,
                busy: current.and_then(|t| t.called_at.map(|at| (t.service, at))),
            });
        }

        let since = (today - TimeDelta::days(HISTORY_DAYS - 1)).to_string();
        // Per service: every recent time, and those of the same time of day (called within an
        // hour of now's clock time, any day), which stand alone once there are enough of them.
        let tz = self.cfg.office.timezone;
        let clock = now.with_timezone(&tz).time();
        let near = |at: DateTime<Utc>| {
            let d = (at.with_timezone(&tz).time() - clock).num_minutes().abs();
            d.min(24 * 60 - d) <= 60
        };
        let mut samples: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT service, finished_at - called_at, called_at FROM ticket \
                 WHERE business_date BETWEEN ?1 AND ?2 AND status IN ('done', 'no_show') \
                 AND called_at IS NOT NULL AND finished_at > called_at AND finished_at - called_at <= ?3 \
                 ORDER BY id DESC",
            )?;
            let rows =
                stmt.query_map(params![since, today.to_string(), LONGEST_SERVICE_MS], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        from_ms(r.get(2)?)?,
                    ))
                })?;
            for row in rows {
                let (service, d, called) = row?;
                let i = match samples.iter().position(|(s, _, _)| *s == service) {
                    Some(i) => i,
                    None => {
                        samples.push((service, Vec::new(), Vec::new()));
                        samples.len() - 1
                    }
                };
                let (_, all, same_hour) = &mut samples[i];
                if all.len() < SAMPLES_PER_SERVICE {
                    all.push(d as f64 / 1000.0);
                }
                if near(called) && same_hour.len() < SAMPLES_PER_SERVICE {
                    same_hour.push(d as f64 / 1000.0);
                }
            }
        }
        let samples = samples
            .into_iter()
            .map(|(s, all, same_hour)| {
                if same_hour.len() >= SAME_HOUR_ENOUGH {
                    (s, same_hour)
                } else {
                    (s, all)
                }
            })
            .collect();

        let arrivals = arrivals(&tx, &self.cfg, today, now)?;
        tx.finish()?;
        Ok(Situation {
            now,
            rules: self.cfg.queue,
            waiting,
            counters,
            times: ServiceTimes::new(
                samples,
                self.cfg.kiosk.average_service.map(|d| d.as_secs_f64()),
            ),
            arrivals,
        })
    }

    /// The estimated wait of `target` at `now`, with the default settings.
    pub fn estimate(&self, target: &Target, now: DateTime<Utc>) -> Result<Estimate> {
        Ok(estimate::estimate(
            &self.situation(now)?,
            target,
            &Settings::default(),
        ))
    }

    /// The wait of a normal ticket taken now, for every service in config order (the board).
    pub fn service_estimates(&self, now: DateTime<Utc>) -> Result<Vec<(String, Estimate)>> {
        let s = self.situation(now)?;
        Ok(self
            .cfg
            .services
            .iter()
            .map(|svc| {
                let target = Target::New {
                    service: svc.code.clone(),
                    priority: false,
                };
                (
                    svc.code.clone(),
                    estimate::estimate(&s, &target, &Settings::default()),
                )
            })
            .collect())
    }
}

/// Tickets per hour of each service expected from `now` on: the mean of the same hour of the
/// office's earlier service days; without history, today's last hour.
fn arrivals(
    conn: &Connection,
    cfg: &Config,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Arrivals>> {
    let tz = cfg.office.timezone;
    let days = conn
        .prepare_cached(
            "SELECT DISTINCT business_date FROM ticket WHERE business_date BETWEEN ?1 AND ?2",
        )?
        .query_map(
            params![
                (today - TimeDelta::days(HISTORY_DAYS)).to_string(),
                (today - TimeDelta::days(1)).to_string()
            ],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let local_now = now.with_timezone(&tz).naive_local();
    let mut windows = Vec::new();
    for d in &days {
        let Ok(day) = d.parse::<NaiveDate>() else {
            continue;
        };
        // The same clock time on that day (days differ by whole days from today's).
        let start = local_now - TimeDelta::days((today - day).num_days());
        if let Some(at) = tz.from_local_datetime(&start).earliest() {
            let at = at.with_timezone(&Utc);
            windows.push((day, at, at + TimeDelta::hours(1)));
        }
    }
    if windows.is_empty() {
        windows.push((today, now - TimeDelta::hours(1), now));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT service, SUM(priority IS NULL), SUM(priority IS NOT NULL) FROM ticket \
         WHERE business_date = ?1 AND issued_at >= ?2 AND issued_at < ?3 GROUP BY service",
    )?;
    let mut out: Vec<Arrivals> = cfg
        .services
        .iter()
        .map(|s| Arrivals {
            service: s.code.clone(),
            normal_per_hour: 0.0,
            priority_per_hour: 0.0,
        })
        .collect();
    for (day, from, to) in &windows {
        let rows = stmt.query_map(params![day.to_string(), ms(*from), ms(*to)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (service, normal, priority) = row?;
            if let Some(a) = out.iter_mut().find(|a| a.service == service) {
                a.normal_per_hour += normal as f64;
                a.priority_per_hour += priority as f64;
            }
        }
    }
    let n = windows.len() as f64;
    for a in &mut out {
        a.normal_per_hour /= n;
        a.priority_per_hour /= n;
    }
    out.retain(|a| a.normal_per_hour > 0.0 || a.priority_per_hour > 0.0);
    Ok(out)
}
