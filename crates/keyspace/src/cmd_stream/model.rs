//! The stream value: entries ordered by [`StreamId`], the counters Redis 7.0 keeps beside them
//! (`last_id`, `entries_added`, `max_deleted_entry_id`, `first_id`) and the consumer groups.
//!
//! Redis stores entries in listpack nodes of a radix tree; approximate trimming (`~`) removes
//! whole nodes only, so which entries share a node shows in replies (XLEN after `MAXLEN ~`,
//! XINFO's `radix-tree-keys`). [`Stream`] therefore keeps the node boundaries Redis would have
//! ([`Node`]), built by the same rules (`stream-node-max-entries 100`,
//! `stream-node-max-bytes 4096`, sizes as `lpAppend` encodes), while the entries themselves live
//! in one ordered map. Everything here is deterministic: replicas applying the same commands
//! build the same nodes.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::cgroup::Group;
use crate::cmd_dump::listpack_element_bytes;

/// `stream-node-max-entries` default.
const NODE_MAX_ENTRIES: u64 = 100;
/// `stream-node-max-bytes` default.
const NODE_MAX_BYTES: u64 = 4096;
/// A listpack's header and terminator.
const LISTPACK_OVERHEAD: u64 = 7;

/// A stream entry id, `<ms>-<seq>`, ordered as Redis orders them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next id (`streamIncrID`), None past the last one.
    pub fn incr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous id (`streamDecrID`), None before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The id as a bulk string, `ms-seq`.
    pub fn to_bytes(self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One listpack node of Redis's radix tree, keyed in [`Stream::nodes`] by its master id (the
/// id of the first entry added to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Entries not deleted.
    pub live: u64,
    /// Entries marked deleted (XDEL, partial trimming) but still in the listpack.
    pub deleted: u64,
    /// The id of the last entry written to the node, deleted or not.
    pub last: StreamId,
    /// `lpBytes` of the listpack, as `lpAppend` would have grown it.
    pub bytes: u64,
    /// The master entry's field names (entries with the same fields store only values).
    pub master_fields: Vec<Bytes>,
}

/// A Redis stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stream {
    /// Live entries: id → field, value, field, value, …
    pub entries: BTreeMap<StreamId, Vec<Bytes>>,
    /// Node boundaries, by master id.
    pub nodes: BTreeMap<StreamId, Node>,
    /// The largest id ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's id as Redis records it (0-0 when empty).
    pub first_id: StreamId,
    /// The largest id ever deleted by XDEL (or set by XSETID).
    pub max_deleted_id: StreamId,
    /// How many entries were ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Bytes, Group>,
}

/// How XADD/XTRIM trim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

