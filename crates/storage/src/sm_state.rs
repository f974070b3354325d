//! The replicated state of a group (keyspace, applied position, membership, seq), the apply
//! rules, and its snapshot encoding.

use std::io::{Cursor, Read, Write};

use meridian_keyspace::Keyspace;
use meridian_types::{
    epoch_at, BacklogOp, ClusterRole, HistoryMark, Node, NodeId, RegionRequest, RegionResponse,
    RegionTypeConfig, Reply, Seq, ShipPosition, SyncId, WriteBatch, WriteResult, READONLY_ERROR,
};
use openraft::{Entry, EntryPayload, LogId, StoredMembership};
use serde::{Deserialize, Serialize};

use crate::error::StorageError;

/// Version byte at the head of every snapshot this crate writes.
pub(crate) const SNAPSHOT_VERSION: u8 = 3;

/// Mixes a batch's seed with a command's position, so every command of a batch draws its own
/// random numbers, identically on every replica.
pub(crate) fn command_seed(batch_seed: u64, i: usize) -> u64 {
    batch_seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Everything a snapshot captures. Kept behind one lock so a snapshot sees the data exactly at
/// `last_applied`.
#[derive(Debug, Default)]
pub(crate) struct SmState {
    pub(crate) keyspace: Keyspace,
    pub(crate) last_applied: Option<LogId<NodeId>>,
    pub(crate) membership: StoredMembership<NodeId, Node>,
    pub(crate) seq: Seq,
    pub(crate) role: ClusterRole,
    /// Which epoch wrote which seqs (see [`HistoryMark`]). Empty on a secondary that has not
    /// completed a full sync yet: it holds no position to resume from.
    pub(crate) history: Vec<HistoryMark>,
    /// Unix ms (the primary leader's clock) of the newest applied op.
    pub(crate) last_op_ms: u64,
    /// A full sync being collected.
    pub(crate) staging: Option<Staging>,
    /// Tests only: deliberate bugs; not part of a snapshot (kept across installs).
    pub(crate) planted: meridian_types::PlantedBugs,
}

/// A full sync's image, gathered entry by entry before it replaces the data.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Staging {
    pub(crate) id: SyncId,
    pub(crate) seq: Seq,
    pub(crate) history: Vec<HistoryMark>,
    /// A chunk failed to decode: the image is incomplete and `SyncEnd` discards it.
    pub(crate) corrupt: bool,
    pub(crate) keyspace: Keyspace,
}

/// Side effects of applying entries that reach beyond the state: ops for the backlog, and
/// whether the backlog's ops stopped leading to the state (a wipe or a full sync).
#[derive(Debug, Default)]
pub(crate) struct ApplyEffects {
    pub(crate) ops: Vec<BacklogOp>,
    pub(crate) reset_backlog: bool,
}

impl ApplyEffects {
    fn reset(&mut self) {
        self.ops.clear();
        self.reset_backlog = true;
    }
}

/// What precedes the keyspace in a snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotHeader {
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, Node>,
    seq: Seq,
    role: ClusterRole,
    history: Vec<HistoryMark>,
    last_op_ms: u64,
    /// The staged image's `(id, seq, history, corrupt)`; its keyspace follows the main one.
    staging: Option<(SyncId, Seq, Vec<HistoryMark>, bool)>,
}

impl SmState {
    /// Where this secondary stands, when it holds a position to resume shipping from.
    pub(crate) fn position(&self) -> Option<ShipPosition> {
        if !self.role.is_secondary() {
            return None;
        }
        epoch_at(&self.history, self.seq).map(|epoch| ShipPosition {
            epoch,
            seq: self.seq,
        })
    }

