//! Golden tests of the printed ticket: exact ESC/POS bytes per layout, and exact bitmaps of the
//! Vietnamese raster lines. `UPDATE_GOLDEN=1` rewrites the files, and that run still fails so a
//! stale reference never passes silently.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use motcua::config::{Config, QrMode};
use motcua::estimate::Estimate;
use motcua::raster::{self, Face};
use motcua::ticket::{self, Block};
use motcua::{Status, Ticket};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with the golden file `name` (`UPDATE_GOLDEN=1` rewrites it and fails):
/// ESC/POS bytes exactly, PNG pictures pixel by pixel.
fn check_golden(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    let checked = if name.ends_with(".png") {
        motcua_testkit::golden::png_exact(&path, actual)
    } else {
        motcua_testkit::golden::bytes(&path, actual)
    };
    if let Err(e) = checked {
        panic!("{e}");
    }
}

fn config(width: u32, status: bool, qr: &str) -> Config {
    let mut text = motcua_testkit::OfficeToml::ticket_office()
        .office("database", "\"x.db\"")
        .build();
    text += &format!(
        "\n[printer]\nport = \"virtual:t\"\nwidth_dots = {width}\nqr = \"{qr}\"\nfooter = \"Xin cảm ơn quý công dân!\"\n"
    );
    if status {
        text += "\n[status]\nbase_url = \"http://192.168.1.10:8080\"\n";
    }
    Config::parse(&text, Path::new("/office/motcua.toml")).unwrap()
}

fn ticket(service: &str, number: &str, priority: Option<&str>) -> Ticket {
    let at = chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 9, 15, 0)
        .unwrap()
        .with_timezone(&Utc);
    Ticket {
        id: 42,
        service: service.into(),
        origin_service: service.into(),
        business_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        seq: 5,
        number: number.into(),
        priority: priority.map(str::to_string),
        status: Status::Waiting,
        queue_at: at,
        issued_at: at,
        called_at: None,
        started_at: None,
        finished_at: None,
        counter: None,
        recalls: 0,
        waiting_ahead: 7,
        token: "3f9a0c1d2e4b5a6978877665".into(),
        printed_at: None,
    }
}

/// The estimate printed on the tickets that have one.
const WAIT: Estimate = Estimate::Minutes { low: 10, high: 15 };

/// Checks one layout's bytes against `name`.bin and returns them.
fn check_layout(name: &str, cfg: &Config, t: &Ticket, wait: Option<&Estimate>) -> Vec<u8> {
    let p = cfg.printer.as_ref().unwrap();
    let blocks = ticket::layout(t, cfg, wait, p.width_dots);
    let bytes = ticket::encode_to_vec(&blocks, p.qr).unwrap();
    check_golden(&format!("{name}.bin"), &bytes);
    bytes
}

#[test]
fn golden_80mm_plain() {
    let b = check_layout(
        "ticket-80mm",
        &config(576, false, "native"),
        &ticket("TP", "1005", None),
        None,
    );
    assert!(b.starts_with(&[0x1b, 0x40]));
    assert!(b.ends_with(&[0x1d, 0x56, 0x42, 0x00]));
}

#[test]
fn golden_80mm_priority_qr() {
    let b = check_layout(
        "ticket-80mm-priority-qr",
        &config(576, true, "native"),
        &ticket("TP", "1005", Some("elderly")),
        Some(&WAIT),
    );
    let url = b"http://192.168.1.10:8080/t/3f9a0c1d2e4b5a6978877665";
    assert!(
        b.windows(url.len()).any(|w| w == url),
        "QR data in the bytes"
    );
    assert!(
        b.len() <= 4096,
        "Vietnamese 80 mm ticket with QR is {} bytes (target 4 KB)",
        b.len()
    );
}

#[test]
fn golden_58mm_plain() {
    check_layout(
        "ticket-58mm",
        &config(384, false, "native"),
        &ticket("LD", "007", None),
        None,
    );
}

#[test]
fn golden_58mm_priority_qr_raster() {
    check_layout(
        "ticket-58mm-priority-qr-raster",
        &config(384, true, "raster"),
        &ticket("LD", "007", Some("elderly")),
        Some(&Estimate::NoData),
    );
}

