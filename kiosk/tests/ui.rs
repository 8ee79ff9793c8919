//! Headless tests of the kiosk screen (Slint's testing backend, software renderer; no X):
//! taps through the accessibility API, a real SQLite file, the virtual printer's files, and
//! screenshots compared with committed PNGs.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use kiosk::Kiosk;
use kiosk::ui::{Controller, KioskAdapter, KioskWindow, ManualDispatcher, Page};
use motcua::clock::FixedClock;
use motcua::{Config, Store};
use motcua_testkit::{OfficeToml, golden};
use slint::ComponentHandle;

/// The office these tests use.
static CONFIG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    OfficeToml::empty("UBND phường Hòa Khê")
        .service("TP", "Tư pháp - Hộ tịch", "first_number = 1001\ndigits = 4")
        .service("CT", "Chứng thực", "first_number = 2001\ndigits = 4")
        .service(
            "DD",
            "Đất đai - Xây dựng",
            "first_number = 3001\ndigits = 4",
        )
        .service(
            "LD",
            "Lao động - Thương binh và Xã hội",
            "first_number = 4001\ndigits = 4",
        )
        .counter(1, &["TP", "CT", "DD", "LD"])
        .priority("elderly", "Người cao tuổi")
        .priority("disabled", "Người khuyết tật")
        .priority("pregnant", "Phụ nữ mang thai")
        .priority("veteran", "Người có công")
        .section("[status]\nbase_url = \"http://192.168.1.10:8080\"")
        .build()
});

struct Ui {
    size: (u32, u32),
    dir: tempfile::TempDir,
    window: KioskWindow,
    dispatcher: Rc<ManualDispatcher>,
    controller: Rc<Controller>,
    clock: Arc<RealTime>,
}

fn init_platform() {
    kiosk::headless::init().expect("one platform per test thread");
}

/// A kiosk on a fresh office folder; `extra` is appended to the config.
/// The system's time, with the clock synchronised or not as the test says (the machine's own
/// NTP state must not change the screenshots).
#[derive(Default)]
struct RealTime {
    unsynchronised: std::sync::atomic::AtomicBool,
}

