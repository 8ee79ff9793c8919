//! The command line as scripts see it: JSON shapes, exit codes, and one clear stderr line for
//! every kind of bad config and bad usage (CONTRACT.md).

use std::process::Output;

use motcua_e2e::{OFFICE_CONFIG, Office, json};

/// Asserts exit code `code`, nothing on stdout, and exactly one stderr line containing `needle`.
fn check_fails(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "want one line, got: {err}"
    );
    assert!(err.contains(needle), "'{err}' lacks '{needle}'");
}

fn bad_config(from: &str, to: &str) -> Office {
    assert!(OFFICE_CONFIG.contains(from), "{from}");
    Office::with_config(&OFFICE_CONFIG.replacen(from, to, 1))
}

#[test]
fn bad_config_kinds_each_exit_2_with_one_line_naming_key_and_line() {
    let cases = [
        (bad_config("reset_at", "reset_time"), "line 6"),
        (
            bad_config("\"Asia/Ho_Chi_Minh\"", "\"Mars/Base\""),
            "office.timezone",
        ),
        (bad_config("\"00:00\"", "\"8h\""), "office.reset_at"),
        (
            bad_config("services = [\"TP\"]", "services = [\"XY\"]"),
            "unknown service 'XY'",
        ),
        (bad_config("number = 2", "number = 1"), "used twice"),
        (bad_config("code = \"DD\"", "code = \"TP\""), "used twice"),
        (bad_config("digits = 4", "digits = \"4\""), "line 12"),
        (bad_config("[[services]]", "[[service]]"), "service"),
        (Office::with_config("this is not toml"), "line 1"),
    ];
    for (office, needle) in &cases {
        for bin in [
            ["kiosk", "issue"],
            ["counter", "queue"],
            ["display-board", "state"],
        ] {
            let mut args = vec![bin[1]];
            if bin[1] == "issue" {
                args.extend(["--service", "TP"]);
            }
            let out = office.run(bin[0], &args);
            check_fails(&out, 2, needle);
            assert!(
                !office.db().exists(),
                "a bad config must not create a database"
            );
        }
    }
}

#[test]
fn missing_config_file_exit_2_says_what_to_do() {
    let office = Office::new();
    let out = std::process::Command::new(motcua_e2e::bin("kiosk"))
        .args([
            "--config",
            "/nonexistent/motcua.toml",
            "issue",
            "--service",
            "TP",
        ])
        .current_dir(office.dir.path())
        .output()
        .unwrap();
    check_fails(&out, 2, "MOTCUA_CONFIG");
}

#[test]
fn config_from_environment_variable() {
    let office = Office::new();
    let out = std::process::Command::new(motcua_e2e::bin("kiosk"))
        .args(["issue", "--service", "TP", "--json"])
        .env("MOTCUA_CONFIG", office.config())
        .current_dir(office.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["ticket"]["number"], "1001");
}

#[test]
fn bad_usage_exit_2_one_line() {
    let office = Office::new();
    let cases: [(&str, &[&str], &str); 16] = [
        ("kiosk", &["issue"], "--service"),
        ("kiosk", &["issue", "--servic", "TP"], "--servic"),
        ("kiosk", &["print", "--service", "TP"], "print"),
        (
            "kiosk",
            &["issue", "--service", "XX"],
            "unknown service 'XX'",
        ),
        (
            "kiosk",
            &["issue", "--service", "TP", "--priority", "vip"],
            "unknown priority class 'vip'",
        ),
        ("counter", &["call", "--counter", "three"], "three"),
        ("counter", &["call", "--counter", "9"], "unknown counter 9"),
        (
            "counter",
            &["transfer", "--counter", "1", "--to", "ZZ"],
            "unknown service 'ZZ'",
        ),
        (
            "counter",
            &["call-number", "--counter", "1", "--number", " "],
            "--number",
        ),
        ("counter", &["serve", "--listen", "8080"], "--listen '8080'"),
        (
            "counter",
            &["device-token", "--name", "Bảng 1"],
            "--name 'Bảng 1'",
        ),
        (
            "counter",
            &["device-token", "--name", "b1", "--role", "printer"],
            "--role 'printer'",
        ),
        (
            "counter",
            &["device-token", "--name", "t3", "--role", "rating"],
            "add --counter N",
        ),
        (
            "counter",
            &["device-token", "--name", "b1", "--counter", "3"],
            "--counter goes with --role rating",
        ),
        (
            "display-board",
            &["--server", "192.168.1.10", "follow"],
            "--server '192.168.1.10'",
        ),
        (
            "display-board",
            &["--server", "http://192.168.1.10:8080", "follow"],
            "MOTCUA_DEVICE_TOKEN",
        ),
    ];
    for (bin, args, needle) in cases {
        check_fails(&office.run(bin, args), 2, needle);
    }
}

