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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDevice {
    name: Spanned<String>,
    role: Option<Spanned<String>>,
    token_hash: Spanned<String>,
}

impl Validator<'_> {
    /// Validates `devices`.
    pub(super) fn devices(&self, raw: Vec<RawDevice>) -> Result<Vec<Device>> {
        let mut devices: Vec<Device> = Vec::new();
        for (i, d) in raw.into_iter().enumerate() {
            let key = format!("devices[{i}]");
            let name = self.slug(&format!("{key}.name"), d.name, |n| {
                devices.iter().any(|o| o.name == n)
            })?;
            let role = self.choice(
                &format!("{key}.role"),
                d.role,
                &[("board", DeviceRole::Board), ("kiosk", DeviceRole::Kiosk)],
                DeviceRole::Board,
            )?;
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
            });
        }
        Ok(devices)
    }
}
