//! The touchscreen: the Slint window's controller. Rust and the UI meet only through the
//! `KioskAdapter` global; issuing, printing and refreshing run off the UI thread through a
//! [`Dispatcher`], and their results come back to the event loop.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::sync::Arc;

use chrono::Utc;
use motcua::clock::{Clock, SystemClock};
use motcua::config::WhenNotReady;
use motcua::{Config, Ticket};
use slint::{ComponentHandle, Model, ModelRc, SharedPixelBuffer, SharedString, VecModel};

use crate::printer::PrintError;
use crate::{IssueError, Issued, Kiosk};

slint::include_modules!();

/// What the UI applies on the event loop once a job is done.
pub type Apply = Box<dyn FnOnce(&KioskWindow) + Send>;
/// Work for the kiosk's worker: runs with the [`Kiosk`] (store and printer), never on the UI thread.
pub type Job = Box<dyn FnOnce(&mut Kiosk) -> Apply + Send>;

/// Runs jobs away from the UI thread and hands their results back.
pub trait Dispatcher {
    /// Queues `job`.
    fn submit(&self, job: Job);
}

/// Production dispatcher: one worker thread owns the [`Kiosk`]; results return through
/// `upgrade_in_event_loop`, so a slow printer never freezes the screen.
pub struct ThreadDispatcher {
    tx: mpsc::Sender<Job>,
}

impl ThreadDispatcher {
    /// Starts the worker thread with `kiosk`, posting results to `window`.
    pub fn start(mut kiosk: Kiosk, window: slint::Weak<KioskWindow>) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("kiosk-worker".into())
            .spawn(move || {
                for job in rx {
                    let apply = job(&mut kiosk);
                    if window.upgrade_in_event_loop(move |w| apply(&w)).is_err() {
                        break;
                    }
                }
            })
            .expect("start the kiosk worker thread");
        ThreadDispatcher { tx }
    }
}

impl Dispatcher for ThreadDispatcher {
    fn submit(&self, job: Job) {
        if self.tx.send(job).is_err() {
            tracing::error!("kiosk worker has stopped");
        }
    }
}

/// Test dispatcher: jobs wait until [`ManualDispatcher::run_pending`] runs them on this thread,
/// so a test decides exactly when "the printer answers".
pub struct ManualDispatcher {
    queue: RefCell<VecDeque<Job>>,
    kiosk: RefCell<Kiosk>,
    window: slint::Weak<KioskWindow>,
}

impl ManualDispatcher {
    /// A dispatcher running jobs against `kiosk` and applying them to `window`.
    pub fn new(kiosk: Kiosk, window: slint::Weak<KioskWindow>) -> Self {
        ManualDispatcher {
            queue: RefCell::new(VecDeque::new()),
            kiosk: RefCell::new(kiosk),
            window,
        }
    }

    /// Runs every queued job (and jobs they queue); returns how many ran.
    pub fn run_pending(&self) -> usize {
        let mut n = 0;
        loop {
            let Some(job) = self.queue.borrow_mut().pop_front() else {
                return n;
            };
            let apply = job(&mut self.kiosk.borrow_mut());
            if let Some(w) = self.window.upgrade() {
                apply(&w);
            }
            n += 1;
        }
    }

    /// How many jobs wait.
    pub fn pending(&self) -> usize {
        self.queue.borrow().len()
    }

    /// The kiosk, for checks.
    pub fn kiosk(&self) -> std::cell::RefMut<'_, Kiosk> {
        self.kiosk.borrow_mut()
    }
}

impl Dispatcher for ManualDispatcher {
    fn submit(&self, job: Job) {
        self.queue.borrow_mut().push_back(job);
    }
}

impl<D: Dispatcher + ?Sized> Dispatcher for Rc<D> {
    fn submit(&self, job: Job) {
        (**self).submit(job)
    }
}

/// Taps on the clock, within [`GESTURE_WINDOW`], that open the staff PIN pad.
const GESTURE_TAPS: usize = 5;
const GESTURE_WINDOW: Duration = Duration::from_secs(3);

