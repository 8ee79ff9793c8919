//! `[office]`: the office, its database, its time zone and daily reset.

use super::*;

/// `[office]`.
#[derive(Debug, Clone)]
pub struct Office {
    /// Printed on tickets and shown on the board.
    pub name: String,
    /// The shared SQLite file, resolved against the config file's folder.
    pub database: PathBuf,
    /// Office time zone: the service day and its reset.
    pub timezone: Tz,
    /// Local time when numbering restarts.
    pub reset_at: NaiveTime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOffice {
    name: Spanned<String>,
    database: Spanned<String>,
    timezone: Spanned<String>,
    reset_at: Option<Spanned<String>>,
}

/// The longest `office.database` path (Linux allows 4096 bytes, names of 255).
pub const MAX_DATABASE_PATH: usize = 1024;

impl Validator<'_> {
    pub(super) fn office(&self, o: RawOffice, base: &Path) -> Result<Office> {
        let name = self.text("office.name", o.name, MAX_OFFICE_NAME_CHARS)?;
        let db_span = o.database.span();
        let database = o.database.into_inner();
        if database.trim().is_empty() {
            return Err(self.err(db_span, "`office.database` must name the SQLite file"));
        }
        if database.contains('\0') || database.chars().any(char::is_control) {
            return Err(self.err(
                db_span,
                "`office.database` must be a file path without control characters",
            ));
        }
        let too_long = database.len() > MAX_DATABASE_PATH
            || std::path::Path::new(&database)
                .components()
                .any(|c| c.as_os_str().len() > 255);
        if too_long {
            return Err(self.err(
                db_span,
                format!("`office.database` is too long: use a path of at most {MAX_DATABASE_PATH} bytes, each name at most 255"),
            ));
        }
        let tz_span = o.timezone.span();
        let tz_name = o.timezone.into_inner();
        let timezone: Tz = tz_name.parse().map_err(|_| {
            self.err(
                tz_span,
                format!("`office.timezone` = '{tz_name}' is not a known time zone: use e.g. Asia/Ho_Chi_Minh"),
            )
        })?;
        let reset_at = match o.reset_at {
            None => NaiveTime::MIN,
            Some(r) => {
                let span = r.span();
                let r = r.into_inner();
                NaiveTime::parse_from_str(&r, "%H:%M").map_err(|_| {
                    self.err(
                        span,
                        format!("`office.reset_at` = '{r}': use a local time HH:MM, e.g. 00:00"),
                    )
                })?
            }
        };
        Ok(Office {
            name,
            database: base.join(database),
            timezone,
            reset_at,
        })
    }
}