#[test]
fn expected_conditions_have_their_own_codes() {
    let office = Office::new();
    // Nobody waiting is not an error.
    let out = office.run("counter", &["call", "--counter", "1", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out), serde_json::json!({ "ticket": null }));
    // Finishing with nothing called is an error, but not a usage error.
    check_fails(
        &office.run("counter", &["finish", "--counter", "1"]),
        1,
        "no current ticket",
    );
    check_fails(
        &office.run(
            "counter",
            &["reactivate", "--counter", "1", "--number", "1001"],
        ),
        1,
        "no ticket numbered '1001'",
    );
}

#[test]
fn json_shapes_and_a_whole_lifecycle_from_the_command_line() {
    let office = Office::new();
    let a = json(&office.run("kiosk", &["issue", "--service", "TP", "--json"]));
    assert_eq!(a["printed"], false);
    let t = &a["ticket"];
    assert!(t["id"].is_i64());
    assert_eq!(t["number"], "1001");
    assert_eq!(t["service"], "TP");
    assert_eq!(t["priority"], serde_json::Value::Null);
    assert_eq!(t["status"], "waiting");
    assert_eq!(t["waiting_ahead"], 0);
    assert!(t.get("status_url").is_none(), "no [status] configured");
    let issued_at = t["issued_at"].as_str().unwrap();
    assert!(issued_at.ends_with("+07:00"), "{issued_at}");
    let p = json(&office.run(
        "kiosk",
        &[
            "issue",
            "--service",
            "TP",
            "--priority",
            "elderly",
            "--json",
        ],
    ));
    assert_eq!(p["ticket"]["priority"], "elderly");

    let run = |args: &[&str]| {
        let out = office.run("counter", args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)["ticket"].clone()
    };
    let c = run(&["call", "--counter", "3", "--json"]);
    assert_eq!(
        (c["number"].as_str(), c["counter"].as_u64()),
        (Some("1002"), Some(3))
    );
    assert_eq!(run(&["recall", "--counter", "3", "--json"])["recalls"], 1);
    assert_eq!(
        run(&["no-show", "--counter", "3", "--json"])["status"],
        "no_show"
    );
    assert_eq!(
        run(&["reactivate", "--counter", "3", "--number", "1002", "--json"])["status"],
        "waiting"
    );
    assert_eq!(
        run(&[
            "call-number",
            "--counter",
            "1",
            "--number",
            "1001",
            "--json"
        ])["status"],
        "called"
    );
    assert_eq!(
        run(&["start", "--counter", "1", "--json"])["status"],
        "serving"
    );
    let moved = run(&["transfer", "--counter", "1", "--to", "DD", "--json"]);
    assert_eq!(
        (moved["service"].as_str(), moved["status"].as_str()),
        (Some("DD"), Some("waiting"))
    );
    assert_eq!(run(&["call", "--counter", "4", "--json"])["number"], "1001");
    assert_eq!(run(&["hold", "--counter", "4", "--json"])["status"], "held");
    assert_eq!(
        run(&["unhold", "--counter", "4", "--number", "1001", "--json"])["status"],
        "waiting"
    );
    assert_eq!(
        run(&["cancel", "--counter", "4", "--number", "1001", "--json"])["status"],
        "cancelled"
    );
    assert_eq!(run(&["call", "--counter", "3", "--json"])["number"], "1002");
    assert_eq!(
        run(&["finish", "--counter", "3", "--json"])["status"],
        "done"
    );

    let q = office.run("counter", &["queue", "--json"]);
    let q = json(&q);
    assert_eq!(
        q["waiting"][0],
        serde_json::json!({"service": "TP", "waiting": 0})
    );
    assert!(q["last_event_id"].as_i64().unwrap() >= 14);
    let text = String::from_utf8(office.run("counter", &["queue"]).stdout).unwrap();
    assert!(text.contains("Tư pháp - Hộ tịch"), "{text}");
}

