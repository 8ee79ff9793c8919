//! The waiting-room display board: state, picture, voice, and following the shared queue.

pub mod board;
pub mod follow;
pub mod frame;
pub mod present;
pub mod remote;
pub mod run;
pub mod scene;
pub mod voice;

use chrono::{DateTime, Utc};
use motcua::Config;

use crate::board::Board;
use crate::frame::Frame;
use crate::scene::Moment;

/// Blink phase length.
pub const BLINK_MS: i64 = 500;
/// Notice scroll speed in pixels per second at 1080 lines.
pub const NOTICE_SPEED: f64 = 120.0;

/// The moment's clock, blink phase and notice scroll, from the time.
pub fn moment(cfg: &Config, now: DateTime<Utc>, height: u32) -> Moment {
    let ms = now.timestamp_millis();
    Moment {
        local: now.with_timezone(&cfg.office.timezone).naive_local(),
        blink_on: (ms / BLINK_MS) % 2 == 0,
        notice_offset: ((ms as f64 / 1000.0) * NOTICE_SPEED * f64::from(height) / 1080.0) as u32,
    }
}

/// Draws the board at `now` into a new frame of `size`.
pub fn render(board: &Board, cfg: &Config, now: DateTime<Utc>, size: (u32, u32)) -> Frame {
    let mut f = Frame::new(size.0, size.1);
    let fresh = board.fresh_call(now, cfg.board.blink);
    let m = moment(cfg, now, size.1.min(size.0));
    let Ok(()) = scene::draw(board, fresh, &m, &mut f);
    f
}

/// Everything a frame depends on besides the board's content: when it changes, redraw.
/// An idle board with a short notice redraws once a minute (the clock), so it costs no CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameKey {
    revision: u64,
    minute: i64,
    blink: Option<bool>,
    scroll: Option<u32>,
}

/// The key of the frame `render` would draw at `now`; `revision` changes with the board.
pub fn frame_key(
    board: &Board,
    revision: u64,
    cfg: &Config,
    now: DateTime<Utc>,
    size: (u32, u32),
) -> FrameKey {
    let m = moment(cfg, now, size.1.min(size.0));
    let fresh = board.fresh_call(now, cfg.board.blink).is_some();
    FrameKey {
        revision,
        minute: now.timestamp() / 60,
        blink: fresh.then_some(m.blink_on),
        scroll: scene::notice_scrolls(board, size).then_some(m.notice_offset / 2),
    }
}
