//! `[rating]`: the citizens' rating at the counter (the rating tablet).

use super::*;

/// `[rating]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingSettings {
    /// How long the tablet shows the rating buttons after "Hoàn thành".
    pub show_for: Duration,
    /// The reasons a low mark (≤ [`ASK_REASON_AT_OR_BELOW`]) chooses from, in order.
    pub reasons: Vec<String>,
}

/// A mark at or below this asks for a reason.
pub const ASK_REASON_AT_OR_BELOW: u8 = 3;

/// Default seconds the rating buttons stay.
pub const DEFAULT_RATING_SECONDS: u32 = 30;

/// The reasons offered when none are configured.
pub const DEFAULT_REASONS: [&str; 4] = [
    "Chờ lâu",
    "Thái độ",
    "Hướng dẫn chưa rõ",
    "Phải đi lại nhiều lần",
];

/// At most this many reasons (each a large button).
pub const MAX_REASONS: usize = 8;

/// The longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 60;

impl Default for RatingSettings {
    fn default() -> Self {
        RatingSettings {
            show_for: Duration::from_secs(DEFAULT_RATING_SECONDS.into()),
            reasons: DEFAULT_REASONS.iter().map(|r| r.to_string()).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRating {
    seconds: Option<Spanned<i64>>,
    reasons: Option<Spanned<Vec<Spanned<String>>>>,
}

impl Validator<'_> {
    /// Validates `rating`.
    pub(super) fn rating(&self, raw: Option<RawRating>) -> Result<RatingSettings> {
        let Some(r) = raw else {
            return Ok(RatingSettings::default());
        };
        let secs = self.int(
            "rating.seconds",
            r.seconds,
            5..301,
            DEFAULT_RATING_SECONDS.into(),
        )? as u64;
        let reasons = match r.reasons {
            None => RatingSettings::default().reasons,
            Some(list) => {
                let span = list.span();
                let list = list.into_inner();
                if list.is_empty() || list.len() > MAX_REASONS {
                    return Err(self.err(
                        span,
                        format!("`rating.reasons`: give 1 to {MAX_REASONS} reasons"),
                    ));
                }
                let mut out: Vec<String> = Vec::new();
                for (i, v) in list.into_iter().enumerate() {
                    let span = v.span();
                    let text = self.text(&format!("rating.reasons[{i}]"), v, MAX_REASON_CHARS)?;
                    if out.contains(&text) {
                        return Err(self.err(
                            span,
                            format!("`rating.reasons[{i}]` = '{text}' is listed twice"),
                        ));
                    }
                    out.push(text);
                }
                out
            }
        };
        Ok(RatingSettings {
            show_for: Duration::from_secs(secs),
            reasons,
        })
    }
}
