//! Issuing and calling processes killed with SIGKILL at random moments, many times: nothing that
//! was reported is lost, nothing is duplicated, and the database stays intact and usable.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::Duration;

use motcua_e2e::{Office, check_invariants, json};

/// Rounds of start-then-kill; each round kills 4 looping workers and 4 one-shot CLI processes.
const ROUNDS: usize = 40;

fn spawn_cli(office: &Office, i: usize) -> Child {
    let mut c = if i.is_multiple_of(2) {
        let mut c = office.command("kiosk");
        c.args([
            "issue",
            "--service",
            if i.is_multiple_of(4) { "TP" } else { "DD" },
            "--json",
        ]);
        c
    } else {
        let mut c = office.command("counter");
        c.args(["call", "--counter", &(1 + i % 4).to_string(), "--json"]);
        c
    };
    c.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cli")
}

/// Kills `child` (SIGKILL) and returns whether it was still running when the kill landed, and
/// the complete lines it had written.
fn kill_and_collect(mut child: Child) -> (bool, Vec<String>) {
    let alive = child.try_wait().expect("child status").is_none();
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    // A line cut off by the kill promises nothing.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    (alive, complete.lines().map(str::to_string).collect())
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let office = Office::new();
    assert!(office.run("counter", &["queue"]).status.success());
    let mut issued: HashMap<i64, String> = HashMap::new();
    let mut calls: Vec<i64> = Vec::new();
    let mut kills = 0;
    // Kills that hit a running process, and those that hit a looping worker mid-work.
    let (mut landed, mut workers_landed) = (0, 0);

    for round in 0..ROUNDS {
        let mut children: Vec<(bool, Child)> = Vec::new();
        for (k, service) in ["TP", "DD", "TP", "DD"].iter().enumerate() {
            children.push((true, office.worker(service, k as u32 + 1)));
        }
        for i in 0..4 {
            children.push((false, spawn_cli(&office, round + i)));
        }
        fastrand::shuffle(&mut children);
        for (worker, child) in children {
            // The random moment of the kill: this pause is the fault being injected, not a wait
            // for anything to be ready.
            std::thread::sleep(Duration::from_millis(fastrand::u64(0..25)));
            kills += 1;
            let (alive, lines) = kill_and_collect(child);
            landed += usize::from(alive);
            workers_landed += usize::from(alive && worker);
            for line in lines {
                let v: serde_json::Value = serde_json::from_str(&line).expect("complete JSON line");
                if worker {
                    let id = v["id"].as_i64().unwrap();
                    match v["op"].as_str().unwrap() {
                        "issue" => {
                            issued.insert(id, v["number"].as_str().unwrap().to_string());
                        }
                        _ if id > 0 => calls.push(id),
                        _ => {}
                    }
                } else if let Some(t) = v.get("ticket").filter(|t| !t.is_null()) {
                    let id = t["id"].as_i64().unwrap();
                    if v.get("printed").is_some() {
                        issued.insert(id, t["number"].as_str().unwrap().to_string());
                    } else {
                        calls.push(id);
                    }
                }
            }
        }
    }

    let db = office.open_db();
    check_invariants(&db);
    for (id, number) in &issued {
        let n: String = db
            .query_row("SELECT number FROM ticket WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("reported ticket {id} ({number}) lost: {e}"));
        assert_eq!(&n, number);
    }
    for id in &calls {
        let called: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM event WHERE ticket_id = ?1 AND kind = 'called'",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(called, 1, "reported call of ticket {id} lost");
    }
    drop(db);
    // The queue still works after all that.
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    assert!(out.status.success());
    assert_eq!(json(&out)["ticket"]["status"], "waiting");
    eprintln!(
        "{kills} kills ({landed} on running processes), {} reported tickets, {} reported calls",
        issued.len(),
        calls.len()
    );
    // Workers loop until killed: each kill must find its worker running (a worker that died on
    // its own, e.g. on a busy database, would mean the kills tested nothing there).
    assert_eq!(workers_landed, ROUNDS * 4, "workers alive when killed");
    assert!(
        landed > workers_landed,
        "some CLI processes were killed mid-run"
    );
    assert!(
        issued.len() > 50,
        "kills came too early to test anything: {}",
        issued.len()
    );
}
