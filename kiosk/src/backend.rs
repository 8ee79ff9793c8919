//! Where the kiosk's queue is: the SQLite file on this machine ([`Store`]), or the office
//! server over the LAN ([`Remote`], `kiosk --server URL`). The kiosk's rules are the same on
//! both (lib.rs): the backend commits, the kiosk prints and reports back.

use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua::api;
use motcua::estimate::{Estimate, Target};
use motcua::{Config, Store, Ticket};

use crate::IssueError;

/// The queue operations the kiosk needs.
pub trait Backend: Send {
    /// The office config.
    fn config(&self) -> &Config;
    /// Issues a ticket; `for_print`: it stays print pending until [`Backend::mark_printed`].
    fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        for_print: bool,
        now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError>;
    /// The slip came out.
    fn mark_printed(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), IssueError>;
    /// The print failed after the citizen was told the number: keep it.
    fn mark_print_failed(&mut self, id: i64) -> Result<(), IssueError>;
    /// A slip was printed again (`reprinted` event); returns the ticket now.
    fn record_reprint(&mut self, id: i64, now: DateTime<Utc>) -> Result<Ticket, IssueError>;
    /// Today's ticket with this number.
    fn find_number(
        &mut self,
        number: &str,
        service: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError>;
    /// This kiosk's tickets of today committed for printing but never printed, with whether
    /// the citizen was told the number.
    fn unprinted(&mut self, now: DateTime<Utc>) -> Result<Vec<(Ticket, bool)>, IssueError>;
    /// Withdraws a ticket that never reached the printer.
    fn void_unprinted(&mut self, id: i64, now: DateTime<Utc>) -> Result<Ticket, IssueError>;
    /// Records the printer's status for staff.
    fn set_printer_status(
        &mut self,
        status: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), IssueError>;
    /// Waiting tickets per service (the home screen); an error when the queue is unreachable.
    fn waiting(&mut self, now: DateTime<Utc>) -> Result<Vec<(String, u32)>, IssueError>;
    /// The estimated wait of `t` from `now` while it waits (the slip and the done screen);
    /// `None` for a ticket no longer waiting, or when the backend cannot say.
    fn estimate(&mut self, t: &Ticket, now: DateTime<Utc>) -> Option<Estimate>;
    /// A warning about the server's clock as this kiosk sees it (a kiosk on the LAN: the
    /// server's clock is not synchronised, or differs from this one by more than 2 minutes).
    fn clock_problem(&mut self, _now: DateTime<Utc>) -> Option<String> {
        None
    }
}

/// Device name of the office host's printer in the store's device status table.
pub const PRINTER_DEVICE: &str = "printer";

impl Backend for Store {
    fn config(&self) -> &Config {
        Store::config(self)
    }
    fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        for_print: bool,
        now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError> {
        Ok(if for_print {
            self.issue_for_print(service, priority, now)?
        } else {
            Store::issue(self, service, priority, now)?
        })
    }
    fn mark_printed(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), IssueError> {
        Ok(Store::mark_printed(self, id, now)?)
    }
    fn mark_print_failed(&mut self, id: i64) -> Result<(), IssueError> {
        Ok(Store::mark_print_failed(self, id)?)
    }
    fn record_reprint(&mut self, id: i64, now: DateTime<Utc>) -> Result<Ticket, IssueError> {
        Store::record_reprint(self, id, now)?;
        Ok(self.ticket(id)?)
    }
    fn find_number(
        &mut self,
        number: &str,
        service: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError> {
        Ok(Store::find_number(self, number, service, now)?)
    }
    fn unprinted(&mut self, now: DateTime<Utc>) -> Result<Vec<(Ticket, bool)>, IssueError> {
        Ok(Store::unprinted(self, None, now)?)
    }
    fn void_unprinted(&mut self, id: i64, now: DateTime<Utc>) -> Result<Ticket, IssueError> {
        Ok(Store::void_unprinted(self, id, now)?)
    }
    fn set_printer_status(
        &mut self,
        status: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), IssueError> {
        Ok(self.set_device_status(PRINTER_DEVICE, status, detail, now)?)
    }
    fn waiting(&mut self, now: DateTime<Utc>) -> Result<Vec<(String, u32)>, IssueError> {
        Ok(self.state(now)?.waiting)
    }
    fn estimate(&mut self, t: &Ticket, now: DateTime<Utc>) -> Option<Estimate> {
        if t.status != motcua::Status::Waiting {
            return None;
        }
        match Store::estimate(self, &Target::Ticket(t.id), now) {
            Ok(e) => Some(e),
            Err(e) => {
                // The ticket is committed: a failed estimate only leaves its line out.
                tracing::warn!(error = %e, number = %t.number, "cannot estimate the wait");
                None
            }
        }
    }
}

/// How long one request to the office server may take before the kiosk says it is offline.
pub const SERVER_TIMEOUT: Duration = Duration::from_secs(5);

/// A report the server has not acknowledged yet (it was unreachable): kept in the outbox file
/// and sent again before the next request, so a slip that came out is never voided by the
/// kiosk's own recovery, even after the kiosk restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Printed(i64),
    PrintFailed(i64),
}

impl Pending {
    fn line(self) -> String {
        match self {
            Pending::Printed(id) => format!("printed {id}"),
            Pending::PrintFailed(id) => format!("print-failed {id}"),
        }
    }

