//! `[status]`: the citizens' status page address printed in the QR code.

use super::*;

/// `[status]`.
#[derive(Debug, Clone)]
pub struct StatusPage {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// A second address of `counter serve` that serves only the status pages (`listen`), e.g.
    /// on the citizens' guest Wi-Fi, so the staff console is never reachable from there.
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatus {
    base_url: Spanned<String>,
    listen: Option<Spanned<String>>,
}

/// The longest `status.base_url`: with the ticket's path it still fits a QR code a customer's
/// phone reads from 80 mm paper.
pub const MAX_BASE_URL: usize = 200;

impl Validator<'_> {
    /// Validates `status`.
    pub(super) fn status(&self, raw: Option<RawStatus>) -> Result<Option<StatusPage>> {
        let status = match raw {
            None => None,
            Some(s) => {
                let span = s.base_url.span();
                let url = s.base_url.into_inner();
                let url = url.trim().trim_end_matches('/').to_string();
                let rest = url
                    .strip_prefix("http://")
                    .or_else(|| url.strip_prefix("https://"));
                if url.chars().count() > MAX_BASE_URL {
                    return Err(self.err(
                        span,
                        format!("`status.base_url` is {} characters: the ticket's QR code holds an address of at most {MAX_BASE_URL}", url.chars().count()),
                    ));
                }
                if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                    return Err(self.err(
                        span,
                        format!("`status.base_url` = '{url}': use an address like http://192.168.1.10:8080"),
                    ));
                }
                let listen = match s.listen {
                    None => None,
                    Some(l) => Some(l.get_ref().trim().parse().map_err(|_| {
                        self.err(
                            l.span(),
                            format!(
                                "`status.listen` = '{}': write an address and port, e.g. \"0.0.0.0:8081\" (only the status pages are served there)",
                                l.get_ref()
                            ),
                        )
                    })?),
                };
                Some(StatusPage {
                    base_url: url,
                    listen,
                })
            }
        };
        Ok(status)
    }
}
