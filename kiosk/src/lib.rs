//! The kiosk's library: issue a ticket and print it without ever losing or duplicating one.
//!
//! Order of work for one citizen (NOTES.md): check the printer's real-time status; refuse while it
//! cannot print (no ticket issued); COMMIT the ticket; send the bytes; mark it printed. A failure
//! after COMMIT leaves a valid ticket marked not printed; [`Kiosk::recover`] handles those at
//! start-up.

pub mod backend;
pub mod candidates;
pub mod cccd;
pub mod headless;
pub mod printer;
pub mod ui;

use chrono::{DateTime, Utc};
use motcua::{Config, Ticket};

pub use crate::backend::{Backend, PRINTER_DEVICE, Remote};
use crate::printer::{PrintError, Printer};

/// Why no ticket was issued (or a kiosk operation failed).
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The printer cannot print now; nothing was written (exit code 3).
    #[error("{0}; no ticket was issued: fix the printer and try again")]
    NotReady(PrintError),
    /// The queue refused or failed.
    #[error(transparent)]
    Queue(#[from] motcua::Error),
    /// The office server cannot be reached (`kiosk --server`): nothing was issued.
    #[error("{0}; no ticket was issued: check the network and that `counter serve` runs")]
    Offline(String),
    /// The office server refused (its message is for people, in Vietnamese).
    #[error("the office server refused (HTTP {status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
}

/// What the screen says when the office server cannot be reached.
pub const OFFLINE_VI: &str = "Mất kết nối với máy chủ của Trung tâm: tạm thời chưa lấy được số thứ tự, vui lòng liên hệ cán bộ hướng dẫn";

impl IssueError {
    /// The message for the citizen, in Vietnamese.
    pub fn vi(&self) -> String {
        match self {
            IssueError::NotReady(p) => p.vi().to_string(),
            IssueError::Queue(q) => q.vi(),
            IssueError::Offline(_) => OFFLINE_VI.to_string(),
            IssueError::Refused { message, .. } => message.clone(),
        }
    }
}

/// A committed ticket and what became of its printing.
#[derive(Debug)]
pub struct Issued {
    /// The ticket as committed (and marked printed if it was).
    pub ticket: Ticket,
    /// Whether the paper came out.
    pub printed: bool,
    /// Why printing failed after COMMIT (the ticket stays valid, marked not printed).
    pub print_error: Option<PrintError>,
    /// The printer's paper is running low: tell staff.
    pub paper_near_end: bool,
    /// Its estimated wait at issue (on the slip and the done screen).
    pub wait: Option<motcua::estimate::Estimate>,
}

/// What [`Kiosk::recover`] did with one unprinted ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Printed now.
    Reprinted,
    /// Withdrawn from the queue with a `voided` event: it never reached the printer.
    Voided,
    /// Its print failed after the citizen was told the number: it stays in the queue.
    Kept,
}

/// The virtual printer's file name of a ticket.
fn file_name(t: &Ticket) -> String {
    format!(
        "{}-{}-{}-{}",
        t.business_date, t.origin_service, t.number, t.id
    )
}

/// The kiosk: the queue (local or the office server) and (when configured) the printer.
pub struct Kiosk {
    store: Box<dyn Backend>,
    printer: Option<Printer>,
    /// The printer status last written to the store: written again only when it changes, so a
    /// healthy printer costs no extra commit per ticket.
    recorded: Option<(String, String)>,
    /// The speaker line (`[kiosk] speak`).
    voice: Option<Voice>,
}

/// What the kiosk says a ticket with.
struct Voice {
    announcer: display_board::voice::Announcer,
    /// Services whose name has a clip.
    named: std::collections::HashSet<String>,
}

impl Kiosk {
    /// A kiosk on `store` (a [`motcua::Store`] or a [`Remote`]), printing on `printer` when given.
    pub fn new(store: impl Backend + 'static, printer: Option<Printer>) -> Self {
        Kiosk {
            store: Box::new(store),
            printer,
            recorded: None,
            voice: None,
        }
    }