#[test]
fn help_works_everywhere() {
    let office = Office::new();
    for (bin, args) in [
        ("kiosk", vec!["--help"]),
        ("kiosk", vec!["issue", "--help"]),
        ("counter", vec!["--help"]),
        ("counter", vec!["call", "--help"]),
        ("display-board", vec!["--help"]),
    ] {
        let out = office.run(bin, &args);
        assert_eq!(out.status.code(), Some(0), "{bin} {args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
    }
}

#[test]
fn officer_accounts_store_only_a_hash() {
    let office = Office::new();
    let add = office.run_with_input(
        "counter",
        &["user", "add", "--login", "lan", "--role", "supervisor"],
        "246810\n",
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let (hash, role): (String, String) = office
        .open_db()
        .query_row(
            "SELECT pin_hash, role FROM officer WHERE login = 'lan'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("246810"));
    assert_eq!(role, "supervisor");
    check_fails(
        &office.run_with_input("counter", &["user", "add", "--login", "lan"], "135790\n"),
        2,
        "already exists",
    );
    check_fails(
        &office.run_with_input("counter", &["user", "add", "--login", "an"], "12\n"),
        2,
        "at least 6 digits",
    );
    check_fails(
        &office.run_with_input(
            "counter",
            &["user", "add", "--login", "an", "--role", "boss"],
            "246810\n",
        ),
        2,
        "--role",
    );
    check_fails(
        &office.run("counter", &["user", "disable", "--login", "nobody"]),
        2,
        "no officer 'nobody'",
    );
    assert!(
        office
            .run("counter", &["user", "disable", "--login", "lan"])
            .status
            .success()
    );
    let list = String::from_utf8(office.run("counter", &["user", "list"]).stdout).unwrap();
    assert!(list.contains("lan") && list.contains("đã khóa"), "{list}");
}

/// Secrets are never taken on the command line: PINs come from standard input (or a prompt
/// without echo at a terminal).
#[test]
fn pins_come_from_standard_input_never_from_the_command_line() {
    let office = Office::new();
    assert!(office.run("counter", &["queue"]).status.success());
    let on_cli = office.run(
        "counter",
        &["user", "add", "--login", "lan", "--pin", "246810"],
    );
    assert_eq!(on_cli.status.code(), Some(2));
    let none: i64 = office
        .open_db()
        .query_row("SELECT COUNT(*) FROM officer", [], |r| r.get(0))
        .unwrap_or(0);
    assert_eq!(none, 0);
    check_fails(
        &office.run_with_input("counter", &["user", "add", "--login", "lan"], ""),
        2,
        "standard input",
    );
    let add = office.run_with_input("counter", &["user", "add", "--login", "lan"], "246810\n");
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let set = office.run_with_input(
        "counter",
        &["user", "set-pin", "--login", "lan"],
        "97531086\n",
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let hash: String = office
        .open_db()
        .query_row(
            "SELECT pin_hash FROM officer WHERE login = 'lan'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(motcua::secret::verify("97531086", &hash));

    let out = office.run_with_input("kiosk", &["hash-pin"], "2468\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h = String::from_utf8(out.stdout).unwrap();
    assert!(motcua::secret::verify("2468", h.trim()), "{h}");
    assert_eq!(
        office
            .run("kiosk", &["hash-pin", "--pin", "2468"])
            .status
            .code(),
        Some(2)
    );
}

/// #14: officers by full name and job title (schema 11), for reports.
#[test]
fn officers_get_a_full_name_and_title_for_reports() {
    let office = Office::new();
    let add = office.run_with_input(
        "counter",
        &[
            "user",
            "add",
            "--login",
            "lan",
            "--name",
            " Nguyễn Thị Lan ",
            "--title",
            "Công chức Tư pháp - Hộ tịch",
        ],
        "246810\n",
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let add = office.run_with_input("counter", &["user", "add", "--login", "minh"], "246810\n");
    assert!(add.status.success());
    let list = office.run("counter", &["user", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("Nguyễn Thị Lan, Công chức Tư pháp - Hộ tịch"),
        "{text}"
    );
    let set = office.run(
        "counter",
        &[
            "user",
            "set-name",
            "--login",
            "minh",
            "--name",
            "Trần Văn Minh",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let names: Vec<(String, Option<String>, Option<String>)> = office
        .open_db()
        .prepare("SELECT login, full_name, title FROM officer ORDER BY login")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        names,
        [
            (
                "lan".to_string(),
                Some("Nguyễn Thị Lan".to_string()),
                Some("Công chức Tư pháp - Hộ tịch".to_string())
            ),
            ("minh".to_string(), Some("Trần Văn Minh".to_string()), None),
        ]
    );
    check_fails(
        &office.run(
            "counter",
            &["user", "set-name", "--login", "minh", "--name", "  "],
        ),
        2,
        "--name",
    );
    check_fails(
        &office.run(
            "counter",
            &["user", "set-name", "--login", "ghost", "--name", "X"],
        ),
        2,
        "no officer 'ghost'",
    );
}
