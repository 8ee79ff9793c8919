//! The citizen's status page behind the ticket's QR code (served by `counter serve`): place in
//! the queue, where to go when called, and one rating after service, which reports count.

use motcua_e2e::console::{Client, add_user, serve};
use motcua_e2e::{OFFICE_CONFIG, Office};
use serde_json::Value;

/// GETs or POSTs (form `score=N`) a status page without any session: (status, body, location).
fn citizen(base: &str, path: &str, score: Option<&str>) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let url = format!("{base}{path}");
    let mut r = match score {
        None => agent.get(&url).call(),
        Some(s) => agent.post(&url).send_form([("score", s)]),
    }
    .unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r.body_mut().read_to_string().unwrap();
    (r.status().as_u16(), body, location)
}

#[test]
fn a_citizen_follows_the_ticket_and_rates_once() {
    let office = Office::with_config(&format!(
        "{office}\n[status]\nbase_url = \"http://192.168.1.10:8080\"\n",
        office = OFFICE_CONFIG.as_str()
    ));
    add_user(&office, "lan", "246810", "officer");
    office.issue(&["TP", "TP"]);
    let mine = office.issue(&["TP"]);
    let url = mine["ticket"]["status_url"].as_str().unwrap();
    let path = url
        .strip_prefix("http://192.168.1.10:8080")
        .unwrap()
        .to_string();
    assert!(path.starts_with("/t/"), "{url}");
    let server = serve(&office);
    let base = server.base.clone();

    let (s, page, _) = citizen(&base, &path, None);
    assert_eq!(s, 200);
    for text in [
        "1003",
        "Tư pháp - Hộ tịch",
        "Đang chờ",
        "Còn 2 người đang chờ trước quý công dân",
    ] {
        assert!(page.contains(text), "{text:?} in {page}");
    }
    assert!(
        page.contains("http-equiv=\"refresh\""),
        "refreshes itself while waiting"
    );
    let (s, _, _) = citizen(&base, &format!("{path}/rate"), Some("5"));
    assert_eq!(s, 409, "not served yet: no rating");

    let mut lan = Client::new(&server);
    assert_eq!(lan.login("lan", "246810", 1), 303);
    lan.act("call", Value::Null, None);
    let (_, page, _) = citizen(&base, &path, None);
    assert!(page.contains("Còn 1 người"), "{page}");
    lan.act("call", Value::Null, None);
    lan.act("call", Value::Null, None);
    let (_, page, _) = citizen(&base, &path, None);
    assert!(page.contains("Mời đến Quầy 1"), "{page}");
    lan.act("finish", Value::Null, None);
    let (_, page, _) = citizen(&base, &path, None);
    assert!(
        page.contains("Đã hoàn thành") && page.contains("Rất hài lòng"),
        "{page}"
    );
    assert!(!page.contains("http-equiv=\"refresh\""));

    // Bad ratings change nothing; a good one is taken once.
    assert_eq!(citizen(&base, &format!("{path}/rate"), Some("9")).0, 400);
    assert_eq!(citizen(&base, &format!("{path}/rate"), Some("x")).0, 400);
    let (s, _, to) = citizen(&base, &format!("{path}/rate"), Some("4"));
    assert_eq!((s, to.as_str()), (303, path.as_str()));
    let (_, page, _) = citizen(&base, &path, None);
    assert!(
        page.contains("Cảm ơn quý công dân đã đánh giá: Hài lòng"),
        "{page}"
    );
    let (s, page, _) = citizen(&base, &format!("{path}/rate"), Some("1"));
    assert_eq!(s, 409);
    assert!(page.contains("đã đánh giá"), "{page}");
    let score: i64 = office
        .open_db()
        .query_row("SELECT score FROM rating", [], |r| r.get(0))
        .unwrap();
    assert_eq!(score, 4, "the first rating stays");

    // Unknown or malformed tokens: a clear 404 page.
    for bad in [
        "/t/0123456789abcdef01234567",
        "/t/not-a-token",
        "/t/%3Cscript%3E",
    ] {
        let (s, page, _) = citizen(&base, bad, None);
        assert_eq!(s, 404, "{bad}");
        assert!(page.contains("Không tìm thấy phiếu"), "{page}");
    }

    // The report counts the rating: one rated, satisfied (4 of 5).
    let day = mine["ticket"]["business_date"].as_str().unwrap();
    let out_file = office.dir.path().join("r.json");
    let out = office.run(
        "counter",
        &[
            "report",
            "--from",
            day,
            "--to",
            day,
            "--format",
            "json",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let r: Value = serde_json::from_str(&std::fs::read_to_string(out_file).unwrap()).unwrap();
    assert_eq!(
        (&r["totals"]["rated"], &r["totals"]["satisfied_share"]),
        (&Value::from(1), &Value::from(1.0))
    );
}

/// #12.3: `[status] listen` is a second address that serves only the status pages (for the
/// citizens' guest Wi-Fi): `/t/…` and its rating form work there, everything else is 404, and
/// the staff console stays on the main address.
#[test]
fn the_public_listener_serves_only_status_pages() {
    let public = motcua_e2e::free_addr();
    let office = Office::with_config(&format!(
        "{office}\n[status]\nbase_url = \"http://{public}\"\nlisten = \"{public}\"\n",
        office = OFFICE_CONFIG.as_str()
    ));
    let t = office.issue(&["TP"]);
    let url = t["ticket"]["status_url"].as_str().unwrap().to_string();
    let server = serve(&office);
    let public_base = format!("http://{public}");
    let path = url.strip_prefix(&public_base).unwrap().to_string();

    let (s, page, _) = citizen(&public_base, &path, None);
    assert_eq!(s, 200);
    assert!(page.contains("Tư pháp - Hộ tịch"), "{page}");
    let (s, _, _) = citizen(&public_base, &format!("{path}/rate"), Some("5"));
    assert_eq!(
        s, 409,
        "the form answers there too (not served yet: refused)"
    );
    for other in [
        "/",
        "/login",
        "/console",
        "/monitor",
        "/api/state",
        "/api/events",
        "/api/counter",
        "/t",
        "/nope",
    ] {
        let (s, body, _) = citizen(&public_base, other, None);
        assert_eq!(s, 404, "{other}: {body}");
    }
    let (s, _, _) = citizen(&public_base, "/api/tickets", Some("1"));
    assert_eq!(s, 404);
    // The main address still has everything.
    let (s, _, _) = citizen(&server.base, "/login", None);
    assert_eq!(s, 200);
    let (s, _, _) = citizen(&server.base, &path, None);
    assert_eq!(s, 200);
}

#[test]
fn a_public_address_in_use_stops_the_server_with_its_name() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let office = Office::with_config(&format!(
        "{office}\n[status]\nbase_url = \"http://{addr}\"\nlisten = \"{addr}\"\n",
        office = OFFICE_CONFIG.as_str()
    ));
    let out = office.run("counter", &["serve", "--listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("[status] listen = \"{addr}\"")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