/// A parsed trimming request (`streamAddTrimArgs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: remove whole nodes only.
    pub approx: bool,
    /// At most this many entries (0: no limit).
    pub limit: u64,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id XADD `*` generates at `now_ms` (`streamNextID`); None once the last id is used.
    pub fn next_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.incr()
        }
    }

    /// Appends an entry whose id is greater than `last_id` (checked by the caller).
    pub fn append(&mut self, id: StreamId, fields: Vec<Bytes>) {
        self.add_to_node(id, &fields);
        self.entries.insert(id, fields);
        if self.entries.len() == 1 {
            self.first_id = id;
        }
        self.last_id = id;
        self.entries_added += 1;
    }

    /// Node bookkeeping for an appended entry, as `streamAppendItem` decides on a new node.
    fn add_to_node(&mut self, id: StreamId, fields: &[Bytes]) {
        let total_len: u64 = fields.iter().map(|f| f.len() as u64).sum();
        let tail = self.nodes.last_key_value().map(|(m, n)| (*m, n));
        let fits = tail.is_some_and(|(_, n)| {
            n.bytes + total_len < NODE_MAX_BYTES && n.live + n.deleted < NODE_MAX_ENTRIES
        });
        let master = match tail {
            Some((master, _)) if fits => master,
            _ => {
                let names: Vec<Bytes> = fields.iter().step_by(2).cloned().collect();
                let node = Node {
                    live: 0,
                    deleted: 0,
                    last: id,
                    bytes: LISTPACK_OVERHEAD + master_entry_bytes(&names),
                    master_fields: names,
                };
                self.nodes.insert(id, node);
                id
            }
        };
        if let Some(node) = self.nodes.get_mut(&master) {
            node.bytes += entry_bytes(master, &node.master_fields, id, fields);
            node.live += 1;
            node.last = id;
        }
    }

    /// Deletes one entry (XDEL's `streamDeleteItem`); false if it is not there. The caller
    /// updates `max_deleted_id` and `first_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        if let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() {
            node.live -= 1;
            node.deleted += 1;
            if node.live == 0 {
                self.nodes.remove(&master);
            }
        }
        true
    }

    /// Recomputes `first_id` after deletions (`streamGetEdgeID` skipping tombstones).
    pub fn refresh_first_id(&mut self) {
        self.first_id = self.first_live_id().unwrap_or_default();
    }

    pub fn first_live_id(&self) -> Option<StreamId> {
        self.entries.keys().next().copied()
    }

    pub fn last_live_id(&self) -> Option<StreamId> {
        self.entries.keys().next_back().copied()
    }

    /// `streamTrim`: removes entries from the head; how many were removed.
    pub fn trim(&mut self, trim: &Trim) -> u64 {
        let mut deleted = 0;
        while let Some((&master, node)) = self.nodes.first_key_value() {
            let len = self.len() as u64;
            if matches!(trim.strategy, TrimStrategy::MaxLen(max) if len <= max) {
                break;
            }
            let entries = node.live;
            if trim.limit > 0 && deleted + entries > trim.limit {
                break;
            }
            let remove_node = match trim.strategy {
                TrimStrategy::MaxLen(max) => len - entries >= max,
                TrimStrategy::MinId(min) => node.last < min,
            };
            if remove_node {
                let last = node.last;
                let ids: Vec<StreamId> = self
                    .entries
                    .range(master..=last)
                    .map(|(id, _)| *id)
                    .collect();
                ids.iter().for_each(|id| {
                    self.entries.remove(id);
                });
                self.nodes.remove(&master);
                deleted += entries;
                continue;
            }
            if !trim.approx {
                deleted += self.trim_inside_node(master, trim.strategy);
            }
            break;
        }
        if self.is_empty() {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Exact trimming inside the node at `master`: marks its entries deleted from the start
    /// until the strategy is satisfied.
    fn trim_inside_node(&mut self, master: StreamId, strategy: TrimStrategy) -> u64 {
        let Some(last) = self.nodes.get(&master).map(|n| n.last) else {
            return 0;
        };
        let mut removed = 0;
        let ids: Vec<StreamId> = self
            .entries
            .range(master..=last)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let stop = match strategy {
                TrimStrategy::MaxLen(max) => self.len() as u64 <= max,
                TrimStrategy::MinId(min) => id >= min,
            };
            if stop {
                break;
            }
            self.entries.remove(&id);
            removed += 1;
        }
        if let Some(node) = self.nodes.get_mut(&master) {
            node.live -= removed;
            node.deleted += removed;
        }
        removed
    }

    /// True when a tombstone may lie at or after `start` (`streamRangeHasTombstones` with no
    /// end).
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.is_empty() || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the logical read counter of `id`, or None
    /// when it cannot be known.
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.is_empty() && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            let len = self.len() as u64;
            if id < self.first_id {
                return Some(self.entries_added.wrapping_sub(len));
            }
            if id == self.first_id {
                return Some(self.entries_added.wrapping_sub(len).wrapping_add(1));
            }
        }
        None
    }

    /// A consumer group's lag (`streamReplyWithCGLag`), None when it cannot be known.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let read = match group.entries_read {
            Some(read) if !self.has_tombstones_from(group.last_id) => read,
            _ => self.estimate_distance(group.last_id)?,
        };
        Some((self.entries_added as i64).wrapping_sub(read as i64))
    }

    /// Rough heap footprint in bytes.
    pub fn approx_size(&self) -> usize {
        const PER_ENTRY: usize = 48;
        let entries: usize = self
            .entries
            .values()
            .map(|f| PER_ENTRY + f.iter().map(|b| b.len() + 16).sum::<usize>())
            .sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, g)| name.len() + g.approx_size())
            .sum();
        entries + groups + self.nodes.len() * PER_ENTRY
    }
}

/// A listpack's master entry: count, deleted, number of fields, the fields, the 0 terminator.
fn master_entry_bytes(names: &[Bytes]) -> u64 {
    let ints = 4 * listpack_element_bytes(b"0");
    ints + names.iter().map(|n| listpack_element_bytes(n)).sum::<u64>()
}

/// The listpack bytes of one entry: flags, ms and seq deltas, [number of fields, fields,]
/// values, and the count of elements written.
fn entry_bytes(master: StreamId, master_fields: &[Bytes], id: StreamId, fields: &[Bytes]) -> u64 {
    let int = |v: i64| listpack_element_bytes(v.to_string().as_bytes());
    let names = fields.iter().step_by(2);
    let same = names.len() == master_fields.len() && names.clone().eq(master_fields.iter());
    let ms_delta = id.ms.wrapping_sub(master.ms) as i64;
    let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
    let mut bytes = int(2) + int(ms_delta) + int(seq_delta);
    let pairs = (fields.len() / 2) as i64;
    if same {
        bytes += fields
            .iter()
            .skip(1)
            .step_by(2)
            .map(|v| listpack_element_bytes(v))
            .sum::<u64>();
        bytes += int(pairs + 3);
    } else {
        bytes += int(pairs);
        bytes += fields
            .iter()
            .map(|v| listpack_element_bytes(v))
            .sum::<u64>();
        bytes += int(2 * pairs + 4);
    }
    bytes
}
