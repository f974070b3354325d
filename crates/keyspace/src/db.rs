use std::cmp::Ordering;
use std::collections::BTreeMap;

use bytes::Bytes;

use crate::events::{Journal, KeyEvent};
use crate::small_bytes::{SmallBytes, INLINE_MAX};
use crate::value::{Entry, Value};
use crate::versions::Versions;

/// WATCH's side of the keyspace: digests, stamping, and versions in snapshots and full syncs.
#[path = "db_versions.rs"]
mod versioned;

/// Position of a key in scan order: a fixed hash of the key, then the key itself. The hash is
/// the same on every node and every run, so SCAN cursors are stable and every key present for a
/// whole SCAN is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotKey {
    pub(crate) hash: u64,
    pub(crate) key: SmallBytes,
}

impl SlotKey {
    fn of(key: &[u8]) -> SlotKey {
        SlotKey {
            hash: scan_hash(key),
            key: SmallBytes::new(key),
        }
    }

    /// The first position with hash `hash` (the empty key sorts first).
    fn first_of(hash: u64) -> SlotKey {
        SlotKey {
            hash,
            key: SmallBytes::default(),
        }
    }
}

impl PartialOrd for SlotKey {
    fn partial_cmp(&self, other: &SlotKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SlotKey {
    /// By hash, then (rarely needed) by key: a lookup compares machine words all the way down.
    fn cmp(&self, other: &SlotKey) -> Ordering {
        self.hash
            .cmp(&other.hash)
            .then_with(|| self.key.as_slice().cmp(other.key.as_slice()))
    }
}

/// The entry of `key` in `entries` with the stored key (rebuilt on the stack if short, shared
/// if long), found as `Keyspace::slot` finds it.
fn find_mut<'a>(
    entries: &'a mut BTreeMap<SlotKey, Entry>,
    key: &[u8],
) -> Option<(SmallBytes, &'a mut Entry)> {
    if key.len() <= INLINE_MAX {
        let slot = SlotKey::of(key);
        return entries.get_mut(&slot).map(|e| (slot.key, e));
    }
    let hash = scan_hash(key);
    entries
        .range_mut(SlotKey::first_of(hash)..)
        .take_while(|(k, _)| k.hash == hash)
        .find(|(k, _)| k.key.as_slice() == key)
        .map(|(k, e)| (k.key.clone(), e))
}

/// FNV-1a with a splitmix64 finaliser: deterministic across nodes, builds and restarts.
pub(crate) fn scan_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// All keys of one database, with their TTLs and modification versions.
///
/// Every accessor takes `now_ms` and treats a key whose TTL has passed as absent. Write paths
/// (`*_mut`, `remove`, …) also drop such a key, which is deterministic because writes run with
/// the time the leader chose.
///
/// Every write path that changes a key stamps it with a new version (see `versions.rs`), which
/// is what WATCH compares. `==` compares data only (keys, values, TTLs): each cluster numbers
/// its own modifications, and a secondary's data equals its primary's with other versions.
#[derive(Debug, Default, Clone)]
pub struct Keyspace {
    entries: BTreeMap<SlotKey, Entry>,
    /// (expire_at_ms, key) → version, for every key with a TTL: the order of active expiry, and
    /// where such a key keeps its version (its entry's word holds the TTL, see [`Entry`]).
    expires: BTreeMap<(u64, SmallBytes), u64>,
    versions: Versions,
    /// Keys the current write created or found expired and deleted, for its keyspace events
    /// (drained after every command; not data).
    journal: Journal,
}

impl PartialEq for Keyspace {
    /// Same keys, values and TTLs (versions are left out, see above).
    fn eq(&self, other: &Keyspace) -> bool {
        self.entries == other.entries
    }
}

impl Keyspace {
    pub fn new() -> Keyspace {
        Keyspace::default()
    }

    /// Number of keys stored, including expired keys not yet removed (as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys that carry a TTL.
    pub fn expires_count(&self) -> usize {
        self.expires.len()
    }

    /// The live entry under `key`, if any.
    pub fn get(&self, key: &Bytes, now_ms: u64) -> Option<&Entry> {
        self.slot(key)
            .map(|(_, e)| e)
            .filter(|e| !e.is_expired(now_ms))
    }

    /// The live value under `key`, if any.
    pub fn get_value(&self, key: &Bytes, now_ms: u64) -> Option<&Value> {
        self.get(key, now_ms).map(|e| &e.value)
    }

    /// Mutable access to the live value under `key`, which counts as a modification (WATCH
    /// sees it); an expired key is removed first. The caller must call
    /// [`Keyspace::remove_if_empty`] if it may have emptied a collection.
    pub fn get_value_mut(&mut self, key: &Bytes, now_ms: u64) -> Option<&mut Value> {
        self.entry_for_write(key, now_ms, |_| true)
            .map(|e| &mut e.value)
    }

