//! The write path: client writes (batched by the proposer, checked against the role and the
//! lease), role changes, and entries proposed directly.

use std::future::Future;

use bytes::Bytes;
use meridian_types::{ClusterRole, RegionRequest, RegionResponse, WatchedKey, WriteResult};
use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::oneshot;

use super::RegionGroup;
use crate::forward::{forward_set_role, forward_write};
use crate::proposer::Proposal;
use crate::{ErrorCause, RegionError};

impl RegionGroup {
    /// Applies `commands` atomically in database 0 through the cluster's leader (this node or
    /// another) and returns their replies once committed and applied.
    pub async fn write(&self, commands: Vec<Vec<Bytes>>) -> Result<WriteResult, RegionError> {
        self.write_in(0, commands, Vec::new()).await
    }

    /// Like [`RegionGroup::write`], in database `db`, and applying nothing (reporting
    /// `aborted`) if a watched key's digest changed since it was watched (MULTI/EXEC after
    /// WATCH).
    pub async fn write_in(
        &self,
        db: u32,
        commands: Vec<Vec<Bytes>>,
        watched: Vec<WatchedKey>,
    ) -> Result<WriteResult, RegionError> {
        let (commands, watched) = (&commands, &watched);
        self.on_leader(
            || self.write_as_leader(db, commands.clone(), watched.clone()),
            |id, node| async move { forward_write(self, id, &node, db, commands, watched).await },
        )
        .await
    }

    /// Proposes `commands` on this node, which must be the leader; concurrent writes share
    /// one Raft entry (see `proposer`).
    pub async fn write_as_leader(
        &self,
        db: u32,
        commands: Vec<Vec<Bytes>>,
        watched: Vec<WatchedKey>,
    ) -> Result<WriteResult, RegionError> {
        if self.opts.planted.split_transactions && commands.len() > 1 {
            return self.write_split(db, commands, watched).await;
        }
        self.write_entry(db, commands, watched).await
    }

    /// Planted bug `split_transactions`: each command of a transaction is its own entry,
    /// proposed after the previous one applied, so other clients' writes land in between
    /// (a `SELECT` among them moves only itself: the chaos workloads use database 0).
    async fn write_split(
        &self,
        db: u32,
        commands: Vec<Vec<Bytes>>,
        mut watched: Vec<WatchedKey>,
    ) -> Result<WriteResult, RegionError> {
        let mut all = WriteResult {
            replies: Vec::with_capacity(commands.len()),
            seq: 0,
            aborted: false,
        };
        for command in commands {
            let one = self
                .write_entry(db, vec![command], std::mem::take(&mut watched))
                .await?;
            if one.aborted {
                return Ok(one);
            }
            all.replies.extend(one.replies);
            all.seq = one.seq;
        }
        Ok(all)
    }