/// The controller's state on the UI thread.
pub struct Controller {
    cfg: Config,
    /// Where "now" comes from (tests fix it).
    clock: Arc<dyn Clock>,
    dispatcher: Rc<dyn Dispatcher>,
    window: slint::Weak<KioskWindow>,
    taps: RefCell<VecDeque<Instant>>,
    /// Set synchronously on the first tap, cleared when the result arrives: a double tap issues one.
    busy: Cell<bool>,
    /// When the done or trouble page appeared: they go home by themselves (see [`Controller::tick`]).
    shown_at: Cell<Option<Instant>>,
    /// When the current ticket was asked for: a slow printer gets a message after [`SLOW_AFTER`].
    busy_since: Cell<Option<Instant>>,
    /// When the last ID-card scan's message appeared on the home screen.
    scanned_at: Cell<Option<Instant>>,
}

/// How long issuing may take before the screen says the printer is slow.
pub const SLOW_AFTER: Duration = Duration::from_secs(5);
/// What the busy overlay says at first, and once the printer is slow.
const BUSY_TEXT: &str = "Đang in phiếu, vui lòng chờ…";
const SLOW_TEXT: &str =
    "Máy in phản hồi chậm, vui lòng chờ thêm giây lát hoặc liên hệ cán bộ hướng dẫn";

/// Wires the window to the kiosk: callbacks, the first refresh. Returns the controller, which the
/// caller keeps alive (and calls [`Controller::refresh`] / [`Controller::tick_clock`] on timers).
pub fn setup(window: &KioskWindow, cfg: Config, dispatcher: Rc<dyn Dispatcher>) -> Rc<Controller> {
    setup_with_clock(window, cfg, dispatcher, Arc::new(SystemClock))
}

/// [`setup`] with time from `clock`.
pub fn setup_with_clock(
    window: &KioskWindow,
    cfg: Config,
    dispatcher: Rc<dyn Dispatcher>,
    clock: Arc<dyn Clock>,
) -> Rc<Controller> {
    let a = window.global::<KioskAdapter>();
    a.set_office_name(cfg.office.name.clone().into());
    a.set_greeting(cfg.kiosk.greeting.clone().into());
    a.set_portrait(cfg.kiosk.orientation == motcua::config::Orientation::Portrait);
    let priorities: Vec<PriorityItem> = cfg
        .priorities
        .iter()
        .map(|p| PriorityItem {
            code: p.code.clone().into(),
            name: p.name.clone().into(),
        })
        .collect();
    a.set_priorities(ModelRc::new(VecModel::from(priorities)));
    let mut letters: Vec<SharedString> = Vec::new();
    for c in cfg.services.iter().flat_map(|s| s.prefix.chars()) {
        let c = SharedString::from(c.to_string());
        if !letters.contains(&c) {
            letters.push(c);
        }
    }
    a.set_reprint_letters(ModelRc::new(VecModel::from(letters)));
    let c = Rc::new(Controller {
        cfg,
        clock,
        dispatcher,
        window: window.as_weak(),
        taps: RefCell::new(VecDeque::new()),
        busy: Cell::new(false),
        shown_at: Cell::new(None),
        busy_since: Cell::new(None),
        scanned_at: Cell::new(None),
    });
    c.set_services(&[]);

    let w = Rc::downgrade(&c);
    a.on_issue(move |service, priority| {
        if let Some(c) = w.upgrade() {
            c.issue(service.as_str(), priority.as_str());
        }
    });
    let w = Rc::downgrade(&c);
    a.on_go_home(move || {
        if let Some(c) = w.upgrade() {
            c.go_home();
        }
    });
    let w = Rc::downgrade(&c);
    a.on_choose_priority(move |code, name| {
        if let Some(c) = w.upgrade() {
            c.with(|a| {
                a.set_chosen_priority(code.clone());
                a.set_chosen_priority_name(name.clone());
                a.set_page(Page::Priority);
            });
        }
    });
    let w = Rc::downgrade(&c);
    a.on_staff_gesture(move || {
        if let Some(c) = w.upgrade() {
            c.staff_tap(Instant::now());
        }
    });
    let w = Rc::downgrade(&c);
    a.on_pin_submit(move |pin| {
        if let Some(c) = w.upgrade() {
            c.pin_submit(pin.as_str());
        }
    });
    a.on_exit_app(|| {
        tracing::info!("kiosk closed by staff");
        let _ = slint::quit_event_loop();
    });
    let w = Rc::downgrade(&c);
    a.on_print_test(move || {
        if let Some(c) = w.upgrade() {
            c.print_test();
        }
    });
    let w = Rc::downgrade(&c);
    a.on_reprint(move |number| {
        if let Some(c) = w.upgrade() {
            c.reprint(number.as_str());
        }
    });
    let w = Rc::downgrade(&c);
    a.on_scanned(move |text| {
        if let Some(c) = w.upgrade() {
            c.scanned(text.as_str());
        }
    });
    register(&c);
    c.tick_clock();
    c.refresh();
    c
}

