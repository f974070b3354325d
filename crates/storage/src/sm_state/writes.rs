//! Writes that originate on this cluster: client batches and active expiry. Each write that
//! succeeds moves `seq` by one and is pushed to the backlog; a secondary takes neither (its
//! data changes only through shipping). A batch's `ACL` commands go to the users (`acl.rs`).

use bytes::Bytes;
use meridian_types::{BacklogOp, ClusterRole, Reply, WriteBatch, WriteResult, READONLY_ERROR};

use super::acl::is_acl;
use super::{ApplyEffects, SmState};

/// Mixes a batch's seed with a command's position, so every command of a batch draws its own
/// random numbers, identically on every replica.
fn command_seed(batch_seed: u64, i: usize) -> u64 {
    batch_seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl SmState {
    /// Applies one client batch atomically, or aborts it whole when a watched key changed.
    pub(super) fn apply_batch(&mut self, batch: &WriteBatch, fx: &mut ApplyEffects) -> WriteResult {
        if self.role.is_secondary() {
            // The edge refuses writes on a secondary before proposing; this keeps
            // the rule even for a write that raced a role change.
            return WriteResult {
                replies: vec![Reply::error(READONLY_ERROR); batch.commands.len()],
                seq: self.seq,
                aborted: false,
            };
        }
        if let ClusterRole::Draining { datastore, .. } = &self.role {
            // After the fence entry nothing may change: the seq it fixed is final.
            let refused = Reply::Error(format!(
                "TRYAGAIN the primary of {datastore} is being drained by a failover; nothing was written"
            ));
            return WriteResult {
                replies: vec![refused; batch.commands.len()],
                seq: self.seq,
                aborted: false,
            };
        }
        let touched = batch
            .watched
            .iter()
            .any(|w| self.dbs.digest(w.db, &w.key, batch.now_ms) != w.digest);
        if touched {
            return WriteResult {
                replies: vec![],
                seq: self.seq,
                aborted: true,
            };
        }
        let replies = self.apply_write(batch, fx);
        WriteResult {
            replies,
            seq: self.seq,
            aborted: false,
        }
    }

    fn apply_write(&mut self, batch: &WriteBatch, fx: &mut ApplyEffects) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(batch.commands.len());
        let mut db = batch.db;
        for (i, argv) in batch.commands.iter().enumerate() {
            let seed = command_seed(batch.seed, i);
            let ran_in = db;
            let (reply, wrote) = if is_acl(argv) {
                self.acl_write(argv, fx)
            } else {
                let keys_before = self.dbs.len();
                let reply = fx.execute_write(&mut self.dbs, &mut db, argv, (batch.now_ms, seed));
                let is_write = argv
                    .first()
                    .and_then(|name| meridian_keyspace::lookup(name))
                    .is_some_and(|d| d.is_write());
                // A write that failed after deleting the expired keys it looked up changed the
                // data all the same: it is logged, so a secondary replaying it deletes them too.
                let wrote = is_write && (!reply.is_error() || self.dbs.len() < keys_before);
                (reply, wrote)
            };
            if wrote {
                self.seq += 1;
                self.last_op_ms = batch.now_ms;
                fx.ops.push(BacklogOp {
                    seq: self.seq,
                    db: ran_in,
                    now_ms: batch.now_ms,
                    seed,
                    argv: argv.clone(),
                });
            }
            replies.push(reply);
        }
        replies
    }

    /// An `ACL` command of a batch: its reply, and whether it is a write to sequence (it
    /// succeeded; a failed one changed nothing).
    fn acl_write(&mut self, argv: &[Bytes], fx: &mut ApplyEffects) -> (Reply, bool) {
        match self.apply_acl(argv) {
            Ok(applied) => {
                fx.users_changed |= applied.changed;
                (applied.reply, true)
            }
            Err(reply) => (reply, false),
        }
    }

    /// Active expiry: deletes each of `keys` that is due at `now_ms`, logging a `DEL` for each.
    pub(super) fn expire_due(&mut self, keys: &[(u32, Bytes)], now_ms: u64, fx: &mut ApplyEffects) {
        // A secondary never expires keys by itself: the primary's deletions arrive as
        // shipped ops, and reads hide keys past their TTL meanwhile.
        // A draining primary's seq is final.
        let keys = if self.role.is_secondary() || matches!(self.role, ClusterRole::Draining { .. })
        {
            &[][..]
        } else {
            keys
        };
        for (db, key) in keys {
            let expired = if fx.record_events {
                let mut fired = Vec::new();
                let expired = self
                    .dbs
                    .expire_if_due_with_events(*db, key, now_ms, &mut fired);
                fx.note_events(fired, fx.ops.len());
                expired
            } else {
                self.dbs.expire_if_due(*db, key, now_ms)
            };
            if expired {
                self.seq += 1;
                self.last_op_ms = now_ms;
                fx.ops.push(BacklogOp {
                    seq: self.seq,
                    db: *db,
                    now_ms,
                    seed: 0,
                    argv: vec![Bytes::from_static(b"DEL"), key.clone()],
                });
            }
        }
    }
}
