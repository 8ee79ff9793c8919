//! The waiting-room display board: state, picture, voice, and following the shared queue.

pub mod board;
pub mod follow;
pub mod frame;
pub mod present;
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
