//! The supervisor's report page: figures and charts for a period, filters that change them,
//! exports, and clear refusals.

use axum::http::StatusCode;
use chrono::TimeDelta;
use motcua::{Action, Store};

use crate::office::{Office, Who, request};

/// A fortnight before the office's day: each day three TP tickets (one elderly) and one DD,
/// served at counters 3 and 4, waits of 5, 10, 25 and 15 minutes.
fn history(office: &Office) {
    let mut s = Store::open(&office.cfg).unwrap();
    // Counter 3's events carry lan, shown by her full name.
    s.set_counter_officer(3, Some("lan")).unwrap();
    s.set_officer_name(
        "lan",
        Some("Nguyễn Thị Lan"),
        Some("Công chức Tư pháp - Hộ tịch"),
    )
    .unwrap();
    for day in (1..=14).rev() {
        let start = office.now - TimeDelta::days(day);
        for (k, (service, priority, counter, wait)) in [
            ("TP", None, 3, 5),
            ("TP", Some("elderly"), 3, 10),
            ("TP", None, 3, 25),
            ("DD", None, 4, 15),
        ]
        .into_iter()
        .enumerate()
        {
            let at = start + TimeDelta::minutes(k as i64);
            let t = s.issue(service, priority, at).unwrap();
            let called = at + TimeDelta::minutes(wait);
            s.act_on_id(t.id, Action::Call { counter }, called).unwrap();
            s.act_on_id(t.id, Action::Finish, called + TimeDelta::minutes(6))
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_supervisor_reads_the_figures_and_charts_and_filters_them() {
    let office = Office::new();
    history(&office);
    let sup = office.credentials(Who::Supervisor).await;
    let get = |path: &str| office.send(request("GET", path, "", &sup));
    let from = (office.now - TimeDelta::days(14)).date_naive();
    let to = (office.now - TimeDelta::days(1)).date_naive();

    let (status, page, _) = get(&format!("/reports?from={from}&to={to}")).await;
    assert_eq!(status, StatusCode::OK);
    // 14 days × 4 tickets; called within 20 minutes: 3 of 4.
    for s in [
        "<div class=\"card\"><span>Đã cấp</span><b>56</b></div>",
        "<div class=\"card\"><span>Gọi trong 20 phút</span><b>75 %</b></div>",
        "<div class=\"card\"><span>Chờ trung vị</span><b>10.0 phút</b></div>",
    ] {
        assert!(page.contains(s), "{s} in the page");
    }
    // Five charts as inline SVG with Vietnamese axes, and the target line on the waits.
    assert_eq!(page.matches("<svg").count(), 5);
    for s in [
        "Giờ trong ngày",
        "Phút chờ",
        "Số phiếu",
        "Ngày",
        "Mục tiêu 20 phút",
        "Tỉ lệ hài lòng theo cán bộ",
    ] {
        assert!(page.contains(s), "{s} in the charts");
    }
    assert!(
        !page.contains("<script src"),
        "nothing loaded from elsewhere"
    );

    // One service: the figures change.
    let (_, dd, _) = get(&format!("/reports?from={from}&to={to}&service=DD")).await;
    assert!(dd.contains("<span>Đã cấp</span><b>14</b>"), "DD alone");
    assert!(dd.contains("<span>Gọi trong 20 phút</span><b>100 %</b>"));
    assert!(
        dd.contains("<option value=\"DD\" selected>"),
        "the form keeps the choice"
    );
    let (_, elderly, _) = get(&format!("/reports?from={from}&to={to}&priority=elderly")).await;
    assert!(elderly.contains("<span>Đã cấp</span><b>14</b>"));
    let (_, normal, _) = get(&format!(
        "/reports?from={from}&to={to}&priority=normal&counter=3"
    ))
    .await;
    assert!(
        normal.contains("<span>Đã cấp</span><b>28</b>"),
        "normal TP at counter 3"
    );

    // The exports carry the same choice.
    assert!(dd.contains(&format!(
        "/reports/export?format=xlsx&amp;from={from}&amp;to={to}&amp;service=DD"
    )));
    let (status, csv, _) = get(&format!(
        "/reports/export?format=csv&from={from}&to={to}&service=DD"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with('\u{feff}'), "a UTF-8 byte-order mark");
    assert!(csv.contains("Tổng cộng,,,14,14,"), "{csv}");
    let (status, json, _) = get(&format!("/reports/export?format=json&from={from}&to={to}")).await;
    assert_eq!(status, StatusCode::OK);
    let r: motcua::api::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (r.totals.issued, r.totals.within_target_share),
        (56, Some(0.75))
    );

    // Bad input is a page that says what is wrong.
    for (path, says) in [
        ("/reports?from=2026-13-01", "không phải một ngày"),
        ("/reports?service=XX", "Không có lĩnh vực"),
        ("/reports/export?format=pdf", "csv, xlsx hoặc json"),
    ] {
        let (status, body, _) = get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(body.contains(says), "{path}: {body}");
    }
    // Officers may not read reports.
    let officer = office.credentials(Who::OfficerHere).await;
    let (status, body, _) = office.send(request("GET", "/reports", "", &officer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Chỉ cán bộ giám sát"));
}

#[tokio::test]
async fn the_monthly_sheet_states_an_officers_month_beside_the_office_median() {
    let office = Office::new();
    history(&office);
    let sup = office.credentials(Who::Supervisor).await;
    let get = |path: &str| office.send(request("GET", path, "", &sup));
    // The fortnight before 24 November lies in November.
    let (status, page, _) = get("/reports?from=2026-11-10&to=2026-11-23").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/reports/sheet?officer=lan&amp;month=2026-11"),
        "a link per officer"
    );
    let (status, sheet, _) = get("/reports/sheet?officer=lan&month=2026-11").await;
    assert_eq!(status, StatusCode::OK);
    for s in [
        "PHIẾU TỔNG HỢP THÁNG 11/2026",
        "Cán bộ: <b>Nguyễn Thị Lan</b>, Công chức Tư pháp - Hộ tịch",
        "<tr><th>Số phiếu đã phục vụ</th><td>42</td><td>42</td></tr>",
        "<tr><th>Thời gian phục vụ trung vị (phút)</th><td>6.0</td>",
        "Trung vị của cơ quan (1 cán bộ)",
        "không xếp loại",
    ] {
        assert!(sheet.contains(s), "{s} in {sheet}");
    }
    for (path, code, says) in [
        (
            "/reports/sheet?officer=lan&month=2026-13",
            StatusCode::BAD_REQUEST,
            "không hợp lệ",
        ),
        (
            "/reports/sheet?officer=ghost",
            StatusCode::BAD_REQUEST,
            "Không có cán bộ",
        ),
        (
            "/reports/sheet?month=2026-11",
            StatusCode::BAD_REQUEST,
            "Vui lòng chọn cán bộ",
        ),
    ] {
        let (status, body, _) = get(path).await;
        assert_eq!(status, code, "{path}");
        assert!(body.contains(says), "{path}: {body}");
    }
}
