//! The one error type of the shared library, with exit codes and officer-facing Vietnamese text.

use std::path::PathBuf;

/// Exit code: bad usage or bad config (CONTRACT.md).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: anything not covered by a more specific code.
pub const EXIT_OTHER: i32 = 1;

/// Everything that can go wrong in the shared library.
///
/// Expected conditions (an unknown service, nothing to finish, a clock that went back) are variants
/// of their own so that callers can react to them; `Display` is the English line for logs and stderr,
/// [`Error::vi`] the Vietnamese line for the people in the office.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file could not be read.
    #[error("cannot read config file {path} (pass --config PATH or set MOTCUA_CONFIG)")]
    ConfigRead {
        /// The file that was tried.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The config file was read but is not valid.
    #[error("config {file} line {line}: {message}")]
    Config {
        /// The config file's name as given.
        file: String,
        /// 1-based line of the offending key (0 when the problem has no line).
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A service code that the config does not define.
    #[error("unknown service '{0}': use one of the codes in [[services]] of the config")]
    UnknownService(String),
    /// A priority class that the config does not define.
    #[error("unknown priority class '{0}': use one of the codes in [[priorities]] of the config")]
    UnknownPriority(String),
    /// A counter number that the config does not define.
    #[error("unknown counter {0}: use one of the numbers in [[counters]] of the config")]
    UnknownCounter(u32),
    /// An officer login that is already taken.
    #[error("officer '{0}' already exists: choose another login, or use `counter user set-pin`")]
    OfficerExists(String),
    /// An officer login that does not exist.
    #[error("no officer '{0}': add one with `counter user add`")]
    UnknownOfficer(String),
    /// A citizen's rating that cannot be taken: the ticket was not served, or is rated already.
    #[error("ticket {number} cannot be rated: {reason}")]
    NotRateable {
        /// The ticket's number.
        number: String,
        /// Why, in English (logs).
        reason: &'static str,
        /// Already rated (otherwise: not served yet).
        rated: bool,
    },
    /// The counter is paused and calls nobody until it resumes.
    #[error("counter {0} is paused: resume it first (counter resume --counter {0})")]
    CounterPaused(u32),
    /// The counter has no current ticket for an action that needs one.
    #[error("counter {0} has no current ticket: call one first")]
    NoCurrentTicket(u32),
    /// No ticket with that number today.
    #[error("no ticket numbered '{number}' today{}", service.as_ref().map(|s| format!(" in service {s}")).unwrap_or_default())]
    TicketNotFound {
        /// The number as printed.
        number: String,
        /// The service searched, if one was given.
        service: Option<String>,
    },
    /// The same number exists in several services today; the caller must say which.
    #[error("number '{0}' exists in several services today: add --service CODE")]
    AmbiguousNumber(String),
    /// A numbered ticket that is not this counter's to act on (another counter holds it, or
    /// the counter does not serve its service).
    #[error("ticket {number} is not counter {counter}'s: {}", match elsewhere { Some(c) => format!("counter {c} holds it"), None => "the counter does not serve its service".to_string() })]
    NotAtCounter {
        /// The ticket's number.
        number: String,
        /// The counter that asked.
        counter: u32,
        /// The counter the ticket belongs to, if another.
        elsewhere: Option<u32>,
    },
    /// The action does not apply to the ticket in its current state.
    #[error("ticket {number} is {status}: cannot {action}")]
    InvalidTransition {
        /// The ticket's number.
        number: String,
        /// Its current status.
        status: &'static str,
        /// The refused action.
        action: &'static str,
    },
    /// The clock is behind the newest service day already in the database.
    #[error(
        "the clock says service day {today} but tickets for {latest} already exist: fix the system clock; if it once ran ahead, void that day with `counter clock-repair --void-day {latest}` (no ticket was issued)"
    )]
    ClockBehind {
        /// The service day the clock gives now.
        today: chrono::NaiveDate,
        /// The newest service day in the database.
        latest: chrono::NaiveDate,
    },
    /// A service has run out of numbers for the day.
    #[error(
        "service {service} has used all {digits}-digit numbers today: raise `digits` in the config"
    )]
    NumbersExhausted {
        /// The service code.
        service: String,
        /// Its configured digit count.
        digits: u8,
    },
    /// The database file was written by a newer motcua.
    #[error(
        "database schema version {found} is newer than this program ({supported}): upgrade motcua"
    )]
    SchemaTooNew {
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The database has an older schema, which only the server upgrades.
    #[error(
        "database schema version {found} is older than this program ({needed}): the server has not been upgraded yet (máy chủ chưa được cập nhật); `counter serve` or `counter migrate` upgrades it"
    )]
    SchemaOld {
        /// The version found in the file.
        found: i64,
        /// The version this build needs.
        needed: i64,
    },
    /// `counter clock-repair` was asked to void a service day that is not in the future.
    #[error(
        "service day {day} is not after today ({today}): clock-repair voids only a day a clock that ran ahead issued tickets for"
    )]
    NotAFutureDay {
        /// The day asked for.
        day: chrono::NaiveDate,
        /// Today's service day.
        today: chrono::NaiveDate,
    },
    /// The database stayed locked by other processes through every retry.
    #[error("database is busy (locked by another process) after {0} attempts: try again")]
    Busy(u32),
    /// The database file or its folder cannot be used (permissions, full or read-only disk, a
    /// path that is not a database): one line naming the file and what to do.
    #[error("queue database {}: {what}; {advice}", path.display())]
    Storage {
        /// The file or folder.
        path: PathBuf,
        /// What failed, with the system's reason.
        what: String,
        /// What to do about it.
        advice: &'static str,
    },
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Any other I/O failure.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// A storage error for `path`: what was being done, the system's reason (without SQLite's
    /// repeated code numbers), and advice that fits the reason.
    pub fn storage(path: &std::path::Path, doing: &str, e: &dyn std::fmt::Display) -> Error {
        // SQLite's messages repeat the path (and a code number): the line names it once.
        let reason = e
            .to_string()
            .replace(&format!(": {}", path.display()), "")
            .replace(&path.display().to_string(), "the file");
        let lower = reason.to_lowercase();
        let (reason, advice) = if lower.contains("permission denied")
            || lower.contains("readonly")
            || lower.contains("read-only")
        {
            (
                "permission denied or read-only",
                "run as the user that owns it, or give the office's group write access (chmod 660, and write access to its folder)",
            )
        } else if lower.contains("no space") || lower.contains("full") {
            (
                "the disk is full",
                "free space on the disk; nothing committed is lost",
            )
        } else if lower.contains("not a database") || lower.contains("malformed") {
            (
                "not a motcua database or damaged",
                "check `office.database`, or restore the last backup",
            )
        } else if lower.contains("is a directory") {
            ("a folder, not a file", "point `office.database` at a file")
        } else {
            (
                reason.split(": Error code").next().unwrap_or(&reason),
                "check the path in `office.database` and the disk",
            )
        };
        Error::Storage {
            path: path.to_path_buf(),
            what: format!("{doing}: {}", reason.trim()),
            advice,
        }
    }

    /// The process exit code this error maps to (CONTRACT.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::ConfigRead { .. }
            | Error::Config { .. }
            | Error::UnknownService(_)
            | Error::UnknownPriority(_)
            | Error::UnknownCounter(_)
            | Error::AmbiguousNumber(_)
            | Error::OfficerExists(_)
            | Error::UnknownOfficer(_) => EXIT_USAGE,
            _ => EXIT_OTHER,
        }
    }

    /// The message in Vietnamese, for the screens citizens and officers read.
    pub fn vi(&self) -> String {
        match self {
            Error::ConfigRead { .. } | Error::Config { .. } | Error::SchemaTooNew { .. } => {
                "Cấu hình hệ thống có lỗi, vui lòng báo cán bộ kỹ thuật".to_string()
            }
            Error::SchemaOld { .. } => {
                "Máy chủ chưa được cập nhật, vui lòng chờ hoặc báo cán bộ kỹ thuật".to_string()
            }
            Error::UnknownService(s) => format!("Không có lĩnh vực mã {s}"),
            Error::UnknownPriority(p) => format!("Không có đối tượng ưu tiên mã {p}"),
            Error::UnknownCounter(c) => format!("Không có quầy số {c}"),
            Error::NoCurrentTicket(c) => format!("Quầy {c} chưa gọi số nào"),
            Error::OfficerExists(l) => format!("Tài khoản {l} đã có"),
            Error::UnknownOfficer(l) => format!("Không có tài khoản {l}"),
            Error::CounterPaused(c) => {
                format!("Quầy {c} đang tạm dừng, bấm \"Tiếp tục\" để gọi số")
            }
            Error::NotRateable { rated: true, .. } => {
                "Quý công dân đã đánh giá phiếu này, xin cảm ơn".to_string()
            }
            Error::NotRateable { number, .. } => {
                format!("Số {number} chưa được phục vụ xong, xin đánh giá sau khi hoàn thành")
            }
            Error::TicketNotFound { number, .. } => {
                format!("Không tìm thấy số {number} trong ngày hôm nay")
            }
            Error::AmbiguousNumber(n) => {
                format!("Số {n} có ở nhiều lĩnh vực, vui lòng chọn lĩnh vực")
            }
            Error::NotAtCounter {
                number,
                counter,
                elsewhere: Some(c),
            } => format!(
                "Số {number} đang do quầy {c} giữ, quầy {counter} không thao tác được: vui lòng để quầy {c} xử lý"
            ),
            Error::NotAtCounter {
                number, counter, ..
            } => format!(
                "Số {number} không thuộc lĩnh vực của quầy {counter}: vui lòng chuyển số sang quầy phục vụ lĩnh vực này"
            ),
            Error::InvalidTransition { number, .. } => {
                format!("Không thể thực hiện thao tác này với số {number}")
            }
            Error::ClockBehind { .. } => {
                "Đồng hồ máy bị lùi, vui lòng báo cán bộ kỹ thuật chỉnh giờ".to_string()
            }
            Error::NotAFutureDay { day, .. } => {
                format!(
                    "Ngày {} không phải ngày trong tương lai",
                    day.format("%d/%m/%Y")
                )
            }
            Error::NumbersExhausted { .. } => {
                "Lĩnh vực này đã hết số trong ngày, vui lòng liên hệ cán bộ hướng dẫn".to_string()
            }
            Error::Busy(_) => "Hệ thống đang bận, vui lòng thử lại".to_string(),
            Error::Storage { path, .. } => format!(
                "Không dùng được tệp dữ liệu hàng đợi {}, vui lòng báo cán bộ kỹ thuật",
                path.display()
            ),
            Error::Database(_) | Error::Io { .. } => {
                "Hệ thống gặp sự cố, vui lòng liên hệ cán bộ hướng dẫn".to_string()
            }
        }
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