/// One service's button as the worker computed it.
#[derive(Debug, Clone)]
struct ServiceView {
    code: String,
    name: String,
    waiting: u32,
    open: bool,
    note: String,
}

impl Controller {
    fn with(&self, f: impl FnOnce(&KioskAdapter)) {
        if let Some(w) = self.window.upgrade() {
            f(&w.global::<KioskAdapter>());
        }
    }

    fn set_services(&self, views: &[ServiceView]) {
        let items: Vec<ServiceItem> = if views.is_empty() {
            // Before the first refresh: every service, open, nobody counted yet.
            self.cfg
                .services
                .iter()
                .map(|s| ServiceItem {
                    code: s.code.clone().into(),
                    name: s.name.clone().into(),
                    waiting: 0,
                    open: true,
                    note: SharedString::default(),
                })
                .collect()
        } else {
            views
                .iter()
                .map(|v| ServiceItem {
                    code: v.code.clone().into(),
                    name: v.name.clone().into(),
                    waiting: v.waiting as i32,
                    open: v.open,
                    note: v.note.clone().into(),
                })
                .collect()
        };
        self.with(|a| {
            let model = a.get_services();
            // Update in place when the shape is unchanged: no flicker, no rebuilt buttons.
            if model.row_count() == items.len() {
                for (i, item) in items.into_iter().enumerate() {
                    if model.row_data(i).as_ref() != Some(&item) {
                        model.set_row_data(i, item);
                    }
                }
            } else {
                a.set_services(ModelRc::new(VecModel::from(items)));
            }
        });
    }

    /// Sets the clock and date from the system time (call every second).
    pub fn tick_clock(&self) {
        let now = self.clock.now().with_timezone(&self.cfg.office.timezone);
        self.with(|a| {
            a.set_clock(now.format("%H:%M").to_string().into());
            a.set_date(motcua::vi::date_line(now.date_naive()).into());
        });
    }

    /// Time passes (called a few times a second with the current instant): the done page goes
    /// home after `[kiosk] auto_return_seconds`, the trouble page after twice that.
    pub fn tick(&self, now: Instant) {
        if let Some(at) = self.scanned_at.get()
            && now.saturating_duration_since(at) >= self.cfg.kiosk.auto_return
        {
            self.scanned_at.set(None);
            self.with(|a| a.set_cccd_message(SharedString::default()));
        }
        if let Some(since) = self.busy_since.get()
            && now.saturating_duration_since(since) >= SLOW_AFTER
        {
            self.with(|a| a.set_busy_text(SLOW_TEXT.into()));
        }
        let Some(since) = self.shown_at.get() else {
            return;
        };
        let Some(w) = self.window.upgrade() else {
            return;
        };
        let a = w.global::<KioskAdapter>();
        let limit = match a.get_page() {
            Page::Done => self.cfg.kiosk.auto_return,
            Page::Trouble => self.cfg.kiosk.auto_return * 2,
            _ => {
                self.shown_at.set(None);
                return;
            }
        };
        if now.saturating_duration_since(since) >= limit {
            self.go_home();
        }
    }

