//! The board's loop, the same for every screen: poll the feed, announce new calls, redraw when
//! something visible changed. A read error never stops the board: it is logged once, the
//! screen says "Mất kết nối" on the notice line, and the next poll tries again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use motcua::Config;
use motcua::clock::Clock;

use crate::board::Call;
use crate::follow::Follower;
use crate::frame::Frame;
use crate::voice::Announcer;
use crate::{FrameKey, frame_key, render};

/// The notice while the queue cannot be read.
pub const OFFLINE_NOTICE: &str = "MẤT KẾT NỐI – đang kết nối lại với hệ thống xếp hàng…";

/// Where frames go: a window, the Linux framebuffer, a test's recorder.
pub trait Screen {
    /// The frame size to draw.
    fn size(&self) -> (u32, u32);
    /// Shows a frame.
    fn show(&mut self, frame: &Frame) -> std::io::Result<()>;
}

/// A screen that keeps every frame it was shown (tests).
#[derive(Default)]
pub struct Recorder {
    /// Frame size.
    pub size: (u32, u32),
    /// Frames shown, oldest first.
    pub frames: Vec<Frame>,
}

impl Screen for Recorder {
    fn size(&self) -> (u32, u32) {
        self.size
    }
    fn show(&mut self, frame: &Frame) -> std::io::Result<()> {
        self.frames.push(frame.clone());
        Ok(())
    }
}

impl Screen for crate::present::FbDev {
    fn size(&self) -> (u32, u32) {
        crate::present::FbDev::size(self)
    }
    fn show(&mut self, frame: &Frame) -> std::io::Result<()> {
        crate::present::FbDev::show(self, frame)
    }
}

/// The board running: its follower, its voice, and what it last showed.
pub struct Runner {
    /// Where the board's content comes from.
    pub follower: Follower,
    cfg: Config,
    voice: Option<Announcer>,
    shown: Option<FrameKey>,
    /// The last read failed: the notice says so until a read succeeds.
    offline: bool,
    notice: String,
}

impl Runner {
    /// A runner; `voice` speaks new calls (none: silent).
    pub fn new(cfg: &Config, follower: Follower, voice: Option<Announcer>) -> Runner {
        Runner {
            notice: follower.board.notice.clone(),
            follower,
            cfg: cfg.clone(),
            voice,
            shown: None,
            offline: false,
        }
    }

    /// Whether the last read failed.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Polls the feed once: the new calls (announced unless replayed); never fails.
    pub fn poll(&mut self, now: DateTime<Utc>) -> Vec<Call> {
        match self.follower.poll(now) {
            Ok(calls) => {
                if self.offline {
                    tracing::warn!("the queue can be read again");
                    self.offline = false;
                    self.follower.board.notice = self.notice.clone();
                    self.follower.revision += 1;
                }
                let calls = calls.unwrap_or_default();
                if let Some(v) = &self.voice {
                    for c in calls.iter().filter(|c| !c.replayed) {
                        v.announce(&c.number, c.counter);
                    }
                }
                calls
            }
            Err(e) => {
                if !self.offline {
                    tracing::error!(error = %e, "cannot read the queue; retrying");
                    self.offline = true;
                    self.follower.board.notice = OFFLINE_NOTICE.to_string();
                    self.follower.revision += 1;
                }
                Vec::new()
            }
        }
    }

    /// The frame to show at `now` on a screen of `size`, when it differs from the last one.
    pub fn frame(&mut self, now: DateTime<Utc>, size: (u32, u32)) -> Option<Frame> {
        let f = &self.follower;
        let key = frame_key(&f.board, f.revision, &self.cfg, now, size);
        if self.shown == Some(key) {
            return None;
        }
        self.shown = Some(key);
        Some(render(&f.board, &self.cfg, now, size))
    }

    /// One step: poll, announce, redraw on `screen` if needed. Returns the new calls.
    pub fn step(
        &mut self,
        now: DateTime<Utc>,
        screen: &mut dyn Screen,
    ) -> std::io::Result<Vec<Call>> {
        let calls = self.poll(now);
        if screen.size() == (0, 0) {
            return Ok(calls);
        }
        if let Some(frame) = self.frame(now, screen.size()) {
            screen.show(&frame)?;
        }
        Ok(calls)
    }

    /// Steps until `stop` is set (SIGTERM), waiting with `pace` between steps; `each` sees every
    /// step's calls (e.g. `follow` prints them).
    pub fn run(
        &mut self,
        clock: &dyn Clock,
        screen: &mut dyn Screen,
        pace: &dyn Fn(),
        stop: &Arc<AtomicBool>,
        mut each: impl FnMut(&[Call]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        while !stop.load(Ordering::Relaxed) {
            let calls = self.step(clock.now(), screen)?;
            each(&calls)?;
            pace();
        }
        Ok(())
    }
}

/// A screen that shows nothing (`follow`).
pub struct NoScreen;

impl Screen for NoScreen {
    fn size(&self) -> (u32, u32) {
        (0, 0)
    }
    fn show(&mut self, _: &Frame) -> std::io::Result<()> {
        Ok(())
    }
}

/// A flag set on SIGTERM or SIGINT (Ctrl-C): long-running loops stop cleanly when it is.
pub fn stop_on_signals() -> std::io::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    Ok(stop)
}
