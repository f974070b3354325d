//! Redis's `redisLrand48` / `redisSrand48` (rand.c): the 48-bit linear congruential generator
//! behind `math.random`.
//!
//! Redis 7.0 never reseeds it (the sequence runs on across scripts from rand.c's initial state);
//! Meridian restarts it from that initial state before every run, so a run's numbers depend on
//! nothing but the run (replicas, and read-only scripts on serving nodes, never drift apart), and
//! every run draws what the first script after a Redis restart draws.

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// `REDIS_LRAND48_MAX` (`INT32_MAX`).
pub const LRAND48_MAX: i64 = i32::MAX as i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rand48 {
    x: u64,
}

impl Rand48 {
    /// `redisSrand48(seed)`: the high 32 bits of the state are the seed, the low 16 `0x330E`.
    pub fn seeded(seed: i32) -> Rand48 {
        let seed = u64::from(seed.cast_unsigned());
        Rand48 {
            x: (seed << 16) | 0x330E,
        }
    }

    /// `redisLrand48()`: the next 31-bit value.
    pub fn next(&mut self) -> i64 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        i64::try_from(self.x >> 17).unwrap_or(0)
    }
}

impl Default for Rand48 {
    /// rand.c's initial state `{X0, X1, X2}` = `0x1234_ABCD_330E`.
    fn default() -> Self {
        Rand48 {
            x: 0x1234_ABCD_330E,
        }
    }
}
