//! `[[devices]]`: kiosks and boards that use the office API with a token.

use super::*;

/// `[[devices]]`: one kiosk or board on the LAN and the hash of its API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Short name, e.g. `board-hall`.
    pub name: String,
    /// What it may do.
    pub role: DeviceRole,
    /// argon2 hash of its token (`counter device-token` makes both).
    pub token_hash: String,
    /// The counter a `rating` device belongs to (required for that role, refused for others).
    pub counter: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDevice {
    name: Spanned<String>,
    role: Option<Spanned<String>>,
    token_hash: Spanned<String>,
    counter: Option<Spanned<i64>>,
}

impl Validator<'_> {
    /// Validates `devices` (after `counters`: a rating device names one).
    pub(super) fn devices(&self, raw: Vec<RawDevice>, counters: &[Counter]) -> Result<Vec<Device>> {
        let mut devices: Vec<Device> = Vec::new();
        for (i, d) in raw.into_iter().enumerate() {
            let key = format!("devices[{i}]");
            let name_span = d.name.span();
            let name = self.slug(&format!("{key}.name"), d.name, |n| {
                devices.iter().any(|o| o.name == n)
            })?;
            let role = self.choice(
                &format!("{key}.role"),
                d.role,
                &[
                    ("board", DeviceRole::Board),
                    ("kiosk", DeviceRole::Kiosk),
                    ("rating", DeviceRole::Rating),
                ],
                DeviceRole::Board,
            )?;
            let counter = match (role, d.counter) {
                (DeviceRole::Rating, None) => {
                    return Err(self.err(
                        name_span,
                        format!(
                            "`{key}`: a rating device belongs to one counter: add `counter = N`"
                        ),
                    ));
                }
                (DeviceRole::Rating, Some(c)) => {
                    let n = *c.get_ref();
                    if !counters.iter().any(|k| i64::from(k.number) == n) {
                        return Err(self.err(
                            c.span(),
                            format!("`{key}.counter` = {n} is not a counter of [[counters]]"),
                        ));
                    }
                    Some(n as u32)
                }
                (_, Some(c)) => {
                    return Err(self.err(
                        c.span(),
                        format!("`{key}.counter`: only a rating device belongs to a counter"),
                    ));
                }
                (_, None) => None,
            };
            let hash_span = d.token_hash.span();
            let token_hash = d.token_hash.into_inner();
            if !token_hash.starts_with("$argon2") {
                return Err(self.err(hash_span, format!("`{key}.token_hash` must be an argon2 hash: make one with `counter device-token` (never put the token itself here)")));
            }
            if let Err(why) = crate::secret::check_hash(&token_hash) {
                return Err(self.err(
                    hash_span,
                    format!("`{key}.token_hash`: {why}; make one with `counter device-token`"),
                ));
            }
            devices.push(Device {
                name,
                role,
                token_hash,
                counter,
            });
        }
        Ok(devices)
    }
}