    /// Asks the worker for waiting counts, opening hours and the printer's status.
    pub fn refresh(&self) {
        let cfg = self.cfg.clone();
        let now = self.clock.now();
        let unsynchronised = self.clock.synchronised() == Some(false);
        self.dispatcher.submit(Box::new(move |k: &mut Kiosk| {
            let local = now.with_timezone(&cfg.office.timezone).time();
            let state = k.queue().waiting(now);
            let server = server_problem(state.as_ref().err());
            let views: Vec<ServiceView> = cfg
                .services
                .iter()
                .map(|s| {
                    let waiting = state
                        .as_ref()
                        .ok()
                        .and_then(|st| st.iter().find(|(c, _)| *c == s.code))
                        .map_or(0, |(_, n)| *n);
                    let (open, note) = match s.open_at(local) {
                        Ok(()) => (true, String::new()),
                        Err(Some(t)) => (
                            false,
                            format!("Tạm ngừng – mở lại lúc {}", t.format("%H:%M")),
                        ),
                        Err(None) => (false, "Đã hết giờ nhận hồ sơ hôm nay".to_string()),
                    };
                    ServiceView {
                        code: s.code.clone(),
                        name: s.name.clone(),
                        waiting,
                        open,
                        note,
                    }
                })
                .collect();
            let printer = k.printer_status(now).err().map(|e| e.vi().to_string());
            let clock = if unsynchronised {
                Some(format!(
                    "{}: giờ trên phiếu có thể sai, vui lòng báo cán bộ",
                    motcua::clock::UNSYNCHRONISED_VI
                ))
            } else {
                k.queue().clock_problem(now)
            };
            Box::new(move |w: &KioskWindow| {
                let a = w.global::<KioskAdapter>();
                a.set_clock_message(clock.unwrap_or_default().into());
                if let Some(c) = CONTROLLER.with(|c| c.borrow().upgrade()) {
                    c.set_services(&views);
                    c.apply_health(server.as_deref(), printer.as_deref(), &a);
                }
            })
        }));
    }

    /// The banner and whether tickets may be taken: an unreachable office server refuses every
    /// ticket (a number is never invented); otherwise the printer decides.
    fn apply_health(&self, server: Option<&str>, printer: Option<&str>, a: &KioskAdapter) {
        match server {
            Some(msg) => {
                a.set_printer_ok(false);
                a.set_printer_message(msg.into());
                a.set_issuing_allowed(false);
            }
            None => self.apply_printer(printer, a),
        }
    }

    fn apply_printer(&self, problem: Option<&str>, a: &KioskAdapter) {
        match problem {
            None => {
                a.set_printer_ok(true);
                a.set_printer_message(SharedString::default());
                a.set_issuing_allowed(true);
            }
            Some(msg) => {
                a.set_printer_ok(false);
                let refuse = self.when_not_ready() == WhenNotReady::Refuse;
                let text = if refuse {
                    msg.to_string()
                } else {
                    format!("{msg}. Số thứ tự sẽ hiện trên màn hình.")
                };
                a.set_printer_message(text.into());
                a.set_issuing_allowed(!refuse);
            }
        }
    }

    fn when_not_ready(&self) -> WhenNotReady {
        self.cfg
            .printer
            .as_ref()
            .map_or(WhenNotReady::Refuse, |p| p.when_not_ready)
    }

    /// A citizen tapped a service (with a priority class code, or "").
    pub fn issue(&self, service: &str, priority: &str) {
        if self.busy.replace(true) {
            tracing::debug!("tap ignored: a ticket is being issued");
            return;
        }
        self.busy_since.set(Some(Instant::now()));
        self.with(|a| {
            a.set_busy(true);
            a.set_busy_text(BUSY_TEXT.into());
        });
        let service = service.to_string();
        let priority = (!priority.is_empty()).then(|| priority.to_string());
        let mode = self.when_not_ready();
        let cfg = self.cfg.clone();
        let now = self.clock.now();
        self.dispatcher.submit(Box::new(move |k: &mut Kiosk| {
            let mut result = k.issue(&service, priority.as_deref(), true, now);
            let mut not_ready: Option<&'static str> = None;
            if let (Err(IssueError::NotReady(e)), WhenNotReady::ShowOnScreen) = (&result, mode) {
                // Nobody is turned away: issue without paper and show the number large.
                tracing::warn!(error = %e, "printer not ready: issuing on screen");
                not_ready = Some(e.vi());
                result = k.issue(&service, priority.as_deref(), false, now);
            }
            // The printer's state for the banner: known from this very attempt when it printed or
            // refused; asked again only when the outcome does not say.
            let server = server_problem(result.as_ref().err());
            let printer = match (&result, not_ready) {
                (_, Some(reason)) => Some(reason.to_string()),
                (Ok(issued), None) if issued.printed => None,
                (Err(IssueError::NotReady(e)), None) => Some(e.vi().to_string()),
                _ if server.is_some() => None,
                _ => k.printer_status(now).err().map(|e| e.vi().to_string()),
            };
            if let Ok(issued) = &result {
                k.speak(&issued.ticket);
            }
            let view = result.map(|issued| DoneView::new(&issued, not_ready, &cfg));
            Box::new(move |w: &KioskWindow| {
                if let Some(c) = CONTROLLER.with(|c| c.borrow().upgrade()) {
                    c.busy.set(false);
                    c.busy_since.set(None);
                    let a = w.global::<KioskAdapter>();
                    a.set_busy(false);
                    a.set_cccd_message(SharedString::default());
                    c.apply_health(server.as_deref(), printer.as_deref(), &a);
                    c.shown_at.set(Some(Instant::now()));
                    match view {
                        Ok(v) => v.show(&a),
                        Err(e) => {
                            tracing::warn!(error = %e, "no ticket issued");
                            a.set_trouble_title("Chưa lấy được số thứ tự".into());
                            a.set_trouble_text(e.vi().into());
                            a.set_page(Page::Trouble);
                        }
                    }
                    c.refresh();
                }
            })
        }));
    }

