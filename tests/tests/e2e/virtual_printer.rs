//! The virtual printer (`port = "virtual:DIR"`): real tickets as files, a failure after COMMIT
//! (exit 4, ticket kept and marked not printed, never voided), start-up recovery, reprint and
//! print-test.

use motcua_e2e::{OFFICE_CONFIG, Office, json};

fn office() -> Office {
    Office::with_config(&format!(
        "{office}\n[printer]\nport = \"virtual:tickets\"\n",
        office = OFFICE_CONFIG.as_str()
    ))
}

fn files(office: &Office, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(office.dir.path().join("tickets"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext) && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn today(office: &Office) -> String {
    let q = json(&office.run("counter", &["queue", "--json"]));
    q["business_date"].as_str().unwrap().to_string()
}

#[test]
fn tickets_become_files_with_a_picture() {
    let office = office();
    let v = json(&office.run("kiosk", &["issue", "--service", "TP", "--json"]));
    assert_eq!(v["printed"], true);
    let bins = files(&office, ".bin");
    assert_eq!(bins.len(), 1);
    assert!(bins[0].contains("-TP-1001-"), "{bins:?}");
    let bytes = std::fs::read(office.dir.path().join("tickets").join(&bins[0])).unwrap();
    assert!(bytes.starts_with(&[0x1b, 0x40]) && bytes.ends_with(&[0x1d, 0x56, 0x42, 0x00]));
    let png = std::fs::read(
        office
            .dir
            .path()
            .join("tickets")
            .join(bins[0].replace(".bin", ".png")),
    )
    .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // --no-print issues without a file.
    let v = json(&office.run(
        "kiosk",
        &["issue", "--service", "TP", "--no-print", "--json"],
    ));
    assert_eq!(v["printed"], false);
    assert_eq!(files(&office, ".bin").len(), 1);
}

/// #17.17: a ticket whose print failed after COMMIT (exit 4: the citizen or the caller was told
/// the number) stays in the queue through `kiosk recover`; only a ticket that never reached
/// the printer (a kiosk killed in between) is voided, and a voided ticket is never reprinted.
#[test]
fn failure_after_commit_exits_4_keeps_the_ticket_through_recovery() {
    let office = office();
    let day = today(&office);
    // Make the virtual printer's write fail for the first ticket: its file name is a folder.
    let blocker = office
        .dir
        .path()
        .join(format!("tickets/{day}-TP-1001-1.bin"));
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let v = json(&out);
    assert_eq!(
        (v["printed"].as_bool(), v["ticket"]["number"].as_str()),
        (Some(false), Some("1001"))
    );
    assert!(err.contains("kiosk reprint --number 1001"), "{err}");
    let db = office.open_db();
    let (status, pending, printed): (String, i64, Option<i64>) = db
        .query_row(
            "SELECT status, print_pending, printed_at FROM ticket WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), pending, printed), ("waiting", 2, None));
    drop(db);

    // The next ticket prints normally; a third is left as a kiosk killed between COMMIT and
    // the printer leaves it.
    for _ in 0..2 {
        let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
        assert_eq!(out.status.code(), Some(0));
    }
    rusqlite::Connection::open(office.db())
        .unwrap()
        .execute(
            "UPDATE ticket SET print_pending = 1, printed_at = NULL WHERE id = 3",
            [],
        )
        .unwrap();
    let out = office.run("kiosk", &["recover"]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Số 1001 chưa in được nhưng vẫn giữ chỗ"),
        "{said}"
    );
    assert!(said.contains("Đã hủy số 1003 (chưa được in)"), "{said}");
    let db = office.open_db();
    let voided: Vec<i64> = db
        .prepare("SELECT ticket_id FROM event WHERE kind = 'voided'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(voided, [3]);
    let statuses: Vec<String> = db
        .prepare("SELECT status FROM ticket ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(statuses, ["waiting", "waiting", "cancelled"]);
    drop(db);
    // A kiosk start-up (another recover) keeps 1001 again; the voided one is never reprinted.
    let out = office.run("kiosk", &["recover"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1001"));
    std::fs::remove_dir_all(&blocker).unwrap();
    let out = office.run("kiosk", &["reprint", "--number", "1003"]);
    assert!(!out.status.success(), "a voided ticket is not reprinted");
    assert!(
        office
            .run("kiosk", &["reprint", "--number", "1001"])
            .status
            .success(),
        "the kept one is"
    );
    let out = office.run("kiosk", &["recover"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Không có phiếu nào bị sót"));
}

#[test]
fn recover_with_reprint_prints_the_lost_ticket() {
    let office = office();
    let day = today(&office);
    let blocker = office
        .dir
        .path()
        .join(format!("tickets/{day}-TP-1001-1.bin"));
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    assert_eq!(
        office
            .run("kiosk", &["issue", "--service", "TP"])
            .status
            .code(),
        Some(4)
    );
    std::fs::remove_dir_all(&blocker).unwrap();
    let out = office.run("kiosk", &["recover", "--reprint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        files(&office, ".bin")
            .iter()
            .any(|f| f.contains("-TP-1001-1"))
    );
    let pending: i64 = office
        .open_db()
        .query_row("SELECT print_pending FROM ticket WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(pending, 0);
}

#[test]
fn reprint_and_print_test() {
    let office = office();
    assert!(
        office
            .run("kiosk", &["issue", "--service", "DD"])
            .status
            .success()
    );
    std::fs::remove_dir_all(office.dir.path().join("tickets")).unwrap();
    let out = office.run("kiosk", &["reprint", "--number", "00001"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files(&office, ".bin").len(), 1);
    let n: i64 = office
        .open_db()
        .query_row(
            "SELECT COUNT(*) FROM event WHERE kind = 'reprinted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    let out = office.run("kiosk", &["reprint", "--number", "99999"]);
    assert_eq!(out.status.code(), Some(1));
    let out = office.run("kiosk", &["print-test"]);
    assert!(out.status.success());
    assert!(files(&office, ".bin").iter().any(|f| f == "print-test.bin"));
    std::fs::write(office.dir.path().join("tickets/fault"), "cover-open").unwrap();
    let out = office.run("kiosk", &["print-test"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nắp máy in đang mở"));
}
