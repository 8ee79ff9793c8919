//! The invariants of ARCHITECTURE.md that a look at the sources can check.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file below `dir` (relative to the workspace), with its text.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![root().join(dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources in {dir}");
    out
}

/// The files of `dir` whose code (comments aside) contains `needle`, except those under `allowed`.
fn offenders(dir: &str, needle: &str, allowed: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .filter(|(p, _)| !allowed.iter().any(|a| p.starts_with(root().join(a))))
        .filter(|(_, text)| {
            text.lines()
                .map(str::trim_start)
                .filter(|l| !l.starts_with("//"))
                .any(|l| l.contains(needle))
        })
        .map(|(p, _)| p.display().to_string())
        .collect()
}

#[test]
fn only_the_store_uses_rusqlite_in_the_library() {
    // The error enum wraps rusqlite's error in its `Database` variant, and only names it.
    let bad = offenders(
        "shared/src",
        "rusqlite",
        &["shared/src/store", "shared/src/error.rs"],
    );
    assert!(bad.is_empty(), "rusqlite outside store/: {bad:?}");
}

#[test]
fn the_queue_core_reads_no_clock_and_does_no_io() {
    for needle in [
        "Utc::now",
        "Local::now",
        "SystemTime",
        "std::fs",
        "std::io",
        "std::net",
    ] {
        let bad: Vec<_> = sources("shared/src")
            .into_iter()
            .filter(|(p, _)| p.ends_with("queue.rs"))
            .filter(|(_, t)| t.contains(needle))
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert!(bad.is_empty(), "{needle} in the queue core: {bad:?}");
    }
}

#[test]
fn the_server_reads_time_only_from_its_clock() {
    let bad = offenders("counter/src/http", "Utc::now", &[]);
    assert!(bad.is_empty(), "Utc::now in the server: {bad:?}");
}

#[test]
fn only_the_printer_adapter_opens_serial_ports() {
    for dir in [
        "shared/src",
        "kiosk/src",
        "counter/src",
        "display-board/src",
    ] {
        let bad = offenders(dir, "serialport::", &["kiosk/src/printer.rs"]);
        assert!(bad.is_empty(), "serialport outside the adapter: {bad:?}");
    }
}

#[test]
fn wire_json_is_typed_in_the_server_and_the_board() {
    for dir in ["counter/src/http", "display-board/src"] {
        let bad = offenders(dir, "json!(", &[]);
        assert!(bad.is_empty(), "hand-built JSON: {bad:?}");
    }
    let bad = offenders("display-board/src", "serde_json::Value", &[]);
    assert!(bad.is_empty(), "hand-read JSON in the board: {bad:?}");
}