#[test]
fn number_is_native_large_ascii() {
    let cfg = config(576, false, "native");
    let b = check_layout("ticket-80mm", &cfg, &ticket("TP", "1005", None), None);
    // GS ! 0x33 (4x4), ESC E 1, "1005\n"
    let seq = [
        0x1d, 0x21, 0x33, 0x1b, 0x45, 1, b'1', b'0', b'0', b'5', b'\n',
    ];
    assert!(b.windows(seq.len()).any(|w| w == seq));
}

#[test]
fn long_service_name_wraps_within_58mm() {
    let cfg = config(384, false, "native");
    let blocks = ticket::layout(&ticket("LD", "007", None), &cfg, None, 384);
    let lines: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Line { text, face, px } => Some(raster::render_line(text, *face, *px)),
            _ => None,
        })
        .collect();
    assert!(lines.iter().all(|l| l.width() <= 384 - 32));
    let texts: Vec<_> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Line { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(texts.len() >= 5, "{texts:?}");
}

/// The Vietnamese lines as exact 1-bit pictures (PNG). Catches any change in font, size,
/// threshold or cropping; stacked capitals are in the set.
#[test]
fn golden_vietnamese_raster_lines() {
    let lines = [
        ("line-office", "UBND PHƯỜNG HÒA KHÊ", Face::Bold, 30.0),
        ("line-stacked", "ẤỀỖỰ ẦẨẪẬ ỀỂỄỆ ỒỔỖỘ ỪỬỮỰ", Face::Bold, 40.0),
        ("line-service", "Tư pháp - Hộ tịch", Face::Bold, 40.0),
        ("line-waiting", "Số người chờ trước: 7", Face::Regular, 28.0),
        (
            "line-wait",
            "Dự kiến chờ: khoảng 10–15 phút",
            Face::Regular,
            26.0,
        ),
    ];
    let failures: Vec<String> = lines
        .iter()
        .filter_map(|(name, text, face, px)| {
            let bmp = raster::render_line(text, *face, *px);
            let png = ticket::png(&bmp).unwrap();
            std::panic::catch_unwind(|| check_golden(&format!("{name}.png"), &png))
                .err()
                .map(|_| name.to_string())
        })
        .collect();
    assert!(failures.is_empty(), "raster lines differ: {failures:?}");
}

/// A picture of the whole ticket, for people to look at, checked like the rest.
#[test]
fn golden_preview_png() {
    let cfg = config(576, true, "native");
    let blocks = ticket::layout(
        &ticket("TP", "1005", Some("elderly")),
        &cfg,
        Some(&WAIT),
        576,
    );
    let png = ticket::png(&ticket::preview(&blocks, 576)).unwrap();
    check_golden("ticket-80mm-preview.png", &png);
}

#[test]
fn the_estimated_wait_is_one_line_after_the_people_ahead() {
    let cfg = config(576, false, "native");
    let texts = |wait: Option<&Estimate>| -> Vec<String> {
        ticket::layout(&ticket("TP", "1005", None), &cfg, wait, 576)
            .into_iter()
            .filter_map(|b| match b {
                Block::Line { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    };
    let with = texts(Some(&WAIT));
    let at = with
        .iter()
        .position(|t| t == "Số người chờ trước: 7")
        .unwrap();
    assert_eq!(with[at + 1], "Chờ khoảng 10–15 phút");
    assert!(
        texts(Some(&Estimate::NoData))
            .iter()
            .any(|t| t == "Thời gian chờ: chưa đủ dữ liệu")
    );
    assert!(
        !texts(None)
            .iter()
            .any(|t| t.contains("Chờ") || t.contains("chờ:"))
    );
}

#[test]
fn qr_mode_raster_has_no_gs_k() {
    let cfg = config(576, true, "raster");
    let blocks = ticket::layout(&ticket("TP", "1005", None), &cfg, None, 576);
    let b = ticket::encode_to_vec(&blocks, QrMode::Raster).unwrap();
    assert!(!b.windows(3).any(|w| w == [0x1d, 0x28, 0x6b]));
}

/// #17.13: an address too long for a QR code panicked after the ticket was committed; now it is
/// an error the kiosk reports as a print failure (the ticket stays in the queue).
#[test]
fn a_qr_code_that_cannot_hold_its_data_is_an_error_not_a_panic() {
    let too_long = vec![Block::Qr(format!("http://x/{}", "a".repeat(8000)))];
    let err = ticket::encode_to_vec(&too_long, QrMode::Raster).unwrap_err();
    assert!(err.to_string().contains("QR code"), "{err}");
}
