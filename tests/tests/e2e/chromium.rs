//! Real headless Chromium (Debian's chromium + chromedriver) driven over WebDriver with
//! fantoccini, for the tests of the pages: the staff console, the web board, the rating tablet.

use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::json;

/// How long a page change may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub use motcua_e2e::chromedriver::Driver;

/// Starts chromedriver on a free port: the driver and its WebDriver address.
pub fn chromedriver() -> (Driver, String) {
    motcua_e2e::chromedriver::start().unwrap_or_else(|e| panic!("{e}"))
}

/// A Chromium session with its own profile folder, a `width`×`height` window and `extra`
/// command-line switches.
pub async fn browser_sized(
    driver: &str,
    profile: &std::path::Path,
    (width, height): (u32, u32),
    extra: &[&str],
) -> Browser {
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--hide-scrollbars".into(),
        "--force-device-scale-factor=1".into(),
        format!("--window-size={width},{height}"),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": motcua_e2e::chromedriver::CHROMIUM, "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("open a Chromium session")
}

/// Waits until the element `css` shows `want` (the page updates itself from the API and SSE).
pub async fn wait_text(b: &Browser, css: &str, want: &str) {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = String::new();
    while Instant::now() < deadline {
        if let Ok(e) = b.find(Locator::Css(css)).await {
            seen = e.text().await.unwrap_or_default();
            if seen.trim() == want {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} shows {seen:?}, not {want:?}");
}

/// Sizes the window so that the page itself (the viewport) is `width`×`height`, as on a TV.
pub async fn set_viewport(b: &Browser, (width, height): (u32, u32)) {
    let chrome = js(
        b,
        "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
    )
    .await;
    let d = |i: usize| chrome[i].as_u64().unwrap_or(0) as u32;
    b.set_window_size(width + d(0), height + d(1))
        .await
        .unwrap();
    let check = format!("return window.innerWidth === {width} && window.innerHeight === {height}");
    wait_js(b, &check, &format!("a {width}×{height} page")).await;
}

/// A Chromium session with a 1280×900 window.
pub async fn browser(driver: &str, profile: &std::path::Path) -> Browser {
    browser_sized(driver, profile, (1280, 900), &[]).await
}

/// Runs `script` in the page until it returns true (the page updates itself from SSE).
pub async fn wait_js(b: &Browser, script: &str, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if let Ok(v) = b.execute(script, vec![]).await
            && v == json!(true)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the page never got to: {what} ({script})");
}

/// What `script` returns in the page.
pub async fn js(b: &Browser, script: &str) -> serde_json::Value {
    b.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// The visible text of the page.
pub async fn page_text(b: &Browser) -> String {
    b.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap_or_default()
}

/// Saves a screenshot into $MOTCUA_SCREENSHOTS when set (to look at the pages).
pub async fn screenshot(b: &Browser, name: &str) {
    if let Ok(dir) = std::env::var("MOTCUA_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

/// Compares the page with `tests/screenshots/NAME.png` (UPDATE_GOLDEN=1 rewrites it).
pub async fn check_screenshot(b: &Browser, name: &str) -> Result<(), String> {
    // Fonts are the server's own: wait until they are in.
    js(b, "return document.fonts.ready.then(() => true)").await;
    let png = b.screenshot().await.unwrap();
    let actual = motcua_testkit::golden::Rgb::decode(&png)?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/screenshots/{name}.png"));
    motcua_testkit::golden::picture(
        &path,
        &actual,
        motcua_testkit::golden::Tolerance {
            channel: 40,
            share: 0.002,
        },
    )
}

/// Signs in on the console's sign-in page as `login` at `counter` (0: a supervisor without one).
pub async fn sign_in(b: &Browser, base: &str, login: &str, pin: &str, counter: u32) {
    b.goto(&format!("{base}/login")).await.unwrap();
    let field = |css: &'static str| b.find(Locator::Css(css));
    field("input[name=login]")
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    field("input[name=pin]")
        .await
        .unwrap()
        .send_keys(pin)
        .await
        .unwrap();
    b.find(Locator::Css(&format!(
        "select[name=counter] option[value='{counter}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    field("button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The single-threaded runtime a browser test drives WebDriver on.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
