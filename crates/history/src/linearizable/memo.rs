//! What the search remembers: the configurations that failed, and the hashes that name sets of
//! ops.

use std::collections::HashMap;

/// Configurations fully explored without success, keyed by (hash of the acknowledged ops
/// linearized, state), each with the sets of uncertain ops linearized.
///
/// A configuration B is pruned when an explored one A has the same key and A's uncertain set
/// is a subset of B's: any way to finish from B also finishes from A (same state, the same
/// acknowledged ops left, and A's extra uncertain ops can go last, as they fit any state and
/// never return), so B fails too. With no uncertain ops this is Porcupine's exact cache.
#[derive(Default)]
pub(super) struct Memo {
    failed: HashMap<(u128, Option<i64>), Vec<Vec<u64>>>,
}

impl Memo {
    /// True when an explored configuration dominates this one; adds the sets compared to
    /// `work`.
    pub fn dominated(&self, key: (u128, Option<i64>), info: &[u64], work: &mut u64) -> bool {
        let Some(sets) = self.failed.get(&key) else {
            return false;
        };
        *work += sets.len() as u64;
        sets.iter().any(|set| is_subset(set, info))
    }

    pub fn fail(&mut self, key: (u128, Option<i64>), info: &[u64]) {
        let sets = self.failed.entry(key).or_default();
        sets.retain(|set| !is_subset(info, set));
        sets.push(info.to_vec());
    }
}

fn is_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x & !y == 0)
}

/// A fixed pseudo-random 128-bit key per op (splitmix64 of its position).
pub(super) fn zobrist(i: u64) -> u128 {
    (u128::from(splitmix64(2 * i)) << 64) | u128::from(splitmix64(2 * i + 1))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