    /// Back to the home screen.
    pub fn go_home(&self) {
        self.shown_at.set(None);
        self.with(|a| {
            a.set_page(Page::Home);
            a.set_chosen_priority(SharedString::default());
            a.set_chosen_priority_name(SharedString::default());
            a.set_pin_entry(SharedString::default());
            a.set_pin_length(0);
            a.set_pin_error(SharedString::default());
            a.set_settings_message(SharedString::default());
            a.set_cccd_message(SharedString::default());
        });
        self.scanned_at.set(None);
    }

    /// One tap on the hidden staff area; five within three seconds open the PIN pad.
    pub fn staff_tap(&self, at: Instant) {
        if self.cfg.kiosk.staff_pin_hash.is_none() {
            return;
        }
        let mut taps = self.taps.borrow_mut();
        taps.push_back(at);
        while taps
            .front()
            .is_some_and(|t| at.duration_since(*t) > GESTURE_WINDOW)
        {
            taps.pop_front();
        }
        if taps.len() >= GESTURE_TAPS {
            taps.clear();
            self.with(|a| {
                a.set_pin_entry(SharedString::default());
                a.set_pin_length(0);
                a.set_pin_error(SharedString::default());
                a.set_page(Page::Pin);
            });
        }
    }

    /// Checks the staff PIN on the worker thread: argon2 takes tens of milliseconds, which the
    /// UI thread must not spend.
    fn pin_submit(&self, pin: &str) {
        let hash = self.cfg.kiosk.staff_pin_hash.clone();
        let pin = pin.to_string();
        self.with(|a| {
            a.set_pin_entry(SharedString::default());
            a.set_pin_length(0);
        });
        self.dispatcher.submit(Box::new(move |_: &mut Kiosk| {
            let ok = hash
                .as_deref()
                .is_some_and(|h| motcua::secret::verify(&pin, h));
            Box::new(move |w: &KioskWindow| {
                let a = w.global::<KioskAdapter>();
                if ok {
                    a.set_pin_error(SharedString::default());
                    a.set_page(Page::Settings);
                } else {
                    a.set_pin_error("Mã PIN không đúng".into());
                }
            })
        }));
    }

    fn print_test(&self) {
        let now = self.clock.now();
        self.dispatcher.submit(Box::new(move |k: &mut Kiosk| {
            let msg = match k.print_test(now) {
                Ok(_) => "Đã in phiếu thử.".to_string(),
                Err(e) => e.vi().to_string(),
            };
            Box::new(move |w: &KioskWindow| {
                w.global::<KioskAdapter>().set_settings_message(msg.into());
            })
        }));
    }

    /// Staff print today's ticket `number` again (the reprint page behind the PIN).
    pub fn reprint(&self, number: &str) {
        let number = number.trim().to_uppercase();
        if number.is_empty() {
            self.with(|a| a.set_settings_message("Vui lòng nhập số thứ tự cần in lại".into()));
            return;
        }
        let now = self.clock.now();
        self.dispatcher.submit(Box::new(move |k: &mut Kiosk| {
            let result = k.reprint(&number, None, now);
            Box::new(move |w: &KioskWindow| {
                let a = w.global::<KioskAdapter>();
                match result {
                    Ok(t) => {
                        tracing::info!(number = %t.number, "reprinted by staff at the kiosk");
                        a.set_settings_message(format!("Đã in lại số {}", t.number).into());
                        a.set_reprint_entry(SharedString::default());
                        a.set_page(Page::Settings);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reprint refused");
                        a.set_settings_message(e.vi().into());
                    }
                }
            })
        }));
    }

