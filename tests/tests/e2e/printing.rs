//! `kiosk issue` against a real ESC/POS emulator on a pty (emupos): the decoded receipt, the
//! printer faults that must stop issuing, and recovery when the fault clears — no restart needed.

use motcua_e2e::emupos::Emupos;
use motcua_e2e::{OFFICE_CONFIG, Office, json};

fn office_with_printer(port: &str) -> Office {
    Office::with_config(&format!(
        "{office}\n[printer]\nport = \"{port}\"\nbaud = 9600\nfooter = \"Xin cảm ơn!\"\n\n[status]\nbase_url = \"http://192.168.1.10:8080\"\n",
        office = OFFICE_CONFIG.as_str()
    ))
}

fn tickets_in_db(office: &Office) -> i64 {
    if !office.db().exists() {
        return 0;
    }
    office
        .open_db()
        .query_row("SELECT COUNT(*) FROM ticket", [], |r| r.get(0))
        .unwrap()
}

/// Reads the emulator's picture of the receipt back with tesseract (Vietnamese) and checks the
/// raster lines are there: an independent smoke check beside the golden bitmaps.
fn ocr_smoke_check(png: &[u8], expected: &[&str]) {
    use unicode_normalization::UnicodeNormalization;
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("receipt.png");
    std::fs::write(&img, png).unwrap();
    let out = std::process::Command::new("tesseract")
        .arg(&img)
        .args(["-", "-l", "vie"])
        .output()
        .expect("tesseract (tesseract-ocr, installed by scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text: String = String::from_utf8_lossy(&out.stdout).nfc().collect();
    for line in expected {
        assert!(
            text.lines().any(|l| l.trim() == *line),
            "OCR did not read {line:?} in:\n{text}"
        );
    }
}

#[test]
fn issue_prints_on_the_emulator_and_faults_refuse_without_issuing() {
    let emu = Emupos::start();
    let office = office_with_printer(&emu.port().display().to_string());
    prints_and_refuses_on_faults(&emu, &office, true);
}

/// #11: the same checks on a LAN printer (emupos's TCP port, as a printer's raw port 9100).
#[test]
fn a_lan_printer_prints_and_refuses_on_faults() {
    let emu = Emupos::start();
    let office = office_with_printer(&emu.tcp());
    prints_and_refuses_on_faults(&emu, &office, false);
}

/// #11: the same checks on the `usb:` link: the printer device is opened, read and written as
/// usblp's `/dev/usb/lp0` is (one read-write character device, `poll` for every wait); here
/// the character device is the emulator's pty.
#[test]
fn a_usb_printer_device_prints_and_refuses_on_faults() {
    let emu = Emupos::start();
    let office = office_with_printer(&format!("usb:{}", emu.port().display()));
    prints_and_refuses_on_faults(&emu, &office, false);
}

/// Issues with the decoded receipt checked (OCR of its picture when `ocr`), then each fault
/// refuses with exit 3 and nothing issued, and printing resumes once it clears.
fn prints_and_refuses_on_faults(emu: &Emupos, office: &Office, ocr: bool) {
    let out = office.run(
        "kiosk",
        &[
            "issue",
            "--service",
            "TP",
            "--priority",
            "elderly",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["printed"], true);
    let number = v["ticket"]["number"].as_str().unwrap().to_string();
    let url = v["ticket"]["status_url"].as_str().unwrap().to_string();
    let receipts = emu.wait_receipts(1);
    let (_, text, boundary) = &receipts[0];
    assert!(
        text.lines().any(|l| l.trim() == number),
        "number {number} in {text:?}"
    );
    assert!(
        text.contains(&format!("[qr {url}]")),
        "QR {url} in {text:?}"
    );
    assert_eq!(boundary, "cut");
    if ocr {
        ocr_smoke_check(
            &emu.receipt_image(&receipts[0].0),
            &[
                "Tư pháp - Hộ tịch",
                "Ưu tiên: Người cao tuổi",
                "Xin cảm ơn!",
            ],
        );
    }
    let printed: Option<i64> = office
        .open_db()
        .query_row(
            "SELECT printed_at FROM ticket WHERE number = ?1",
            [&number],
            |r| r.get(0),
        )
        .unwrap();
    assert!(printed.is_some(), "ticket marked printed");

    let mut expected_receipts = 1;
    for fault in ["paper-out", "cover-open", "offline"] {
        emu.fault(fault, true);
        let before = tickets_in_db(office);
        let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{fault}: {err}");
        assert!(out.stdout.is_empty(), "{fault}: nothing on stdout");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{fault}: one line: {err}"
        );
        assert!(
            err.contains("no ticket was issued") && err.contains("vui lòng liên hệ cán bộ"),
            "{err}"
        );
        assert_eq!(
            tickets_in_db(office),
            before,
            "{fault}: no ticket in the database"
        );

        emu.fault(fault, false);
        let out = office.run("kiosk", &["issue", "--service", "DD", "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "after {fault} cleared: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n = json(&out)["ticket"]["number"].as_str().unwrap().to_string();
        expected_receipts += 1;
        let receipts = emu.wait_receipts(expected_receipts);
        assert!(
            receipts[0].1.lines().any(|l| l.trim() == n),
            "{n} printed after {fault} cleared"
        );
    }
    assert_eq!(
        emu.receipts().len(),
        expected_receipts,
        "no stale ticket printed late"
    );

    // Paper near its end still prints, with a warning for staff.
    emu.fault("paper-near-end", true);
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("paper is running low"));
    let status: String = office
        .open_db()
        .query_row(
            "SELECT status FROM device_status WHERE device = 'printer'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "paper_near_end");
}

#[test]
fn printer_switched_off_refuses_with_exit_3() {
    let emu = Emupos::start();
    let port = emu.port().display().to_string();
    let office = office_with_printer(&port);
    drop(emu);
    let out = office.run("kiosk", &["issue", "--service", "TP", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tickets_in_db(&office), 0);
    let missing = office_with_printer("/dev/ttyUSB-not-there");
    let out = missing.run("kiosk", &["issue", "--service", "TP"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/ttyUSB-not-there"));
}
