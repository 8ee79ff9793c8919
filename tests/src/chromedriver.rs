//! Debian's chromedriver as a process, for the Chromium tests and `motcua-bench screens`.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// chromedriver, from Debian's `chromium-driver`.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Chromium, from Debian's `chromium`.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A running chromedriver in a process group of its own; on drop the whole group is killed,
/// the Chromium processes it started included (a test that fails before closing its browser
/// leaves nothing behind).
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (`process_group(0)` below).
        let group = -(self.0.id() as libc::pid_t);
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(group, libc::SIGKILL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a free port and waits until it says it is ready: the driver and its
/// WebDriver address.
pub fn start() -> Result<(Driver, String), String> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        return Err("Chromium and chromedriver are missing: run scripts/setup.sh (Debian packages chromium, chromium-driver)".into());
    }
    let port = crate::free_port();
    let mut child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start chromedriver: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("chromedriver stdout")?);
    let driver = Driver(child);
    let mut line = String::new();
    loop {
        line.clear();
        match out.read_line(&mut line) {
            Ok(0) | Err(_) => return Err("chromedriver ended before it was ready".into()),
            Ok(_) if line.contains("started successfully") => break,
            Ok(_) => {}
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Ok((driver, format!("http://127.0.0.1:{port}")))
}
