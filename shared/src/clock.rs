//! The clock, injected: libraries take `now` as an argument or a [`Clock`], never read the
//! system time themselves, so tests can fix and move time.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Whether this clock is kept in step (NTP): `Some(false)` when the kernel says it is not,
    /// `None` when it cannot tell. Screens then warn "Đồng hồ hệ thống chưa đồng bộ".
    fn synchronised(&self) -> Option<bool> {
        kernel_synchronised()
    }
}

/// What officers and citizens read when the clock cannot be trusted.
pub const UNSYNCHRONISED_VI: &str = "Đồng hồ hệ thống chưa đồng bộ";

/// How far a LAN device's clock may differ from the server's before it warns.
pub const MAX_SKEW: TimeDelta = TimeDelta::minutes(2);

/// Whether the kernel's clock is synchronised (`adjtimex(2)` with no change: `TIME_ERROR` or
/// `STA_UNSYNC` mean it is not, as `timedatectl` reads it); `None` if the call fails.
pub fn kernel_synchronised() -> Option<bool> {
    // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state into it.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    (state >= 0).then(|| !unsynchronised(state, tx.status))
}

fn unsynchronised(state: i32, status: i32) -> bool {
    state == libc::TIME_ERROR || status & libc::STA_UNSYNC != 0
}

/// The warning for a device whose clock reads `here` when the server's read `server`: `None`
/// within [`MAX_SKEW`], else the Vietnamese line with the difference in minutes.
pub fn skew_warning(here: DateTime<Utc>, server: DateTime<Utc>) -> Option<String> {
    let d = here - server;
    (d.abs() > MAX_SKEW).then(|| {
        format!(
            "{UNSYNCHRONISED_VI}: đồng hồ máy này {} {} phút so với máy chủ",
            if d > TimeDelta::zero() {
                "nhanh"
            } else {
                "chậm"
            },
            d.num_minutes().abs()
        )
    })
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved (tests); synchronised unless told otherwise.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>, Mutex<Option<bool>>);

impl FixedClock {
    /// A clock showing `t`.
    pub fn at(t: DateTime<Utc>) -> FixedClock {
        FixedClock(Mutex::new(t), Mutex::new(Some(true)))
    }

    /// Sets what [`Clock::synchronised`] answers.
    pub fn set_synchronised(&self, s: Option<bool>) {
        *self.1.lock().expect("clock") = s;
    }

    /// Sets the time.
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().expect("clock") = t;
    }

    /// Moves the time on by `d`.
    pub fn advance(&self, d: TimeDelta) {
        *self.0.lock().expect("clock") += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
    fn synchronised(&self) -> Option<bool> {
        *self.1.lock().expect("clock")
    }
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    #[test]
    fn the_kernel_state_and_the_skew_make_the_warning() {
        assert!(unsynchronised(libc::TIME_ERROR, 0));
        assert!(unsynchronised(libc::TIME_OK, libc::STA_UNSYNC));
        assert!(!unsynchronised(libc::TIME_OK, libc::STA_PLL));
        // The call itself answers on Linux (whatever this machine's state).
        assert!(kernel_synchronised().is_some());
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(skew_warning(t + TimeDelta::seconds(119), t), None);
        assert_eq!(
            skew_warning(t - TimeDelta::minutes(7), t).as_deref(),
            Some("Đồng hồ hệ thống chưa đồng bộ: đồng hồ máy này chậm 7 phút so với máy chủ")
        );
        assert!(
            skew_warning(t + TimeDelta::minutes(3), t)
                .unwrap()
                .contains("nhanh 3 phút")
        );
    }
}