    /// Speaks each ticket issued through [`Kiosk::speak`] with `bank` on `sink` (`[kiosk] speak`).
    pub fn set_voice(
        &mut self,
        bank: display_board::voice::Bank,
        sink: Box<dyn display_board::voice::Sink>,
    ) {
        let mut named = std::collections::HashSet::new();
        for s in &self.config().services {
            if bank.has(&display_board::voice::Clip::Service(s.code.clone())) {
                named.insert(s.code.clone());
            } else {
                tracing::info!(service = %s.code, "no linh_vuc_{}.wav in [kiosk] voice_dir: the service's name is not said", s.code);
            }
        }
        self.voice = Some(Voice {
            announcer: display_board::voice::Announcer::start(bank, sink),
            named,
        });
    }

    /// Says "Số của ông bà là …, <service>, vui lòng chờ gọi" for a ticket just issued, without
    /// waiting for it (nothing when there is no voice).
    pub fn speak(&self, t: &Ticket) {
        if let Some(v) = &self.voice {
            let named = v.named.contains(&t.service).then_some(t.service.as_str());
            v.announcer
                .say(display_board::voice::ticket_script(&t.number, named));
        }
    }

    /// Waits until everything said has been played (the kiosk stopping).
    pub fn finish_speaking(&mut self) {
        if let Some(v) = self.voice.take() {
            v.announcer.finish();
        }
    }

    /// The config.
    pub fn config(&self) -> &Config {
        self.store.config()
    }

    /// The queue.
    pub fn queue(&mut self) -> &mut dyn Backend {
        self.store.as_mut()
    }

    /// Whether tickets are printed (`[printer]` is configured).
    pub fn has_printer(&self) -> bool {
        self.store.config().printer.is_some()
    }

    /// The printer, opened now if it is not open yet (it was unplugged, or never opened).
    fn printer(&mut self) -> Result<&mut Printer, PrintError> {
        if self.printer.is_none() {
            let cfg = self
                .store
                .config()
                .printer
                .clone()
                .ok_or_else(PrintError::not_configured)?;
            self.printer = Some(Printer::open(&cfg)?);
        }
        Ok(self.printer.as_mut().expect("opened above"))
    }

    /// Forgets the handle after a link failure, so that the next use opens the port again
    /// (a USB-serial adapter that was re-plugged comes back under the same name).
    fn drop_handle_on(&mut self, e: &PrintError) {
        if matches!(
            e,
            PrintError::NoAnswer { .. } | PrintError::PortMissing { .. } | PrintError::Write(_)
        ) {
            self.printer = None;
        }
    }

    fn record(&mut self, status: &str, detail: &str, now: DateTime<Utc>) {
        let state = (status.to_string(), detail.to_string());
        if self.recorded.as_ref() == Some(&state) {
            return;
        }
        match self.store.set_printer_status(status, detail, now) {
            Ok(()) => self.recorded = Some(state),
            // An unreachable server is said once, by what the kiosk was asked to do.
            Err(e @ IssueError::Offline(_)) => {
                tracing::debug!(error = %e, "cannot record the printer's status")
            }
            Err(e) => tracing::warn!(error = %e, "cannot record the printer's status"),
        }
    }

