//! `[board]`: the waiting-room display.

use super::*;

/// `[board]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardSettings {
    /// The scrolling notice line at the bottom.
    pub notice: String,
    /// Frame size in pixels.
    pub size: (u32, u32),
    /// How long a fresh call blinks.
    pub blink: Duration,
    /// A folder of recorded clips that replace the shipped voice (same file names).
    pub voice_dir: Option<PathBuf>,
}

/// Default board notice.
pub const DEFAULT_NOTICE: &str =
    "Công dân vui lòng giữ phiếu và chú ý màn hình, loa gọi số. Xin cảm ơn!";

/// Default frame size.
pub const DEFAULT_BOARD_SIZE: (u32, u32) = (1920, 1080);
/// Default seconds a fresh call blinks.
pub const DEFAULT_BLINK_SECONDS: u32 = 10;

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings {
            notice: DEFAULT_NOTICE.to_string(),
            size: DEFAULT_BOARD_SIZE,
            blink: Duration::from_secs(DEFAULT_BLINK_SECONDS.into()),
            voice_dir: None,
        }
    }
}

/// Parses "WxH" (e.g. 1920x1080) within 320..=7680 each way.
pub fn parse_size(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once(['x', 'X'])?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    ((320..=7680).contains(&w) && (320..=7680).contains(&h)).then_some((w, h))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBoard {
    notice: Option<Spanned<String>>,
    size: Option<Spanned<String>>,
    blink_seconds: Option<Spanned<i64>>,
    voice_dir: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// Validates `board`.
    pub(super) fn board(&self, raw: Option<RawBoard>, base: &Path) -> Result<BoardSettings> {
        let board = match raw {
            None => BoardSettings::default(),
            Some(b) => {
                let notice = match b.notice {
                    None => DEFAULT_NOTICE.to_string(),
                    Some(n) => self.text("board.notice", n, MAX_NOTICE_CHARS)?,
                };
                let size = match b.size {
                    None => DEFAULT_BOARD_SIZE,
                    Some(sz) => parse_size(sz.get_ref()).ok_or_else(|| {
                        self.err(
                            sz.span(),
                            format!(
                                "`board.size` = '{}': use WIDTHxHEIGHT, e.g. 1920x1080",
                                sz.get_ref()
                            ),
                        )
                    })?,
                };
                let blink = self.int(
                    "board.blink_seconds",
                    b.blink_seconds,
                    0..61,
                    DEFAULT_BLINK_SECONDS.into(),
                )? as u64;
                BoardSettings {
                    notice,
                    size,
                    blink: Duration::from_secs(blink),
                    voice_dir: b.voice_dir.map(|d| base.join(d.into_inner())),
                }
            }
        };
        Ok(board)
    }
}
