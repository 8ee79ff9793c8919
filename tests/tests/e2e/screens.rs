//! Screens an office already owns, in real headless Chromium: the web board on a TV (`/board`)
//! and the rating tablet of a counter (`/rate/N`), both served by `counter serve`, paired once,
//! following `/api/events`; their pictures compared with reference PNGs.

use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};
use motcua_e2e::console::{
    Client, Server, add_device, add_device_with, add_user, device_request, serve_on,
};
use motcua_e2e::{OFFICE_CONFIG, Office};
use motcua_testkit::golden;
use serde_json::{Value, json};

use crate::chromium::{
    browser_sized, check_screenshot, chromedriver, js, page_text, rt, set_viewport, wait_js,
    wait_text,
};

/// Chromium may play sound without a tap (the TV's kiosk browser is set up so, or was tapped
/// once).
const AUTOPLAY: &str = "--autoplay-policy=no-user-gesture-required";

/// `counter pair --name NAME`: the 8-digit code it prints.
fn pairing_code(office: &Office, name: &str) -> String {
    let out = office.run("counter", &["pair", "--name", name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let code: String = text
        .lines()
        .next()
        .and_then(|l| l.rsplit_once(": "))
        .map(|(_, c)| c.chars().filter(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert_eq!(code.len(), 8, "{text}");
    code
}

/// Types `code` into the pairing form the device's page sent the browser to.
async fn pair(b: &Browser, base: &str, page: &str, code: &str) {
    b.goto(&format!("{base}{page}")).await.unwrap();
    assert!(
        b.current_url().await.unwrap().path().ends_with("/pair"),
        "not paired yet: to /pair"
    );
    let field = b.find(Locator::Css("input[name=code]")).await.unwrap();
    field.send_keys(code).await.unwrap();
    b.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Numbers of the board's announcement queue (or of what it has spoken).
async fn numbers(b: &Browser, list: &str) -> Vec<String> {
    js(
        b,
        &format!("return motcuaBoard.{list}.map(a => a.number + '@' + a.counter)"),
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_str().unwrap().to_string())
    .collect()
}

/// The office's address of a running server, to start it again on the same port.
fn addr(server: &Server) -> String {
    server.base.strip_prefix("http://").unwrap().to_string()
}

#[test]
fn the_web_board_follows_the_calls_through_a_restart_and_speaks_only_new_ones() {
    let office = Office::new();
    let token = add_device(&office, "board-tv", "board");
    office.issue(&["TP", "TP", "TP", "TP", "DD", "DD"]);
    let mut server = serve_on(&office, "127.0.0.1:0");
    let at = addr(&server);
    let code = pairing_code(&office, "board-tv");
    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let mut shots = Vec::new();
    rt().block_on(async {
        let b = browser_sized(&driver_url, profile.path(), (1920, 1080), &[AUTOPLAY]).await;
        // A wrong code is refused, then the right one pairs the TV and opens the board.
        pair(&b, &server.base, "/board", "12345678").await;
        wait_text(&b, "#message", "Mã ghép nối không đúng hoặc đã hết hạn").await;
        pair(&b, &server.base, "/board", &code).await;
        wait_js(&b, "return window.motcuaBoard && motcuaBoard.connected", "connected").await;
        assert!(b.current_url().await.unwrap().path().ends_with("/board"));
        wait_text(&b, "#office", "UBND PHƯỜNG HÒA KHÊ").await;
        // The code was used up: another browser cannot pair with it.
        assert_eq!(
            js(&b, "return fetch('/pair', {method: 'POST', body: 'code=' + arguments[0], headers: {'Content-Type': 'application/x-www-form-urlencoded'}}).then(r => r.status)".replace("arguments[0]", &format!("'{code}'")).as_str()).await,
            json!(401)
        );

        // A call made from the CLI shows within a second: the number and its counter.
        let t0 = Instant::now();
        let first = office.call(2);
        wait_text(&b, "#latest-number", &first).await;
        let shown = t0.elapsed();
        assert!(shown < Duration::from_secs(1), "the call showed after {shown:?}");
        wait_text(&b, "#latest-counter", "Đến Quầy 2").await;
        // The waiting panel carries each service's estimated wait from /api/state: the office
        // has no finished ticket yet, so no guess.
        wait_text(&b, "#waiting li:first-child small.wait", "Chưa đủ dữ liệu").await;
        let text = page_text(&b).await;
        assert!(text.contains(&first) && text.contains("Quầy 2"), "{text}");
        wait_js(&b, "return motcuaBoard.announced.length === 1", "one announcement").await;

        // The server goes away: the page says so. Calls go on from the CLI meanwhile.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        wait_js(&b, "return !document.getElementById('offline').hidden", "shows the cut").await;
        wait_text(&b, "#offline", "Mất kết nối với máy chủ – đang kết nối lại…").await;
        let missed = [office.call(3), office.call(1)];
        server = serve_on(&office, &at);
        wait_js(&b, "return motcuaBoard.connected && document.getElementById('offline').hidden", "reconnected").await;
        wait_text(&b, "#latest-number", &missed[1]).await;
        // Each missed call is on the board exactly once.
        let history: Vec<String> = js(&b, "return [...document.querySelectorAll('#history b')].map(e => e.textContent)")
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(history, [missed[0].clone(), first.clone()], "the list under the latest call");
        let text = page_text(&b).await;
        for n in [&first, &missed[0], &missed[1]] {
            assert_eq!(text.matches(n.as_str()).count(), 2, "{n}: its counter row and its line in {text}");
        }

        // New calls are announced, once each, in order; the missed ones are shown, not spoken.
        let new = [office.call(4), office.call(3)];
        wait_text(&b, "#latest-number", &new[1]).await;
        wait_js(&b, "return motcuaBoard.announced.length === 3", "three announcements").await;
        assert_eq!(
            numbers(&b, "announced").await,
            [format!("{first}@2"), format!("{}@4", new[0]), format!("{}@3", new[1])]
        );
        // The sound itself comes from the server and plays to the end, one after another.
        wait_js(&b, "return motcuaBoard.spoken.length === 3", "three calls spoken").await;
        assert_eq!(numbers(&b, "spoken").await, numbers(&b, "announced").await);

        // The picture, at a fixed moment, on a Full HD and an HD TV.
        set_viewport(&b, (1920, 1080)).await;
        js(&b, "motcuaBoard.freeze('2026-12-03T09:30:00+07:00'); return true").await;
        shots.push(check_screenshot(&b, "board-1920x1080").await);
        b.close().await.unwrap();
        // The same board on an HD TV (paired with the device's token this time).
        let small = tempfile::tempdir().unwrap();
        let b = browser_sized(&driver_url, small.path(), (1280, 720), &[AUTOPLAY]).await;
        pair(&b, &server.base, "/board", &token).await;
        wait_js(&b, "return window.motcuaBoard && motcuaBoard.connected", "connected").await;
        wait_text(&b, "#latest-number", &new[1]).await;
        set_viewport(&b, (1280, 720)).await;
        js(&b, "motcuaBoard.freeze('2026-12-03T09:30:00+07:00'); return true").await;
        shots.push(check_screenshot(&b, "board-1280x720").await);
        b.close().await.unwrap();
    });
    golden::assert_all(shots);
}

#[test]
fn where_the_browser_blocks_sound_one_tap_unlocks_it_and_it_is_remembered() {
    let office = Office::new();
    let token = add_device(&office, "board-tv", "board");
    let server = serve_on(&office, "127.0.0.1:0");
    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    // A TV browser that plays sound only after a tap.
    let tv = || {
        browser_sized(
            &driver_url,
            profile.path(),
            (1280, 720),
            &["--autoplay-policy=document-user-activation-required"],
        )
    };
    rt().block_on(async {
        // The device's own token pairs too. Typing it is a tap on the page: sound would play.
        let b = tv().await;
        pair(&b, &server.base, "/board", &token).await;
        wait_js(
            &b,
            "return window.motcuaBoard && motcuaBoard.connected",
            "connected",
        )
        .await;
        b.close().await.unwrap();
        // The TV is switched on the next morning: the board comes up by itself, still paired,
        // and asks for one tap to speak.
        let b = tv().await;
        b.goto(&format!("{}/board", server.base)).await.unwrap();
        wait_js(
            &b,
            "return window.motcuaBoard && motcuaBoard.connected",
            "connected",
        )
        .await;
        assert_eq!(
            js(&b, "return localStorage.getItem('motcua.sound')").await,
            Value::Null
        );
        wait_js(
            &b,
            "return !document.getElementById('sound').hidden",
            "asks for a tap",
        )
        .await;
        wait_text(&b, "#sound", "Bật âm thanh").await;
        b.find(Locator::Css("#sound"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_js(
            &b,
            "return document.getElementById('sound').hidden",
            "sound on",
        )
        .await;
        assert_eq!(
            js(&b, "return localStorage.getItem('motcua.sound')").await,
            json!("on")
        );
        // From now on calls are spoken.
        office.issue(&["TP"]);
        let n = office.call(1);
        wait_text(&b, "#latest-number", &n).await;
        wait_js(
            &b,
            "return motcuaBoard.spoken.length === 1",
            "the call spoken",
        )
        .await;
        assert_eq!(numbers(&b, "spoken").await, [format!("{n}@1")]);
        b.close().await.unwrap();
    });
}

/// The rating of ticket `number`: (score, counter, officer, reason, device).
fn rating(office: &Office, number: &str) -> Option<(i64, i64, String, Option<String>, String)> {
    office
        .open_db()
        .query_row(
            "SELECT r.score, r.counter, r.officer, r.reason, r.device FROM rating r
             JOIN ticket t ON t.id = r.ticket_id WHERE t.number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .ok()
}

#[test]
fn the_rating_tablet_asks_after_service_takes_one_rating_and_goes_back_to_idle() {
    let office = Office::with_config(&format!(
        "{}\n[rating]\nseconds = 5\n[status]\nbase_url = \"http://192.168.1.10:8080\"\n",
        OFFICE_CONFIG.as_str()
    ));
    add_user(&office, "lan", "246810", "officer");
    let token = add_device_with(&office, "rate-3", "rating", &["--counter", "3"]);
    let first = office.issue(&["TP"]);
    office.issue(&["TP"]);
    let server = serve_on(&office, "127.0.0.1:0");
    let mut officer = Client::new(&server);
    assert_eq!(officer.login("lan", "246810", 3), 303);
    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let mut shots = Vec::new();
    rt().block_on(async {
        let b = browser_sized(&driver_url, profile.path(), (1280, 800), &[]).await;
        pair(&b, &server.base, "/rate/3", &token).await;
        wait_js(&b, "return window.motcuaRate && motcuaRate.connected", "connected").await;
        assert!(b.current_url().await.unwrap().path().ends_with("/rate/3"));
        wait_text(&b, "header h1", "Quầy 3").await;
        set_viewport(&b, (1280, 800)).await;

        // Between citizens: the counter's screen, with the officer and the number served.
        assert_eq!(officer.act("call", json!({}), None).0, 200);
        wait_text(&b, "#serving", "1001").await;
        wait_text(&b, "#officer", "Cán bộ: lan").await;
        shots.push(check_screenshot(&b, "rate-idle").await);

        // "Hoàn thành": the rating screen within a second.
        let t0 = Instant::now();
        assert_eq!(officer.act("finish", json!({}), None).0, 200);
        wait_js(&b, "return motcuaRate.view === 'ask'", "asks").await;
        let asked = t0.elapsed();
        assert!(asked < Duration::from_secs(1), "asked after {asked:?}");
        wait_text(&b, "#ask-number", "1001").await;
        js(&b, "document.querySelectorAll('.left').forEach(e => e.style.visibility = 'hidden'); return true").await;
        shots.push(check_screenshot(&b, "rate-ask").await);

        // A 2 asks for a reason; the rating lands with ticket, counter and officer.
        b.find(Locator::Css("button[data-score='2']")).await.unwrap().click().await.unwrap();
        wait_js(&b, "return motcuaRate.view === 'reason'", "asks why").await;
        shots.push(check_screenshot(&b, "rate-reason").await);
        b.find(Locator::XPath("//button[normalize-space(.)='Chờ lâu']")).await.unwrap().click().await.unwrap();
        wait_js(&b, "return motcuaRate.view === 'thanks'", "thanks").await;
        wait_text(&b, "#thanks-text", "Cảm ơn ông/bà đã đánh giá!").await;
        assert_eq!(
            rating(&office, "1001"),
            Some((2, 3, "lan".into(), Some("Chờ lâu".into()), "rate-3".into()))
        );
        wait_js(&b, "return motcuaRate.view === 'idle'", "back to idle").await;

        // A second rating of the same ticket is refused, from the tablet and from the phone.
        let id = first["ticket"]["id"].as_i64().unwrap();
        let (s, body) = device_request(&server, &token, "/api/rate/3", Some(json!({"ticket": id, "score": 5})));
        assert_eq!(s, 409, "{body}");
        let status_path = first["ticket"]["status_url"]
            .as_str()
            .unwrap()
            .strip_prefix("http://192.168.1.10:8080")
            .unwrap()
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let phone = agent
            .post(&format!("{}{status_path}/rate", server.base))
            .send_form([("score", "5")])
            .unwrap();
        assert_eq!(phone.status().as_u16(), 409);
        assert_eq!(rating(&office, "1001").unwrap().0, 2, "the first rating stands");

        // Nobody rates: the screen goes back to idle after [rating] seconds, nothing recorded.
        assert_eq!(officer.act("call", json!({}), None).0, 200);
        wait_text(&b, "#serving", "1002").await;
        assert_eq!(officer.act("finish", json!({}), None).0, 200);
        wait_js(&b, "return motcuaRate.view === 'ask'", "asks").await;
        let t0 = Instant::now();
        wait_js(&b, "return motcuaRate.view === 'idle'", "gives up").await;
        assert!(t0.elapsed() > Duration::from_secs(3), "stayed {:?}", t0.elapsed());
        assert_eq!(rating(&office, "1002"), None);

        // The tablet of counter 3 cannot rate at counter 4, nor show its page.
        let (s, _) = device_request(&server, &token, "/api/rate/4", Some(json!({"ticket": id, "score": 5})));
        assert_eq!(s, 403);
        b.goto(&format!("{}/rate/4", server.base)).await.unwrap();
        let text = page_text(&b).await;
        assert!(text.contains("thuộc quầy 3"), "{text}");
        b.close().await.unwrap();
    });
    golden::assert_all(shots);
}

/// A cookie-authenticated change without the page's header is refused (another site's form
/// cannot rate from a paired tablet).
#[test]
fn a_paired_browser_changes_nothing_without_its_page_header() {
    let office = Office::new();
    let token = add_device_with(&office, "rate-3", "rating", &["--counter", "3"]);
    let server = serve_on(&office, "127.0.0.1:0");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let cookie = format!("motcua_device={token}");
    let post = |header: bool| {
        let mut r = agent
            .post(&format!("{}/api/rate/3", server.base))
            .header("Cookie", &cookie)
            .header("Content-Type", "application/json");
        if header {
            r = r.header("X-Motcua-Device", "1");
        }
        let mut resp = r.send(r#"{"ticket": 1, "score": 5}"#).unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    };
    let (s, body) = post(false);
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("không đến từ trang của thiết bị"), "{body}");
    // With it, the request gets to the rating rules (no such ticket here).
    let (s, body) = post(true);
    assert_eq!(s, 404, "{body}");
    // Reads need no header: the tablet's state.
    let mut r = agent
        .get(&format!("{}/api/rate/3", server.base))
        .header("Cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["counter_name"], "Quầy 3");
}