    /// The printer's status now, recorded for staff. `Ok(None)` when there is no printer.
    pub fn printer_status(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Option<motcua::escpos::Status>, PrintError> {
        if !self.has_printer() {
            return Ok(None);
        }
        let status = self.printer().and_then(|p| p.status());
        if let Err(e) = &status {
            self.drop_handle_on(e);
        }
        match status {
            Ok(st) if st.ready() => {
                let s = if st.paper_near_end {
                    "paper_near_end"
                } else {
                    "ready"
                };
                self.record(s, "", now);
                Ok(Some(st))
            }
            Ok(st) => {
                let e = PrintError::NotReady(st);
                self.record(e.code(), &e.to_string(), now);
                Err(e)
            }
            Err(e) => {
                self.record(e.code(), &e.to_string(), now);
                Err(e)
            }
        }
    }

    /// Issues a ticket for `service` and prints it (unless `print` is false or there is no printer).
    pub fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        print: bool,
        now: DateTime<Utc>,
    ) -> Result<Issued, IssueError> {
        // Validate before touching the printer, so a typo is a usage error, not a printer one.
        self.config().service(service)?;
        if let Some(p) = priority {
            self.config().priority(p)?;
        }
        let print = print && self.has_printer();
        let mut near_end = false;
        if print {
            near_end = self
                .printer_status(now)
                .map_err(IssueError::NotReady)?
                .is_some_and(|s| s.paper_near_end);
        }
        let ticket = self.store.issue(service, priority, print, now)?;
        let wait = self.store.estimate(&ticket, now);
        if !print {
            return Ok(Issued {
                ticket,
                printed: false,
                print_error: None,
                paper_near_end: false,
                wait,
            });
        }
        match self.print(&ticket, wait.as_ref(), now) {
            Ok(after_near_end) => {
                // The slip is in the citizen's hand: report the ticket as committed and printed
                // without reading the store again (a failed read must not turn it into "no ticket").
                let mut ticket = ticket;
                ticket.printed_at = Some(now);
                Ok(Issued {
                    ticket,
                    printed: true,
                    print_error: None,
                    paper_near_end: near_end || after_near_end,
                    wait,
                })
            }
            Err(e) => {
                tracing::error!(number = %ticket.number, error = %e, "ticket committed but not printed");
                // The printer step was reached and the citizen is told the number (on screen,
                // or exit 4 with the JSON): the ticket stays in the queue, never voided.
                if let Err(e) = self.store.mark_print_failed(ticket.id) {
                    tracing::error!(error = %e, id = ticket.id, "cannot record the print failure");
                }
                Ok(Issued {
                    ticket,
                    printed: false,
                    print_error: Some(e),
                    paper_near_end: near_end,
                    wait,
                })
            }
        }
    }

    /// Sends `ticket` to the printer and marks it printed; `Ok(true)` when paper runs low.
    fn print(
        &mut self,
        ticket: &Ticket,
        wait: Option<&motcua::estimate::Estimate>,
        now: DateTime<Utc>,
    ) -> Result<bool, PrintError> {
        match self.send_ticket(ticket, wait, &file_name(ticket)) {
            Ok(after) => {
                if let Err(e) = self.store.mark_printed(ticket.id, now) {
                    // The paper is out of the printer: the citizen has it. Say so loudly, but do not
                    // report a print failure (a retry would print a duplicate slip).
                    tracing::error!(error = %e, id = ticket.id, "printed but not marked printed");
                }
                self.record(
                    if after.paper_near_end {
                        "paper_near_end"
                    } else {
                        "ready"
                    },
                    "",
                    now,
                );
                Ok(after.paper_near_end)
            }
            Err(e) => {
                self.record(e.code(), &e.to_string(), now);
                Err(e)
            }
        }
    }