    /// The live entry under `key` for a write (an expired key is removed first), stamped with a
    /// new version when `modifies` says the write changes it. Commands that may change nothing
    /// pass `|_| false` and call [`Keyspace::mark_modified`] once they know they did.
    pub(crate) fn entry_for_write(
        &mut self,
        key: &Bytes,
        now_ms: u64,
        modifies: impl FnOnce(&Value) -> bool,
    ) -> Option<&mut Entry> {
        self.drop_if_expired(key, now_ms);
        self.stamp(key, modifies)
    }

    pub fn contains(&self, key: &Bytes, now_ms: u64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Stores `value` under `key`, discarding any TTL (as `SET` does).
    pub fn insert(&mut self, key: Bytes, value: Value) {
        let slot = SlotKey::of(&key);
        let hash = slot.hash;
        let version = self.versions.next();
        let mut entry = Entry::new(value);
        entry.set_inline_version(version);
        let old = self.entries.insert(slot, entry);
        let old_ttl = old.as_ref().map(Entry::expire_at_ms);
        if old_ttl != Some(None) {
            self.journal.created(&key, old_ttl.flatten());
        }
        match old_ttl {
            Some(None) => {}
            // A key with a TTL may have been expired, so this may be a creation too.
            Some(Some(t)) => {
                self.expires.remove(&(t, SmallBytes::new(&key)));
                self.versions.note_created(hash, version);
            }
            None => self.versions.note_created(hash, version),
        }
    }

    /// Stores `value` under `key`, keeping the key's TTL if it has a live one (`KEEPTTL`).
    pub fn insert_keep_ttl(&mut self, key: Bytes, value: Value, now_ms: u64) {
        match self.entry_for_write(&key, now_ms, |_| true) {
            Some(e) => e.value = value,
            None => self.insert(key, value),
        }
    }

    /// Stores a whole entry (value and TTL), replacing what was there.
    pub fn insert_entry(&mut self, key: Bytes, entry: Entry) {
        let ttl = entry.expire_at_ms();
        self.insert(key.clone(), entry.value);
        self.set_expire(&key, ttl);
    }

    /// Removes `key`, returning its entry if it was live.
    pub fn remove(&mut self, key: &Bytes, now_ms: u64) -> Option<Entry> {
        // A short key is its own probe; a long one borrows the stored key (no second copy).
        let probe = if key.len() <= INLINE_MAX {
            SlotKey::of(key)
        } else {
            self.slot(key)?.0.clone()
        };
        let (k, e) = self.entries.remove_entry(&probe)?;
        if let Some(t) = e.expire_at_ms() {
            self.expires.remove(&(t, k.key));
        }
        if e.is_expired(now_ms) {
            self.journal.expired(key);
            return None;
        }
        Some(e)
    }

    /// Removes `key` if it holds an empty collection. Returns true if it was removed.
    pub fn remove_if_empty(&mut self, key: &Bytes) -> bool {
        let empty = self
            .slot(key)
            .is_some_and(|(_, e)| e.value.is_empty_collection());
        if empty {
            self.remove(key, 0);
        }
        empty
    }

    /// The TTL of a live key: `None` if the key is missing, `Some(None)` if it has no TTL.
    pub fn expire_at(&self, key: &Bytes, now_ms: u64) -> Option<Option<u64>> {
        self.get(key, now_ms).map(|e| e.expire_at_ms())
    }

    /// Sets or clears the TTL of an existing key, a modification unless it clears a TTL the
    /// key does not have. Returns false if the key does not exist.
    /// (It does not check expiry: callers look the key up with `now_ms` first.)
    pub fn set_expire(&mut self, key: &Bytes, at_ms: Option<u64>) -> bool {
        let Some((slot, e)) = self.slot(key) else {
            return false;
        };
        let old = e.expire_at_ms();
        if old.is_none() && at_ms.is_none() {
            return true;
        }
        // The TTL index shares the stored key (a copy only if it is short).
        let stored = slot.key.clone();
        let version = self.versions.next();
        if let Some(old) = old {
            self.expires.remove(&(old, stored.clone()));
        }
        if let Some(e) = self.entry_mut(key) {
            e.set_expire_at_ms(at_ms);
            match e.expire_at_ms() {
                Some(t) => {
                    self.expires.insert((t, stored), version);
                }
                None => e.set_inline_version(version),
            }
        }
        true
    }

    /// Removes every key. Versions go on from where they were, so a key watched before and
    /// created again after still differs.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.expires.clear();
    }

