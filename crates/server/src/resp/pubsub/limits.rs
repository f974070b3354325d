//! `client-output-buffer-limit pubsub <hard> <soft> <seconds>` (Redis `checkClientOutputBufferLimits`):
//! a subscriber whose unwritten messages pass the hard limit, or stay above the soft limit for
//! the given seconds, is closed. 0 turns a limit off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Redis's default: `pubsub 33554432 8388608 60`.
const DEFAULT: (u64, u64, u64) = (32 * 1024 * 1024, 8 * 1024 * 1024, 60);

/// The pubsub class's limits, as `CONFIG SET` last left them.
pub(crate) struct BufferLimits {
    hard: AtomicU64,
    soft: AtomicU64,
    soft_seconds: AtomicU64,
}

impl Default for BufferLimits {
    fn default() -> Self {
        BufferLimits {
            hard: AtomicU64::new(DEFAULT.0),
            soft: AtomicU64::new(DEFAULT.1),
            soft_seconds: AtomicU64::new(DEFAULT.2),
        }
    }
}

impl BufferLimits {
    /// Takes the `pubsub` class from a normalized `client-output-buffer-limit` value
    /// (`normal h s t slave h s t pubsub h s t`).
    pub(crate) fn load(&self, value: &str) {
        let words: Vec<&str> = value.split(' ').collect();
        let Some(group) = words.chunks(4).find(|g| g.first() == Some(&"pubsub")) else {
            return;
        };
        let number = |i: usize| group.get(i).and_then(|w| w.parse::<u64>().ok());
        if let (Some(hard), Some(soft), Some(secs)) = (number(1), number(2), number(3)) {
            self.hard.store(hard, Ordering::Relaxed);
            self.soft.store(soft, Ordering::Relaxed);
            self.soft_seconds.store(secs, Ordering::Relaxed);
        }
    }

    /// True when a subscriber with `queued` bytes waiting must be closed; keeps track of how
    /// long it has been above the soft limit in `over_since`.
    pub(crate) fn exceeded(&self, queued: usize, over_since: &Mutex<Option<Instant>>) -> bool {
        let queued = queued as u64;
        let hard = self.hard.load(Ordering::Relaxed);
        if hard > 0 && queued >= hard {
            return true;
        }
        let soft = self.soft.load(Ordering::Relaxed);
        let mut since = over_since.lock().unwrap_or_else(|e| e.into_inner());
        if soft == 0 || queued < soft {
            *since = None;
            return false;
        }
        let started = *since.get_or_insert_with(Instant::now);
        let allowed = Duration::from_secs(self.soft_seconds.load(Ordering::Relaxed));
        started.elapsed() >= allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_limit_closes_at_once_and_soft_limit_after_its_seconds() {
        let limits = BufferLimits::default();
        limits.load("normal 0 0 0 slave 268435456 67108864 60 pubsub 1000 100 0");
        let since = Mutex::new(None);
        assert!(!limits.exceeded(99, &since));
        assert!(limits.exceeded(1000, &since), "hard limit");
        // Soft limit with 0 seconds: closed as soon as it is passed.
        assert!(limits.exceeded(100, &since));
        limits.load("pubsub 1000 100 3600");
        let since = Mutex::new(None);
        assert!(!limits.exceeded(500, &since), "within the soft period");
        assert!(since.lock().map(|s| s.is_some()).unwrap_or(false));
        assert!(!limits.exceeded(10, &since));
        assert!(since.lock().map(|s| s.is_none()).unwrap_or(false), "reset");
    }

    #[test]
    fn zero_turns_limits_off() {
        let limits = BufferLimits::default();
        limits.load("normal 0 0 0 slave 0 0 0 pubsub 0 0 0");
        let since = Mutex::new(None);
        assert!(!limits.exceeded(usize::MAX / 2, &since));
    }
}
