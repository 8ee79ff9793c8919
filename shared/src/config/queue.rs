//! `[queue]`: the fairness rules of who is called next.

use super::*;

/// Default: after this many priority calls in a row, a waiting normal ticket goes next.
pub const DEFAULT_PRIORITY_RATIO: u32 = 3;

/// Default: a ticket that has waited this long goes to the front of its counters' queues.
pub const DEFAULT_MAX_WAIT_MINUTES: u32 = 45;

/// Default: reports count a ticket called within this many minutes as on time (Ho Chi Minh
/// City's rule that nobody waits more than 20 minutes to submit a file).
pub const DEFAULT_TARGET_WAIT_MINUTES: u32 = 20;

/// `[queue]`: who goes next when several wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRules {
    /// After this many priority calls in a row at a counter, a waiting normal ticket goes next.
    pub priority_ratio: u32,
    /// A ticket that has waited this long goes before every ticket that has not; `None` disables.
    pub max_wait: Option<Duration>,
    /// The wait reports measure against (`target_wait_minutes`; a service may set its own).
    pub target_wait: Duration,
}

impl Default for QueueRules {
    fn default() -> Self {
        QueueRules {
            priority_ratio: DEFAULT_PRIORITY_RATIO,
            max_wait: Some(Duration::from_secs(
                u64::from(DEFAULT_MAX_WAIT_MINUTES) * 60,
            )),
            target_wait: Duration::from_secs(u64::from(DEFAULT_TARGET_WAIT_MINUTES) * 60),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueue {
    priority_ratio: Option<Spanned<i64>>,
    max_wait_minutes: Option<Spanned<i64>>,
    target_wait_minutes: Option<Spanned<i64>>,
}

impl Validator<'_> {
    /// Validates `queue`.
    pub(super) fn queue(&self, raw: Option<RawQueue>) -> Result<QueueRules> {
        let queue = match raw {
            None => QueueRules::default(),
            Some(q) => {
                let ratio = self.int(
                    "queue.priority_ratio",
                    q.priority_ratio,
                    1..1000,
                    DEFAULT_PRIORITY_RATIO.into(),
                )? as u32;
                let max = self.int(
                    "queue.max_wait_minutes",
                    q.max_wait_minutes,
                    0..24 * 60,
                    DEFAULT_MAX_WAIT_MINUTES.into(),
                )? as u64;
                let target = self.int(
                    "queue.target_wait_minutes",
                    q.target_wait_minutes,
                    1..241,
                    DEFAULT_TARGET_WAIT_MINUTES.into(),
                )? as u64;
                QueueRules {
                    priority_ratio: ratio,
                    max_wait: (max > 0).then(|| Duration::from_secs(max * 60)),
                    target_wait: Duration::from_secs(target * 60),
                }
            }
        };
        Ok(queue)
    }
}