    fn parse(line: &str) -> Option<Pending> {
        let (what, id) = line.trim().split_once(' ')?;
        let id = id.parse().ok()?;
        match what {
            "printed" => Some(Pending::Printed(id)),
            "print-failed" => Some(Pending::PrintFailed(id)),
            _ => None,
        }
    }
}

/// The outbox of a kiosk on the LAN: beside the `[office] database` path of its config (a
/// folder the kiosk may write; the database itself is never opened).
pub fn outbox_path(cfg: &Config) -> std::path::PathBuf {
    cfg.office.database.with_extension("kiosk-outbox")
}

/// The office server as the queue (`kiosk --server URL`), with a `kiosk` device token.
pub struct Remote {
    cfg: Config,
    base: String,
    token: String,
    agent: ureq::Agent,
    pending: Vec<Pending>,
    outbox: std::path::PathBuf,
    /// When the server's clock was last read, and what it said ([`Backend::clock_problem`]).
    clock_checked: Option<(std::time::Instant, Option<String>)>,
    /// The wait the server estimated for the ticket it issued last.
    last_wait: Option<(i64, Estimate)>,
}

/// How often a kiosk on the LAN compares its clock with the server's.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(60);

impl Remote {
    /// A client of the server at `base` (e.g. `http://192.168.1.10:8080`).
    pub fn new(cfg: Config, base: &str, token: &str) -> Remote {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(SERVER_TIMEOUT))
            .build()
            .into();
        let outbox = outbox_path(&cfg);
        let pending = std::fs::read_to_string(&outbox)
            .map(|t| t.lines().filter_map(Pending::parse).collect())
            .unwrap_or_default();
        Remote {
            cfg,
            base: base.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
            last_wait: None,
            agent,
            pending,
            outbox,
            clock_checked: None,
        }
    }

