//! Helpers for motcua's end-to-end tests: find the built binaries, write an office config into a
//! temporary folder, run the binaries as real processes, and read the database independently.

pub mod centre;
pub mod chromedriver;
pub mod console;
pub mod emupos;
pub mod scenario;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A loopback address no one listens on now (`127.0.0.1:PORT`): for a server that must come
/// back on the same address after a restart, or a second listener.
pub fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The port of [`free_addr`].
pub fn free_port() -> u16 {
    free_addr().port()
}

/// The folder holding the workspace's built binaries (`target/debug` for `cargo test`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    // target/debug/deps/<test>-<hash> -> target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf()
}

/// The path of a workspace binary; panics with what to do when it was not built.
pub fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: build the binaries first (cargo build --workspace --bins), \
         or use the README's test command",
        p.display()
    );
    p
}

/// The standard test office ([`motcua_testkit::OfficeToml::standard`]): two services, four
/// counters, one priority class. It starts with an empty line, as the file the tests' line
/// numbers were written against did.
pub static OFFICE_CONFIG: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("\n{}", motcua_testkit::OfficeToml::standard()));

/// A temporary office: a folder with a config file and (once used) its database.
pub struct Office {
    /// The temporary folder; removed on drop.
    pub dir: tempfile::TempDir,
}

impl Office {
    /// An office using [`OFFICE_CONFIG`].
    pub fn new() -> Office {
        Office::with_config(&OFFICE_CONFIG)
    }

    /// An office whose config file holds `text`.
    pub fn with_config(text: &str) -> Office {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("motcua.toml"), text).expect("write config");
        Office { dir }
    }

    /// The config file.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("motcua.toml")
    }

    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("motcua.db")
    }

    /// A command for binary `name` with `--config` set to this office.
    pub fn command(&self, name: &str) -> Command {
        let mut c = Command::new(bin(name));
        c.arg("--config").arg(self.config());
        c.env_remove("MOTCUA_CONFIG");
        c
    }

    /// Runs binary `name` with `args` and waits for it.
    pub fn run(&self, name: &str, args: &[&str]) -> Output {
        self.command(name).args(args).output().expect("run binary")
    }

    /// Starts a `motcua-worker` (issue for `service`, then call at `counter`, in a loop; one JSON
    /// line per committed step on its piped stdout).
    pub fn worker(&self, service: &str, counter: u32) -> std::process::Child {
        std::process::Command::new(bin("motcua-worker"))
            .arg("--config")
            .arg(self.config())
            .args(["--service", service, "--counter", &counter.to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start worker")
    }

    /// Runs binary `name` with `input` on its standard input (a PIN, answers to questions).
    pub fn run_with_input(&self, name: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(name)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run binary");
        // A program that exits before reading is fine: its output says why.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes());
        child.wait_with_output().expect("wait for binary")
    }

    /// Issues a ticket for each service code in turn (`kiosk issue --json`, not printed when
    /// the office has no printer); returns the last `{"ticket": T, ...}`.
    pub fn issue(&self, services: &[&str]) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        for s in services {
            let out = self.run("kiosk", &["issue", "--service", s, "--json"]);
            assert!(
                out.status.success(),
                "kiosk issue --service {s}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            last = json(&out);
        }
        last
    }

    /// `counter call --counter N --json`: the number called.
    pub fn call(&self, counter: u32) -> String {
        let out = self.run(
            "counter",
            &["call", "--counter", &counter.to_string(), "--json"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)["ticket"]["number"].as_str().unwrap().to_string()
    }

    /// Opens the database read-only, independently of motcua's store.
    pub fn open_db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(self.db(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open database")
    }
}

impl Default for Office {
    fn default() -> Self {
        Office::new()
    }
}

/// Parses the one JSON object a `--json` command printed.
pub fn json(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {text:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The invariants every run must keep, checked straight from the database file.
///
/// Returns the number of tickets. Panics naming the broken invariant:
/// - `PRAGMA integrity_check` is ok;
/// - no duplicate number within a service and day, and each day's sequence is 1..=n (no gaps);
/// - no ticket was called by two counters (each ticket has at most one `called` event, as these
///   tests never transfer or reactivate);
/// - every ticket's events start with `issued`.
pub fn check_invariants(db: &rusqlite::Connection) -> usize {
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "integrity_check");

    let mut stmt = db
        .prepare(
            "SELECT origin_service, business_date, COUNT(*), COUNT(DISTINCT number), \
             COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM ticket GROUP BY origin_service, business_date",
        )
        .unwrap();
    let groups = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let mut total = 0;
    for (svc, day, n, numbers, seqs, min, max) in groups {
        assert_eq!(n, numbers, "duplicate number in {svc} on {day}");
        assert_eq!(n, seqs, "duplicate sequence in {svc} on {day}");
        assert_eq!(
            (min, max),
            (1, n),
            "gap in {svc} on {day}: seq {min}..={max} for {n} tickets"
        );
        total += n as usize;
    }

    let double: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM (SELECT ticket_id FROM event WHERE kind = 'called' \
             GROUP BY ticket_id HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(double, 0, "tickets called more than once");
    let unissued: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM ticket t WHERE NOT EXISTS \
             (SELECT 1 FROM event e WHERE e.ticket_id = t.id AND e.kind = 'issued')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unissued, 0, "tickets without an issued event");
    let current: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM (SELECT counter FROM ticket WHERE status IN ('called','serving') \
             GROUP BY counter HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(current, 0, "a counter with two current tickets");
    total
}