    /// Applies one committed entry; the writes that moved `seq` are pushed to `fx.ops`.
    pub(crate) fn apply_entry(
        &mut self,
        entry: &Entry<RegionTypeConfig>,
        fx: &mut ApplyEffects,
    ) -> RegionResponse {
        self.last_applied = Some(entry.log_id);
        let results = match &entry.payload {
            EntryPayload::Blank => vec![],
            EntryPayload::Membership(m) => {
                self.membership = StoredMembership::new(Some(entry.log_id), m.clone());
                vec![]
            }
            EntryPayload::Normal(RegionRequest::Write(batches)) => batches
                .iter()
                .map(|batch| {
                    if self.role.is_secondary() {
                        // The edge refuses writes on a secondary before proposing; this keeps
                        // the rule even for a write that raced a role change.
                        return WriteResult {
                            replies: vec![Reply::error(READONLY_ERROR); batch.commands.len()],
                            seq: self.seq,
                            aborted: false,
                        };
                    }
                    let touched = batch
                        .watched
                        .iter()
                        .any(|(key, digest)| self.keyspace.digest(key, batch.now_ms) != *digest);
                    if touched {
                        return WriteResult {
                            replies: vec![],
                            seq: self.seq,
                            aborted: true,
                        };
                    }
                    let replies = self.apply_write(batch, &mut fx.ops);
                    WriteResult {
                        replies,
                        seq: self.seq,
                        aborted: false,
                    }
                })
                .collect(),
            EntryPayload::Normal(RegionRequest::SetRole { role, wipe }) => {
                self.set_role(role, *wipe, fx);
                vec![]
            }
            EntryPayload::Normal(RegionRequest::Ship { ops, history }) => {
                self.apply_shipped(ops, history, fx);
                vec![]
            }
            EntryPayload::Normal(RegionRequest::SyncBegin { id, seq, history }) => {
                if self.role.is_secondary() {
                    self.staging = Some(Staging {
                        id: *id,
                        seq: *seq,
                        history: history.clone(),
                        ..Staging::default()
                    });
                }
                vec![]
            }
            EntryPayload::Normal(RegionRequest::SyncChunk { id, entries }) => {
                if let Some(st) = self.staging.as_mut().filter(|st| st.id == *id) {
                    if st.keyspace.import_chunk(entries).is_err() {
                        st.corrupt = true;
                    }
                }
                vec![]
            }
            EntryPayload::Normal(RegionRequest::SyncEnd { id }) => {
                self.finish_sync(*id, fx);
                vec![]
            }
            EntryPayload::Normal(RegionRequest::Expire { keys, now_ms }) => {
                // A secondary never expires keys by itself: the primary's deletions arrive as
                // shipped ops, and reads hide keys past their TTL meanwhile.
                let keys = if self.role.is_secondary() {
                    &[][..]
                } else {
                    &keys[..]
                };
                for key in keys {
                    if self.keyspace.expire_if_due(key, *now_ms) {
                        self.seq += 1;
                        self.last_op_ms = *now_ms;
                        fx.ops.push(BacklogOp {
                            seq: self.seq,
                            now_ms: *now_ms,
                            seed: 0,
                            argv: vec![bytes::Bytes::from_static(b"DEL"), key.clone()],
                        });
                    }
                }
                vec![]
            }
        };
        RegionResponse {
            results,
            seq: self.seq,
        }
    }

    /// Records a role. Re-recording the role a cluster already has changes nothing (the
    /// control plane retries steps), so a secondary is wiped once per association and a
    /// primary keeps the seq it started its epoch at.
    fn set_role(&mut self, role: &ClusterRole, wipe: bool, fx: &mut ApplyEffects) {
        let same = match (&self.role, role) {
            (
                ClusterRole::Primary {
                    datastore: a,
                    epoch: x,
                    ..
                },
                ClusterRole::Primary {
                    datastore: b,
                    epoch: y,
                    ..
                },
            ) => a == b && x == y,
            (current, new) => current == new,
        };
        if same {
            return;
        }
        if wipe {
            self.keyspace.clear();
            self.seq = 0;
            self.history.clear();
            self.staging = None;
            fx.reset();
        }
        self.role = match role {
            ClusterRole::Primary {
                datastore, epoch, ..
            } => {
                if self.history.last().map(|m| m.epoch) != Some(*epoch) {
                    self.history.push(HistoryMark {
                        epoch: *epoch,
                        start_seq: self.seq,
                    });
                }
                ClusterRole::Primary {
                    datastore: datastore.clone(),
                    epoch: *epoch,
                    base_seq: self.seq,
                }
            }
            other => {
                self.staging = None;
                other.clone()
            }
        };
    }

    /// Applies shipped ops on a secondary that holds a position, strictly in seq order.
    fn apply_shipped(&mut self, ops: &[BacklogOp], history: &[HistoryMark], fx: &mut ApplyEffects) {
        if self.position().is_none() {
            return;
        }
        let runnable: Vec<&BacklogOp> = ops
            .iter()
            .filter(|op| op.seq > self.seq)
            .enumerate()
            .take_while(|(i, op)| op.seq == self.seq + 1 + *i as u64)
            .map(|(_, op)| op)
            .collect();
        // The primary applied these ops without error with these times and seeds; replaying
        // them is deterministic, so they succeed here too.
        let mut effects = runnable.clone();
        if self.planted.ship_out_of_order {
            effects.reverse();
        }
        for op in effects {
            self.keyspace.execute_write(&op.argv, op.now_ms, op.seed);
        }
        for op in runnable {
            self.seq = op.seq;
            self.last_op_ms = op.now_ms;
            fx.ops.push(op.clone());
        }
        if epoch_at(history, self.seq).is_some() {
            self.history = history.to_vec();
        }
    }

