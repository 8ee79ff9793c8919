//! The kiosk as a real X11 window under Xvfb: it starts, a mouse click on a service issues and
//! prints a ticket through the worker thread, and the window stays up.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use motcua_e2e::emupos::wait_for;
use motcua_e2e::{OFFICE_CONFIG, Office};

struct Killed(Child);

/// Prints the kiosk's log when the test fails, to say why.
struct DumpOnPanic(std::path::PathBuf);

impl Drop for DumpOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "kiosk log:\n{}",
                std::fs::read_to_string(&self.0).unwrap_or_default()
            );
        }
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a display number no other server holds; returns it with its guard.
/// `-noreset`: without it Xvfb resets when its last client leaves (our readiness probe), and a
/// client connecting during the reset is refused.
fn xvfb() -> (String, Killed) {
    let base = 200 + (std::process::id() % 500);
    let n = (base..base + 50)
        .find(|n| !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free X display number");
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([
            &display,
            "-screen",
            "0",
            "1920x1080x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (package xvfb, installed by scripts/setup.sh)");
    let guard = Killed(child);
    wait_for("Xvfb to accept clients", Duration::from_secs(20), || {
        Command::new("xdotool")
            .arg("getmouselocation")
            .env("DISPLAY", &display)
            .output()
            .ok()
            .filter(|o| o.status.success())
    });
    (display, guard)
}

/// Waits until the kiosk's window is up on `display`.
fn wait_window(display: &str) {
    wait_for("the kiosk window", Duration::from_secs(30), || {
        Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "motcua kiosk"])
            .env("DISPLAY", display)
            .output()
            .ok()
            .filter(|o| o.status.success())
    });
}

/// Clicks the first service button ("Tư pháp - Hộ tịch"), in the top-left quarter of the grid:
/// at a height inside it whether or not a banner (the printer, an unsynchronised clock) pushes
/// the grid down.
fn tap_first_service(display: &str) {
    let click = Command::new("xdotool")
        .args(["mousemove", "480", "470", "click", "1"])
        .env("DISPLAY", display)
        .status()
        .unwrap();
    assert!(click.success());
}

#[test]
fn a_click_on_the_real_window_issues_and_prints() {
    let office = Office::with_config(&format!(
        "{office}\n[printer]\nport = \"virtual:tickets\"\n",
        office = OFFICE_CONFIG.as_str()
    ));
    let (display, _x) = xvfb();
    let kiosk = office
        .command("kiosk")
        .arg("--windowed")
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(office.dir.path().join("kiosk.log")).unwrap())
        .spawn()
        .expect("start the kiosk");
    let mut kiosk = Killed(kiosk);
    let log = office.dir.path().join("kiosk.log");
    let _dump = DumpOnPanic(log);
    wait_window(&display);
    let db_has_schema = || {
        office.db().exists()
            && office
                .open_db()
                .query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get::<_, i64>(0))
                .is_ok()
    };
    wait_for("the kiosk's database", Duration::from_secs(10), || {
        db_has_schema().then_some(())
    });
    tap_first_service(&display);
    let number: String = wait_for(
        "the ticket in the database",
        Duration::from_secs(20),
        || {
            office
                .open_db()
                .query_row(
                    "SELECT number FROM ticket WHERE printed_at IS NOT NULL",
                    [],
                    |r| r.get(0),
                )
                .ok()
        },
    );
    assert_eq!(number, "1001");
    let printed = std::fs::read_dir(office.dir.path().join("tickets"))
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains("-TP-1001-"));
    assert!(printed, "the virtual printer received the ticket");
    // SIGTERM (systemd stopping the kiosk) closes the window cleanly.
    let child = std::mem::replace(&mut kiosk.0, Command::new("true").spawn().unwrap());
    let (status, took) = crate::shutdown::terminate(child);
    assert!(status.success(), "the kiosk exited with {status}");
    assert!(
        took <= crate::shutdown::STOP_WITHIN,
        "the kiosk took {took:?} to stop"
    );
}

#[test]
fn a_kiosk_meeting_an_older_schema_waits_for_the_server_and_starts_once_it_migrated() {
    let office = Office::with_config(&format!(
        "{office}\n[printer]\nport = \"virtual:tickets\"\n",
        office = OFFICE_CONFIG.as_str()
    ));
    let old = motcua::store::SCHEMA_VERSION - 1;
    motcua::store::create_at_version(&office.db(), old).unwrap();
    let version = || {
        office
            .open_db()
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };

    // A one-shot command refuses, naming what to do.
    let out = office.run("kiosk", &["issue", "--service", "TP", "--no-print"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("máy chủ chưa được cập nhật") && err.contains("counter migrate"),
        "{err}"
    );

    // The touchscreen waits, saying so, and writes nothing.
    let (display, _x) = xvfb();
    let log = office.dir.path().join("kiosk.log");
    let kiosk = office
        .command("kiosk")
        .arg("--windowed")
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start the kiosk");
    let _kiosk = Killed(kiosk);
    let _dump = DumpOnPanic(log.clone());
    wait_for("the kiosk to say it waits", Duration::from_secs(20), || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("Máy chủ chưa được cập nhật")
            .then_some(())
    });
    assert_eq!(version(), old, "the kiosk did not migrate");

    let out = office.run("counter", &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(version(), motcua::store::SCHEMA_VERSION);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("từ phiên bản {old} lên")), "{said}");
    let backups: Vec<String> = std::fs::read_dir(office.dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        backups.len() == 1 && backups[0].ends_with(&format!("-v{old}.db")),
        "{backups:?}"
    );

    // Woken by the migration, the kiosk opens its window and issues.
    wait_window(&display);
    assert!(std::fs::read_to_string(&log).unwrap().contains("tiếp tục"));
    tap_first_service(&display);
    let number: String = wait_for("the ticket", Duration::from_secs(20), || {
        office
            .open_db()
            .query_row("SELECT number FROM ticket", [], |r| r.get(0))
            .ok()
    });
    assert_eq!(number, "1001");
}
