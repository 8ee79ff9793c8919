//! `counter init`: the first run, answered by a script in Vietnamese, writes a config every
//! program loads and the first supervisor; bad answers are asked again; re-running it edits the
//! file, keeping what it does not ask about.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use motcua_e2e::bin;

/// `counter --config PATH init` with `answers` piped in, one per line.
fn init(path: &Path, answers: &[&str]) -> Output {
    let mut child = Command::new(bin("counter"))
        .arg("--config")
        .arg(path)
        .arg("init")
        .env_remove("MOTCUA_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = answers.join("\n");
    input.push('\n');
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_scripted_first_run_writes_a_config_that_loads_and_asks_bad_answers_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motcua.toml");
    let out = init(
        &path,
        &[
            "Trung tâm Phục vụ hành chính công xã Tân Hòa",
            "1,3,99", // 99 is not in the list: asked again
            "1,3",
            "Quốc phòng - An ninh",
            "",
            "ba", // not a number: asked again
            "2",
            "1,2",
            "3",
            "tcp://", // not a printer address: asked again
            "không",
            "Lan Nguyen", // a space is not allowed in a login: asked again
            "lan.nt",
            "246810",
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for prompt in [
        "1. Tên cơ quan",
        "2. Các lĩnh vực tiếp nhận hồ sơ",
        "Tư pháp - Hộ tịch",
        "3. Số quầy tiếp nhận",
        "Quầy 2 phục vụ lĩnh vực",
        "4. Máy in phiếu",
        "5. Tài khoản trưởng bộ phận",
    ] {
        assert!(said.contains(prompt), "no prompt {prompt:?} in:\n{said}");
    }
    assert_eq!(said.matches("Vui lòng nhập lại").count(), 4, "{said}");
    assert!(said.contains("99 không có trong danh sách"), "{said}");
    assert!(said.contains("cổng 'tcp://' không dùng được"), "{said}");

    let cfg = motcua::Config::load(Some(&path)).unwrap();
    assert_eq!(
        cfg.office.name,
        "Trung tâm Phục vụ hành chính công xã Tân Hòa"
    );
    let services: Vec<(&str, &str, u32)> = cfg
        .services
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str(), s.first_number))
        .collect();
    assert_eq!(
        services,
        [
            ("TP", "Tư pháp - Hộ tịch", 1001),
            ("DD", "Đất đai", 2001),
            ("QPAN", "Quốc phòng - An ninh", 3001)
        ]
    );
    let counters: Vec<(u32, Vec<String>)> = cfg
        .counters
        .iter()
        .map(|c| (c.number, c.services.clone()))
        .collect();
    assert_eq!(
        counters,
        [
            (1, vec!["TP".to_string(), "DD".to_string()]),
            (2, vec!["QPAN".to_string()])
        ]
    );
    assert!(cfg.printer.is_none());
    assert_eq!(
        cfg.office.database,
        dir.path().join("motcua.db"),
        "a new config outside /etc keeps its database beside it"
    );
    let store = motcua::Store::open(&cfg).unwrap();
    let lan = store.officer("lan.nt").unwrap().expect("the supervisor");
    assert_eq!(lan.role, motcua::config::Role::Supervisor);
    assert!(motcua::secret::verify("246810", &lan.pin_hash));
    drop(store);

    // Every program reads it: the kiosk issues from it.
    let issued = Command::new(bin("kiosk"))
        .arg("--config")
        .arg(&path)
        .args(["issue", "--service", "QPAN", "--no-print", "--json"])
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", text(&issued));
    assert!(String::from_utf8_lossy(&issued.stdout).contains("\"number\":\"3001\""));

    // Re-running edits: a hand-written comment and section survive, Enter keeps every answer,
    // one counter is dropped, a printer is set, the supervisor keeps their PIN.
    let mut edited = std::fs::read_to_string(&path).unwrap();
    edited.push_str(
        "\n# Trang tra cứu cho công dân\n[status]\nbase_url = \"http://192.168.1.10:8080\"\n",
    );
    std::fs::write(&path, &edited).unwrap();
    let out = init(
        &path,
        &["", "", "", "1", "", "tcp://192.168.1.50:9100", "", ""],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("[Trung tâm Phục vụ hành chính công xã Tân Hòa]"));
    let again = std::fs::read_to_string(&path).unwrap();
    assert!(again.contains("# Trang tra cứu cho công dân"), "{again}");
    let cfg = motcua::Config::load(Some(&path)).unwrap();
    assert_eq!(
        cfg.office.name,
        "Trung tâm Phục vụ hành chính công xã Tân Hòa"
    );
    assert_eq!(cfg.services.len(), 3);
    assert_eq!(cfg.services[2].first_number, 3001, "numbering kept");
    assert_eq!(cfg.counters.len(), 1);
    assert_eq!(cfg.counters[0].services, ["TP", "DD"]);
    assert!(cfg.status.is_some(), "the hand-written [status] is kept");
    assert_eq!(
        cfg.printer.as_ref().unwrap().port,
        "tcp://192.168.1.50:9100"
    );
    let store = motcua::Store::open(&cfg).unwrap();
    assert!(motcua::secret::verify(
        "246810",
        &store.officer("lan.nt").unwrap().unwrap().pin_hash
    ));
}

#[test]
fn answers_that_end_early_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motcua.toml");
    let out = init(
        &path,
        &["Trung tâm Phục vụ hành chính công phường Hòa Khê", "1"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("nothing was written"), "{}", text(&out));
    assert!(!path.exists());
}
