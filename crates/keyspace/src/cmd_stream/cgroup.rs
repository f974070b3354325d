//! Consumer groups: the group's pending entries list (PEL), its consumers and their own PELs.
//!
//! Redis shares one NACK between the group PEL and the owner's PEL; here the group PEL holds
//! the [`Nack`] (with its owner's name) and each [`Consumer`] the set of ids it owns. Every
//! change goes through [`Group`]'s methods, which keep the two in step. Groups and consumers
//! are ordered by name bytes, as Redis's radix trees order them.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::model::StreamId;

/// A delivered, not yet acknowledged entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nack {
    /// The consumer that owns it.
    pub consumer: Bytes,
    /// Unix ms of the last delivery (may be set freely by XCLAIM TIME).
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consumer {
    /// Unix ms the consumer was last seen (created, read, claimed).
    pub seen_time_ms: i64,
    /// The ids of the group PEL this consumer owns.
    pub pel: BTreeSet<StreamId>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The last id delivered to the group.
    pub last_id: StreamId,
    /// The logical read counter; None when unknown (Redis's -1).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// The consumer `name`, created (seen now) if missing; `touch` refreshes its seen time
    /// (`streamLookupConsumer` without `SLC_NO_REFRESH`).
    pub fn consumer(&mut self, name: &Bytes, now_ms: i64) -> &mut Consumer {
        let c = self.consumers.entry(name.clone()).or_default();
        c.seen_time_ms = now_ms;
        c
    }

    /// Creates consumer `name`; false if it exists.
    pub fn create_consumer(&mut self, name: &Bytes, now_ms: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumer(name, now_ms);
        true
    }

    /// Deletes consumer `name` and its pending entries; how many it had, None if missing.
    pub fn delete_consumer(&mut self, name: &Bytes) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Removes `id` from the PEL (and its owner's); true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Gives pending `id` to `consumer` (which must exist), creating the NACK if missing,
    /// with the delivery time and count `update` sets from the old NACK (None if new).
    pub fn assign(
        &mut self,
        id: StreamId,
        consumer: &Bytes,
        update: impl FnOnce(Option<&Nack>) -> (i64, u64),
    ) {
        let old = self.pel.get(&id);
        let (time, count) = update(old);
        if let Some(prev) = old.map(|n| n.consumer.clone()) {
            if prev != consumer {
                if let Some(c) = self.consumers.get_mut(&prev) {
                    c.pel.remove(&id);
                }
            }
        }
        self.pel.insert(
            id,
            Nack {
                consumer: consumer.clone(),
                delivery_time_ms: time,
                delivery_count: count,
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Rough heap footprint in bytes.
    pub fn approx_size(&self) -> usize {
        const PER_NACK: usize = 64;
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(n, c)| n.len() + PER_NACK + c.pel.len() * 32)
            .sum();
        self.pel.len() * PER_NACK + consumers
    }
}
