//! `[centre]`: shipping the office's events to the province centre (NATS JetStream). Off unless
//! the section is present.

use super::*;

/// `[centre]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreLink {
    /// The centre's NATS server, `nats://host:4222` (or `tls://…`).
    pub url: String,
    /// This office's identifier at the centre: its subjects are `motcua.events.<office_id>` and
    /// the state key `<office_id>`.
    pub office_id: String,
    /// The file holding this office's NATS nkey seed (`SU…`), readable only by motcua. Relative
    /// paths are taken from the config file's folder.
    pub credentials: PathBuf,
    /// How often the office's current state is sent even when nothing changed.
    pub state_every: Duration,
}

/// Default seconds between two state updates when nothing changed.
pub const DEFAULT_STATE_SECONDS: u32 = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCentre {
    url: Spanned<String>,
    office_id: Spanned<String>,
    credentials: Spanned<String>,
    state_seconds: Option<Spanned<i64>>,
}

impl Validator<'_> {
    /// Validates `centre`.
    pub(super) fn centre(&self, raw: Option<RawCentre>, base: &Path) -> Result<Option<CentreLink>> {
        let Some(c) = raw else { return Ok(None) };
        let span = c.url.span();
        let url = c.url.into_inner().trim().to_string();
        let ok_scheme = ["nats://", "tls://"]
            .iter()
            .any(|p| url.strip_prefix(p).is_some_and(|r| !r.is_empty()));
        if !ok_scheme || url.contains(char::is_whitespace) {
            return Err(self.err(
                span,
                format!("`centre.url` = '{url}': use the centre's NATS address, e.g. \"nats://trungtam.example.vn:4222\" or \"tls://…\""),
            ));
        }
        let office_id = self.slug("centre.office_id", c.office_id, |_| false)?;
        let span = c.credentials.span();
        let cred = c.credentials.into_inner();
        if cred.trim().is_empty() {
            return Err(self.err(
                span,
                "`centre.credentials` must name the file with this office's key",
            ));
        }
        let credentials = base.join(cred.trim());
        let state_every = Duration::from_secs(self.int(
            "centre.state_seconds",
            c.state_seconds,
            1..301,
            DEFAULT_STATE_SECONDS.into(),
        )? as u64);
        Ok(Some(CentreLink {
            url,
            office_id,
            credentials,
            state_every,
        }))
    }
}