impl motcua::clock::Clock for RealTime {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
    fn synchronised(&self) -> Option<bool> {
        Some(
            !self
                .unsynchronised
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

fn start(extra: &str) -> Ui {
    init_platform();
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n{extra}", *CONFIG);
    let text = if text.contains("[printer]") {
        text
    } else {
        format!("{text}\n[printer]\nport = \"virtual:tickets\"\n")
    };
    std::fs::write(dir.path().join("motcua.toml"), text).unwrap();
    let cfg = Config::load(Some(&dir.path().join("motcua.toml"))).unwrap();
    let kiosk = Kiosk::new(Store::open(&cfg).unwrap(), None);
    let window = KioskWindow::new().unwrap();
    let (w, h) = cfg.kiosk.orientation.size();
    window.window().set_size(slint::PhysicalSize::new(w, h));
    let dispatcher = Rc::new(ManualDispatcher::new(kiosk, window.as_weak()));
    let clock = Arc::new(RealTime::default());
    let controller = kiosk::ui::setup_with_clock(&window, cfg, dispatcher.clone(), clock.clone());
    dispatcher.run_pending();
    window.show().unwrap();
    let ui = Ui {
        size: (w, h),
        dir,
        window,
        dispatcher,
        controller,
        clock,
    };
    // A fixed clock, so screenshots do not depend on the time of the run.
    ui.adapter().set_clock("09:15".into());
    ui.adapter().set_date("Thứ Ba, 24/11/2026".into());
    ui
}

impl Ui {
    fn adapter(&self) -> KioskAdapter<'_> {
        self.window.global::<KioskAdapter>()
    }

    fn page(&self) -> Page {
        self.adapter().get_page()
    }

    /// Taps the (first) element with this accessible label; panics if there is none.
    fn tap(&self, label: &str) {
        let el = ElementHandle::find_by_accessible_label(&self.window, label)
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?} on {:?}", self.page()));
        el.invoke_accessible_default_action();
    }

    fn labelled(&self, label: &str) -> Vec<ElementHandle> {
        ElementHandle::find_by_accessible_label(&self.window, label).collect()
    }

    fn tickets(&self) -> Vec<(String, String, Option<String>, Option<i64>)> {
        let db = rusqlite::Connection::open(self.dir.path().join("motcua.db")).unwrap();
        let mut stmt = db
            .prepare("SELECT number, service, priority, printed_at FROM ticket ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn printed_files(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("tickets"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".bin"))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn fault(&self, fault: &str) {
        std::fs::create_dir_all(self.dir.path().join("tickets")).unwrap();
        std::fs::write(self.dir.path().join("tickets/fault"), fault).unwrap();
        self.controller.refresh();
        self.dispatcher.run_pending();
    }

    /// Compares the window with `screenshots/NAME.png`. With UPDATE_GOLDEN=1 it rewrites the file
    /// and reports it, so the run still fails (see [`Shots::finish`]).
    fn check_screenshot(&self, name: &str, shots: &mut Shots) {
        let (w, h) = self.size;
        let actual = golden::Rgb {
            width: w,
            height: h,
            pixels: kiosk::headless::render(w, h),
        };
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/screenshots/{name}.png"));
        let tol = golden::Tolerance {
            channel: 40,
            share: 0.002,
        };
        if let Err(e) = golden::picture(&path, &actual, tol) {
            shots.0.push(e);
        }
    }
}

/// Screenshot problems collected over a test, reported together at its end.
#[derive(Default)]
struct Shots(Vec<String>);

impl Shots {
    fn finish(self) {
        assert!(self.0.is_empty(), "screenshots:\n{}", self.0.join("\n"));
    }
}

#[test]
fn tap_a_service_issues_prints_and_shows_the_same_number() {
    let ui = start("");
    assert_eq!(ui.page(), Page::Home);
    ui.tap("Tư pháp - Hộ tịch");
    // The work is off the UI thread: the screen shows progress until the worker answers.
    assert!(ui.adapter().get_busy());
    assert_eq!(ui.dispatcher.pending(), 1);
    ui.dispatcher.run_pending();
    assert!(!ui.adapter().get_busy());
    assert_eq!(ui.page(), Page::Done);
    let tickets = ui.tickets();
    assert_eq!(tickets.len(), 1);
    let (number, service, priority, printed) = &tickets[0];
    assert_eq!(
        (number.as_str(), service.as_str(), priority),
        ("1001", "TP", &None)
    );
    assert!(printed.is_some(), "marked printed");
    assert_eq!(
        ui.printed_files().len(),
        1,
        "bytes at the (virtual) printer"
    );
    assert_eq!(ui.adapter().get_ticket_number(), "1001");
    assert!(
        !ui.labelled("1001").is_empty(),
        "the done screen shows the number"
    );
    assert_eq!(ui.adapter().get_ticket_note(), "Vui lòng nhận phiếu");
}

/// The done screen says the wait the estimate gives for the new ticket: here three people ahead
/// at one counter, each served in exactly 10 minutes on earlier days.
#[test]
fn the_done_screen_shows_the_estimated_wait() {
    let ui = start("");
    let cfg = Config::load(Some(&ui.dir.path().join("motcua.toml"))).unwrap();
    let mut store = Store::open(&cfg).unwrap();
    let now = chrono::Utc::now();
    // At noon of the three days before (office time): never across a midnight, whenever the
    // test runs.
    let today = store.business_date(now);
    let noon = |day: i64| {
        chrono::TimeZone::from_local_datetime(
            &cfg.office.timezone,
            &(today - chrono::TimeDelta::days(day))
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
        .unwrap()
        .with_timezone(&chrono::Utc)
    };
    for day in (1..=3).rev() {
        for k in 0..4 {
            let at = noon(day) + chrono::TimeDelta::minutes(10 * k);
            store.issue("TP", None, at).unwrap();
            store.call_next(1, at).unwrap().unwrap();
            store
                .act_on_current(
                    1,
                    motcua::Action::Finish,
                    at + chrono::TimeDelta::minutes(10),
                )
                .unwrap();
        }
    }
    for _ in 0..3 {
        store.issue("TP", None, now).unwrap();
    }
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    assert_eq!(ui.adapter().get_ticket_number(), "1004");
    assert_eq!(
        ui.adapter().get_ticket_wait(),
        "Thời gian chờ dự kiến: khoảng 30 phút"
    );
}

#[test]
fn priority_path_is_two_touches() {
    let ui = start("");
    ui.tap("Người cao tuổi");
    assert_eq!(ui.page(), Page::Priority);
    ui.tap("Chứng thực");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    let t = &ui.tickets()[0];
    assert_eq!(
        (t.0.as_str(), t.1.as_str(), t.2.as_deref()),
        ("2001", "CT", Some("elderly"))
    );
    // "Quay lại" from the priority page goes home without issuing.
    ui.controller.go_home();
    ui.tap("Phụ nữ mang thai");
    ui.tap("Quay lại");
    assert_eq!(ui.page(), Page::Home);
    assert_eq!(ui.tickets().len(), 1);
}

#[test]
fn a_slow_printer_gets_a_message_and_the_screen_stays_responsive() {
    let ui = start("");
    ui.tap("Tư pháp - Hộ tịch");
    let t0 = Instant::now();
    assert_eq!(ui.adapter().get_busy_text(), "Đang in phiếu, vui lòng chờ…");
    ui.controller.tick(t0 + Duration::from_secs(2));
    assert_eq!(ui.adapter().get_busy_text(), "Đang in phiếu, vui lòng chờ…");
    ui.controller
        .tick(t0 + kiosk::ui::SLOW_AFTER + Duration::from_millis(100));
    assert!(
        ui.adapter()
            .get_busy_text()
            .starts_with("Máy in phản hồi chậm")
    );
    // The event loop was never blocked: the screen still answers (a tap is refused, not queued).
    ui.tap("Chứng thực");
    assert_eq!(ui.dispatcher.pending(), 1);
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    assert_eq!(ui.tickets().len(), 1);
}

#[test]
fn double_tap_issues_one_ticket() {
    let ui = start("");
    ui.tap("Đất đai - Xây dựng");
    ui.tap("Đất đai - Xây dựng");
    assert_eq!(
        ui.dispatcher.pending(),
        1,
        "the second tap is ignored while the first is in progress"
    );
    ui.dispatcher.run_pending();
    assert_eq!(ui.tickets().len(), 1);
}

#[test]
fn printer_not_ready_refuse_says_so_before_choosing_and_issues_nothing() {
    let ui = start("");
    ui.fault("paper-out");
    let msg = "Máy in tạm hết giấy, vui lòng liên hệ cán bộ hướng dẫn";
    assert_eq!(ui.adapter().get_printer_message(), msg);
    assert!(!ui.labelled(msg).is_empty(), "banner on the home screen");
    assert!(!ui.adapter().get_issuing_allowed());
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Home);
    assert!(ui.tickets().is_empty());

    // Trouble that starts between the last check and the tap: a clear page, no ticket.
    std::fs::remove_file(ui.dir.path().join("tickets/fault")).unwrap();
    ui.controller.refresh();
    ui.dispatcher.run_pending();
    assert!(ui.adapter().get_issuing_allowed());
    std::fs::write(ui.dir.path().join("tickets/fault"), "cover-open").unwrap();
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Trouble);
    assert!(
        ui.adapter()
            .get_trouble_text()
            .contains("Nắp máy in đang mở")
    );
    assert!(ui.tickets().is_empty());
}

#[test]
fn printer_not_ready_show_mode_issues_on_screen_with_qr() {
    let ui = start("[printer]\nport = \"virtual:tickets\"\nwhen_not_ready = \"show\"\n");
    ui.fault("paper-out");
    assert!(ui.adapter().get_issuing_allowed(), "nobody is turned away");
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    let t = &ui.tickets()[0];
    assert_eq!((t.0.as_str(), t.3), ("1001", None), "issued, not printed");
    assert!(ui.printed_files().is_empty());
    assert!(ui.adapter().get_ticket_show_qr());
    assert!(
        ui.adapter()
            .get_ticket_note()
            .starts_with("Chưa in được phiếu")
    );
    assert!(
        ui.adapter()
            .get_printer_message()
            .starts_with("Máy in tạm hết giấy")
    );
}

#[test]
fn done_screen_returns_home_by_itself_and_on_touch() {
    let ui = start("[kiosk]\nauto_return_seconds = 6\n");
    let t0 = Instant::now();
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    ui.controller.tick(t0 + Duration::from_secs(5));
    assert_eq!(ui.page(), Page::Done, "still showing after 5 s");
    ui.controller.tick(t0 + Duration::from_millis(6_500));
    assert_eq!(ui.page(), Page::Home, "home by itself after 6 s");
    ui.tap("Chứng thực");
    ui.dispatcher.run_pending();
    ui.tap("Quay lại màn hình chính");
    assert_eq!(ui.page(), Page::Home, "home on touch");
}

#[test]
fn closed_service_is_greyed_with_its_opening_time() {
    // Regression: the test read the clock twice and failed when the hour turned in between;
    // the kiosk now takes a fixed clock, 10:20 local time.
    let clock = Arc::new(FixedClock::at(
        chrono::DateTime::parse_from_rfc3339("2026-11-24T10:20:00+07:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    ));
    let (hours, note) = (
        "11:00-12:00".to_string(),
        "Tạm ngừng – mở lại lúc 11:00".to_string(),
    );
    let cfg = CONFIG.replace(
        "name = \"Chứng thực\"",
        &format!("name = \"Chứng thực\"\nhours = [\"{hours}\"]"),
    );
    init_platform();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motcua.toml"), &cfg).unwrap();
    let cfg = Config::load(Some(&dir.path().join("motcua.toml"))).unwrap();
    let window = KioskWindow::new().unwrap();
    let d = Rc::new(ManualDispatcher::new(
        Kiosk::new(Store::open(&cfg).unwrap(), None),
        window.as_weak(),
    ));
    let _c = kiosk::ui::setup_with_clock(&window, cfg, d.clone(), clock);
    d.run_pending();
    let el = ElementHandle::find_by_accessible_label(&window, "Chứng thực")
        .next()
        .unwrap();
    assert_eq!(el.accessible_description().unwrap(), note);
    assert_eq!(el.accessible_enabled(), Some(false));
    el.invoke_accessible_default_action();
    assert_eq!(d.pending(), 0, "a closed service issues nothing");
}

#[test]
fn staff_gesture_and_pin_open_settings() {
    let hash = motcua::secret::hash("2468").unwrap();
    let ui = start(&format!("[kiosk]\nstaff_pin_hash = \"{hash}\"\n"));
    // Five quick taps on the clock corner, as real pointer events.
    for _ in 0..5 {
        let pos = slint::LogicalPosition::new(1800.0, 60.0);
        let w = ui.window.window();
        w.dispatch_event(slint::platform::WindowEvent::PointerPressed {
            position: pos,
            button: slint::platform::PointerEventButton::Left,
        });
        w.dispatch_event(slint::platform::WindowEvent::PointerReleased {
            position: pos,
            button: slint::platform::PointerEventButton::Left,
        });
    }
    assert_eq!(ui.page(), Page::Pin);
    for d in ["1", "1", "1", "1", "OK"] {
        ui.tap(d);
    }
    // Regression: the PIN was hashed on the UI thread; now the worker checks it.
    assert_eq!(
        ui.dispatcher.pending(),
        1,
        "the PIN check goes to the worker"
    );
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Pin);
    assert_eq!(ui.adapter().get_pin_error(), "Mã PIN không đúng");
    for d in ["2", "4", "6", "8", "OK"] {
        ui.tap(d);
    }
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Settings);
    ui.tap("In phiếu thử");
    ui.dispatcher.run_pending();
    assert_eq!(ui.adapter().get_settings_message(), "Đã in phiếu thử.");
}

#[test]
fn without_a_staff_pin_the_gesture_does_nothing() {
    let plain = start("");
    for _ in 0..5 {
        plain.controller.staff_tap(Instant::now());
    }
    assert_eq!(plain.page(), Page::Home);
}

fn screens(ui: &Ui, orientation: &str) {
    let mut shots = Shots::default();
    ui.check_screenshot(&format!("home-{orientation}"), &mut shots);
    ui.tap("Người cao tuổi");
    ui.check_screenshot(&format!("priority-{orientation}"), &mut shots);
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    ui.check_screenshot(&format!("done-{orientation}"), &mut shots);
    ui.controller.go_home();
    ui.fault("paper-out");
    ui.check_screenshot(&format!("printer-trouble-{orientation}"), &mut shots);
    shots.finish();
}

#[test]
fn screenshots_landscape() {
    let ui = start("");
    screens(&ui, "landscape");
}

#[test]
fn screenshots_portrait() {
    let ui = start("[kiosk]\norientation = \"portrait\"\n");
    screens(&ui, "portrait");
}

#[test]
fn screenshot_show_mode_done_with_qr() {
    let ui = start("[printer]\nport = \"virtual:tickets\"\nwhen_not_ready = \"show\"\n");
    ui.fault("paper-out");
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert!(ui.adapter().get_ticket_show_qr());
    // The real QR holds the ticket's random token; draw a fixed one so the picture is stable.
    let fixed =
        kiosk::ui::qr_pixels("http://192.168.1.10:8080/t/000000000000000000000000").unwrap();
    ui.adapter().set_ticket_qr(slint::Image::from_rgb8(fixed));
    let mut shots = Shots::default();
    ui.check_screenshot("done-on-screen-landscape", &mut shots);
    shots.finish();
}

/// Types `text` and Enter as a 2D scanner in keyboard mode does.
fn scan(ui: &Ui, text: &str) {
    let w = ui.window.window();
    for c in text.chars().map(String::from).chain([String::from("\n")]) {
        let text: slint::SharedString = if c == "\n" {
            slint::platform::Key::Return.into()
        } else {
            c.into()
        };
        w.dispatch_event(slint::platform::WindowEvent::KeyPressed { text: text.clone() });
        w.dispatch_event(slint::platform::WindowEvent::KeyReleased { text });
    }
}

/// A log sink for one test thread.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// #11.4: the back of a chip ID card scanned at the home screen. 60 or over (on the birthday
/// too) goes straight to the services with the elderly priority; 59 and other codes get a
/// short message; nothing of the card is in the database, the printed files or the logs.
#[test]
fn an_id_card_scan_offers_the_elderly_priority_and_keeps_nothing() {
    use chrono::Datelike;
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let ui = start("");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive();
    let years_ago = |n: i32, day_after: bool| {
        let d = today.with_year(today.year() - n).unwrap_or_else(|| {
            today
                .with_day(1)
                .unwrap()
                .with_month(3)
                .unwrap()
                .with_year(today.year() - n)
                .unwrap()
        });
        let d = if day_after { d.succ_opt().unwrap() } else { d };
        d.format("%d%m%Y").to_string()
    };
    let sixty_today = years_ago(60, false);
    let fifty_nine = years_ago(60, true);
    let card = |dob: &str, number: &str| {
        format!(
            "{number}|197654321|Trần Thị Bích Ngọc|{dob}|Nữ|Tổ 5, phường Hòa Khê, Đà Nẵng|15062021"
        )
    };

    // 59: a message, the home screen stays.
    scan(&ui, &card(&fifty_nine, "048166001122"));
    assert_eq!(ui.page(), Page::Home);
    let msg = ui.adapter().get_cccd_message();
    assert!(msg.contains("từ 60 tuổi"), "{msg}");
    assert!(msg.contains("không được lưu lại"), "{msg}");

    // Not a card, and a malformed card: ignored with a short message.
    for other in [
        "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html".to_string(),
        card("3102xxxx", "048166001133"),
    ] {
        scan(&ui, &other);
        assert_eq!(ui.page(), Page::Home);
        assert_eq!(
            ui.adapter().get_cccd_message(),
            "Mã vừa quét không phải mã QR của thẻ căn cước công dân."
        );
    }

    // 60 today: one touch on a service gives an elderly ticket.
    scan(&ui, &card(&sixty_today, "048166009988"));
    assert_eq!(ui.page(), Page::Priority);
    assert_eq!(ui.adapter().get_chosen_priority(), "elderly");
    assert!(
        ui.adapter()
            .get_cccd_message()
            .contains("không được lưu lại")
    );
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Done);
    let tickets = ui.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].2.as_deref(), Some("elderly"));

    // Nothing of any card anywhere: database (and its journal), printed files, logs.
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("code scanned"),
        "the scans are logged, as results only"
    );
    let secrets = [
        "048166001122",
        "048166001133",
        "048166009988",
        "197654321",
        "Bích Ngọc",
        &sixty_today,
        &fifty_nine,
        "Hòa Khê, Đà Nẵng",
    ];
    let mut files = vec![];
    for entry in walk(ui.dir.path()) {
        files.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    files.push(("logs".into(), logs.into_bytes()));
    assert!(files.len() >= 3, "database, printed ticket, logs");
    for (name, bytes) in &files {
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{s:?} found in {name}"
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn with_cccd_scan_off_a_scan_does_nothing() {
    let ui = start("[kiosk]\ncccd_scan = \"off\"\n");
    scan(&ui, "048166009988||Trần Văn A|01011950|Nam|X|15062021");
    assert_eq!(ui.page(), Page::Home);
    assert_eq!(ui.adapter().get_cccd_message(), "");
}

/// #11.3: staff reprint from the kiosk's own menu (it holds the printer while it runs).
#[test]
fn staff_reprint_from_the_settings_menu() {
    let ui = start("");
    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    assert_eq!(ui.printed_files().len(), 1);
    ui.adapter().set_page(Page::Settings);
    ui.tap("In lại số");
    assert_eq!(ui.page(), Page::Reprint);
    for d in ["9", "9", "In lại"] {
        ui.tap(d);
    }
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Reprint, "a wrong number stays on the pad");
    let msg = ui.adapter().get_settings_message();
    assert!(!msg.is_empty() && msg != "Đã in lại số 99", "{msg}");
    ui.tap("Xóa");
    for d in ["1", "0", "0", "1", "In lại"] {
        ui.tap(d);
    }
    ui.dispatcher.run_pending();
    assert_eq!(ui.page(), Page::Settings);
    assert_eq!(ui.adapter().get_settings_message(), "Đã in lại số 1001");
    let db = rusqlite::Connection::open(ui.dir.path().join("motcua.db")).unwrap();
    let reprints: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM event WHERE kind = 'reprinted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reprints, 1);
}

/// `counter serve` in this process on `listener`, until the returned sender is dropped or sent.
fn serve(
    cfg: Config,
    listener: std::net::TcpListener,
) -> (
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            counter::http::run(l, cfg, move |_| ready_tx.send(()).unwrap(), async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    ready.recv().expect("the server starts");
    (stop, handle)
}

/// #11.2: the touchscreen of a kiosk on the LAN. The server goes away: the screen says so in
/// Vietnamese and issues nothing (never a number of its own); it is back: the kiosk works again
/// by itself.
#[test]
fn a_kiosk_on_the_lan_says_when_the_server_is_offline_and_recovers() {
    init_platform();
    let dir = tempfile::tempdir().unwrap();
    let (server_dir, kiosk_dir) = (dir.path().join("server"), dir.path().join("kiosk"));
    std::fs::create_dir_all(&server_dir).unwrap();
    std::fs::create_dir_all(&kiosk_dir).unwrap();
    let (token, hash) = counter::http::auth::device_token("kiosk-door").unwrap();
    std::fs::write(
        server_dir.join("motcua.toml"),
        format!(
            "{}\n[[devices]]\nname = \"kiosk-door\"\nrole = \"kiosk\"\ntoken_hash = \"{hash}\"\n",
            *CONFIG
        ),
    )
    .unwrap();
    std::fs::write(
        kiosk_dir.join("motcua.toml"),
        format!("{}\n[printer]\nport = \"virtual:tickets\"\n", *CONFIG),
    )
    .unwrap();
    let scfg = Config::load(Some(&server_dir.join("motcua.toml"))).unwrap();
    let kcfg = Config::load(Some(&kiosk_dir.join("motcua.toml"))).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve(scfg.clone(), listener);

    let remote = kiosk::Remote::new(kcfg.clone(), &format!("http://{addr}"), &token);
    let window = KioskWindow::new().unwrap();
    let dispatcher = Rc::new(ManualDispatcher::new(
        Kiosk::new(remote, None),
        window.as_weak(),
    ));
    let controller = kiosk::ui::setup(&window, kcfg.clone(), dispatcher.clone());
    dispatcher.run_pending();
    window.show().unwrap();
    let a = window.global::<KioskAdapter>();
    let tap = |label: &str| {
        ElementHandle::find_by_accessible_label(&window, label)
            .next()
            .unwrap_or_else(|| panic!("no {label:?}"))
            .invoke_accessible_default_action();
        dispatcher.run_pending();
    };
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(server_dir.join("motcua.db"))
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    assert!(a.get_issuing_allowed());
    assert_eq!(a.get_printer_message(), "");

    tap("Tư pháp - Hộ tịch");
    assert_eq!(a.get_page(), Page::Done);
    assert_eq!(a.get_ticket_number(), "1001");
    assert_eq!(
        count("SELECT COUNT(*) FROM ticket WHERE printed_at IS NOT NULL"),
        1,
        "the server recorded the print"
    );
    assert!(
        !kiosk_dir.join("motcua.db").exists(),
        "no database on the kiosk box"
    );

    // The server stops.
    let (stop, handle) = server;
    stop.send(()).unwrap();
    handle.join().unwrap();
    controller.go_home();
    controller.refresh();
    dispatcher.run_pending();
    assert_eq!(a.get_printer_message(), kiosk::OFFLINE_VI);
    assert!(!a.get_issuing_allowed(), "the service buttons are off");
    // A tap that raced the banner: refused on screen, nothing issued.
    controller.issue("TP", "");
    dispatcher.run_pending();
    assert_eq!(a.get_page(), Page::Trouble);
    assert_eq!(a.get_trouble_text(), kiosk::OFFLINE_VI);
    assert_eq!(count("SELECT COUNT(*) FROM ticket"), 1);

    // Back on the same address: the next refresh clears the banner; tickets again.
    let server = serve(scfg, std::net::TcpListener::bind(addr).unwrap());
    controller.go_home();
    controller.refresh();
    dispatcher.run_pending();
    assert_eq!(a.get_printer_message(), "");
    assert!(a.get_issuing_allowed());
    tap("Chứng thực");
    assert_eq!(a.get_page(), Page::Done);
    assert_eq!(a.get_ticket_number(), "2001");
    assert_eq!(count("SELECT COUNT(*) FROM ticket"), 2);

    // A `printed` the server never got (it went away right after the slip came out) waits in
    // the kiosk's outbox; the kiosk restarted sends it before its recovery asks what is left.
    use kiosk::Backend;
    let mut r = kiosk::Remote::new(kcfg.clone(), &format!("http://{addr}"), &token);
    let t = r.issue("DD", None, true, chrono::Utc::now()).unwrap();
    std::fs::write(
        kiosk::backend::outbox_path(&kcfg),
        format!("printed {}\n", t.id),
    )
    .unwrap();
    let mut restarted = kiosk::Remote::new(kcfg.clone(), &format!("http://{addr}"), &token);
    assert_eq!(restarted.owed(), 1);
    assert!(restarted.unprinted(chrono::Utc::now()).unwrap().is_empty());
    assert_eq!(restarted.owed(), 0);
    assert!(!kiosk::backend::outbox_path(&kcfg).exists());
    assert_eq!(
        count("SELECT COUNT(*) FROM ticket WHERE printed_at IS NOT NULL"),
        3
    );
    // A report owed from before a restart goes out with the next one, and the outbox is
    // emptied then, not left to send it again later.
    let t2 = restarted
        .issue("DD", None, true, chrono::Utc::now())
        .unwrap();
    let t3 = restarted
        .issue("DD", None, true, chrono::Utc::now())
        .unwrap();
    std::fs::write(
        kiosk::backend::outbox_path(&kcfg),
        format!("printed {}\n", t2.id),
    )
    .unwrap();
    let mut again = kiosk::Remote::new(kcfg.clone(), &format!("http://{addr}"), &token);
    again.mark_printed(t3.id, chrono::Utc::now()).unwrap();
    assert_eq!(again.owed(), 0);
    assert!(!kiosk::backend::outbox_path(&kcfg).exists(), "emptied");
    assert_eq!(
        count("SELECT COUNT(*) FROM ticket WHERE printed_at IS NOT NULL"),
        5
    );
    let (stop, handle) = server;
    stop.send(()).unwrap();
    handle.join().unwrap();
}

/// One announcement: its clips and its samples.
type Said = (Vec<display_board::voice::Clip>, Vec<i16>);

/// Announcements the kiosk made.
#[derive(Clone, Default)]
struct Heard(Arc<std::sync::Mutex<Vec<Said>>>);

impl display_board::voice::Sink for Heard {
    fn play(&mut self, script: &[display_board::voice::Clip], samples: &[i16]) {
        self.0
            .lock()
            .unwrap()
            .push((script.to_vec(), samples.to_vec()));
    }
}

/// #11.5: with `speak = true` the kiosk says the number, the service (when the office recorded
/// its name) and "vui lòng chờ gọi", with the board's clips.
#[test]
fn the_kiosk_speaks_the_ticket_it_issues() {
    use display_board::voice::{Bank, Clip};
    let ui = start("[kiosk]\nspeak = true\nvoice_dir = \"voice\"\n");
    let voice = ui.dir.path().join("voice");
    std::fs::create_dir_all(&voice).unwrap();
    let name: Vec<i16> = (0..6000).map(|i| ((i % 40) * 700 - 14000) as i16).collect();
    display_board::voice::write_wav(&voice.join("linh_vuc_TP.wav"), &name).unwrap();
    let heard = Heard::default();
    let bank = Bank::load(Some(&voice)).unwrap();
    ui.dispatcher
        .kiosk()
        .set_voice(bank.clone(), Box::new(heard.clone()));

    ui.tap("Tư pháp - Hộ tịch");
    ui.dispatcher.run_pending();
    ui.controller.go_home();
    ui.tap("Chứng thực");
    ui.dispatcher.run_pending();
    ui.dispatcher.kiosk().finish_speaking();

    let heard = heard.0.lock().unwrap();
    let d = Clip::Digit;
    let expected = [
        vec![
            Clip::YourNumber,
            d(1),
            d(0),
            d(0),
            d(1),
            Clip::Service("TP".into()),
            Clip::PleaseWait,
        ],
        // No recording of "Chứng thực": said without the service's name.
        vec![Clip::YourNumber, d(2), d(0), d(0), d(1), Clip::PleaseWait],
    ];
    assert_eq!(
        heard.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(heard[0].1, bank.render(&expected[0]), "the board's clips");
}

#[test]
fn an_unsynchronised_clock_puts_a_warning_on_the_home_screen_and_issuing_goes_on() {
    let ui = start("");
    ui.controller.refresh();
    ui.dispatcher.run_pending();
    assert_eq!(ui.adapter().get_clock_message(), "");
    ui.clock
        .unsynchronised
        .store(true, std::sync::atomic::Ordering::Relaxed);
    ui.controller.refresh();
    ui.dispatcher.run_pending();
    let warning = ui.adapter().get_clock_message();
    assert!(
        warning.starts_with("Đồng hồ hệ thống chưa đồng bộ"),
        "{warning}"
    );
    assert!(ui.adapter().get_issuing_allowed(), "a warning, not a stop");
    ui.clock
        .unsynchronised
        .store(false, std::sync::atomic::Ordering::Relaxed);
    ui.controller.refresh();
    ui.dispatcher.run_pending();
    assert_eq!(ui.adapter().get_clock_message(), "");
}
