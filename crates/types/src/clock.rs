//! A node's clocks: its monotonic clock (leases, coordination waits) and its wall clock (the
//! `now_ms` a leader stamps on writes, TTLs hidden on reads). Production nodes read the
//! process's clocks; a test builds an [`Clock::adjustable`] clock per node and skews it,
//! drifts it and jumps it forward, to check that safety never rests on clocks agreeing.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Cheap to clone; clones share their adjustments.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    adjust: Option<Arc<Mutex<Adjust>>>,
}

/// How a test clock differs from the real ones.
#[derive(Debug)]
struct Adjust {
    /// Real instant and this clock's monotonic reading when the rate last changed.
    base_real: Instant,
    base_mono: Instant,
    /// Rate error in parts per million (+100 runs 0.01 % fast).
    drift_ppm: i64,
    /// Added to the real wall clock, in ms (may be negative).
    wall_offset_ms: i64,
}

impl Clock {
    /// The process's own clocks.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that starts equal to the process's and can then be adjusted.
    pub fn adjustable() -> Clock {
        anchor();
        let now = Instant::now();
        Clock {
            adjust: Some(Arc::new(Mutex::new(Adjust {
                base_real: now,
                base_mono: now,
                drift_ppm: 0,
                wall_offset_ms: 0,
            }))),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Adjust) -> T) -> Option<T> {
        self.adjust
            .as_ref()
            .map(|a| f(&mut a.lock().unwrap_or_else(|e| e.into_inner())))
    }

    /// This clock's monotonic now. Never goes back, whatever the adjustments.
    pub fn now(&self) -> Instant {
        self.with(|a| a.mono_at(Instant::now()))
            .unwrap_or_else(Instant::now)
    }

    /// Milliseconds on this clock's monotonic clock since a process-wide anchor; never 0.
    /// Comparable only within one process (lease grants are stamped with it).
    pub fn mono_ms(&self) -> u64 {
        self.now().saturating_duration_since(anchor()).as_millis() as u64 + 1
    }

    /// An instant no earlier than the moment [`Clock::mono_ms`] returned `ms` on this clock.
    pub fn instant_at_ms(&self, ms: u64) -> Instant {
        anchor() + Duration::from_millis(ms)
    }

    /// Unix milliseconds on this clock's wall clock.
    pub fn unix_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let offset = self.with(|a| a.wall_offset_ms).unwrap_or(0);
        (real + offset).max(0) as u64
    }

    /// Moves both clocks forward by `by` at once (a suspended VM waking, an NTP step).
    /// Does nothing on a system clock.
    pub fn jump(&self, by: Duration) {
        self.with(|a| {
            a.base_mono += by;
            a.wall_offset_ms += by.as_millis() as i64;
        });
    }

    /// Sets the wall clock `ms` away from the real one (negative: behind). The monotonic
    /// clock is untouched, as a wall-clock step leaves `CLOCK_MONOTONIC` alone.
    pub fn skew_wall(&self, ms: i64) {
        self.with(|a| a.wall_offset_ms = ms);
    }

    /// Sets the monotonic clock's rate error, in parts per million, from now on.
    pub fn drift(&self, ppm: i64) {
        self.with(|a| {
            let now = Instant::now();
            a.base_mono = a.mono_at(now);
            a.base_real = now;
            a.drift_ppm = ppm.clamp(-999_999, 1_000_000);
        });
    }

    /// Back to the real rate and the real wall clock (which may step back, as after an NTP
    /// correction); a monotonic jump stays, since monotonic time never goes back.
    pub fn reset(&self) {
        self.drift(0);
        self.skew_wall(0);
    }
}

/// The process-wide origin of [`Clock::mono_ms`], taken before any adjustable clock starts.
fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}

impl Adjust {
    fn mono_at(&self, real: Instant) -> Instant {
        let elapsed = real.saturating_duration_since(self.base_real);
        let scaled = elapsed.as_nanos() as i128 * (1_000_000 + self.drift_ppm as i128) / 1_000_000;
        self.base_mono + Duration::from_nanos(scaled.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_system_clock_ignores_adjustments() {
        let c = Clock::system();
        c.jump(Duration::from_secs(60));
        c.skew_wall(-10_000);
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        assert!(c.unix_ms().abs_diff(real) < 1_000);
        assert!(c.now() <= Instant::now());
    }

    #[test]
    fn jumps_move_both_clocks_forward_and_skew_moves_only_the_wall() {
        let c = Clock::adjustable();
        let (m0, w0) = (c.now(), c.unix_ms());
        c.jump(Duration::from_secs(5));
        assert!(c.now() >= m0 + Duration::from_secs(5));
        assert!(c.unix_ms() >= w0 + 5_000);
        let m1 = c.now();
        c.skew_wall(-60_000);
        assert!(c.unix_ms() + 50_000 < w0, "the wall clock went back");
        assert!(c.now() >= m1, "the monotonic clock did not");
    }

    #[test]
    fn drift_scales_the_monotonic_rate_and_never_goes_back() {
        let c = Clock::adjustable();
        c.drift(500_000); // 1.5 × real speed
        let (m0, r0) = (c.now(), Instant::now());
        std::thread::sleep(Duration::from_millis(40));
        let (m1, r1) = (c.now(), Instant::now());
        assert!(m1 - m0 >= (r1 - r0).mul_f64(1.4));
        c.drift(-500_000);
        let m2 = c.now();
        assert!(m2 >= m1, "changing the rate keeps the clock monotonic");
        c.reset();
        assert!(c.now() >= m2);
    }
}
