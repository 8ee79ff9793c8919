//! The supervisor's report page in a real headless Chromium, on the month of a ward office
//! (`tests/data/ward-month.toml`): figures and SVG charts with Vietnamese axes, a filter by one
//! service through the form, the screenshot reference, and an officer refused.

use fantoccini::{Client as Browser, Locator};
use motcua::report::Filter;
use motcua_e2e::Office;
use motcua_e2e::console::{add_user, serve};
use motcua_e2e::scenario::{self, Scenario};

use crate::chromium::{
    browser_sized, check_screenshot, chromedriver, js, rt, sign_in, wait_js, wait_text,
};

/// The number on the card labelled `label`.
async fn card(b: &Browser, label: &str) -> String {
    js(
        b,
        &format!(
            "return [...document.querySelectorAll('.card')].find(c => c.querySelector('span').textContent === '{label}').querySelector('b').textContent"
        ),
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

#[test]
fn a_supervisor_reads_the_month_in_chromium_and_filters_one_service() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = Scenario::load(&root.join("data/ward-month.toml")).unwrap();
    let office = Office::with_config(&spec.config());
    let cfg = motcua::Config::load(Some(&office.config())).unwrap();
    {
        let mut store = motcua::Store::open(&cfg).unwrap();
        scenario::replay(&spec, &mut store, false).unwrap();
    }
    add_user(&office, "giamsat", "135790", "supervisor");
    add_user(&office, "lan", "246810", "officer");
    // What the page must say, from the same database.
    let store = motcua::Store::open(&cfg).unwrap();
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    );
    let rows = store.report_rows(from, to).unwrap();
    let dd = Filter {
        service: Some("DD".into()),
        ..Filter::default()
    };
    let dd_rows: Vec<_> = rows.iter().filter(|r| dd.keeps(r)).cloned().collect();
    let all = motcua::report::build(&rows, &cfg, from, to);
    let only_dd = motcua::report::build(&dd_rows, &cfg, from, to);
    drop(store);

    let server = serve(&office);
    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let rt = rt();
    let shot = rt.block_on(async {
        let b = browser_sized(&driver_url, profile.path(), (1280, 1400), &[]).await;
        sign_in(&b, &server.base, "giamsat", "135790", 0).await;
        // Signed in once the sign-in page is left (the monitor).
        wait_js(&b, "return location.pathname === '/monitor'", "the monitor").await;
        b.goto(&format!("{}/reports?from={from}&to={to}", server.base)).await.unwrap();
        wait_text(&b, "#period", "Từ ngày 01/11/2026 đến ngày 30/11/2026").await;
        assert_eq!(card(&b, "Đã cấp").await, all.totals.issued.to_string());
        // Five charts drawn as SVG, their axes in Vietnamese.
        assert_eq!(js(&b, "return document.querySelectorAll('figure.chart svg').length").await, 5);
        let axes = js(&b, "return [...document.querySelectorAll('svg text.axis')].map(t => t.textContent)").await;
        for a in ["Ngày", "Số phiếu", "Giờ trong ngày", "Phút chờ", "Cán bộ", "Tỉ lệ hài lòng"] {
            assert!(axes.as_array().unwrap().iter().any(|x| x == a), "{a} in {axes}");
        }
        assert!(
            js(&b, "return [...document.querySelectorAll('#chart-days rect')].length").await.as_u64().unwrap() >= 42,
            "two bars a day for 21 days"
        );
        let shot = check_screenshot(&b, "report-month").await;

        // The form: one service, and the figures change to that service's.
        b.find(Locator::Css("select[name=service] option[value='DD']")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("#filters button[type=submit]")).await.unwrap().click().await.unwrap();
        wait_js(&b, "return location.search.includes('service=DD')", "the filtered page").await;
        let issued = card(&b, "Đã cấp").await;
        assert_eq!(issued, only_dd.totals.issued.to_string());
        assert_ne!(issued, all.totals.issued.to_string());
        let excel = js(&b, "return [...document.querySelectorAll('.actions a')].map(a => a.getAttribute('href')).find(h => h.includes('format=xlsx'))").await;
        assert!(excel.as_str().unwrap().contains("service=DD"), "{excel}");

        // An officer is refused.
        b.goto(&format!("{}/login", server.base)).await.unwrap();
        b.delete_all_cookies().await.unwrap();
        sign_in(&b, &server.base, "lan", "246810", 1).await;
        wait_js(&b, "return location.pathname === '/console'", "the console").await;
        b.goto(&format!("{}/reports", server.base)).await.unwrap();
        wait_text(&b, "#message", "Chỉ cán bộ giám sát được xem báo cáo").await;
        b.close().await.unwrap();
        shot
    });
    motcua_testkit::golden::assert_all([shot]);
}
