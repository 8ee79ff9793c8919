//! Real separate processes on one database file: 4 issuing and 4 calling at once for several
//! seconds, then the invariants: no duplicate, no gap, no double call, nothing reported lost.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_e2e::{Office, check_invariants, json};

/// How long the processes run side by side.
const RUN_FOR: Duration = Duration::from_secs(5);

#[test]
fn four_issuers_and_four_callers_keep_every_invariant() {
    let office = Arc::new(Office::new());
    // Create the schema once up front, so the run measures the steady state.
    assert!(office.run("counter", &["queue"]).status.success());
    let deadline = Instant::now() + RUN_FOR;

    let issuers: Vec<_> = (0..4)
        .map(|i: u32| {
            let office = Arc::clone(&office);
            std::thread::spawn(move || {
                let mut issued = Vec::new();
                let service = if i.is_multiple_of(2) { "TP" } else { "DD" };
                while Instant::now() < deadline {
                    let mut args = vec!["issue", "--service", service, "--json"];
                    if i == 3 && issued.len().is_multiple_of(3) {
                        args.extend(["--priority", "elderly"]);
                    }
                    let out = office.run("kiosk", &args);
                    assert!(
                        out.status.success(),
                        "kiosk issue failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let v = json(&out);
                    assert_eq!(v["printed"], false);
                    issued.push((
                        v["ticket"]["id"].as_i64().unwrap(),
                        v["ticket"]["number"].as_str().unwrap().to_string(),
                        service,
                    ));
                }
                issued
            })
        })
        .collect();
    let callers: Vec<_> = (1..=4)
        .map(|counter: u32| {
            let office = Arc::clone(&office);
            std::thread::spawn(move || {
                let mut called = Vec::new();
                let c = counter.to_string();
                while Instant::now() < deadline {
                    let out = office.run("counter", &["call", "--counter", &c, "--json"]);
                    assert!(
                        out.status.success(),
                        "counter call failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let v = json(&out);
                    if let Some(id) = v["ticket"]["id"].as_i64() {
                        assert_eq!(v["ticket"]["counter"], counter);
                        assert_eq!(v["ticket"]["status"], "called");
                        called.push(id);
                    }
                }
                (counter, called)
            })
        })
        .collect();

    let issued: Vec<_> = issuers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let called: Vec<_> = callers.into_iter().map(|h| h.join().unwrap()).collect();

    let db = office.open_db();
    let total = check_invariants(&db);
    assert_eq!(
        total,
        issued.len(),
        "tickets in the database vs tickets reported issued"
    );
    // Every ticket a process reported exists with that number and service.
    for (id, number, service) in &issued {
        let (n, s): (String, String) = db
            .query_row(
                "SELECT number, origin_service FROM ticket WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or_else(|e| panic!("reported ticket {id} missing: {e}"));
        assert_eq!((&n, s.as_str()), (number, *service));
    }
    // No ticket was handed to two counters, and each counter's reported calls match the database.
    let mut seen: HashMap<i64, u32> = HashMap::new();
    for (counter, ids) in &called {
        for id in ids {
            if let Some(other) = seen.insert(*id, *counter) {
                panic!("ticket {id} called by counters {other} and {counter}");
            }
            let c: u32 = db
                .query_row(
                    "SELECT counter FROM event WHERE ticket_id = ?1 AND kind = 'called'",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(c, *counter);
        }
    }
    let called_in_db: HashSet<i64> = db
        .prepare("SELECT ticket_id FROM event WHERE kind = 'called'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(called_in_db, seen.keys().copied().collect::<HashSet<_>>());
    eprintln!(
        "{} tickets issued, {} called by 4+4 processes in {RUN_FOR:?}",
        issued.len(),
        seen.len()
    );
    assert!(
        issued.len() >= 40,
        "too few tickets for a meaningful run: {}",
        issued.len()
    );
    assert!(!seen.is_empty(), "no ticket was called");
}