    /// The 2D scanner typed a code on the home screen. An ID card (CCCD) of someone aged 60
    /// or over goes straight to the services with the configured priority class chosen; any
    /// other scan gets a short message. Nothing of the text is kept or logged.
    pub fn scanned(&self, text: &str) {
        let Some(code) = self.cfg.kiosk.cccd_priority.clone() else {
            return;
        };
        let Some(w) = self.window.upgrade() else {
            return;
        };
        let a = w.global::<KioskAdapter>();
        if a.get_page() != Page::Home || a.get_busy() {
            return;
        }
        let today = self
            .clock
            .now()
            .with_timezone(&self.cfg.office.timezone)
            .date_naive();
        let scan = crate::cccd::read(text, today);
        tracing::info!(result = ?scan, "code scanned at the kiosk");
        const NOT_KEPT: &str = "Thông tin trên thẻ không được lưu lại.";
        let name = self
            .cfg
            .priorities
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.scanned_at.set(Some(Instant::now()));
        match scan {
            crate::cccd::Scan::Elderly if a.get_issuing_allowed() => {
                a.set_chosen_priority(code.into());
                a.set_chosen_priority_name(name.into());
                a.set_cccd_message(
                    format!("Đã đọc thẻ căn cước: mời ông/bà chạm vào lĩnh vực để lấy số ưu tiên. {NOT_KEPT}").into(),
                );
                a.set_page(Page::Priority);
            }
            crate::cccd::Scan::Elderly => {}
            crate::cccd::Scan::Younger => a.set_cccd_message(
                format!(
                    "Số ưu tiên {} dành cho công dân từ {} tuổi trở lên. Vui lòng chọn lĩnh vực. {NOT_KEPT}",
                    name.to_lowercase(),
                    crate::cccd::ELDERLY_AGE
                )
                .into(),
            ),
            crate::cccd::Scan::NotACard => a.set_cccd_message(
                "Mã vừa quét không phải mã QR của thẻ căn cước công dân.".into(),
            ),
        }
    }
}

/// What the screen says about the office server: only a kiosk on the LAN has one.
fn server_problem(e: Option<&IssueError>) -> Option<String> {
    match e {
        Some(e @ IssueError::Offline(_)) => Some(e.vi()),
        // This device's token is refused, or the server itself fails: no ticket can be taken.
        Some(e @ IssueError::Refused { status, .. })
            if matches!(status, 401 | 403) || *status >= 500 =>
        {
            Some(e.vi())
        }
        _ => None,
    }
}

thread_local! {
    /// The controller of this thread's window, for results that come back through the event loop.
    static CONTROLLER: RefCell<std::rc::Weak<Controller>> = const { RefCell::new(std::rc::Weak::new()) };
}

/// Makes `c` the controller results are applied to (one kiosk window per UI thread).
fn register(c: &Rc<Controller>) {
    CONTROLLER.with(|slot| *slot.borrow_mut() = Rc::downgrade(c));
}

/// What the done screen shows, computed on the worker.
struct DoneView {
    number: String,
    service: String,
    ahead: String,
    wait: String,
    note: String,
    qr: Option<SharedPixelBuffer<slint::Rgb8Pixel>>,
}

impl DoneView {
    /// `not_ready`: the printer's trouble when the ticket was issued on screen on purpose.
    fn new(issued: &Issued, not_ready: Option<&str>, cfg: &Config) -> DoneView {
        let t: &Ticket = &issued.ticket;
        let service = cfg
            .service(&t.service)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let ahead = match t.waiting_ahead {
            0 => "Không có ai đang chờ trước bạn".to_string(),
            n => format!("Có {n} người đang chờ trước bạn"),
        };
        let wait = match issued.wait {
            Some(motcua::estimate::Estimate::Minutes { high: 0, .. }) => {
                "Bạn sẽ sớm được gọi".to_string()
            }
            Some(w) => format!("Thời gian chờ dự kiến: {w}"),
            None => String::new(),
        };
        let trouble = not_ready.or(issued.print_error.as_ref().map(PrintError::vi));
        let (note, qr) = match (issued.printed, trouble) {
            (true, _) => ("Vui lòng nhận phiếu".to_string(), None),
            (false, Some(reason)) => (
                {
                    tracing::warn!(reason, number = %t.number, "ticket shown on screen, not printed");
                    "Chưa in được phiếu: vui lòng ghi nhớ hoặc chụp lại số thứ tự".to_string()
                },
                motcua::api::status_url(t, cfg).and_then(|u| qr_pixels(&u)),
            ),
            (false, None) => (
                "Vui lòng ghi nhớ số thứ tự".to_string(),
                motcua::api::status_url(t, cfg).and_then(|u| qr_pixels(&u)),
            ),
        };
        DoneView {
            number: t.number.clone(),
            service,
            ahead,
            wait,
            note,
            qr,
        }
    }

