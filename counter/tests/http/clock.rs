//! The clock warning: `/api/clock` says when the server's clock is not synchronised, and the
//! console and the monitor carry the banner that shows it.

use axum::http::StatusCode;

use crate::office::{Office, Who, request};

#[tokio::test]
async fn the_clock_reading_says_when_the_server_clock_is_not_synchronised() {
    let office = Office::new();
    let board = office.credentials(Who::Board).await;
    let (status, body, _) = office.send(request("GET", "/api/clock", "", &board)).await;
    assert_eq!(status, StatusCode::OK);
    let c: motcua::api::ClockNow = serde_json::from_str(&body).unwrap();
    assert_eq!((c.now.utc(), c.synchronised), (office.now, Some(true)));
    office.clock.set_synchronised(Some(false));
    let (_, body, _) = office.send(request("GET", "/api/clock", "", &board)).await;
    assert!(body.contains("\"synchronised\":false"), "{body}");
    // The console and the monitor carry the warning and the script that fills it.
    let officer = office.credentials(Who::OfficerHere).await;
    let supervisor = office.credentials(Who::Supervisor).await;
    for (path, who) in [("/console", &officer), ("/monitor", &supervisor)] {
        let (status, page, _) = office.send(request("GET", path, "", who)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.contains("id=\"clock-warning\"") && page.contains("fetch('/api/clock')"),
            "{path}"
        );
    }
}
