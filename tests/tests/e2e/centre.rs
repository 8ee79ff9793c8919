//! The province centre (#16): offices ship their events over a real nats-server with JetStream
//! into a real PostgreSQL through `motcua-centre`; each office is its own SQLite file with its
//! own `counter ship` process, its traffic from the test kit's scenario replay.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use motcua::{Config, Store};
use motcua_e2e::bin;
use motcua_e2e::centre::{Centre, Nats, Postgres, key};
use motcua_e2e::scenario::{self, Scenario};

/// The service day the scenario replays (its first Monday).
fn replay_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

/// One runtime for the tests' PostgreSQL and NATS clients: its worker drives their connections
/// between the `block_on` calls.
fn rt() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::LazyLock<tokio::runtime::Runtime> = std::sync::LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    });
    &RT
}

/// One office of the test: its folder, config, key and shipper.
struct TestOffice {
    id: String,
    dir: tempfile::TempDir,
    public_key: String,
    ship: Option<Child>,
}

impl TestOffice {
    fn config(&self) -> PathBuf {
        self.dir.path().join("motcua.toml")
    }

    fn store(&self) -> Store {
        Store::open(&Config::load(Some(&self.config())).unwrap()).unwrap()
    }

    fn start_shipping(&mut self) {
        self.ship = Some(
            Command::new(bin("counter"))
                .arg("--config")
                .arg(self.config())
                .arg("ship")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(self.dir.path().join("ship.log")).expect("ship log"))
                .spawn()
                .expect("counter ship"),
        );
    }
}

