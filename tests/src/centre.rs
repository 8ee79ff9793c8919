//! The centre's real parts for tests: a `nats-server -js` and a PostgreSQL server from Debian's
//! packages, each on a loopback port in a temporary folder (PostgreSQL as the `postgres` user
//! when the tests run as root), stopped when dropped; and the keys and config files of a centre
//! with its offices, made by `motcua-centre` itself.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{bin, free_port};

/// Waits until `addr` accepts TCP connections, or panics naming `what` after `limit`.
fn wait_listening(port: u16, what: &str, child: &mut Child, limit: Duration) {
    let start = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(start.elapsed() < limit, "{what} is not listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(child: &mut Child) {
    // SIGTERM: both servers shut down cleanly on it.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A `nats-server` with JetStream, its store in a temporary folder.
pub struct Nats {
    /// The folder of its config and store.
    pub dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl Nats {
    /// Starts a server whose config carries `authorization` (from `motcua-centre nats-config`).
    pub fn start(authorization: &str) -> Nats {
        let dir = tempfile::tempdir().expect("temporary folder");
        let port = free_port();
        let conf = format!(
            "listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\n{authorization}",
            dir.path().join("js").display()
        );
        std::fs::write(dir.path().join("nats.conf"), conf).expect("write nats.conf");
        let mut n = Nats {
            dir,
            port,
            child: None,
        };
        n.restart();
        n
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts it again (same port, same store) after [`Nats::stop`].
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "nats-server is running");
        let mut child = Command::new("nats-server")
            .arg("-c")
            .arg(self.dir.path().join("nats.conf"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("nats.log")).expect("log"))
            .spawn()
            .expect("nats-server (Debian package nats-server; scripts/setup.sh installs it)");
        wait_listening(
            self.port,
            "nats-server",
            &mut child,
            Duration::from_secs(20),
        );
        self.child = Some(child);
    }

    /// Stops it (SIGTERM, then waits).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop(&mut c);
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL server in a temporary folder, trusting local connections of user `motcua`.
pub struct Postgres {
    /// Its data folder's parent.
    pub dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

/// The folder of Debian's PostgreSQL programs (`/usr/lib/postgresql/<version>/bin`).
fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL (Debian package postgresql; scripts/setup.sh installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/*/bin/initdb")
}

/// The uid and gid of `postgres` when the tests run as root: PostgreSQL refuses root.
fn pg_user() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("postgres").unwrap();
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !pw.is_null(),
        "running as root needs the user postgres (package postgresql)"
    );
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

fn as_pg_user(cmd: &mut Command) -> &mut Command {
    if let Some((uid, gid)) = pg_user() {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

impl Postgres {
    /// Makes a new cluster and starts it.
    pub fn start() -> Postgres {
        let dir = tempfile::tempdir().expect("temporary folder");
        if let Some((uid, gid)) = pg_user() {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let out = as_pg_user(
            Command::new(pg_bin().join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "motcua", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .env("LC_ALL", "C.UTF-8"),
        )
        .output()
        .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut p = Postgres {
            dir,
            port,
            child: None,
        };
        let mut child = as_pg_user(
            Command::new(pg_bin().join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!(
                    "unix_socket_directories={}",
                    p.dir.path().display()
                ))
                .args(["-c", "fsync=off", "-c", "max_connections=50"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(p.dir.path().join("pg.log")).expect("log")),
        )
        .spawn()
        .expect("postgres");
        wait_listening(port, "postgres", &mut child, Duration::from_secs(30));
        p.child = Some(child);
        p
    }

    /// The connection string of its database `postgres` as `motcua`.
    pub fn conn(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=motcua dbname=postgres",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop(&mut c);
        }
    }
}

/// Makes a key with `motcua-centre key`: the seed in `out`, the public key returned.
pub fn key(out: &Path) -> String {
    key_with(&bin("motcua-centre"), out)
}

/// [`key`] with the `motcua-centre` binary at `program` (the benchmark's release build).
pub fn key_with(program: &Path, out: &Path) -> String {
    let o = Command::new(program)
        .args(["key", "--out"])
        .arg(out)
        .output()
        .expect("motcua-centre key");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// A running `motcua-centre serve`.
pub struct Centre {
    /// The `motcua-centre` binary.
    pub program: PathBuf,
    /// Its config file.
    pub config: PathBuf,
    /// The leaders' page, `http://127.0.0.1:PORT`.
    pub url: String,
    child: Option<Child>,
}

impl Centre {
    /// Starts it with `config` and waits for its "listening" line.
    pub fn start(config: &Path) -> Centre {
        Centre::start_with(&bin("motcua-centre"), config)
    }

    /// [`Centre::start`] with the `motcua-centre` binary at `program`.
    pub fn start_with(program: &Path, config: &Path) -> Centre {
        let mut c = Centre {
            program: program.to_path_buf(),
            config: config.to_path_buf(),
            url: String::new(),
            child: None,
        };
        c.restart();
        c
    }

    /// Starts it again after [`Centre::kill`].
    pub fn restart(&mut self) {
        use std::io::BufRead;
        let log = self.config.with_extension("log");
        let mut child = Command::new(&self.program)
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .expect("log"),
            )
            .process_group(0)
            .spawn()
            .expect("motcua-centre serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the centre's first line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("motcua-centre serve said {line:?}"));
        self.url = addr.to_string();
        self.child = Some(child);
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.config.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Centre {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            stop(&mut c);
        }
    }
}
