//! Property tests of who is called next: FIFO within a class and service (by the issue
//! sequence), and no starvation.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use motcua::config::QueueRules;
use motcua::queue::{Candidate, pick_next};
use proptest::prelude::*;

const SERVICES: [&str; 3] = ["TP", "DD", "CT"];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap()
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec((0usize..3, any::<bool>(), 0i64..600), 0..40).prop_map(|mut v| {
        // Issued in order: queue times rise with the id (a clock set back is the store
        // tests' case).
        v.sort_by_key(|(_, _, sec)| *sec);
        v.into_iter()
            .enumerate()
            .map(|(i, (s, p, sec))| Candidate {
                id: i as i64 + 1,
                service: SERVICES[s].to_string(),
                priority: p,
                queue_at: t0() + TimeDelta::seconds(sec),
            })
            .collect()
    })
}

fn served() -> impl Strategy<Value = Vec<String>> {
    Just(SERVICES.to_vec())
        .prop_shuffle()
        .prop_flat_map(|v| (Just(v), 1usize..=3))
        .prop_map(|(v, n)| v[..n].iter().map(|s| s.to_string()).collect())
}

fn rules() -> impl Strategy<Value = QueueRules> {
    (1u32..5, prop::option::of(1u64..20)).prop_map(|(r, m)| QueueRules {
        priority_ratio: r,
        max_wait: m.map(|m| Duration::from_secs(m * 60)),
        ..QueueRules::default()
    })
}

proptest! {
    /// The pick is always a served ticket, and never one with an earlier ticket of the same class
    /// and service still waiting behind it.
    #[test]
    fn fifo_within_class_and_service(
        waiting in candidates(),
        served in served(),
        streak in 0u32..8,
        rules in rules(),
        minutes in 0i64..40,
    ) {
        let now = t0() + TimeDelta::minutes(minutes);
        let eligible: Vec<_> = waiting.iter().filter(|c| served.contains(&c.service)).collect();
        match pick_next(&served, &waiting, streak, &rules, now) {
            None => prop_assert!(eligible.is_empty()),
            Some(pick) => {
                let chosen = waiting.iter().find(|c| c.id == pick.id).unwrap();
                prop_assert!(served.contains(&chosen.service));
                for c in &eligible {
                    if c.priority == chosen.priority && c.service == chosen.service {
                        // The issue sequence (the id) orders the queue, never the wall clock.
                        prop_assert!(c.id >= chosen.id,
                            "ticket {} waited longer in the same class and service than {}", c.id, chosen.id);
                    }
                }
                let expected = if chosen.priority { streak + 1 } else { 0 };
                prop_assert_eq!(pick.streak, expected);
            }
        }
    }

    /// An overdue ticket is never passed over by one that came later.
    #[test]
    fn overdue_tickets_are_served_oldest_first(
        waiting in candidates(),
        served in served(),
        streak in 0u32..8,
        rules in rules(),
        minutes in 0i64..40,
    ) {
        let now = t0() + TimeDelta::minutes(minutes);
        let Some(max) = rules.max_wait else { return Ok(()); };
        let max = TimeDelta::from_std(max).unwrap();
        if let Some(pick) = pick_next(&served, &waiting, streak, &rules, now) {
            let chosen = waiting.iter().find(|c| c.id == pick.id).unwrap();
            for c in waiting.iter().filter(|c| served.contains(&c.service) && now - c.queue_at >= max) {
                prop_assert!(chosen.id <= c.id,
                    "overdue ticket {} passed over by {}", c.id, chosen.id);
            }
        }
    }

    /// Under a flood of priority tickets, a normal ticket at the head of its queue is called within
    /// `priority_ratio + 1` calls (no max-wait rule needed for that).
    #[test]
    fn normal_tickets_never_starve_behind_priority(
        ratio in 1u32..5,
        arrivals in prop::collection::vec((0usize..4, any::<bool>()), 10..80),
    ) {
        let rules = QueueRules { priority_ratio: ratio, max_wait: None, ..QueueRules::default() };
        let served = vec!["TP".to_string()];
        let mut waiting: Vec<Candidate> = Vec::new();
        let mut next_id = 1;
        let mut streak = 0;
        let mut now = t0();
        // calls since the current head of the normal queue became head
        let mut head: Option<(i64, u32)> = None;
        for (priority_burst, normal) in arrivals {
            for _ in 0..priority_burst {
                waiting.push(Candidate { id: next_id, service: "TP".into(), priority: true, queue_at: now });
                next_id += 1;
            }
            if normal {
                waiting.push(Candidate { id: next_id, service: "TP".into(), priority: false, queue_at: now });
                next_id += 1;
            }
            now += TimeDelta::seconds(30);
            let normal_head = waiting.iter().filter(|c| !c.priority).min_by_key(|c| (c.queue_at, c.id)).map(|c| c.id);
            head = match (head, normal_head) {
                (Some((h, n)), Some(nh)) if h == nh => Some((h, n)),
                (_, Some(nh)) => Some((nh, 0)),
                (_, None) => None,
            };
            let Some(pick) = pick_next(&served, &waiting, streak, &rules, now) else { continue };
            streak = pick.streak;
            waiting.retain(|c| c.id != pick.id);
            if let Some((h, n)) = head.as_mut() {
                *n += 1;
                if pick.id == *h {
                    head = None;
                } else {
                    prop_assert!(*n <= ratio, "normal ticket {} still waiting after {} calls", h, n);
                }
            }
        }
    }

    /// With a service the counter likes least, the max-wait rule still bounds every wait: each
    /// ticket is called at most `max_wait` plus one call interval per earlier ticket after it came.
    #[test]
    fn max_wait_bounds_every_wait(
        arrivals in prop::collection::vec((0usize..3, 0usize..3), 10..60),
        max_minutes in 5u64..30,
    ) {
        let rules = QueueRules { priority_ratio: 3, max_wait: Some(Duration::from_secs(max_minutes * 60)), ..QueueRules::default() };
        let served: Vec<String> = SERVICES.iter().map(|s| s.to_string()).collect();
        let step = TimeDelta::minutes(1);
        let mut waiting: Vec<Candidate> = Vec::new();
        let mut next_id = 1;
        let mut streak = 0;
        let mut now = t0();
        let mut issued = 0i64;
        for (burst, service) in arrivals.iter().copied().chain(std::iter::repeat_n((0, 0), 400)) {
            for _ in 0..burst {
                waiting.push(Candidate { id: next_id, service: SERVICES[service].into(), priority: false, queue_at: now });
                next_id += 1;
                issued += 1;
            }
            now += step;
            let Some(pick) = pick_next(&served, &waiting, streak, &rules, now) else { continue };
            let chosen = waiting.iter().find(|c| c.id == pick.id).unwrap().clone();
            streak = pick.streak;
            waiting.retain(|c| c.id != pick.id);
            let bound = TimeDelta::from_std(rules.max_wait.unwrap()).unwrap() + step * (issued as i32 + 1);
            prop_assert!(now - chosen.queue_at <= bound);
        }
        prop_assert!(waiting.is_empty());
    }
}
