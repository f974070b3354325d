//! The replicated state of a group (databases, ACL users, applied position, membership, seq),
//! the apply rules, and its snapshot encoding.
//!
//! [`SmState::apply_entry`] hands each request kind to its own method, grouped by concern:
//! - `writes`: writes that originate on this cluster (client batches, active expiry); a
//!   secondary takes neither, and each successful write moves `seq` by one into the backlog;
//! - `acl`: `ACL SETUSER` / `ACL DELUSER`, writes to the users instead of the keyspace (from a
//!   client batch or shipped), sequenced and shipped like any other write;
//! - `role`: role changes from the coordination group; re-recording a role changes nothing;
//! - `ship`: shipped ops and full syncs, applied only on a secondary;
//! - `codec`: the snapshot encoding.

mod acl;
mod codec;
mod role;
mod ship;
mod writes;

use std::sync::Arc;

use meridian_acl::{CommandInfo, Users};
use meridian_keyspace::{Databases, KeyEvent};
use meridian_types::{
    epoch_at, BacklogOp, ClusterRole, DiscardedRange, HistoryMark, Node, NodeId, RegionRequest,
    RegionResponse, RegionTypeConfig, Seq, ShipPosition, WriteResult,
};
use openraft::{Entry, EntryPayload, LogId, StoredMembership};

use ship::Staging;

/// Everything a snapshot captures. Kept behind one lock so a snapshot sees the data exactly at
/// `last_applied`.
#[derive(Debug, Default)]
pub(crate) struct SmState {
    pub(crate) dbs: Databases,
    /// The ACL users, changed only by `ACL SETUSER` / `ACL DELUSER` writes and full syncs.
    pub(crate) users: Users,
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
    /// Runs of seqs this cluster held and gave up when a full sync put it on a newer history
    /// (a deposed primary's writes past the failover point), oldest first.
    pub(crate) discarded: Vec<DiscardedRange>,
    /// The newest coordination token of a role change applied (see `RegionRequest::SetRole`).
    pub(crate) role_token: u64,
    /// Tests only: deliberate bugs; not part of a snapshot (kept across installs).
    pub(crate) planted: meridian_types::PlantedBugs,
    /// The server's command table for `ACL SETUSER` rules; set at open, not part of a snapshot
    /// (kept across installs).
    pub(crate) acl_commands: Arc<Vec<CommandInfo>>,
}

/// Side effects of applying entries that reach beyond the state: ops for the backlog, and
/// whether the backlog's ops stopped leading to the state (a wipe or a full sync).
#[derive(Debug, Default)]
pub(crate) struct ApplyEffects {
    pub(crate) ops: Vec<BacklogOp>,
    pub(crate) reset_backlog: bool,
    /// Runs given up in this apply: their ops are saved from the backlog before it is reset.
    pub(crate) discarded: Vec<DiscardedRange>,
    /// The users may have changed (readers that cached a user read it again).
    pub(crate) users_changed: bool,
    /// Whether to collect `events` (someone on this node listens for them).
    pub(crate) record_events: bool,
    /// The keyspace events of the writes applied, each with the index in `ops` of the op
    /// that fired it (the next op pushed).
    pub(crate) events: Vec<(usize, KeyEvent)>,
}

impl ApplyEffects {
    /// Runs a keyspace write, collecting its events when they are wanted.
    pub(crate) fn execute_write(
        &mut self,
        dbs: &mut meridian_keyspace::Databases,
        db: &mut u32,
        argv: &[bytes::Bytes],
        (now_ms, seed): (u64, u64),
    ) -> meridian_types::Reply {
        if !self.record_events {
            return dbs.execute_write(db, argv, now_ms, seed);
        }
        let mut fired = Vec::new();
        let reply = dbs.execute_write_with_events(db, argv, now_ms, seed, &mut fired);
        self.note_events(fired, self.ops.len());
        reply
    }

    /// Files `fired` under the op at `op_index`.
    pub(crate) fn note_events(&mut self, fired: Vec<KeyEvent>, op_index: usize) {
        self.events.extend(fired.into_iter().map(|e| (op_index, e)));
    }

    fn reset(&mut self) {
        self.ops.clear();
        self.reset_backlog = true;
    }
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
            EntryPayload::Normal(req) => self.apply_request(req, fx),
        };
        RegionResponse {
            results,
            seq: self.seq,
        }
    }

    /// One method per request kind; only client writes have results.
    fn apply_request(&mut self, req: &RegionRequest, fx: &mut ApplyEffects) -> Vec<WriteResult> {
        match req {
            RegionRequest::Write(batches) => {
                return batches
                    .iter()
                    .map(|batch| self.apply_batch(batch, fx))
                    .collect();
            }
            RegionRequest::Expire { keys, now_ms } => self.expire_due(keys, *now_ms, fx),
            RegionRequest::SetRole { role, wipe, token } => self.set_role(role, *wipe, *token, fx),
            RegionRequest::Ship { ops, history } => self.apply_shipped(ops, history, fx),
            RegionRequest::SyncBegin { id, seq, history } => self.begin_sync(*id, *seq, history),
            RegionRequest::SyncChunk { id, entries } => self.stage_chunk(*id, entries),
            RegionRequest::SyncEnd { id } => self.finish_sync(*id, fx),
            RegionRequest::SyncUsers { id, users } => self.stage_users(*id, users),
        }
        vec![]
    }
}

#[cfg(test)]
mod acl_tests;

#[cfg(test)]
mod ship_tests;

#[cfg(test)]
mod tests;
