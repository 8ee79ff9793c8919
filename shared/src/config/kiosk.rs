//! `[kiosk]`: the touchscreen.

use super::*;

/// Screen orientation of the kiosk (`[kiosk] orientation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// 1920×1080.
    Landscape,
    /// 1080×1920.
    Portrait,
}

impl Orientation {
    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Orientation::Landscape => (1920, 1080),
            Orientation::Portrait => (1080, 1920),
        }
    }
}

/// `[kiosk]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSettings {
    /// Screen orientation.
    pub orientation: Orientation,
    /// How long the "take your ticket" screen stays before going home by itself.
    pub auto_return: Duration,
    /// Argon2 hash of the staff PIN that opens the settings (`kiosk hash-pin`); none: no settings.
    pub staff_pin_hash: Option<String>,
    /// Service time the wait estimate assumes for a service with too little history
    /// (`average_service_minutes`); `None`: no guess ("Chưa đủ dữ liệu") until tickets finish.
    pub average_service: Option<Duration>,
    /// A short greeting on the home screen.
    pub greeting: String,
    /// The priority class offered when the ID card (CCCD) of someone aged 60 or over is
    /// scanned (`cccd_scan`); `None`: scans are ignored.
    pub cccd_priority: Option<String>,
    /// Say the number, the service and "vui lòng chờ gọi" when a ticket is issued (`speak`).
    pub speak: bool,
    /// Recorded clips replacing the shipped voice, and `linh_vuc_CODE.wav` service names
    /// (`voice_dir`, relative to the config file).
    pub voice_dir: Option<PathBuf>,
}

/// The priority class code the ID-card scan offers by default, when the office has it.
pub const CCCD_DEFAULT_PRIORITY: &str = "elderly";

/// Default greeting on the kiosk's home screen.
pub const DEFAULT_GREETING: &str = "Kính chào quý công dân. Vui lòng chọn lĩnh vực cần giải quyết.";

/// Default seconds the done screen stays.
pub const DEFAULT_AUTO_RETURN_SECONDS: u32 = 8;

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings {
            orientation: Orientation::Landscape,
            auto_return: Duration::from_secs(DEFAULT_AUTO_RETURN_SECONDS.into()),
            staff_pin_hash: None,
            average_service: None,
            greeting: DEFAULT_GREETING.to_string(),
            cccd_priority: None,
            speak: false,
            voice_dir: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKiosk {
    orientation: Option<Spanned<String>>,
    auto_return_seconds: Option<Spanned<i64>>,
    staff_pin_hash: Option<Spanned<String>>,
    average_service_minutes: Option<Spanned<i64>>,
    greeting: Option<Spanned<String>>,
    cccd_scan: Option<Spanned<String>>,
    speak: Option<bool>,
    voice_dir: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// Validates `kiosk`.
    pub(super) fn kiosk(
        &self,
        raw: Option<RawKiosk>,
        priorities: &[Priority],
        base: &Path,
    ) -> Result<KioskSettings> {
        let default_cccd = priorities
            .iter()
            .any(|p| p.code == CCCD_DEFAULT_PRIORITY)
            .then(|| CCCD_DEFAULT_PRIORITY.to_string());
        let kiosk = match raw {
            None => KioskSettings {
                cccd_priority: default_cccd,
                ..KioskSettings::default()
            },
            Some(k) => {
                let orientation = self.choice(
                    "kiosk.orientation",
                    k.orientation,
                    &[
                        ("landscape", Orientation::Landscape),
                        ("portrait", Orientation::Portrait),
                    ],
                    Orientation::Landscape,
                )?;
                let secs = self.int(
                    "kiosk.auto_return_seconds",
                    k.auto_return_seconds,
                    2..121,
                    DEFAULT_AUTO_RETURN_SECONDS.into(),
                )? as u64;
                let average_service = match k.average_service_minutes {
                    None => None,
                    Some(m) => Some(Duration::from_secs(
                        self.int("kiosk.average_service_minutes", Some(m), 1..241, 0)? as u64 * 60,
                    )),
                };
                let staff_pin_hash = match k.staff_pin_hash {
                    None => None,
                    Some(h) => {
                        let span = h.span();
                        let h = h.into_inner();
                        if !h.starts_with("$argon2") {
                            return Err(self.err(span, "`kiosk.staff_pin_hash` must be an argon2 hash: make one with `kiosk hash-pin` (never put the PIN itself here)"));
                        }
                        Some(h)
                    }
                };
                let greeting = match k.greeting {
                    None => DEFAULT_GREETING.to_string(),
                    Some(g) => self.text("kiosk.greeting", g, MAX_GREETING_CHARS)?,
                };
                let cccd_priority = match k.cccd_scan {
                    None => default_cccd,
                    Some(v) if v.get_ref() == "off" => None,
                    Some(v) => {
                        if !priorities.iter().any(|p| &p.code == v.get_ref()) {
                            let codes: Vec<&str> =
                                priorities.iter().map(|p| p.code.as_str()).collect();
                            return Err(self.err(
                                v.span(),
                                format!(
                                    "`kiosk.cccd_scan` = '{}': name the priority class an ID-card scan of someone aged 60 or over offers (one of {codes:?}), or \"off\"",
                                    v.get_ref()
                                ),
                            ));
                        }
                        Some(v.into_inner())
                    }
                };
                KioskSettings {
                    orientation,
                    auto_return: Duration::from_secs(secs),
                    staff_pin_hash,
                    average_service,
                    greeting,
                    cccd_priority,
                    speak: k.speak.unwrap_or(false),
                    voice_dir: k.voice_dir.map(|d| base.join(d.into_inner())),
                }
            }
        };
        Ok(kiosk)
    }
}
