//! #12, in process: pairing a browser as a device, the device cookie, and the spoken call the
//! web board plays.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use motcua::Store;

use crate::office::{BOARD_TOKEN, Office, RATING_TOKEN};

fn form(code: &str) -> Request<Body> {
    Request::post("/pair")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("code={code}")))
        .unwrap()
}

fn with_cookie(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// Keeps `code` as `device`'s pairing code for 15 minutes from the office's clock.
fn set_code(office: &Office, device: &str, code: &str) {
    let hash = motcua::secret::hash_token(code).unwrap();
    Store::open(&office.cfg)
        .unwrap()
        .set_pairing_code(device, &hash, office.now + chrono::TimeDelta::minutes(15))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairing_code_pairs_one_browser_once_and_only_its_hash_is_kept() {
    let office = Office::new();
    set_code(&office, "board-hall", "48291736");
    // Typed in two groups, as the CLI prints it.
    let (s, body, cookie) = office.send(form("4829+1736")).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let cookie = cookie.expect("the device cookie");
    let token = cookie.strip_prefix("motcua_device=").unwrap();
    assert!(token.starts_with("board-hall."), "{token}");
    assert_ne!(token, BOARD_TOKEN, "a token of the browser's own");
    // The cookie opens the board and reads the queue.
    let (s, page, _) = office.send(with_cookie("/board", &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("/web/board.js"), "{page}");
    let (s, _, _) = office.send(with_cookie("/api/state", &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    // Used up: the same code again is refused.
    let (s, body, none) = office.send(form("48291736")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("Mã ghép nối không đúng hoặc đã hết hạn"),
        "{body}"
    );
    assert!(none.is_none());
    // The database holds hashes only: neither the code nor the browser's secret.
    let db = std::fs::read(&office.cfg.office.database).unwrap();
    let wal =
        std::fs::read(office.cfg.office.database.with_extension("db-wal")).unwrap_or_default();
    let secret = token.rsplit_once('.').unwrap().1;
    for bytes in [&db, &wal] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(secret) && !text.contains("48291736"));
    }
    let hashes: Vec<String> = {
        let s = Store::open(&office.cfg).unwrap();
        let dev = office
            .cfg
            .devices
            .iter()
            .find(|d| d.name == "board-hall")
            .unwrap();
        s.paired_tokens("board-hall", &dev.token_hash).unwrap()
    };
    assert_eq!(hashes.len(), 1);
    assert!(hashes[0].starts_with("$argon2id$"), "{}", hashes[0]);
    office.server.shut_down();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_goes_to_the_devices_page_and_refuses_what_a_browser_cannot_be() {
    let office = Office::new();
    // A rating tablet pairs with its own token and lands on its counter's page.
    let (s, _, cookie) = office.send(form(RATING_TOKEN)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = cookie.unwrap();
    let (s, page, _) = office.send(with_cookie("/rate/1", &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Rất không hài lòng") && page.contains("Chờ lâu"),
        "{page}"
    );
    // Another counter's page says whose tablet it is.
    let (s, page, _) = office.send(with_cookie("/rate/2", &cookie)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(page.contains("thuộc quầy 1"), "{page}");
    // A kiosk is not a browser device; an expired code pairs nothing.
    set_code(&office, "kiosk-1", "11112222");
    let (s, body, cookie) = office.send(form("11112222")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("máy cấp số"), "{body}");
    assert!(cookie.is_none());
    // Refused before anything was paired: no token was made for the kiosk.
    let kiosk = office
        .cfg
        .devices
        .iter()
        .find(|d| d.name == "kiosk-1")
        .unwrap();
    let made = Store::open(&office.cfg)
        .unwrap()
        .paired_tokens("kiosk-1", &kiosk.token_hash)
        .unwrap();
    assert!(made.is_empty(), "{made:?}");
    let hash = motcua::secret::hash_token("33334444").unwrap();
    Store::open(&office.cfg)
        .unwrap()
        .set_pairing_code("board-hall", &hash, office.now)
        .unwrap();
    assert_eq!(
        office.send(form("33334444")).await.0,
        StatusCode::UNAUTHORIZED
    );
    office.server.shut_down();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_pairing_codes_locks_the_form() {
    let office = Office::new();
    set_code(&office, "board-hall", "48291736");
    for guess in 0..5 {
        let (s, _, _) = office.send(form(&format!("{guess:08}"))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Even the right code waits now.
    let (s, body, cookie) = office.send(form("48291736")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("Nhập sai nhiều lần"), "{body}");
    assert!(cookie.is_none());
    office.server.shut_down();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spoken_call_is_the_native_boards_clips_as_a_wav() {
    let office = Office::new();
    let get = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {BOARD_TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = tower::ServiceExt::oneshot(
        office.server.router(),
        get("/voice/call.wav?number=A1005&counter=3"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "audio/wav");
    let bytes = axum::body::to_bytes(r.into_body(), 8 << 20).await.unwrap();
    // Decoded independently: the same samples the native board plays.
    let wav = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(
        (wav.spec().channels, wav.spec().sample_rate),
        (1, motcua::voice::RATE)
    );
    let samples: Vec<i16> = wav.into_samples().map(Result::unwrap).collect();
    let bank = motcua::voice::Bank::load(None).unwrap();
    let script = motcua::voice::script("A1005", 3);
    assert_eq!(
        script.len(),
        19,
        "chime, invite, A 1 0 0 5, pause, một nghìn không trăm linh năm, to counter, 3, pause, quầy, 3"
    );
    assert_eq!(samples, bank.render(&script));
    for (path, status) in [
        (
            "/voice/call.wav?number=10%2005&counter=3",
            StatusCode::BAD_REQUEST,
        ),
        ("/voice/call.wav?number=1005", StatusCode::BAD_REQUEST),
        (
            "/voice/call.wav?number=1234567890123&counter=3",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/voice/call.wav?number=1005&counter=9",
            StatusCode::NOT_FOUND,
        ),
        ("/api/events?after=x", StatusCode::BAD_REQUEST),
        ("/api/events?after=-1", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(office.send(get(path)).await.0, status, "{path}");
    }
    office.server.shut_down();
}
