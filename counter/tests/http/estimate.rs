//! The wait estimate where citizens look, served by `counter serve`: the status page (the wait
//! left from now), `GET /api/state` (each service's wait for a ticket taken now, the boards)
//! and `POST /api/tickets` (a kiosk on the LAN prints it).

use axum::http::StatusCode;
use chrono::TimeDelta;
use motcua::{Action, Store};

use crate::office::{Office, Who, request};

/// Three earlier days at 07:00–08:00 (outside the hour being estimated, so no arrivals are
/// expected): TP served in exactly 10 minutes at counter 3, DD in 20 at counter 4.
fn history(office: &Office) -> Store {
    let mut s = Store::open(&office.cfg).unwrap();
    for day in (1..=3).rev() {
        let start = office.now - TimeDelta::days(day) - TimeDelta::minutes(90);
        for k in 0..3 {
            for (service, counter, minutes) in [("TP", 3, 10), ("DD", 4, 20)] {
                let at = start + TimeDelta::minutes(20 * k);
                s.issue(service, None, at).unwrap();
                s.call_next(counter, at).unwrap().unwrap();
                s.act_on_current(counter, Action::Finish, at + TimeDelta::minutes(minutes))
                    .unwrap();
            }
        }
    }
    s
}

#[tokio::test]
async fn the_status_page_the_state_and_a_lan_kiosk_get_the_estimated_wait() {
    let office = Office::new();
    let mut store = history(&office);
    // Six TP tickets wait; counters 1, 2 and 3 call TP, all free now.
    let waiting: Vec<_> = (0..6)
        .map(|_| store.issue("TP", None, office.now).unwrap())
        .collect();
    let citizen = office.credentials(Who::SignedOut).await;
    let page = |t: &motcua::Ticket| request("GET", &format!("/t/{}", t.token), "", &citizen);

    let (status, body, _) = office.send(page(&waiting[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Quý công dân là người tiếp theo."), "{body}");
    assert!(
        !body.contains("Dự kiến"),
        "called at once: no minutes to say: {body}"
    );
    let (_, body, _) = office.send(page(&waiting[5])).await;
    assert!(
        body.contains("Còn 5 người đang chờ trước quý công dân. Dự kiến chờ thêm khoảng 10 phút."),
        "{body}"
    );

    let board = office.credentials(Who::Board).await;
    let (_, body, _) = office.send(request("GET", "/api/state", "", &board)).await;
    let state: motcua::api::QueueState = serde_json::from_str(&body).unwrap();
    let wait = |code: &str| {
        state
            .waiting
            .iter()
            .find(|w| w.service == code)
            .and_then(|w| w.wait.clone())
    };
    assert_eq!(wait("TP").as_deref(), Some("khoảng 20 phút"));
    assert_eq!(wait("DD").as_deref(), Some("sắp được gọi"));

    let kiosk = office.credentials(Who::Kiosk).await;
    let (status, body, _) = office
        .send(request(
            "POST",
            "/api/tickets",
            r#"{"service":"TP"}"#,
            &kiosk,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let issued: motcua::api::Issued = serde_json::from_str(&body).unwrap();
    assert_eq!(
        issued.wait,
        Some(motcua::estimate::Estimate::Minutes { low: 20, high: 20 })
    );
    assert!(
        body.contains(r#""wait":{"kind":"minutes","low":20,"high":20}"#),
        "{body}"
    );

    // A paused counter lengthens the wait: counters 1 and 2 alone take the six in three rounds.
    store.set_paused(3, true).unwrap();
    let (_, body, _) = office.send(page(&waiting[5])).await;
    assert!(body.contains("Dự kiến chờ thêm khoảng 20 phút."), "{body}");
    // Every TP counter paused: no counter to give a wait.
    store.set_paused(1, true).unwrap();
    store.set_paused(2, true).unwrap();
    let (_, body, _) = office.send(page(&waiting[5])).await;
    assert!(
        body.contains("Thời gian chờ: chưa có quầy đang mở."),
        "{body}"
    );
}

#[tokio::test]
async fn without_history_the_status_page_says_it_cannot_tell_yet() {
    let office = Office::new();
    let mut store = Store::open(&office.cfg).unwrap();
    // Counter 3 is busy with the first ticket; nothing says how long that takes.
    for _ in 0..4 {
        store.issue("TP", None, office.now).unwrap();
    }
    store.call_next(3, office.now).unwrap().unwrap();
    let last = store.issue("TP", None, office.now).unwrap();
    let citizen = office.credentials(Who::SignedOut).await;
    let (_, body, _) = office
        .send(request("GET", &format!("/t/{}", last.token), "", &citizen))
        .await;
    assert!(body.contains("Thời gian chờ: chưa đủ dữ liệu."), "{body}");
}
