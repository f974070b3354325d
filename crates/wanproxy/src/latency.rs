//! `Latency` of one region pair and the shared, runtime-changeable `LatencyTable`.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::RegionPair;

/// The simulated latency between two regions.
///
/// Each direction of a connection delays a chunk of bytes by `rtt_ms / 2` plus a jitter drawn
/// uniformly from `[-jitter_ms / 2, +jitter_ms / 2]` (never below zero), so one request and
/// its reply see a round trip in `rtt_ms ± jitter_ms`, averaging `rtt_ms`. Bytes are never
/// reordered: a chunk is released no earlier than the chunk before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Round-trip time added between the two regions, in milliseconds. Default: 0.
    pub rtt_ms: u64,
    /// Jitter, in milliseconds: each direction adds a uniform draw from
    /// `[-jitter_ms / 2, +jitter_ms / 2]`, so a round trip lies in `rtt_ms ± jitter_ms`.
    /// Default: 0.
    pub jitter_ms: u64,
}

impl Latency {
    /// No delay at all (same region, unmapped source, or a pair without an entry).
    pub const NONE: Latency = Latency {
        rtt_ms: 0,
        jitter_ms: 0,
    };

    /// One draw of the one-way delay: `rtt/2 + U(-jitter/2, +jitter/2)`, at least zero.
    pub fn sample_one_way(&self) -> Duration {
        let base_us = self.rtt_ms as i64 * 500;
        let half_jitter_us = self.jitter_ms as i64 * 500;
        let jitter_us = if half_jitter_us == 0 {
            0
        } else {
            rand::rng().random_range(-half_jitter_us..=half_jitter_us)
        };
        Duration::from_micros((base_us + jitter_us).max(0) as u64)
    }
}

/// The latency of every region pair, shared by all connections and the admin server. A pair
/// without an entry has [`Latency::NONE`]. Changes apply to bytes read after the change, on
/// existing connections as well as new ones.
#[derive(Debug, Default)]
pub struct LatencyTable {
    entries: RwLock<BTreeMap<RegionPair, Latency>>,
}

impl LatencyTable {
    /// A table holding `entries`.
    pub fn new(entries: BTreeMap<RegionPair, Latency>) -> LatencyTable {
        LatencyTable {
            entries: RwLock::new(entries),
        }
    }

    /// The latency of `pair` ([`Latency::NONE`] when it has no entry).
    pub fn get(&self, pair: &RegionPair) -> Latency {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(pair).copied().unwrap_or(Latency::NONE)
    }

    /// Sets the latency of `pair`.
    pub fn set(&self, pair: RegionPair, latency: Latency) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.insert(pair, latency);
    }

    /// Every entry, sorted by pair.
    pub fn snapshot(&self) -> Vec<(RegionPair, Latency)> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.iter().map(|(p, l)| (p.clone(), *l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_delay_stays_within_half_rtt_plus_half_jitter() {
        let l = Latency {
            rtt_ms: 100,
            jitter_ms: 10,
        };
        for _ in 0..1000 {
            let d = l.sample_one_way();
            assert!(
                d >= Duration::from_millis(45) && d <= Duration::from_millis(55),
                "{d:?}"
            );
        }
        assert_eq!(Latency::NONE.sample_one_way(), Duration::ZERO);
    }

    #[test]
    fn jitter_larger_than_rtt_never_goes_negative() {
        let l = Latency {
            rtt_ms: 2,
            jitter_ms: 50,
        };
        for _ in 0..1000 {
            assert!(l.sample_one_way() <= Duration::from_millis(26));
        }
    }
}
