//! The emupos ESC/POS printer emulator (PyPI, installed by scripts/setup.sh into .venv-emupos):
//! started per test on a pty, with its control API on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// A running emulator with one printer, `kiosk`, on a pty and on a loopback TCP port (a LAN
/// printer's raw port 9100).
pub struct Emupos {
    child: Child,
    /// Its folder (config, pty link, receipts).
    pub dir: tempfile::TempDir,
    api: String,
    tcp: u16,
}

fn emupos_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("EMUPOS") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-emupos/bin/emupos");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh (it installs the emupos printer emulator)",
        p.display()
    );
    p
}

/// Polls `f` until it returns `Some`, or panics after `limit` naming `what`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Emupos {
    /// Starts the emulator and waits until its pty and control API are up.
    pub fn start() -> Emupos {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let tcp = free_port();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        std::fs::write(
            dir.path().join("emupos.yaml"),
            format!(
                "schema: 1\napi: {{ host: 127.0.0.1, port: {port} }}\ndevices:\n  - id: kiosk\n    type: printer\n    profile: epson-tm-t20iii\n    connections:\n      - serial: {{ pty: true }}\n      - tcp: {{ host: 127.0.0.1, port: {tcp} }}\n    receipts_dir: ./receipts\n"
            ),
        )
        .unwrap();
        let child = Command::new(emupos_bin())
            .args(["run", "--config", "emupos.yaml"])
            .current_dir(dir.path())
            .env("TMPDIR", dir.path().join("tmp"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start emupos");
        let e = Emupos {
            child,
            dir,
            api: format!("http://127.0.0.1:{port}/api/v1"),
            tcp,
        };
        wait_for(
            "the emulator's pty and API",
            Duration::from_secs(30),
            || {
                (e.port().exists()
                    && e.get("/devices").is_some()
                    && std::net::TcpStream::connect(e.tcp_addr()).is_ok())
                .then_some(())
            },
        );
        e
    }

    /// The printer's TCP address, `127.0.0.1:PORT`.
    pub fn tcp_addr(&self) -> String {
        format!("127.0.0.1:{}", self.tcp)
    }

    /// `[printer] port` for the printer on TCP: `tcp://127.0.0.1:PORT`.
    pub fn tcp(&self) -> String {
        format!("tcp://{}", self.tcp_addr())
    }

    /// The pty path the printer listens on.
    pub fn port(&self) -> PathBuf {
        self.dir.path().join("tmp/emupos/kiosk")
    }

    fn get(&self, path: &str) -> Option<String> {
        let mut r = ureq::get(&format!("{}{path}", self.api)).call().ok()?;
        r.body_mut().read_to_string().ok()
    }

    /// Receipts completed so far, newest first (id, text, boundary).
    pub fn receipts(&self) -> Vec<(String, String, String)> {
        let list: serde_json::Value =
            serde_json::from_str(&self.get("/devices/kiosk/receipts").expect("receipts")).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap().to_string();
                let text = self
                    .get(&format!("/devices/kiosk/receipts/{id}/text"))
                    .expect("receipt text");
                (id, text, r["boundary"].as_str().unwrap_or("").to_string())
            })
            .collect()
    }

    /// The emulator's own picture of a receipt (PNG), rendered from the bytes it decoded.
    pub fn receipt_image(&self, id: &str) -> Vec<u8> {
        let mut r = ureq::get(&format!("{}/devices/kiosk/receipts/{id}/image", self.api))
            .call()
            .expect("receipt image");
        r.body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .expect("receipt image bytes")
    }

    /// Waits until `n` receipts are complete and returns them, newest first.
    pub fn wait_receipts(&self, n: usize) -> Vec<(String, String, String)> {
        wait_for(&format!("{n} receipts"), Duration::from_secs(20), || {
            let r = self.receipts();
            (r.len() >= n).then_some(r)
        })
    }

    /// Sets (`on`) or clears a fault: paper-out, paper-near-end, cover-open, offline.
    pub fn fault(&self, fault: &str, on: bool) {
        let url = format!("{}/devices/kiosk/faults/{fault}", self.api);
        let r = if on {
            ureq::put(&url).send_empty()
        } else {
            ureq::delete(&url).call()
        };
        r.unwrap_or_else(|e| panic!("fault {fault} {on}: {e}"));
    }
}

impl Drop for Emupos {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