impl Drop for TestOffice {
    fn drop(&mut self) {
        if let Some(mut c) = self.ship.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A centre with `n` offices, all keys made, nats-server and PostgreSQL running.
struct World {
    work: tempfile::TempDir,
    pg: Postgres,
    nats: Nats,
    offices: Vec<TestOffice>,
}

fn centre_toml(work: &Path, nats_url: &str, pg: &str, offices: &[TestOffice]) -> PathBuf {
    let mut t = format!(
        "[centre]\nname = \"Trung tâm điều hành tỉnh (thử nghiệm)\"\nlisten = \"127.0.0.1:0\"\n\
         nats_url = \"{nats_url}\"\ncredentials = \"centre.nk\"\npostgres = \"{pg}\"\n"
    );
    for (i, o) in offices.iter().enumerate() {
        t.push_str(&format!(
            "\n[[offices]]\nid = \"{}\"\nname = \"Phường số {}\"\nnkey = \"{}\"\n",
            o.id,
            i + 1,
            o.public_key
        ));
    }
    let path = work.join("centre.toml");
    std::fs::write(&path, t).unwrap();
    path
}

impl World {
    /// `n` offices of the quiet commune's scenario.
    fn new(n: usize) -> World {
        World::with_config(n, &quiet_commune().config())
    }

    /// `n` offices whose config is `office` with a `[centre]` section.
    fn with_config(n: usize, office: &str) -> World {
        let work = tempfile::tempdir().unwrap();
        let pg = Postgres::start();
        key(&work.path().join("centre.nk"));
        let offices: Vec<TestOffice> = (0..n)
            .map(|i| {
                let dir = tempfile::tempdir().unwrap();
                let public_key = key(&dir.path().join("office.nk"));
                TestOffice {
                    id: format!("phuong-{i:02}"),
                    dir,
                    public_key,
                    ship: None,
                }
            })
            .collect();
        // The authorization block does not depend on the URL: made first, then the real URL.
        let cfg = centre_toml(work.path(), "nats://127.0.0.1:1", &pg.conn(), &offices);
        let out = Command::new(bin("motcua-centre"))
            .arg("--config")
            .arg(&cfg)
            .arg("nats-config")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let nats = Nats::start(&String::from_utf8(out.stdout).unwrap());
        centre_toml(work.path(), &nats.url(), &pg.conn(), &offices);
        for o in &offices {
            let text = format!(
                "{}\n[centre]\nurl = \"{}\"\noffice_id = \"{}\"\ncredentials = \"office.nk\"\nstate_seconds = 1\n",
                office,
                nats.url(),
                o.id
            );
            std::fs::write(o.config(), text).unwrap();
            drop(o.store());
        }
        World {
            work,
            pg,
            nats,
            offices,
        }
    }

    /// The centre's log and the first office's shipping log, for a failure's message.
    fn logs(&self) -> String {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        format!(
            "centre:\n{}\nshipper of {}:\n{}\nnats:\n{}",
            read(self.work.path().join("centre.log")),
            self.offices[0].id,
            read(self.offices[0].dir.path().join("ship.log")),
            read(self.nats.dir.path().join("nats.log"))
        )
    }

    fn centre_config(&self) -> PathBuf {
        self.work.path().join("centre.toml")
    }

    fn pg(&self) -> tokio_postgres::Client {
        rt().block_on(async {
            let (client, conn) = tokio_postgres::connect(&self.pg.conn(), tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
        })
    }
}

/// Events per office in the office's own database.
fn office_event_ids(o: &TestOffice) -> Vec<i64> {
    let conn = rusqlite::Connection::open(o.dir.path().join("motcua.db")).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM event ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<Vec<i64>>>()
        .unwrap()
}

fn centre_event_ids(pg: &tokio_postgres::Client, office: &str) -> Vec<i64> {
    rt().block_on(async {
        pg.query(
            "SELECT id FROM event WHERE office = $1 ORDER BY id",
            &[&office],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    })
}

fn centre_total(pg: &tokio_postgres::Client) -> i64 {
    rt().block_on(async {
        match pg.query_one("SELECT COUNT(*) FROM event", &[]).await {
            Ok(r) => r.get(0),
            // The centre creates the table when it starts.
            Err(_) => 0,
        }
    })
}

/// Waits until the centre holds exactly each office's events, or panics after `limit`.
fn wait_caught_up(w: &World, pg: &tokio_postgres::Client, limit: Duration) {
    let expected: i64 = w
        .offices
        .iter()
        .map(|o| office_event_ids(o).len() as i64)
        .sum();
    let start = Instant::now();
    while centre_total(pg) < expected {
        assert!(
            start.elapsed() < limit,
            "the centre holds {} of {expected} events after {limit:?}\n{}",
            centre_total(pg),
            w.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every office's events are in PostgreSQL exactly once, ids and all, and every rating.
fn assert_exactly_once(w: &World, pg: &tokio_postgres::Client) {
    for o in &w.offices {
        let here = office_event_ids(o);
        assert!(!here.is_empty(), "{} has no events", o.id);
        assert_eq!(centre_event_ids(pg, &o.id), here, "{}", o.id);
        let conn = rusqlite::Connection::open(o.dir.path().join("motcua.db")).unwrap();
        let ratings: i64 = conn
            .query_row("SELECT COUNT(*) FROM rating", [], |r| r.get(0))
            .unwrap();
        let at_centre: i64 = rt().block_on(async {
            pg.query_one("SELECT COUNT(*) FROM rating WHERE office = $1", &[&o.id])
                .await
                .unwrap()
                .get(0)
        });
        assert_eq!(at_centre, ratings, "ratings of {}", o.id);
    }
    let skipped: i64 = rt().block_on(async {
        pg.query_one("SELECT COUNT(*) FROM skipped", &[])
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(skipped, 0, "no message of a real office is skipped");
}

/// Issues a ticket and calls it at counter 1 with the real clock: the office's latency.
fn issue_and_call(store: &mut Store) -> Duration {
    let start = Instant::now();
    store.issue("TP", None, chrono::Utc::now()).unwrap();
    store
        .call_next(1, chrono::Utc::now())
        .unwrap()
        .expect("a ticket to call");
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn fifty_offices_reach_the_centre_exactly_once_through_an_outage_and_a_crash() {
    let mut w = World::new(50);
    let mut centre = Centre::start(&w.centre_config());
    for o in &mut w.offices {
        o.start_shipping();
    }
    // Traffic while shipping: a day of the quiet commune in each office, each its own seed.
    std::thread::scope(|s| {
        for part in 0..2 {
            let offices = &w.offices;
            s.spawn(move || {
                for (i, o) in offices.iter().enumerate().filter(|(i, _)| i % 2 == part) {
                    let mut sc = quiet_commune();
                    sc.seed = 100 + i as u64;
                    let mut store = o.store();
                    scenario::replay(&sc, &mut store, false).unwrap();
                }
            });
        }
    });
    let pg = w.pg();
    wait_caught_up(&w, &pg, Duration::from_secs(180));
    assert_exactly_once(&w, &pg);

    // The centre's figures are the offices' own reports.
    let day = replay_day();
    let r = rt();
    for o in &w.offices {
        let store = o.store();
        let cfg = store.config().clone();
        let own = motcua::report::build(&store.report_rows(day, day).unwrap(), &cfg, day, day);
        let centre_figures = r
            .block_on(motcua_centre::db::figures(&pg, &o.id, day, day))
            .unwrap();
        assert_eq!(centre_figures, own.totals, "figures of {}", o.id);
        assert!(own.totals.served > 0 && own.totals.rated > 0, "{}", o.id);
    }

    // The link drops for a minute; the offices keep working at their usual speed.
    let mut first = w.offices[0].store();
    let up: Vec<Duration> = (0..20).map(|_| issue_and_call(&mut first)).collect();
    w.nats.stop();
    let outage = Instant::now();
    let mut down = Vec::new();
    let mut stores: Vec<Store> = w.offices.iter().take(5).map(TestOffice::store).collect();
    while outage.elapsed() < Duration::from_secs(60) {
        for s in &mut stores {
            down.push(issue_and_call(s));
        }
        // A day's worth for one office: ~2,000 tickets' events wait for the link.
        for _ in 0..10 {
            first.issue("DD", None, chrono::Utc::now()).unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (up_p50, down_p50) = (median(up), median(down));
    assert!(
        down_p50 <= up_p50 * 3 + Duration::from_millis(5),
        "issue+call took {down_p50:?} (median) with the centre unreachable, {up_p50:?} with it"
    );
    let before = centre_total(&pg);

    // The link is back: catch-up starts; the centre is killed in the middle of it.
    w.nats.restart();
    let start = Instant::now();
    loop {
        let n = centre_total(&pg);
        if n > before {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no catch-up began"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    centre.kill();
    let at_kill = centre_total(&pg);
    let expected: i64 = w
        .offices
        .iter()
        .map(|o| office_event_ids(o).len() as i64)
        .sum();
    eprintln!("centre killed holding {at_kill} of {expected} events");
    assert!(
        at_kill < expected,
        "the centre was killed after the catch-up, not during it"
    );
    centre.restart();
    wait_caught_up(&w, &pg, Duration::from_secs(120));
    assert_exactly_once(&w, &pg);
    assert!(
        !centre.log().contains("panicked"),
        "the centre's log:\n{}",
        centre.log()
    );
}

/// The quiet commune's scenario, one day.
fn quiet_commune() -> Scenario {
    let mut s = Scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/quiet-commune.toml"),
    )
    .unwrap();
    s.days = 1;
    s.rating_share = 0.4;
    s
}

#[test]
fn an_office_cannot_publish_as_another_and_bad_messages_are_skipped() {
    let mut w = World::new(2);
    let centre = Centre::start(&w.centre_config());
    w.offices[0].start_shipping();
    {
        let mut s = w.offices[0].store();
        s.issue("TP", None, chrono::Utc::now()).unwrap();
    }
    let pg = w.pg();
    wait_caught_up(&w, &pg, Duration::from_secs(60));

    let seed = std::fs::read_to_string(w.offices[0].dir.path().join("office.nk")).unwrap();
    let (own, other) = (w.offices[0].id.clone(), w.offices[1].id.clone());
    rt().block_on(async {
        let client = async_nats::ConnectOptions::with_nkey(seed.trim().to_string())
            .custom_inbox_prefix(motcua::centre::inbox_prefix(&own))
            .connect(w.nats.url())
            .await
            .unwrap();
        let mut js = async_nats::jetstream::new(client);
        js.set_timeout(Duration::from_secs(3));
        // Another office's subject: refused by the server, never acknowledged.
        let fake = format!(
            "{{\"type\":\"rating\",\"office\":\"{other}\",\"ticket_id\":1,\"score\":1,\"reason\":null,\"at\":0,\"counter\":null}}"
        );
        let refused = match js
            .publish(motcua::centre::events_subject(&other), fake.clone().into())
            .await
        {
            Err(_) => true,
            Ok(ack) => ack.await.is_err(),
        };
        assert!(refused, "office {own} published on {other}'s subject");
        // Its own subject: a malformed message, and one claiming to be the other office.
        for payload in ["{not json".to_string(), fake] {
            js.publish(motcua::centre::events_subject(&own), payload.into())
                .await
                .unwrap()
                .await
                .expect("the server takes it; the centre must skip it");
        }
    });
    let start = Instant::now();
    let skipped = loop {
        let rows: Vec<(String, String)> = rt().block_on(async {
            pg.query("SELECT subject, reason FROM skipped ORDER BY id", &[])
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        });
        if rows.len() >= 2 || start.elapsed() > Duration::from_secs(30) {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[0].1.contains("malformed"), "{skipped:?}");
    assert!(skipped[1].1.contains(&other), "{skipped:?}");
    // Nothing reached the other office, and the centre still ingests.
    assert!(centre_event_ids(&pg, &other).is_empty());
    {
        let mut s = w.offices[0].store();
        s.issue("TP", None, chrono::Utc::now()).unwrap();
    }
    wait_caught_up(&w, &pg, Duration::from_secs(60));
    assert_exactly_once_but_skipped(&w, &pg);
    assert!(centre.log().contains("message skipped"), "{}", centre.log());
}

fn assert_exactly_once_but_skipped(w: &World, pg: &tokio_postgres::Client) {
    let o = &w.offices[0];
    assert_eq!(centre_event_ids(pg, &o.id), office_event_ids(o));
}

/// Adds a leader's account with `motcua-centre user`, the password on standard input.
fn add_leader(w: &World, login: &str, password: &str, extra: &[&str]) {
    use std::io::Write;
    let mut child = Command::new(bin("motcua-centre"))
        .arg("--config")
        .arg(w.centre_config())
        .args(["user", login])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The body of `path` on the leaders' page after signing in as `login` (plain HTTP).
fn leader_get(centre: &Centre, login: &str, password: &str, path: &str) -> (u16, String) {
    let (status, body) = leader_get_bytes(centre, login, password, path);
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn leader_get_bytes(centre: &Centre, login: &str, password: &str, path: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let r = agent
        .post(&format!("{}/login", centre.url))
        .send_form([("login", login), ("password", password)])
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default();
    let mut r = agent
        .get(&format!("{}{path}", centre.url))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    (
        r.status().as_u16(),
        r.body_mut().read_to_vec().unwrap_or_default(),
    )
}

#[test]
fn a_province_viewer_sees_every_office_and_a_commune_viewer_only_its_own() {
    let w = World::new(3);
    let centre = Centre::start(&w.centre_config());
    add_leader(&w, "tinh", "mat-khau-tinh", &["--role", "province"]);
    add_leader(
        &w,
        "xa",
        "mat-khau-xa-01",
        &["--role", "office", "--office", "phuong-01"],
    );
    let ids = |body: &str| -> Vec<String> {
        let rows: Vec<serde_json::Value> = serde_json::from_str(body).unwrap();
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, body) = leader_get(&centre, "tinh", "mat-khau-tinh", "/api/offices");
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), ["phuong-00", "phuong-01", "phuong-02"]);
    let (s, body) = leader_get(&centre, "xa", "mat-khau-xa-01", "/api/offices");
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), ["phuong-01"]);
    let (s, _) = leader_get(&centre, "xa", "mat-khau-xa-01", "/office/phuong-02");
    assert_eq!(s, 404, "another office's page");
    let (s, _) = leader_get(&centre, "xa", "sai-mat-khau", "/api/offices");
    assert_eq!(s, 401, "a wrong password signs nobody in");
    // Five wrong passwords lock the login for a while, even against the right one.
    for _ in 0..4 {
        leader_get(&centre, "xa", "sai-mat-khau", "/api/offices");
    }
    let (s, _) = leader_get(&centre, "xa", "mat-khau-xa-01", "/api/offices");
    assert_eq!(s, 401, "locked after five wrong passwords");
    let (s, _) = leader_get(&centre, "tinh", "mat-khau-tinh", "/api/offices");
    assert_eq!(s, 200, "other logins are not locked");
    // The ranking, as CSV, holds what the viewer may see.
    let (s, csv) = leader_get(
        &centre,
        "tinh",
        "mat-khau-tinh",
        "/report.csv?from=2026-11-02&to=2026-11-02",
    );
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.starts_with("Hạng,Mã trung tâm,Trung tâm"), "{csv}");
    let (s, xlsx) = leader_get_bytes(
        &centre,
        "tinh",
        "mat-khau-tinh",
        "/report.xlsx?from=2026-11-02&to=2026-11-02",
    );
    assert_eq!(s, 200);
    use calamine::Reader as _;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Xếp hạng").unwrap();
    assert_eq!(
        sheet.get_value((0, 2)),
        Some(&calamine::Data::String("Trung tâm".into()))
    );
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&calamine::Data::Float(1.0)),
        "a number, not text"
    );
    assert_eq!(sheet.height(), 4);
}

#[test]
fn the_leaders_page_in_chromium_shows_fifty_offices_live_and_marks_a_long_wait() {
    use crate::chromium::{browser, chromedriver, js, wait_js, wait_text};
    use fantoccini::Locator;
    // Target wait one minute, so a ticket issued three minutes ago is past it.
    let office = motcua_testkit::OfficeToml::standard()
        .section("[queue]\ntarget_wait_minutes = 1")
        .build();
    let mut w = World::with_config(50, &office);
    let _centre = Centre::start(&w.centre_config());
    let centre_url = _centre.url.clone();
    for o in &mut w.offices {
        o.start_shipping();
    }
    add_leader(&w, "lanh-dao", "mat-khau-tinh", &["--role", "province"]);
    let mut busy = w.offices[7].store();
    busy.issue("TP", None, chrono::Utc::now()).unwrap();
    busy.issue("TP", None, chrono::Utc::now()).unwrap();

    let (_driver, driver_url) = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let b = browser(&driver_url, profile.path()).await;
        b.goto(&format!("{centre_url}/login")).await.unwrap();
        b.find(Locator::Css("#login")).await.unwrap().send_keys("lanh-dao").await.unwrap();
        b.find(Locator::Css("#password")).await.unwrap().send_keys("mat-khau-tinh").await.unwrap();
        b.find(Locator::Css("#signin")).await.unwrap().click().await.unwrap();
        wait_js(
            &b,
            "return document.querySelectorAll('#offices tbody tr').length === 50",
            "fifty offices",
        )
        .await;
        let names = js(&b, "return [...document.querySelectorAll('#offices tbody tr td:first-child a')].map(a => a.textContent)").await;
        for i in 1..=50 {
            assert!(
                names.as_array().unwrap().iter().any(|n| n == &format!("Phường số {i}")),
                "Phường số {i} in {names}"
            );
        }
        let row = |id: &str, cell: &str| format!("tr[data-office='{id}'] td.{cell}");
        wait_text(&b, &row("phuong-07", "waiting"), "2").await;
        // A call in one office changes its row within 5 s.
        let called = Instant::now();
        busy.call_next(1, chrono::Utc::now()).unwrap().unwrap();
        wait_text(&b, &row("phuong-07", "waiting"), "1").await;
        let took = called.elapsed();
        assert!(took <= Duration::from_secs(5), "the row changed after {took:?}");
        wait_text(&b, &row("phuong-07", "counters"), "1 / 0 (của 4)").await;
        assert_eq!(
            js(&b, "return document.querySelectorAll('#offices tr.over').length").await,
            0,
            "nobody waits past the target yet"
        );
        // A ticket issued three minutes ago waits past the one-minute target: the red mark.
        let mut late = w.offices[12].store();
        late.issue("DD", None, chrono::Utc::now() - chrono::TimeDelta::minutes(3))
            .unwrap();
        wait_js(
            &b,
            "return document.querySelector(\"tr[data-office='phuong-12']\").classList.contains('over')",
            "the red mark on phuong-12",
        )
        .await;
        let color = js(&b, "return getComputedStyle(document.querySelector(\"tr[data-office='phuong-12'] .mark\")).color").await;
        assert_eq!(color, "rgb(176, 0, 0)");
        assert_eq!(
            js(&b, "return [...document.querySelectorAll('#offices tr.over')].map(r => r.dataset.office)").await,
            serde_json::json!(["phuong-12"])
        );
        // The drill-down shows the office's services.
        b.goto(&format!("{centre_url}/office/phuong-12")).await.unwrap();
        wait_js(&b, "return document.querySelectorAll('#services tr.over').length === 1", "the late service marked").await;
        b.close().await.unwrap();
    });
}