    /// Writes the outbox (atomically), or removes it when empty.
    fn save(&self) {
        let r = if self.pending.is_empty() {
            match std::fs::remove_file(&self.outbox) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                r => r,
            }
        } else {
            let text: String = self.pending.iter().map(|p| p.line() + "\n").collect();
            let tmp = self.outbox.with_extension("kiosk-outbox.tmp");
            std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.outbox))
        };
        if let Err(e) = r {
            tracing::error!(path = %self.outbox.display(), error = %e, "cannot write the kiosk's outbox");
        }
    }

    /// Reports owed to the server (the outbox).
    pub fn owed(&self) -> usize {
        self.pending.len()
    }

    fn offline(&self, e: impl std::fmt::Display) -> IssueError {
        IssueError::Offline(format!("cannot reach the office server {}: {e}", self.base))
    }

    /// One request: `body` is sent as JSON when given; GET takes `query` pairs.
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, IssueError> {
        self.call_query(method, path, &[], body)
    }

    fn call_query<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, IssueError> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(&url).header("Authorization", &auth);
                for (k, v) in query {
                    req = req.query(*k, *v);
                }
                req.call()
            }
            ("PUT", Some(b)) => self
                .agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(b),
            (_, Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            (_, None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
        };
        let mut r = result.map_err(|e| self.offline(e))?;
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| self.offline(e))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| IssueError::Refused {
                status,
                message: format!("unexpected answer from the office server: {e}"),
            });
        }
        let message = serde_json::from_str::<api::ApiError>(&text)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("HTTP {status}"));
        Err(IssueError::Refused { status, message })
    }

    /// Sends the reports still owed; stops at the first that cannot reach the server.
    fn flush(&mut self) -> Result<(), IssueError> {
        let on_disk = self.pending.len();
        self.send_and_save(on_disk)
    }

    /// Sends what is owed, then makes the outbox file (which holds the first `on_disk`
    /// reports) hold exactly what is still owed; untouched when nothing changed, so a healthy
    /// link writes no file per ticket.
    fn send_and_save(&mut self, on_disk: usize) -> Result<(), IssueError> {
        let r = self.send_owed();
        if self.pending.len() != on_disk {
            self.save();
        }
        r
    }

    fn send_owed(&mut self) -> Result<(), IssueError> {
        while let Some(p) = self.pending.first().copied() {
            let (id, action) = match p {
                Pending::Printed(id) => (id, "printed"),
                Pending::PrintFailed(id) => (id, "print-failed"),
            };
            match self.call::<api::TicketReply>(
                "POST",
                &format!("/api/kiosk/tickets/{id}/{action}"),
                None,
            ) {
                Ok(_) => {}
                Err(e @ IssueError::Offline(_)) => return Err(e),
                // Refused (the day rolled over, the ticket was cancelled): nothing left to say.
                Err(e) => tracing::warn!(id, action, error = %e, "report dropped by the server"),
            }
            self.pending.remove(0);
        }
        Ok(())
    }

    fn report(&mut self, p: Pending) -> Result<(), IssueError> {
        // The file holds what was owed before `p`: what does not go out now, `p` included,
        // is written so that it survives a restart of the kiosk.
        let on_disk = self.pending.len();
        self.pending.push(p);
        match self.send_and_save(on_disk) {
            Err(IssueError::Offline(e)) => {
                tracing::warn!(error = %e, "the server will be told when it is back");
                Ok(())
            }
            r => r,
        }
    }
}

/// The ticket of a server's answer that must hold one.
fn reply(r: api::TicketReply) -> Result<Ticket, IssueError> {
    r.ticket
        .map(api::Ticket::into_store)
        .ok_or_else(|| IssueError::Refused {
            status: 200,
            message: "the office server answered without a ticket".into(),
        })
}