    /// Swaps in a complete staged image.
    fn finish_sync(&mut self, id: SyncId, fx: &mut ApplyEffects) {
        let Some(st) = self.staging.take() else {
            return;
        };
        if st.id != id || st.corrupt || !self.role.is_secondary() {
            // Another sync's end, or an image that cannot be trusted: drop it; the shipper
            // starts over.
            return;
        }
        self.keyspace = st.keyspace;
        self.seq = st.seq;
        self.history = st.history;
        fx.reset();
    }

    fn apply_write(
        &mut self,
        batch: &WriteBatch,
        backlog: &mut Vec<BacklogOp>,
    ) -> Vec<meridian_types::Reply> {
        let mut replies = Vec::with_capacity(batch.commands.len());
        for (i, argv) in batch.commands.iter().enumerate() {
            let seed = command_seed(batch.seed, i);
            let reply = self.keyspace.execute_write(argv, batch.now_ms, seed);
            let is_write = argv
                .first()
                .and_then(|name| meridian_keyspace::lookup(name))
                .is_some_and(|d| d.is_write());
            if is_write && !reply.is_error() {
                self.seq += 1;
                self.last_op_ms = batch.now_ms;
                backlog.push(BacklogOp {
                    seq: self.seq,
                    now_ms: batch.now_ms,
                    seed,
                    argv: argv.clone(),
                });
            }
            replies.push(reply);
        }
        replies
    }

    /// Snapshot bytes: version, bincode header, then the keyspace's own format.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::with_capacity(64 + self.keyspace.len() * 32);
        out.write_all(&[SNAPSHOT_VERSION])?;
        let header = SnapshotHeader {
            last_applied: self.last_applied,
            membership: self.membership.clone(),
            seq: self.seq,
            role: self.role.clone(),
            history: self.history.clone(),
            last_op_ms: self.last_op_ms,
            staging: self
                .staging
                .as_ref()
                .map(|st| (st.id, st.seq, st.history.clone(), st.corrupt)),
        };
        bincode::serialize_into(&mut out, &header)
            .map_err(StorageError::codec("encode snapshot header"))?;
        if self.planted.snapshot_drops_key {
            // Planted bug: the snapshot silently lacks its smallest key.
            let mut ks = self.keyspace.clone();
            let first = ks.iter(0).map(|(k, _)| k.to_bytes()).min();
            if let Some(first) = first {
                ks.remove(&first, 0);
            }
            ks.write_snapshot(&mut out)?;
        } else {
            self.keyspace.write_snapshot(&mut out)?;
        }
        if let Some(st) = &self.staging {
            st.keyspace.write_snapshot(&mut out)?;
        }
        Ok(out)
    }

    /// Reads bytes made by [`SmState::encode`].
    pub(crate) fn decode(data: &[u8]) -> Result<SmState, StorageError> {
        let mut r = Cursor::new(data);
        let mut version = [0u8; 1];
        r.read_exact(&mut version)?;
        if version[0] != SNAPSHOT_VERSION {
            return Err(StorageError::SnapshotVersion(version[0], SNAPSHOT_VERSION));
        }
        let header: SnapshotHeader = bincode::deserialize_from(&mut r)
            .map_err(StorageError::codec("decode snapshot header"))?;
        let keyspace = Keyspace::read_snapshot(&mut r)?;
        let staging = match header.staging {
            Some((id, seq, history, corrupt)) => Some(Staging {
                id,
                seq,
                history,
                corrupt,
                keyspace: Keyspace::read_snapshot(&mut r)?,
            }),
            None => None,
        };
        Ok(SmState {
            keyspace,
            last_applied: header.last_applied,
            membership: header.membership,
            seq: header.seq,
            role: header.role,
            history: header.history,
            last_op_ms: header.last_op_ms,
            staging,
            planted: Default::default(),
        })
    }
}