    fn show(self, a: &KioskAdapter) {
        a.set_ticket_number(self.number.into());
        a.set_ticket_service(self.service.into());
        a.set_ticket_ahead(self.ahead.into());
        a.set_ticket_wait(self.wait.into());
        a.set_ticket_note(self.note.into());
        match self.qr {
            Some(px) => {
                a.set_ticket_qr(slint::Image::from_rgb8(px));
                a.set_ticket_show_qr(true);
            }
            None => a.set_ticket_show_qr(false),
        }
        a.set_page(Page::Done);
    }
}

/// The status URL as a QR picture (black on white, 1 px per module, scaled by the UI).
pub fn qr_pixels(url: &str) -> Option<SharedPixelBuffer<slint::Rgb8Pixel>> {
    let code =
        qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let n = code.width() as u32;
    let quiet = 4;
    let size = n + 2 * quiet;
    let mut buf = SharedPixelBuffer::<slint::Rgb8Pixel>::new(size, size);
    let colors = code.to_colors();
    let px = buf.make_mut_slice();
    for (i, p) in px.iter_mut().enumerate() {
        let (x, y) = (i as u32 % size, i as u32 / size);
        let dark = x >= quiet
            && y >= quiet
            && x < quiet + n
            && y < quiet + n
            && colors[((y - quiet) * n + (x - quiet)) as usize] == qrcode::Color::Dark;
        let v = if dark { 0 } else { 255 };
        *p = slint::Rgb8Pixel { r: v, g: v, b: v };
    }
    Some(buf)
}

/// Runs the kiosk window until staff close it: full screen unless `windowed`.
///
/// At start-up, tickets that were committed but never reached the printer are voided (with an
/// event), so none is silently forgotten; those whose print failed after the citizen saw the
/// number keep their place.
pub fn run(cfg: Config, mut kiosk: Kiosk, windowed: bool) -> Result<(), slint::PlatformError> {
    if cfg.kiosk.speak {
        match display_board::voice::Bank::load(cfg.kiosk.voice_dir.as_deref()) {
            Ok(bank) => kiosk.set_voice(bank, display_board::voice::default_sink()),
            Err(e) => {
                tracing::error!(error = %e, "the voice clips cannot be read: the kiosk runs without voice")
            }
        }
    }
    match kiosk.recover(false, Utc::now()) {
        Ok(done) if !done.is_empty() => {
            tracing::warn!(count = done.len(), "unprinted tickets handled at start-up");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "start-up check of unprinted tickets failed"),
    }
    let window = KioskWindow::new()?;
    let (w, h) = cfg.kiosk.orientation.size();
    window
        .window()
        .set_size(slint::LogicalSize::new(w as f32, h as f32));
    if !windowed {
        window.window().set_fullscreen(true);
        // The public has no way out of full screen: only staff, through the PIN, can close it.
        window
            .window()
            .on_close_requested(|| slint::CloseRequestResponse::KeepWindowShown);
    }
    let dispatcher: Rc<dyn Dispatcher> = Rc::new(ThreadDispatcher::start(kiosk, window.as_weak()));
    let controller = setup(&window, cfg, dispatcher);
    let refresh = slint::Timer::default();
    let c = Rc::downgrade(&controller);
    refresh.start(slint::TimerMode::Repeated, REFRESH_EVERY, move || {
        if let Some(c) = c.upgrade() {
            c.refresh();
        }
    });
    // SIGTERM (systemd stopping the service) or Ctrl-C ends the event loop cleanly; a ticket
    // being printed finishes on the worker first, as the window closes after its job.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            tracing::warn!(error = %e, "cannot watch signals");
        }
    }
    let clock = slint::Timer::default();
    let c = Rc::downgrade(&controller);
    clock.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(250),
        move || {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::info!("stopping");
                let _ = slint::quit_event_loop();
                return;
            }
            if let Some(c) = c.upgrade() {
                c.tick_clock();
                c.tick(Instant::now());
            }
        },
    );
    window.run()
}

/// How often waiting counts and the printer's status are refreshed.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3);