impl Backend for Remote {
    fn config(&self) -> &Config {
        &self.cfg
    }
    fn issue(
        &mut self,
        service: &str,
        priority: Option<&str>,
        for_print: bool,
        _now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError> {
        self.flush()?;
        let body = serde_json::to_value(api::IssueBody {
            service: Some(service.to_string()),
            priority: priority.map(str::to_string),
            print: for_print,
        })
        .expect("serialises");
        let issued: api::Issued = self.call("POST", "/api/tickets", Some(&body))?;
        self.last_wait = issued.wait.map(|w| (issued.ticket.id, w));
        Ok(issued.ticket.into_store())
    }
    fn mark_printed(&mut self, id: i64, _now: DateTime<Utc>) -> Result<(), IssueError> {
        self.report(Pending::Printed(id))
    }
    fn mark_print_failed(&mut self, id: i64) -> Result<(), IssueError> {
        self.report(Pending::PrintFailed(id))
    }
    fn record_reprint(&mut self, id: i64, _now: DateTime<Utc>) -> Result<Ticket, IssueError> {
        self.flush()?;
        let r = self.call("POST", &format!("/api/kiosk/tickets/{id}/reprinted"), None)?;
        reply(r)
    }
    fn find_number(
        &mut self,
        number: &str,
        service: Option<&str>,
        _now: DateTime<Utc>,
    ) -> Result<Ticket, IssueError> {
        let mut query = vec![("number", number)];
        if let Some(s) = service {
            query.push(("service", s));
        }
        let r = self.call_query("GET", "/api/kiosk/tickets", &query, None)?;
        reply(r)
    }
    fn unprinted(&mut self, _now: DateTime<Utc>) -> Result<Vec<(Ticket, bool)>, IssueError> {
        self.flush()?;
        let list: api::UnprintedList = self.call("GET", "/api/kiosk/unprinted", None)?;
        Ok(list
            .tickets
            .into_iter()
            .map(|u| (u.ticket.into_store(), u.told))
            .collect())
    }
    fn void_unprinted(&mut self, id: i64, _now: DateTime<Utc>) -> Result<Ticket, IssueError> {
        let r = self.call("POST", &format!("/api/kiosk/tickets/{id}/void"), None)?;
        reply(r)
    }
    fn set_printer_status(
        &mut self,
        status: &str,
        detail: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), IssueError> {
        let body = serde_json::to_value(api::PrinterReport {
            status: status.to_string(),
            detail: detail.to_string(),
        })
        .expect("serialises");
        self.call::<api::PrinterReport>("PUT", "/api/kiosk/printer", Some(&body))
            .map(|_| ())
    }
    fn clock_problem(&mut self, now: DateTime<Utc>) -> Option<String> {
        if let Some((at, said)) = &self.clock_checked
            && at.elapsed() < CLOCK_CHECK_EVERY
        {
            return said.clone();
        }
        let said = match self.call::<api::ClockNow>("GET", "/api/clock", None) {
            // An older server, or unreachable: the offline banner already says what matters.
            Err(_) => None,
            Ok(c) if c.synchronised == Some(false) => Some(format!(
                "{}: đồng hồ của máy chủ có thể sai, vui lòng báo cán bộ kỹ thuật",
                motcua::clock::UNSYNCHRONISED_VI
            )),
            Ok(c) => motcua::clock::skew_warning(now, c.now.utc()),
        };
        self.clock_checked = Some((std::time::Instant::now(), said.clone()));
        said
    }
    fn waiting(&mut self, _now: DateTime<Utc>) -> Result<Vec<(String, u32)>, IssueError> {
        // The refresh every few seconds is also when owed reports go out.
        let _ = self.flush();
        let st: api::QueueState = self.call("GET", "/api/state", None)?;
        Ok(st
            .waiting
            .into_iter()
            .map(|w| (w.service, w.waiting))
            .collect())
    }
    fn estimate(&mut self, t: &Ticket, _now: DateTime<Utc>) -> Option<Estimate> {
        // The server estimates a ticket when it issues it; a slip printed again later (reprint,
        // recovery) has no wait line.
        self.last_wait.filter(|(id, _)| *id == t.id).map(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `printed` the server could not take is kept on disk: a kiosk restarted meanwhile sends
    /// it before anything else, so its recovery never voids a slip a citizen holds.
    #[test]
    fn reports_the_server_missed_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("motcua.toml");
        std::fs::write(
            &path,
            motcua_testkit::OfficeToml::empty("UBND phường Hòa Khê")
                .service("TP", "Tư pháp - Hộ tịch", "")
                .counter(1, &["TP"])
                .build(),
        )
        .unwrap();
        let cfg = Config::load(Some(&path)).unwrap();
        // Nothing listens there.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut r = Remote::new(cfg.clone(), &format!("http://{closed}"), "k.00");
        r.mark_printed(7, Utc::now()).unwrap();
        r.mark_print_failed(8).unwrap();
        assert_eq!(r.owed(), 2);
        let text = std::fs::read_to_string(outbox_path(&cfg)).unwrap();
        assert_eq!(text, "printed 7\nprint-failed 8\n");
        drop(r);
        let mut again = Remote::new(cfg.clone(), &format!("http://{closed}"), "k.00");
        assert_eq!(again.owed(), 2, "read back after a restart");
        assert!(matches!(
            again.unprinted(Utc::now()),
            Err(IssueError::Offline(_))
        ));
        assert_eq!(again.owed(), 2, "still owed while the server is away");
    }
}
