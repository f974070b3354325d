//! WATCH's side of [`Keyspace`]: the digest WATCH records, stamping modified keys, and
//! versions in snapshots and full syncs. The design is in `versions.rs`.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{find_mut, scan_hash, Keyspace, SlotKey};
use crate::small_bytes::SmallBytes;
use crate::value::{Entry, Value};
use crate::versions::Versions;

/// Stores `version` where `e` keeps it: in the entry, or for a key with a TTL in `expires`
/// under `(ttl, stored)` (the entry must already be indexed there).
fn put_version(
    expires: &mut BTreeMap<(u64, SmallBytes), u64>,
    stored: SmallBytes,
    e: &mut Entry,
    version: u64,
) {
    match e.expire_at_ms() {
        None => e.set_inline_version(version),
        Some(t) => {
            if let Some(v) = expires.get_mut(&(t, stored)) {
                *v = version;
            }
        }
    }
}

impl Keyspace {
    /// What WATCH records for `key` and EXEC compares: the version of the live entry, or for a
    /// missing key a tagged digest of the creations in its slot (see `versions.rs`). Equal
    /// digests mean nothing modified the key in between (no write of any value, no TTL change,
    /// no expiry, no creation; rarely, a creation of another key makes a missing key's digest
    /// differ). Always `Some`: the `Option` is the shape WATCH's callers store.
    pub fn digest(&self, key: &Bytes, now_ms: u64) -> Option<u64> {
        let digest = match self.slot(key) {
            Some((slot, e)) if !e.is_expired(now_ms) => self.version_of(slot, e),
            Some((slot, _)) => self.versions.missing_digest(slot.hash),
            None => self.versions.missing_digest(scan_hash(key)),
        };
        Some(digest)
    }

    /// Stamps the stored entry of `key`, if any, with a new version: the key was modified.
    pub(crate) fn mark_modified(&mut self, key: &Bytes) {
        self.stamp(key, |_| true);
    }

    /// The stored entry of `key`, stamped with a new version if `modifies` says so.
    pub(super) fn stamp(
        &mut self,
        key: &[u8],
        modifies: impl FnOnce(&Value) -> bool,
    ) -> Option<&mut Entry> {
        let Keyspace {
            entries,
            expires,
            versions,
            ..
        } = self;
        let (stored, e) = find_mut(entries, key)?;
        if modifies(&e.value) {
            put_version(expires, stored, e, versions.next());
        }
        Some(e)
    }

    /// The version of a stored entry: in the entry, or in the TTL index for a key with a TTL.
    fn version_of(&self, slot: &SlotKey, e: &Entry) -> u64 {
        match e.expire_at_ms() {
            None => e.inline_version().unwrap_or_default(),
            Some(t) => self
                .expires
                .get(&(t, slot.key.clone()))
                .copied()
                .unwrap_or_default(),
        }
    }

    /// Every stored entry with its version, in scan order (for the snapshot).
    pub(crate) fn raw_entries(&self) -> impl Iterator<Item = (&SmallBytes, &Entry, u64)> + '_ {
        self.entries
            .iter()
            .map(|(k, e)| (&k.key, e, self.version_of(k, e)))
    }

    pub(crate) fn versions(&self) -> &Versions {
        &self.versions
    }

    /// A keyspace with `versions` and no keys, for [`Keyspace::restore`] to fill (reading a
    /// snapshot).
    pub(crate) fn with_versions(versions: Versions) -> Keyspace {
        Keyspace {
            versions,
            ..Keyspace::default()
        }
    }

    /// Stores `entry` under `key` with exactly `version` (reading a snapshot: nothing is
    /// modified, versions are restored as they were).
    pub(crate) fn restore(&mut self, key: &[u8], mut entry: Entry, version: u64) {
        let slot = SlotKey::of(key);
        let stored = slot.key.clone();
        if let Some(t) = self.entries.get(&slot).and_then(|e| e.expire_at_ms()) {
            self.expires.remove(&(t, stored.clone()));
        }
        match entry.expire_at_ms() {
            None => entry.set_inline_version(version),
            Some(t) => {
                self.expires.insert((t, stored), version);
            }
        }
        self.entries.insert(slot, entry);
    }

    /// Replaces every key with `image`'s (a full sync's image), as a modification of every key
    /// it holds: their versions go on from this keyspace's, so a key watched before the swap
    /// never looks unchanged after it; the creation record stays this keyspace's (a key missing
    /// before and after is unchanged, as in Redis). Every node applies this at the same log
    /// entry, so the versions agree.
    pub fn adopt(&mut self, image: Keyspace) {
        let Keyspace {
            mut entries,
            mut expires,
            ..
        } = image;
        for (slot, e) in entries.iter_mut() {
            put_version(&mut expires, slot.key.clone(), e, self.versions.next());
        }
        self.entries = entries;
        self.expires = expires;
    }

    /// Exchanges keys with `other` (SWAPDB), each keyspace keeping its own versions: every key
    /// that moves is stamped with a new version of the keyspace it moves into, so WATCH on
    /// either side sees it; a key missing in both stays unchanged, as in Redis.
    pub(crate) fn swap_data(&mut self, other: &mut Keyspace) {
        std::mem::swap(&mut self.entries, &mut other.entries);
        std::mem::swap(&mut self.expires, &mut other.expires);
        for ks in [self, other] {
            let Keyspace {
                entries,
                expires,
                versions,
                ..
            } = ks;
            for (slot, e) in entries.iter_mut() {
                put_version(expires, slot.key.clone(), e, versions.next());
            }
        }
    }
}
