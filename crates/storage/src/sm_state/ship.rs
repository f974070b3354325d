//! Apply rules on a secondary: shipped ops, and full syncs staged aside until complete.
//! Shipped `ACL` ops change the users (`acl.rs`); a full sync's users arrive in their own entry
//! (`SyncUsers`) and are swapped in with its data.

use bytes::Bytes;
use meridian_acl::Users;
use meridian_keyspace::Databases;
use meridian_types::{
    epoch_at, on_history, BacklogOp, DiscardedRange, HistoryMark, Seq, ShipPosition, SyncId,
};

use super::acl::is_acl;
use super::{ApplyEffects, SmState};
use crate::codec::decode_prefix;

/// A full sync's image, gathered entry by entry before it replaces the data.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Staging {
    pub(crate) id: SyncId,
    pub(crate) seq: Seq,
    pub(crate) history: Vec<HistoryMark>,
    /// A chunk failed to decode: the image is incomplete and `SyncEnd` discards it.
    pub(crate) corrupt: bool,
    pub(crate) dbs: Databases,
    /// The image's users, once they arrived.
    pub(crate) users: Option<Users>,
}

impl SmState {
    /// Applies shipped ops on a secondary that holds a position, strictly in seq order.
    pub(super) fn apply_shipped(
        &mut self,
        ops: &[BacklogOp],
        history: &[HistoryMark],
        fx: &mut ApplyEffects,
    ) {
        if self.position().is_none() {
            return;
        }
        // Ops arrive in seq order: skip repeats, stop at a gap.
        let skip = ops.iter().take_while(|op| op.seq <= self.seq).count();
        let ops = &ops[skip..];
        let run = ops
            .iter()
            .enumerate()
            .take_while(|(i, op)| op.seq == self.seq + 1 + *i as u64)
            .count();
        let runnable = &ops[..run];
        // The primary applied these ops without error with these times and seeds; replaying
        // them is deterministic, so they succeed here too.
        let first = fx.ops.len();
        if self.planted.ship_out_of_order {
            for (i, op) in runnable.iter().enumerate().rev() {
                fx.users_changed |= self.replay(op, first + i, fx);
            }
        } else {
            for (i, op) in runnable.iter().enumerate() {
                fx.users_changed |= self.replay(op, first + i, fx);
            }
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

    /// Replays one shipped op (to be `fx.ops[index]`) on the users or the keyspace; true when
    /// the users changed.
    fn replay(&mut self, op: &BacklogOp, index: usize, fx: &mut ApplyEffects) -> bool {
        if is_acl(&op.argv) {
            return self.replay_acl(op);
        }
        let mut db = op.db;
        if fx.record_events {
            let mut fired = Vec::new();
            self.dbs
                .execute_write_with_events(&mut db, &op.argv, op.now_ms, op.seed, &mut fired);
            fx.note_events(fired, index);
        } else {
            self.dbs
                .execute_write(&mut db, &op.argv, op.now_ms, op.seed);
        }
        false
    }

    /// Starts collecting a full sync's image aside (only on a secondary); it replaces any
    /// sync already being collected.
    pub(super) fn begin_sync(&mut self, id: SyncId, seq: Seq, history: &[HistoryMark]) {
        if self.role.is_secondary() {
            self.staging = Some(Staging {
                id,
                seq,
                history: history.to_vec(),
                ..Staging::default()
            });
        }
    }

    /// Adds a chunk to the sync being collected, if it is sync `id`; a chunk that fails to
    /// decode marks the image corrupt.
    pub(super) fn stage_chunk(&mut self, id: SyncId, entries: &Bytes) {
        if let Some(st) = self.staging.as_mut().filter(|st| st.id == id) {
            if st.dbs.import_chunk(entries).is_err() {
                st.corrupt = true;
            }
        }
    }

    /// Stages the users of the sync being collected, if it is sync `id`; users that fail to
    /// decode (or leave bytes over) mark the image corrupt. The bytes come from another cluster: decoding trusts no
    /// length prefix ([`decode_prefix`]).
    pub(super) fn stage_users(&mut self, id: SyncId, users: &Bytes) {
        if let Some(st) = self.staging.as_mut().filter(|st| st.id == id) {
            let mut rest = &users[..];
            match decode_prefix::<Users>("decode sync users", &mut rest) {
                Ok(decoded) if rest.is_empty() => st.users = Some(decoded),
                _ => st.corrupt = true,
            }
        }
    }

    /// Swaps in a complete staged image: its data, and its users (the default users when the
    /// source sent none).
    pub(super) fn finish_sync(&mut self, id: SyncId, fx: &mut ApplyEffects) {
        let Some(st) = self.staging.take() else {
            return;
        };
        if st.id != id || st.corrupt || !self.role.is_secondary() {
            // Another sync's end, or an image that cannot be trusted: drop it; the shipper
            // starts over.
            return;
        }
        if let Some(run) = self.diverged_run(&st.history, st.seq) {
            self.discarded.push(run);
            fx.discarded.push(run);
        }
        self.dbs.adopt(st.dbs);
        self.users = st.users.unwrap_or_default();
        fx.users_changed = true;
        self.seq = st.seq;
        self.history = st.history;
        fx.reset();
    }

    /// The seqs this cluster holds that the history `history` (head `head`) does not: its
    /// ops after the last seq both histories place in the same epoch. None when it holds a
    /// prefix of that history (a secondary that merely fell behind).
    fn diverged_run(&self, history: &[HistoryMark], head: Seq) -> Option<DiscardedRange> {
        let epoch = epoch_at(&self.history, self.seq)?;
        let own = ShipPosition {
            epoch,
            seq: self.seq,
        };
        if on_history(history, head, own) {
            return None;
        }
        let shared_end = ranges(&self.history, self.seq)
            .rev()
            .find_map(|(e, a, b)| {
                ranges(history, head)
                    .filter(|(e2, ..)| *e2 == e)
                    .find(|(_, x, y)| b.min(*y) >= a.max(*x))
                    .map(|(_, _, y)| b.min(y))
            })
            .unwrap_or(0);
        (shared_end < self.seq).then_some(DiscardedRange {
            epoch,
            first_seq: shared_end + 1,
            last_seq: self.seq,
        })
    }
}

/// Each mark of `history` (newest seq `head`) as `(epoch, first state, last state)`: the
/// states at seqs `start_seq ..= end` were reached in that epoch.
fn ranges(
    history: &[HistoryMark],
    head: Seq,
) -> impl DoubleEndedIterator<Item = (u64, Seq, Seq)> + '_ {
    history.iter().enumerate().map(move |(i, m)| {
        let end = history.get(i + 1).map_or(head, |next| next.start_seq);
        (m.epoch, m.start_seq, end)
    })
}