    /// Prints today's ticket `number` again (for staff: a citizen lost the slip, or the printer
    /// jammed). Records a `reprinted` event.
    pub fn reprint(
        &mut self,
        number: &str,
        service: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError> {
        let ticket = self.store.find_number(number, service, now)?;
        // Checked before the printer: staff learn at once that the number is wrong.
        if ticket.status == motcua::Status::Cancelled {
            // Voided or cancelled: a slip for it would send a citizen to a counter for nothing.
            return Err(IssueError::Queue(motcua::Error::InvalidTransition {
                number: ticket.number,
                status: "cancelled",
                action: "reprint",
            }));
        }
        if !self.has_printer() {
            return Err(IssueError::NotReady(PrintError::not_configured()));
        }
        self.printer_status(now).map_err(IssueError::NotReady)?;
        // A ticket still waiting gets the wait as it is now; a called one none.
        let wait = self.store.estimate(&ticket, now);
        self.send_ticket(&ticket, wait.as_ref(), &file_name(&ticket))
            .map_err(IssueError::NotReady)?;
        self.store.record_reprint(ticket.id, now)
    }

    /// Handles today's tickets that were committed but never printed: reprints them when `reprint`
    /// and the printer is ready; otherwise keeps those whose print failed (the citizen was told
    /// the number) and voids those that never reached the printer (a `voided` event each). Run
    /// at kiosk start-up.
    pub fn recover(
        &mut self,
        reprint: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Ticket, Recovery)>, IssueError> {
        let pending = self.store.unprinted(now)?;
        let mut done = Vec::new();
        for (t, told) in pending {
            let printed = reprint && self.printer_status(now).is_ok() && {
                let wait = self.store.estimate(&t, now);
                self.print(&t, wait.as_ref(), now).is_ok()
            };
            if printed {
                done.push((self.store.record_reprint(t.id, now)?, Recovery::Reprinted));
            } else if told {
                // The print failed but the citizen was told the number: it keeps its place.
                tracing::info!(number = %t.number, "unprinted ticket kept in the queue");
                done.push((t, Recovery::Kept));
            } else {
                tracing::warn!(number = %t.number, "voiding a ticket that never reached the printer");
                done.push((self.store.void_unprinted(t.id, now)?, Recovery::Voided));
            }
        }
        Ok(done)
    }

    /// Prints a sample ticket (not in the queue) and returns the printer's status after it.
    pub fn print_test(&mut self, now: DateTime<Utc>) -> Result<motcua::escpos::Status, PrintError> {
        let cfg = self.store.config().clone();
        if !self.has_printer() {
            return Err(PrintError::not_configured());
        }
        self.printer_status(now)?;
        let svc = &cfg.services[0];
        let sample = Ticket {
            id: 0,
            service: svc.code.clone(),
            origin_service: svc.code.clone(),
            business_date: motcua::queue::business_date(
                now,
                cfg.office.timezone,
                cfg.office.reset_at,
            ),
            seq: 1,
            number: motcua::queue::format_number(svc, 1).unwrap_or_else(|_| "000".into()),
            priority: cfg.priorities.first().map(|p| p.code.clone()),
            status: motcua::Status::Waiting,
            queue_at: now,
            issued_at: now,
            called_at: None,
            started_at: None,
            finished_at: None,
            counter: None,
            recalls: 0,
            waiting_ahead: 0,
            token: "print-test".into(),
            printed_at: None,
        };
        let wait = motcua::estimate::Estimate::Minutes { low: 10, high: 15 };
        self.send_ticket(&sample, Some(&wait), "print-test")
    }

    /// Lays out, encodes and sends one ticket; forgets the printer handle after a link failure.
    fn send_ticket(
        &mut self,
        ticket: &Ticket,
        wait: Option<&motcua::estimate::Estimate>,
        name: &str,
    ) -> Result<motcua::escpos::Status, PrintError> {
        let cfg = self.store.config();
        let pcfg = cfg
            .printer
            .as_ref()
            .ok_or_else(PrintError::not_configured)?;
        let (width, qr) = (pcfg.width_dots, pcfg.qr);
        let blocks = motcua::ticket::layout(ticket, cfg, wait, width);
        let bytes = motcua::ticket::encode_to_vec(&blocks, qr).map_err(PrintError::Write)?;
        let result = self
            .printer()
            .and_then(|p| p.send(name, &bytes, || motcua::ticket::preview(&blocks, width)));
        if let Err(e) = &result {
            self.drop_handle_on(e);
        }
        result
    }
}
