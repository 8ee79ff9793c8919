//! The wait estimate measured: `motcua-bench predict` runs each shipped scenario's office day
//! through the real store and queue core, and its error figures must meet the targets of
//! docs/prediction.md and beat the formula the kiosk used before.

use std::path::{Path, PathBuf};
use std::process::Command;

use motcua_e2e::bin;
use serde_json::Value;

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn predict(args: &[&str]) -> std::process::Output {
    Command::new(bin("motcua-bench"))
        .arg("predict")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_shipped_scenarios_meet_the_targets_and_beat_the_old_formula() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(scenarios()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            names.push(path);
        }
    }
    names.sort();
    assert_eq!(names.len(), 3, "three shipped scenarios: {names:?}");
    for path in &names {
        let out = predict(&["--scenario", path.to_str().unwrap(), "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let f = |o: &Value, k: &str| o[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(f(&v, "tickets") >= 50.0, "{name}: a day with tickets: {v}");
        // Waits up to 30 minutes: the targets.
        assert!(f(&v, "mae_min") <= 3.0, "{name}: MAE {v}");
        assert!(f(&v, "inside_share") >= 0.8, "{name}: inside the range {v}");
        assert!(f(&v, "under5_share") <= 0.1, "{name}: under-estimated {v}");
        // Better than the old formula on the same tickets.
        let b = &v["baseline"];
        assert_eq!(f(b, "tickets"), f(&v, "tickets"));
        assert!(f(&v, "mae_min") < f(b, "mae_min"), "{name}: {v}");
        assert!(f(&v, "inside_share") > f(b, "inside_share"), "{name}: {v}");
        assert!(f(&v, "under5_share") < f(b, "under5_share"), "{name}: {v}");
        // The same seed, the same day.
        let again = predict(&["--scenario", path.to_str().unwrap(), "--json"]);
        assert_eq!(again.stdout, out.stdout, "{name}: deterministic");
    }
}

#[test]
fn a_bad_scenario_is_refused_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenarios().join("quiet-commune.toml")).unwrap();
    for (bad, says) in [
        (
            text.replace("days = 4", "days = 1"),
            "days must be at least 2",
        ),
        (
            text.replace("services = [\"TP\", \"LD\"]", "services = [\"TP\", \"XX\"]"),
            "counter 1: unknown service XX",
        ),
        (
            text.replace("open = \"07:30\"", "open = \"7h30\""),
            "a time is HH:MM",
        ),
        (format!("{text}\nspeed = 3\n"), "unknown field `speed`"),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, bad).unwrap();
        let out = predict(&["--scenario", path.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains("bad.toml"),
            "{says:?} in {err}"
        );
    }
}
