//! Modification versions, what WATCH compares.
//!
//! Redis aborts an EXEC when a watched key was touched in any way since WATCH, even by a write
//! of the same value, or by its creation and deletion. Comparing values cannot see that, so
//! every modification of a key stamps it with a new version, the next value of one counter of
//! the keyspace, and [`Keyspace::digest`](crate::Keyspace::digest) answers the version.
//!
//! A missing key has no entry to stamp. Instead, each creation of a key also records its
//! version in one of [`CREATION_SLOTS`] slots, chosen by the key's hash; the digest of a missing
//! key is its slot's value, tagged. A key missing at WATCH and at EXEC was created in between
//! exactly when its slot moved (or, rarely, when another key of the same slot was created:
//! a needless abort, never a missed one). Deletions need no record: a key present at WATCH
//! and missing at EXEC has different digests anyway, and a key missing at both was created in
//! between if it was deleted in between. A key already expired at WATCH counts as missing, so
//! its later removal changes nothing (Redis 7.0 too treats that as no logical change).
//!
//! Versions are replicated state: every node of a cluster applies the same log and so hands
//! out the same versions, and the keyspace snapshot carries them (a WATCH on a follower
//! compares against the versions every node computes when it applies the EXEC).

use std::fmt;

/// Slots of the creation record (8 KiB, in memory and in every snapshot).
pub(crate) const CREATION_SLOTS: usize = 1024;

/// Tags the digest of a missing key, so it never equals a version (which stays below 2^63).
pub(crate) const MISSING: u64 = 1 << 63;

/// The version counter and the creation record of one keyspace.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Versions {
    /// The last version handed out.
    last: u64,
    /// `created[i]`: the version of the last creation of a key whose hash falls in slot `i`.
    created: Box<[u64]>,
}

impl Default for Versions {
    fn default() -> Versions {
        Versions {
            last: 0,
            created: vec![0; CREATION_SLOTS].into_boxed_slice(),
        }
    }
}

impl Versions {
    /// Rebuilds a record read from a snapshot; `None` if it has the wrong number of slots.
    pub(crate) fn from_parts(last: u64, created: Vec<u64>) -> Option<Versions> {
        (created.len() == CREATION_SLOTS).then(|| Versions {
            last,
            created: created.into_boxed_slice(),
        })
    }

    pub(crate) fn last(&self) -> u64 {
        self.last
    }

    pub(crate) fn created(&self) -> &[u64] {
        &self.created
    }

    /// A new version, later than every one handed out before.
    pub(crate) fn next(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    /// Records that a key with scan hash `hash` came into existence at `version`.
    pub(crate) fn note_created(&mut self, hash: u64, version: u64) {
        self.created[slot(hash)] = version;
    }

    /// The digest of a missing key with scan hash `hash`.
    pub(crate) fn missing_digest(&self, hash: u64) -> u64 {
        MISSING | self.created[slot(hash)]
    }
}

fn slot(hash: u64) -> usize {
    // The scan hash is already mixed; its top bits pick the slot.
    (hash >> (64 - CREATION_SLOTS.trailing_zeros())) as usize
}

impl fmt::Debug for Versions {
    /// The counter and how many slots hold a creation (all 1024 values would drown a failing
    /// assertion's output).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Versions")
            .field("last", &self.last)
            .field(
                "created_slots",
                &self.created.iter().filter(|&&v| v != 0).count(),
            )
            .finish()
    }
}

#[cfg(test)]
#[path = "versions_tests.rs"]
mod tests;
