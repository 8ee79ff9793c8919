//! The staff console in a real headless Chromium (Debian's chromium + chromedriver, driven over
//! WebDriver with fantoccini): an officer signs in, calls, recalls, finishes, marks a no-show,
//! transfers and uses a keyboard shortcut; every change shows on the page, lands in the
//! database and comes out of `/api/events`.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Instant;

use fantoccini::key::Key;
use fantoccini::{Client as Browser, Locator};
use motcua_e2e::Office;
use motcua_e2e::console::{Client, add_user, serve};
use serde_json::{Value, json};

use crate::chromium::{PATIENCE, browser, chromedriver, rt, screenshot, sign_in, wait_text};

async fn click(b: &Browser, label: &str) {
    let xpath = format!("//button[starts-with(normalize-space(.), '{label}')]");
    b.find(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("no button {label:?}"))
        .click()
        .await
        .unwrap();
}

/// Follows `/api/events` as a signed-in supervisor; yields (kind, event JSON).
fn event_stream(client: &Client) -> mpsc::Receiver<(String, Value)> {
    let mut r = client
        .agent
        .get(&format!("{}/api/events", client.base))
        .header("Cookie", &client.cookie_header())
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let reader = BufReader::new(r.body_mut().as_reader());
        let mut kind = String::new();
        for line in reader.lines().map_while(Result::ok) {
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.to_string();
            } else if let Some(d) = line.strip_prefix("data: ")
                && tx
                    .send((kind.clone(), serde_json::from_str(d).unwrap()))
                    .is_err()
            {
                return;
            }
        }
    });
    rx
}

/// The next logged event of `kind` on the stream (skipping "changed" and other kinds).
fn next_event(rx: &mpsc::Receiver<(String, Value)>, kind: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (k, v) = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {kind} event on /api/events"));
        if k == kind {
            return v;
        }
    }
}

fn ticket(office: &Office, number: &str) -> (String, String, i64) {
    office
        .open_db()
        .query_row(
            "SELECT status, service, recalls FROM ticket WHERE number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn an_officer_works_the_queue_in_chromium() {
    let office = Office::new();
    add_user(&office, "lan", "246810", "officer");
    add_user(&office, "hoa", "135790", "supervisor");
    // The test watches the events as another supervisor: signing in again as hoa (in Chromium,
    // below) ends hoa's earlier session and its stream.
    add_user(&office, "thu", "135790", "supervisor");
    office.issue(&["TP", "TP", "TP", "TP"]);
    let server = serve(&office);
    let mut supervisor = Client::new(&server);
    assert_eq!(supervisor.login("thu", "135790", 0), 303);
    let events = event_stream(&supervisor);
    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let rt = rt();
    rt.block_on(async {
        let b = browser(&driver_url, profile.path()).await;
        // A wrong PIN: the form again, saying so. Then sign in at counter 1.
        sign_in(&b, &server.base, "lan", "0000", 1).await;
        wait_text(&b, "#message", "Tài khoản hoặc mã PIN không đúng").await;
        sign_in(&b, &server.base, "lan", "246810", 1).await;
        wait_text(&b, "header h1", "Quầy 1").await;
        assert!(b.current_url().await.unwrap().path().ends_with("/console"));

        // Call next: the number shows on the console and comes out of /api/events.
        click(&b, "Gọi số tiếp theo").await;
        wait_text(&b, "#number", "1001").await;
        let called = next_event(&events, "called");
        assert_eq!(
            (called["number"].as_str(), called["counter"].as_u64()),
            (Some("1001"), Some(1))
        );
        wait_text(&b, "#service", "Tư pháp - Hộ tịch").await;

        click(&b, "Gọi lại").await;
        assert_eq!(next_event(&events, "recalled")["number"], "1001");
        assert_eq!(ticket(&office, "1001").2, 1, "one recall recorded");

        click(&b, "Hoàn thành").await;
        wait_text(&b, "#number", "—").await;
        assert_eq!(next_event(&events, "finished")["number"], "1001");
        assert_eq!(ticket(&office, "1001").0, "done");

        // F1 calls the next number, as a USB keypad would.
        b.find(Locator::Css("body"))
            .await
            .unwrap()
            .send_keys(&char::from(Key::F1).to_string())
            .await
            .unwrap();
        wait_text(&b, "#number", "1002").await;
        assert_eq!(next_event(&events, "called")["number"], "1002");

        click(&b, "Vắng mặt").await;
        wait_text(&b, "#number", "—").await;
        assert_eq!(next_event(&events, "no_show")["number"], "1002");
        assert_eq!(ticket(&office, "1002").0, "no_show");

        // Transfer to another service: the citizen goes back to waiting there.
        click(&b, "Gọi số tiếp theo").await;
        wait_text(&b, "#number", "1003").await;
        b.find(Locator::Css("#to option[value='DD']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        click(&b, "Chuyển").await;
        wait_text(&b, "#number", "—").await;
        let moved = next_event(&events, "transferred");
        assert_eq!(
            (moved["number"].as_str(), moved["service"].as_str()),
            (Some("1003"), Some("DD"))
        );
        assert_eq!(
            ticket(&office, "1003"),
            ("waiting".to_string(), "DD".to_string(), 0)
        );

        // A refused action says why, in Vietnamese, on the page.
        click(&b, "Hoàn thành").await;
        wait_text(&b, "#message", "Quầy 1 chưa gọi số nào").await;

        // A change made elsewhere (another counter) shows without reloading: waiting counts.
        wait_text(&b, "#waiting li:first-child", "Tư pháp - Hộ tịch: 1").await;
        assert!(
            supervisor.act("call", json!({"counter": 3}), None).1["ticket"]["number"] == "1004"
        );
        wait_text(&b, "#waiting li:first-child", "Tư pháp - Hộ tịch: 0").await;

        screenshot(&b, "console.png").await;

        // Sign out with the page's button; the supervisor's monitor cancels the moved ticket.
        click(&b, "Đăng xuất").await;
        wait_text(&b, "h2", "Đăng nhập quầy").await;
        sign_in(&b, &server.base, "hoa", "135790", 0).await;
        wait_text(&b, "header h1", "Giám sát").await;
        wait_text(
            &b,
            "#counters tbody tr:nth-child(3) td:nth-child(3)",
            "1004",
        )
        .await;
        wait_text(&b, "#counters tbody tr:first-child td:nth-child(2)", "—").await;
        wait_text(&b, "#services tbody tr:nth-child(2) td:nth-child(2)", "1").await;
        wait_text(&b, "#tickets tbody tr:first-child td:first-child", "1003").await;
        screenshot(&b, "monitor.png").await;
        b.find(Locator::Css("button[data-ticket='1003']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(next_event(&events, "cancelled")["number"], "1003");
        wait_text(&b, "#services tbody tr:nth-child(2) td:nth-child(2)", "0").await;
        assert_eq!(ticket(&office, "1003").0, "cancelled");
        b.close().await.unwrap();
    });
}
