//! #11: the kiosk as its own box on the LAN. `counter serve` on the office host and
//! `kiosk --server URL` with its own printer (emupos on TCP) are separate processes with
//! separate folders: the server numbers and commits, the kiosk prints and reports back; while
//! the server is down the kiosk issues nothing and says so; after the restart it works again.

use std::time::Duration;

use motcua_e2e::console::{Server, add_device, device_request, serve_on};
use motcua_e2e::emupos::{Emupos, wait_for};
use motcua_e2e::{OFFICE_CONFIG, Office, json};

/// The kiosk box: the office's config with its own printer, in a folder of its own (its
/// `[office] database` names a file that must never appear: the queue is on the server).
fn kiosk_box(printer: &str) -> Office {
    Office::with_config(&format!(
        "{}\n[printer]\nport = \"{printer}\"\n",
        OFFICE_CONFIG.as_str()
    ))
}

fn kiosk(k: &Office, server: &str, token: &str, args: &[&str]) -> std::process::Output {
    k.command("kiosk")
        .args(["--server", server])
        .args(args)
        .env("MOTCUA_DEVICE_TOKEN", token)
        .output()
        .unwrap()
}

/// `kiosk --server … issue --service TP`, which must succeed and print: the number.
fn issue_printed(k: &Office, server: &Server, token: &str) -> String {
    let out = kiosk(
        k,
        &server.base,
        token,
        &["issue", "--service", "TP", "--json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["printed"], true);
    v["ticket"]["number"].as_str().unwrap().to_string()
}

fn count(office: &Office, sql: &str) -> i64 {
    office.open_db().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn waiting_tp(server: &Server, board: &str) -> u64 {
    let (status, state) = device_request(server, board, "/api/state", None);
    assert_eq!(status, 200, "{state}");
    state["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["service"] == "TP")
        .map(|w| w["waiting"].as_u64().unwrap())
        .unwrap()
}

#[test]
fn a_kiosk_on_the_lan_issues_through_the_server_and_prints_on_its_own_printer() {
    let office = Office::new();
    let token = add_device(&office, "kiosk-door", "kiosk");
    let other = add_device(&office, "kiosk-hall", "kiosk");
    let board = add_device(&office, "board-hall", "board");
    let addr = motcua_e2e::free_addr().to_string();
    let server = serve_on(&office, &addr);
    let emu = Emupos::start();
    let k = kiosk_box(&emu.tcp());

    // A ticket: numbered on the server, printed here, `printed` recorded on the server.
    assert_eq!(waiting_tp(&server, &board), 0);
    let number = issue_printed(&k, &server, &token);
    let receipts = emu.wait_receipts(1);
    assert!(receipts[0].1.lines().any(|l| l.trim() == number));
    let (printed, pending, by): (bool, i64, String) = office
        .open_db()
        .query_row(
            "SELECT printed_at IS NOT NULL, print_pending, issued_by FROM ticket WHERE number = ?1",
            [&number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((printed, pending, by.as_str()), (true, 0, "kiosk-door"));
    assert_eq!(
        waiting_tp(&server, &board),
        1,
        "the board sees the count change"
    );
    let printer: String = office
        .open_db()
        .query_row(
            "SELECT status FROM device_status WHERE device = 'printer:kiosk-door'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(printer, "ready", "staff see this kiosk's printer");

    // Paper out at the kiosk: exit 3, nothing issued on the server.
    emu.fault("paper-out", true);
    let before = count(&office, "SELECT COUNT(*) FROM ticket");
    let out = kiosk(
        &k,
        &server.base,
        &token,
        &["issue", "--service", "TP", "--json"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(count(&office, "SELECT COUNT(*) FROM ticket"), before);
    emu.fault("paper-out", false);

    // Staff reprint over the API.
    let out = kiosk(&k, &server.base, &token, &["reprint", "--number", &number]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    emu.wait_receipts(2);
    assert_eq!(
        count(
            &office,
            "SELECT COUNT(*) FROM event WHERE kind = 'reprinted'"
        ),
        1
    );

    // A kiosk that died between COMMIT and its printer (a print-pending ticket of its own) is
    // voided at its recovery; another kiosk's pending ticket is left alone.
    let (s, mine) = device_request(
        &server,
        &token,
        "/api/tickets",
        Some(serde_json::json!({"service": "DD", "print": true})),
    );
    assert_eq!(s, 200, "{mine}");
    let (s, theirs) = device_request(
        &server,
        &other,
        "/api/tickets",
        Some(serde_json::json!({"service": "DD", "print": true})),
    );
    assert_eq!(s, 200, "{theirs}");
    let out = kiosk(&k, &server.base, &token, &["recover"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mine = mine["ticket"]["number"].as_str().unwrap();
    assert!(text.contains(&format!("Đã hủy số {mine}")), "{text}");
    assert_eq!(text.lines().count(), 1, "only its own ticket: {text}");
    let theirs_status: String = office
        .open_db()
        .query_row(
            "SELECT status FROM ticket WHERE id = ?1",
            [theirs["ticket"]["id"].as_i64().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(theirs_status, "waiting");

    // The server goes away: the kiosk refuses with one line and issues nothing.
    drop(server);
    let tickets = count(&office, "SELECT COUNT(*) FROM ticket");
    let receipts = emu.receipts().len();
    let out = kiosk(
        &k,
        &format!("http://{addr}"),
        &token,
        &["issue", "--service", "TP", "--json"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no ticket JSON");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot reach the office server") && err.contains("no ticket was issued"),
        "{err}"
    );
    assert_eq!(count(&office, "SELECT COUNT(*) FROM ticket"), tickets);
    assert_eq!(emu.receipts().len(), receipts, "nothing printed");

    // Back: it works again, with no restart of the kiosk needed.
    let server = serve_on(&office, &addr);
    let n2 = issue_printed(&k, &server, &token);
    let r = wait_for(
        "the ticket after the restart",
        Duration::from_secs(20),
        || {
            emu.receipts()
                .into_iter()
                .find(|(_, t, _)| t.lines().any(|l| l.trim() == n2))
        },
    );
    assert_eq!(r.2, "cut");
    assert_eq!(waiting_tp(&server, &board), 2);

    // A wrong token is refused as a usage error; the kiosk box never had a database.
    let out = kiosk(
        &k,
        &server.base,
        "kiosk-door.0000",
        &["issue", "--service", "TP"],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!k.db().exists(), "the kiosk box opened no database");
}
