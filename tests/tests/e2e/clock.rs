//! A clock that once ran a day ahead (the office host's battery died, NTP was late): tickets
//! exist for tomorrow, so issuing today is refused with a message naming `counter clock-repair`,
//! which voids that day (after confirmation) so issuing resumes at today's first number.

use std::io::Write;
use std::process::Stdio;

use chrono::{TimeDelta, Utc};
use motcua_e2e::{Office, json};

/// `counter clock-repair --void-day DAY`, answering `answer` to its confirmation.
fn repair(office: &Office, day: &str, answer: &str) -> std::process::Output {
    let mut child = office
        .command("counter")
        .args(["clock-repair", "--void-day", day])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_day_issued_ahead_is_voided_by_clock_repair_and_issuing_resumes_at_the_first_number() {
    let office = Office::new();
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let tomorrow = (today + TimeDelta::days(1)).to_string();
    // What a clock a day ahead left behind: today's first ticket, dated tomorrow.
    office.issue(&["TP"]);
    rusqlite::Connection::open(office.db())
        .unwrap()
        .execute("UPDATE ticket SET business_date = ?1", [&tomorrow])
        .unwrap();
    let out = office.run("kiosk", &["issue", "--service", "TP", "--no-print"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("counter clock-repair --void-day {tomorrow}")),
        "{err}"
    );
    // Today is not in the future; a wrong confirmation voids nothing.
    let out = repair(&office, &today.to_string(), &today.to_string());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not after today"));
    let out = repair(&office, &tomorrow, "yes");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not confirmed"));
    let status: String = office
        .open_db()
        .query_row("SELECT status FROM ticket", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "waiting");

    let out = repair(&office, &tomorrow, &tomorrow);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 số chưa xong sẽ bị hủy") && text.contains("Đã hủy 1 số"),
        "{text}"
    );
    let (status, voided): (String, i64) = office
        .open_db()
        .query_row(
            "SELECT status, (SELECT COUNT(*) FROM event WHERE kind = 'voided') FROM ticket",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), voided), ("cancelled", 1));
    let out = office.run(
        "kiosk",
        &["issue", "--service", "TP", "--no-print", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&out)["ticket"]["number"],
        "1001",
        "today's first number"
    );
}
