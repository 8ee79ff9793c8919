//! `counter backup` while four writer processes go on: the copy is consistent, holds every
//! ticket acknowledged before it began, and older copies beyond `--keep` go.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;

use motcua_e2e::{Office, check_invariants};

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a `motcua-worker` (issue, then call at `counter`, in a loop); the ids of the tickets it
/// acknowledged (printed only after COMMIT) come out of the channel.
fn worker(office: &Office, service: &str, counter: u32, acked: mpsc::Sender<i64>) -> Worker {
    let mut child = office.worker(service, counter);
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["op"] == "issue" && acked.send(v["id"].as_i64().unwrap()).is_err() {
                return;
            }
        }
    });
    Worker(child)
}

/// Takes acknowledgements until `n` more have come.
fn take(rx: &mpsc::Receiver<i64>, seen: &mut HashSet<i64>, n: usize) {
    for _ in 0..n {
        let id = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the writers keep writing");
        seen.insert(id);
    }
}

fn backup(office: &Office, dir: &std::path::Path) -> std::path::PathBuf {
    let out = office.run(
        "counter",
        &["backup", "--out", dir.to_str().unwrap(), "--keep", "2"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kiểm tra toàn vẹn: ok"), "{text}");
    let path = text
        .strip_prefix("Đã sao lưu ")
        .and_then(|t| t.split(": ").next())
        .unwrap_or_else(|| panic!("{text}"));
    path.into()
}

#[test]
fn a_backup_taken_while_four_writers_run_holds_every_acknowledged_ticket() {
    let office = Office::new();
    assert!(office.run("counter", &["queue"]).status.success());
    let (tx, rx) = mpsc::channel();
    let _workers: Vec<Worker> = [("TP", 1), ("DD", 2), ("TP", 3), ("DD", 4)]
        .into_iter()
        .map(|(s, c)| worker(&office, s, c, tx.clone()))
        .collect();
    drop(tx);
    let mut acked = HashSet::new();
    take(&rx, &mut acked, 80);
    // Everything acknowledged so far was committed before the backup began.
    while let Ok(id) = rx.try_recv() {
        acked.insert(id);
    }
    let before = acked.clone();
    let dir = tempfile::tempdir().unwrap();
    let first = backup(&office, dir.path());
    // The writers went on meanwhile, and go on.
    take(&rx, &mut acked, 80);

    let copy =
        rusqlite::Connection::open_with_flags(&first, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let verdict: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
    let ids: HashSet<i64> = copy
        .prepare("SELECT id FROM ticket")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let missing: Vec<_> = before.difference(&ids).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not in the backup: {missing:?}"
    );
    // A consistent snapshot: numbering, calls and events agree inside the copy.
    check_invariants(&copy);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&first).unwrap().permissions().mode();
    assert_eq!(mode & 0o007, 0, "not readable by others: {mode:o}");
    let name = first.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("motcua-")
            && name.ends_with(&format!("-v{}.db", motcua::store::SCHEMA_VERSION)),
        "{name}"
    );

    // Two more copies: only the newest two stay (a copy of the same second replaces its twin).
    let mut names = HashSet::from([name]);
    while names.len() < 3 {
        take(&rx, &mut acked, 4);
        let p = backup(&office, dir.path());
        names.insert(p.file_name().unwrap().to_string_lossy().to_string());
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn a_backup_folder_that_cannot_be_made_is_named() {
    let office = Office::new();
    office.issue(&["TP"]);
    let file = office.dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let out = office.run(
        "counter",
        &["backup", "--out", file.join("b").to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("backup folder") && err.contains("not-a-folder"),
        "{err}"
    );
    let out = office.run("counter", &["backup", "--keep", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn restore_is_refused_while_the_server_runs_then_puts_the_copy_back_and_keeps_the_old_file() {
    let office = Office::new();
    office.issue(&["TP", "TP"]);
    let dir = tempfile::tempdir().unwrap();
    let copy = backup(&office, dir.path());
    // After the backup: a third ticket, which the restore takes back (kept aside).
    office.issue(&["TP"]);
    let server = motcua_e2e::console::serve(&office);
    let out = office.run("counter", &["restore", copy.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in use") && err.contains("stop the motcua services"),
        "{err}"
    );
    let count = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&office.open_db()), 3, "nothing changed");
    drop(server);

    // Not a database: refused, naming the file.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not sqlite").unwrap();
    let out = office.run("counter", &["restore", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.db"));

    let out = office.run("counter", &["restore", copy.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Đã khôi phục") && text.contains(": 2 số"),
        "{text}"
    );
    assert_eq!(count(&office.open_db()), 2);
    check_invariants(&office.open_db());
    let aside = text
        .lines()
        .find_map(|l| l.strip_prefix("Dữ liệu trước khi khôi phục được giữ tại "))
        .and_then(|l| l.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{text}"));
    let old = rusqlite::Connection::open(aside).unwrap();
    assert_eq!(count(&old), 3, "the file before the restore is kept whole");
    // The office goes on from the restored day: the next number follows the copy's last.
    assert_eq!(office.issue(&["TP"])["ticket"]["number"], "1003");
}