    /// Up to `limit` keys whose TTL is at or before `now_ms`, oldest TTL first (for the leader's
    /// active expiry).
    pub fn expired_keys(&self, now_ms: u64, limit: usize) -> Vec<Bytes> {
        self.expires
            .keys()
            .take_while(|(t, _)| *t <= now_ms)
            .take(limit)
            .map(|(_, k)| k.to_bytes())
            .collect()
    }

    /// Deletes `key` if its TTL is at or before `now_ms` (active expiry). Returns true if it did.
    pub fn expire_if_due(&mut self, key: &Bytes, now_ms: u64) -> bool {
        let due = self.slot(key).is_some_and(|(_, e)| e.is_expired(now_ms));
        if due {
            self.remove(key, 0);
        }
        due
    }

    /// Live keys in scan order.
    pub fn iter(&self, now_ms: u64) -> impl Iterator<Item = (&SmallBytes, &Entry)> + '_ {
        self.entries
            .iter()
            .filter(move |(_, e)| !e.is_expired(now_ms))
            .map(|(k, e)| (&k.key, e))
    }

    /// One SCAN step: visits about `count` slots starting at `cursor` and returns the next cursor
    /// (0 when done) with the live keys visited. Keys sharing a hash are never split across
    /// calls, so the cursor (a hash value) never skips or repeats a key.
    pub fn scan(
        &self,
        cursor: u64,
        count: usize,
        now_ms: u64,
    ) -> (u64, Vec<(&SmallBytes, &Entry)>) {
        let start = SlotKey::first_of(cursor);
        let mut out = Vec::new();
        let mut last_hash = None;
        for (visited, (k, e)) in self.entries.range(start..).enumerate() {
            if visited >= count.max(1) && last_hash != Some(k.hash) {
                return (k.hash, out);
            }
            last_hash = Some(k.hash);
            if !e.is_expired(now_ms) {
                out.push((&k.key, e));
            }
        }
        (0, out)
    }

    /// A live key chosen from `pick` (any u64, e.g. random), or None when there are none.
    pub fn key_near(&self, pick: u64, now_ms: u64) -> Option<&SmallBytes> {
        let start = SlotKey::first_of(pick);
        self.entries
            .range(start..)
            .chain(self.entries.iter())
            .find(|(_, e)| !e.is_expired(now_ms))
            .map(|(k, _)| &k.key)
    }

    /// The stored key and entry of `key`. A short key is probed as a [`SlotKey`] built on the
    /// stack; a long one (which would need a heap copy) by its hash range.
    fn slot(&self, key: &[u8]) -> Option<(&SlotKey, &Entry)> {
        if key.len() <= INLINE_MAX {
            return self.entries.get_key_value(&SlotKey::of(key));
        }
        let hash = scan_hash(key);
        self.entries
            .range(SlotKey::first_of(hash)..)
            .take_while(|(k, _)| k.hash == hash)
            .find(|(k, _)| k.key.as_slice() == key)
    }

    fn entry_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        find_mut(&mut self.entries, key).map(|(_, e)| e)
    }

    /// Whether some key's TTL is at or before `now_ms`, so a write may find one expired.
    pub(crate) fn any_due(&self, now_ms: u64) -> bool {
        self.expires
            .first_key_value()
            .is_some_and(|((t, _), _)| *t <= now_ms)
    }

    /// Deletes `key` if a write finds it past its TTL (Redis's lazy expiry), journaling it
    /// for an `expired` event.
    pub(crate) fn drop_if_expired(&mut self, key: &Bytes, now_ms: u64) {
        if self.expire_if_due(key, now_ms) {
            self.journal.expired(key);
        }
    }

    /// Moves the keys journaled since the last call into `out` as `expired` / `new` events of
    /// database `db` (`now_ms` tells whether a replaced key had expired).
    pub(crate) fn drain_journal(&mut self, db: u32, now_ms: u64, out: &mut Vec<KeyEvent>) {
        self.journal.drain_into(db, now_ms, out);
    }

    /// Starts or stops journaling keys created and lazily expired (only while a command whose
    /// events are wanted runs).
    pub(crate) fn journal(&mut self, on: bool) {
        self.journal.record(on);
    }

    /// Every stored entry (expired ones included), consuming the keyspace: a full sync streams
    /// a copy of the primary's keyspace this way, in chunks made by [`encode_chunk`].
    ///
    /// [`encode_chunk`]: crate::encode_chunk
    pub fn into_raw_entries(self) -> impl Iterator<Item = (Bytes, Entry)> {
        self.entries.into_iter().map(|(k, e)| (k.key.to_bytes(), e))
    }
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