#[cfg(test)]
#[path = "sm_state_ship_tests.rs"]
mod ship_tests;

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use meridian_keyspace::{SmallBytes, Value};
    use openraft::CommittedLeaderId;

    use super::*;

    fn expire_entry(index: u64, keys: &[&'static str], now_ms: u64) -> Entry<RegionTypeConfig> {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
            payload: EntryPayload::Normal(RegionRequest::Expire {
                keys: keys
                    .iter()
                    .map(|k| Bytes::from_static(k.as_bytes()))
                    .collect(),
                now_ms,
            }),
        }
    }

    fn with_ttl(st: &mut SmState, key: &'static str, at_ms: u64) {
        let k = Bytes::from_static(key.as_bytes());
        st.keyspace
            .insert(k.clone(), Value::Str(SmallBytes::new(b"v")));
        st.keyspace.set_expire(&k, Some(at_ms));
    }

    #[test]
    fn expire_deletes_only_due_keys_and_logs_a_del_for_each() {
        let mut st = SmState::default();
        with_ttl(&mut st, "due", 500);
        with_ttl(&mut st, "later", 5_000);
        let mut fx = ApplyEffects::default();
        let resp = st.apply_entry(
            &expire_entry(7, &["due", "later", "missing"], 1_000),
            &mut fx,
        );
        assert_eq!(
            resp,
            RegionResponse {
                results: vec![],
                seq: 1
            }
        );
        assert_eq!(
            fx.ops,
            vec![BacklogOp {
                seq: 1,
                now_ms: 1_000,
                seed: 0,
                argv: vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"due")],
            }]
        );
        assert_eq!(st.keyspace.len(), 1);
        assert_eq!(st.last_applied.map(|l| l.index), Some(7));
    }

    #[test]
    fn snapshot_encoding_round_trips_and_checks_its_version() {
        let mut st = SmState {
            seq: 42,
            last_applied: Some(LogId::new(CommittedLeaderId::new(3, 1), 9)),
            ..SmState::default()
        };
        with_ttl(&mut st, "k", 900);
        let bytes = st.encode().expect("encode");
        let back = SmState::decode(&bytes).expect("decode");
        assert_eq!(back.keyspace, st.keyspace);
        assert_eq!((back.seq, back.last_applied), (42, st.last_applied));

        let mut bad = bytes;
        bad[0] = 99;
        assert!(matches!(
            SmState::decode(&bad),
            Err(StorageError::SnapshotVersion(99, SNAPSHOT_VERSION))
        ));
    }

    fn entry(index: u64, req: RegionRequest) -> Entry<RegionTypeConfig> {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
            payload: EntryPayload::Normal(req),
        }
    }

    fn set(key: &'static str) -> RegionRequest {
        RegionRequest::Write(vec![WriteBatch {
            commands: vec![vec![
                Bytes::from_static(b"SET"),
                Bytes::from_static(key.as_bytes()),
                Bytes::from_static(b"v"),
            ]],
            now_ms: 1,
            seed: 1,
            watched: vec![],
        }])
    }

    #[test]
    fn a_secondary_refuses_writes_and_its_role_survives_a_snapshot() {
        let mut st = SmState::default();
        let mut fx = ApplyEffects::default();
        st.apply_entry(&entry(1, set("a")), &mut fx);
        let secondary = ClusterRole::Secondary {
            datastore: "gds1".into(),
            epoch: 1,
            source: "use1".into(),
        };
        let wipe = RegionRequest::SetRole {
            role: secondary.clone(),
            wipe: true,
        };
        st.apply_entry(&entry(2, wipe), &mut fx);
        assert_eq!(
            st.keyspace.len(),
            0,
            "joining as a secondary wipes the data"
        );

        let resp = st.apply_entry(&entry(3, set("b")), &mut fx);
        assert_eq!(resp.results[0].replies, vec![Reply::error(READONLY_ERROR)]);
        assert_eq!(
            (st.keyspace.len(), st.seq, fx.ops.len(), fx.reset_backlog),
            (0, 0, 0, true),
            "the wipe reset seq and backlog; the refused write changed nothing"
        );

        let back = SmState::decode(&st.encode().expect("encode")).expect("decode");
        assert_eq!(back.role, secondary);

        // Promotion records the seq it started from.
        let promote = RegionRequest::SetRole {
            role: ClusterRole::Primary {
                datastore: "gds1".into(),
                epoch: 2,
                base_seq: 0,
            },
            wipe: false,
        };
        st.apply_entry(&entry(4, promote), &mut fx);
        assert!(matches!(
            st.role,
            ClusterRole::Primary {
                epoch: 2,
                base_seq: 0,
                ..
            }
        ));
        assert_eq!(
            st.history,
            vec![HistoryMark {
                epoch: 2,
                start_seq: 0
            }]
        );
        let resp = st.apply_entry(&entry(5, set("c")), &mut fx);
        assert_eq!(resp.results[0].replies, vec![Reply::ok()]);
    }
}