    /// Proposes `commands` as one entry on this node, which must be the leader.
    async fn write_entry(
        &self,
        db: u32,
        commands: Vec<Vec<Bytes>>,
        watched: Vec<WatchedKey>,
    ) -> Result<WriteResult, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        // The leader decides with the newest role: a follower's view may lag a role change.
        let leased = self.write_permission()?;
        let (done, result) = oneshot::channel();
        // Planted bug: answer a plain SET batch before it commits.
        let early_ack = (self.opts.planted.ack_before_commit && is_plain_set(&commands))
            .then_some(commands.len());
        let stopped = || RegionError::Fatal {
            cluster: self.cluster.clone(),
            reason: ErrorCause::msg("the group is shutting down"),
        };
        self.proposals
            .send(Proposal {
                caller: crate::regroup::Caller::current(),
                db,
                commands,
                watched,
                done,
            })
            .map_err(|_| stopped())?;
        if let Some(n) = early_ack {
            return Ok(WriteResult {
                replies: vec![meridian_types::Reply::ok(); n],
                seq: 0,
                aborted: false,
            });
        }
        let written = result.await.map_err(|_| stopped())??;
        if let Some(epoch) = leased {
            if !written.aborted && !self.leased(epoch) {
                return Err(RegionError::LeaseExpired {
                    cluster: self.cluster.clone(),
                });
            }
        }
        Ok(written)
    }

    /// Whether this leader may propose a client write, decided from one read of the role: a
    /// secondary refuses (apply refuses too, for a write that raced a role change); a primary
    /// needs a valid lease and returns its epoch; a standalone cluster needs nothing.
    pub(crate) fn write_permission(&self) -> Result<Option<u64>, RegionError> {
        match self.sm.role() {
            ClusterRole::Secondary {
                datastore, source, ..
            } => Err(RegionError::ReadOnly {
                cluster: self.cluster.clone(),
                datastore,
                primary: source,
            }),
            ClusterRole::Primary {
                datastore, epoch, ..
            } if !self.leased(epoch) => Err(RegionError::NoLease {
                cluster: self.cluster.clone(),
                datastore,
                epoch,
            }),
            ClusterRole::Primary { epoch, .. } => Ok(Some(epoch)),
            ClusterRole::Draining { datastore, .. } => Err(RegionError::Draining {
                cluster: self.cluster.clone(),
                datastore,
            }),
            ClusterRole::Standalone => Ok(None),
        }
    }

    /// Whether this leader holds a valid lease for `epoch` now, adopting the one it inherited
    /// if a write arrives before its lease loop did (always true under the planted
    /// `skip_lease_check` bug).
    fn leased(&self, epoch: u64) -> bool {
        if self.opts.planted.skip_lease_check || self.lease.valid(epoch, self.clock().now()) {
            return true;
        }
        crate::lease::adopt_inherited(self, epoch);
        self.lease.valid(epoch, self.clock().now())
    }

    /// Proposes one entry directly (used for active expiry).
    pub(crate) async fn propose(&self, req: RegionRequest) -> Result<RegionResponse, RegionError> {
        match self.raft.client_write(req).await {
            Ok(resp) => Ok(resp.data),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => {
                Err(RegionError::OutcomeUnknown {
                    cluster: self.cluster.clone(),
                })
            }
            Err(e) => Err(RegionError::Fatal {
                cluster: self.cluster.clone(),
                reason: ErrorCause::new(e),
            }),
        }
    }

    /// Submits `req` on this node, which must lead the group, and returns as soon as it is
    /// queued, with the outcome to await (applied here). Requests submitted one after another
    /// from one task enter the log in that order, so log shipping keeps several batches
    /// committing at once instead of waiting for each.
    pub async fn submit_as_leader(
        &self,
        req: RegionRequest,
    ) -> Result<
        impl Future<Output = Result<RegionResponse, RegionError>> + Send + 'static,
        RegionError,
    > {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        let cluster = self.cluster.clone();
        let outcome = self
            .raft
            .client_write_ff(req)
            .await
            .map_err(|fatal| RegionError::Fatal {
                cluster: cluster.clone(),
                reason: ErrorCause::new(fatal),
            })?;
        Ok(async move {
            match outcome.await {
                Ok(Ok(resp)) => Ok(resp.data),
                Ok(Err(ClientWriteError::ForwardToLeader(_))) | Err(_) => {
                    Err(RegionError::OutcomeUnknown { cluster })
                }
                Ok(Err(e)) => Err(RegionError::Fatal {
                    cluster,
                    reason: ErrorCause::new(e),
                }),
            }
        })
    }

    /// Records `role` in the cluster's log through its leader (this node or another) and
    /// returns once it is applied. With `wipe`, every key is deleted first. `token` is the
    /// coordination token of the decision (`RegionRequest::SetRole`; 0 outside the
    /// coordination group).
    pub async fn set_role(
        &self,
        role: ClusterRole,
        wipe: bool,
        token: u64,
    ) -> Result<u64, RegionError> {
        let role = &role;
        self.on_leader(
            || self.set_role_as_leader(role.clone(), wipe, token),
            |id, node| async move { forward_set_role(self, id, &node, role, (wipe, token)).await },
        )
        .await
    }

    /// Proposes a role change on this node, which must be the leader; returns the seq after it.
    pub async fn set_role_as_leader(
        &self,
        role: ClusterRole,
        wipe: bool,
        token: u64,
    ) -> Result<u64, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        self.propose(RegionRequest::SetRole { role, wipe, token })
            .await
            .map(|r| r.seq)
    }
}

/// Planted bug `ack_before_commit` applies to batches of plain `SET key value` only.
fn is_plain_set(commands: &[Vec<Bytes>]) -> bool {
    !commands.is_empty()
        && commands
            .iter()
            .all(|c| c.len() == 3 && c[0].eq_ignore_ascii_case(b"set"))
}
