use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use meridian_storage::{open_group, SmHandle, StorageOptions};
use meridian_transport::{ChannelPool, GroupRouter, GrpcNetworkFactory, RaftEndpoint};
use meridian_types::{
    ClusterRole, Consistency, GroupId, Node, NodeId, RegionRaft, RegionRequest, RegionResponse,
    WriteResult,
};
use openraft::error::{ClientWriteError, RaftError};
use openraft::ServerState;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::forward::{forward_read_index, forward_set_role, forward_write, ForwardRegistry};
use crate::leader_time::LeaderTime;
use crate::lease::{LeaseSource, LeaseState};
use crate::proposer::Proposal;
use crate::read_index::ReadIndexWaiter;
use crate::{RegionError, RegionOptions};

/// One node's membership in its cluster's regional Raft group.
pub struct RegionGroup {
    node_id: NodeId,
    cluster: String,
    group: GroupId,
    raft: RegionRaft,
    sm: SmHandle,
    pool: ChannelPool,
    opts: RegionOptions,
    cancel: CancellationToken,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    router: GroupRouter,
    registry: ForwardRegistry,
    proposals: mpsc::UnboundedSender<Proposal>,
    read_indexes: mpsc::UnboundedSender<ReadIndexWaiter>,
    lease: LeaseState,
    leader_time: LeaderTime,
}

impl RegionGroup {
    /// Opens the group's storage in `db`, starts its Raft, registers it with the node's
    /// transport and forwarding services, and initializes the cluster if this is the
    /// lowest-numbered member starting on pristine storage.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        db: &meridian_storage::NodeDb,
        node_id: NodeId,
        cluster: &str,
        members: BTreeMap<NodeId, Node>,
        opts: RegionOptions,
        pool: ChannelPool,
        router: GroupRouter,
        registry: ForwardRegistry,
    ) -> Result<Arc<RegionGroup>, RegionError> {
        let group = GroupId::Region(cluster.to_string());
        let fatal = |reason: String| RegionError::Fatal {
            cluster: cluster.to_string(),
            reason,
        };
        let storage_opts = StorageOptions {
            backlog_max_bytes: opts.backlog_max_bytes,
            planted: opts.planted,
        };
        let (log_store, state_machine, sm) = open_group(db, &group, storage_opts)
            .await
            .map_err(|e| fatal(format!("opening storage: {e}")))?;
        let config = Arc::new(opts.raft_config(cluster).map_err(fatal)?);
        let network = GrpcNetworkFactory::new(group.clone(), pool.clone());
        let raft = RegionRaft::new(node_id, config, network, log_store, state_machine)
            .await
            .map_err(|e| fatal(format!("starting raft: {e}")))?;
        router.register(group.as_string(), Arc::new(RaftEndpoint::new(raft.clone())));

        let lowest = members.keys().next().copied();
        let initialized = raft
            .is_initialized()
            .await
            .map_err(|e| fatal(e.to_string()))?;
        if !initialized && lowest == Some(node_id) {
            info!(cluster, node_id, members = ?members.keys().collect::<Vec<_>>(), "initializing new cluster");
            if let Err(e) = raft.initialize(members).await {
                warn!(cluster, error = %e, "cluster initialization refused (already initialized elsewhere?)");
            }
        }

        let cancel = CancellationToken::new();
        let (proposals, proposal_rx) = mpsc::unbounded_channel();
        let (read_indexes, read_index_rx) = mpsc::unbounded_channel();
        let leader_time = LeaderTime::new(opts.clock.clone(), sm.clone());
        let proposer = tokio::spawn(crate::proposer::run(
            raft.clone(),
            cluster.to_string(),
            leader_time.clone(),
            proposal_rx,
            cancel.clone(),
        ));
        let reader = tokio::spawn(crate::read_index::run(
            raft.clone(),
            cluster.to_string(),
            node_id,
            read_index_rx,
            cancel.clone(),
        ));
        let g = Arc::new(RegionGroup {
            node_id,
            cluster: cluster.to_string(),
            group,
            raft,
            sm,
            pool,
            opts,
            cancel,
            tasks: std::sync::Mutex::new(vec![proposer, reader]),
            router,
            registry,
            proposals,
            read_indexes,
            lease: LeaseState::default(),
            leader_time,
        });
        g.registry.register(g.group.as_string(), g.clone());
        let expiry = tokio::spawn(crate::expiry::run(g.clone(), g.cancel.clone()));
        g.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(expiry);
        Ok(g)
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    pub fn raft(&self) -> &RegionRaft {
        &self.raft
    }

    pub fn sm(&self) -> &SmHandle {
        &self.sm
    }

    /// This node's clocks (the process's own, or a test's adjustable one).
    pub fn clock(&self) -> &meridian_types::Clock {
        &self.opts.clock
    }

    /// The time the leader stamps on the next entry it proposes (see `LeaderTime`).
    pub(crate) fn leader_now_ms(&self) -> u64 {
        self.leader_time.now_ms()
    }

    pub fn options(&self) -> &RegionOptions {
        &self.opts
    }

    pub(crate) fn pool(&self) -> &ChannelPool {
        &self.pool
    }

    pub(crate) fn group_id(&self) -> &GroupId {
        &self.group
    }

    /// The leader this node currently knows, with its address.
    pub fn leader(&self) -> Option<(NodeId, Node)> {
        let m = self.raft.metrics().borrow().clone();
        let id = m.current_leader?;
        let node = m.membership_config.membership().get_node(&id)?.clone();
        Some((id, node))
    }

    pub fn is_leader(&self) -> bool {
        let m = self.raft.metrics();
        let m = m.borrow();
        m.state == ServerState::Leader && m.current_leader == Some(self.node_id)
    }

    /// Applies `commands` atomically through the cluster's leader (this node or another) and
    /// returns their replies once committed and applied.
    pub async fn write(&self, commands: Vec<Vec<Bytes>>) -> Result<WriteResult, RegionError> {
        self.write_watched(commands, Vec::new()).await
    }

    /// Like [`RegionGroup::write`], but applies nothing (and reports `aborted`) if a watched
    /// key's digest changed since it was watched (MULTI/EXEC after WATCH).
    pub async fn write_watched(
        &self,
        commands: Vec<Vec<Bytes>>,
        watched: Vec<(Bytes, Option<u64>)>,
    ) -> Result<WriteResult, RegionError> {
        let (commands, watched) = (&commands, &watched);
        self.on_leader(
            || self.write_as_leader(commands.clone(), watched.clone()),
            |id, node| async move { forward_write(self, id, &node, commands, watched).await },
        )
        .await
    }

    /// Proposes `commands` on this node, which must be the leader; concurrent writes share
    /// one Raft entry (see `proposer`).
    pub async fn write_as_leader(
        &self,
        commands: Vec<Vec<Bytes>>,
        watched: Vec<(Bytes, Option<u64>)>,
    ) -> Result<WriteResult, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        // The leader decides with the newest role: a follower's view may lag a role change.
        let leased = self.write_permission()?;
        let (done, result) = oneshot::channel();
        let commands_for_bug = if self.opts.planted.ack_before_commit {
            commands.clone()
        } else {
            Vec::new()
        };
        let stopped = || RegionError::Fatal {
            cluster: self.cluster.clone(),
            reason: "the group is shutting down".into(),
        };
        self.proposals
            .send(Proposal {
                commands,
                watched,
                done,
            })
            .map_err(|_| stopped())?;
        if self.opts.planted.ack_before_commit && is_plain_set(&commands_for_bug) {
            return Ok(WriteResult {
                replies: vec![meridian_types::Reply::ok(); commands_for_bug.len()],
                seq: 0,
                aborted: false,
            });
        }
        let written = result.await.map_err(|_| stopped())??;
        if let Some(epoch) = leased {
            if !written.aborted && !self.lease.valid(epoch, self.clock().now()) {
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
    fn write_permission(&self) -> Result<Option<u64>, RegionError> {
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
            } if !self.lease.valid(epoch, self.clock().now()) => Err(RegionError::NoLease {
                cluster: self.cluster.clone(),
                datastore,
                epoch,
            }),
            ClusterRole::Primary { epoch, .. } => Ok(Some(epoch)),
            ClusterRole::Standalone => Ok(None),
        }
    }

    pub(crate) fn lease(&self) -> &LeaseState {
        &self.lease
    }

    /// Starts renewing the primary's write lease through `source` (the coordination group).
    /// Until a source is set, a primary cluster refuses writes.
    pub fn keep_lease(self: &Arc<Self>, source: Arc<dyn LeaseSource>) {
        let task = tokio::spawn(crate::lease::keep(
            self.clone(),
            source,
            self.cancel.clone(),
        ));
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
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
                reason: e.to_string(),
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
                reason: fatal.to_string(),
            })?;
        Ok(async move {
            match outcome.await {
                Ok(Ok(resp)) => Ok(resp.data),
                Ok(Err(ClientWriteError::ForwardToLeader(_))) | Err(_) => {
                    Err(RegionError::OutcomeUnknown { cluster })
                }
                Ok(Err(e)) => Err(RegionError::Fatal {
                    cluster,
                    reason: e.to_string(),
                }),
            }
        })
    }

    /// The cluster's current role (as of this node's last applied entry).
    pub fn role(&self) -> ClusterRole {
        self.sm.role()
    }

    /// Records `role` in the cluster's log through its leader (this node or another) and
    /// returns once it is applied. With `wipe`, every key is deleted first.
    pub async fn set_role(&self, role: ClusterRole, wipe: bool) -> Result<u64, RegionError> {
        let role = &role;
        self.on_leader(
            || self.set_role_as_leader(role.clone(), wipe),
            |id, node| async move { forward_set_role(self, id, &node, role, wipe).await },
        )
        .await
    }

    /// Runs `local` when this node leads the group and `remote` (with the leader's id and
    /// address) otherwise; while the error proves nothing happened (no leader, not the
    /// leader) it waits for a leader change and tries again, until the request timeout.
    async fn on_leader<T, L, LF, R, RF>(
        &self,
        mut local: L,
        mut remote: R,
    ) -> Result<T, RegionError>
    where
        L: FnMut() -> LF,
        LF: Future<Output = Result<T, RegionError>>,
        R: FnMut(NodeId, Node) -> RF,
        RF: Future<Output = Result<T, RegionError>>,
    {
        let deadline = tokio::time::Instant::now() + self.opts.request_timeout;
        loop {
            let attempt = if self.is_leader() {
                local().await
            } else {
                match self.leader() {
                    Some((id, node)) if id != self.node_id => remote(id, node).await,
                    _ => Err(RegionError::NoLeader {
                        cluster: self.cluster.clone(),
                    }),
                }
            };
            match attempt {
                Err(e) if e.nothing_written() && tokio::time::Instant::now() < deadline => {
                    self.wait_for_leader_change(deadline).await;
                }
                other => return other,
            }
        }
    }

    /// Proposes a role change on this node, which must be the leader; returns the seq after it.
    pub async fn set_role_as_leader(
        &self,
        role: ClusterRole,
        wipe: bool,
    ) -> Result<u64, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        self.propose(RegionRequest::SetRole { role, wipe })
            .await
            .map(|r| r.seq)
    }

    fn not_leader(&self) -> RegionError {
        RegionError::NotLeader {
            cluster: self.cluster.clone(),
            node: self.node_id,
            leader: self.raft.metrics().borrow().current_leader,
        }
    }

    async fn wait_for_leader_change(&self, deadline: tokio::time::Instant) {
        let before = self.raft.metrics().borrow().current_leader;
        let mut rx = self.raft.metrics();
        let wait = async {
            loop {
                if rx.changed().await.is_err() {
                    return;
                }
                let m = rx.borrow().clone();
                if m.current_leader.is_some() && m.current_leader != before {
                    return;
                }
                if m.current_leader.is_some() && m.state == ServerState::Leader {
                    return;
                }
            }
        };
        // Also re-check periodically: the leader may be known but unreachable for a moment.
        let nap = deadline.min(tokio::time::Instant::now() + Duration::from_millis(50));
        tokio::select! {
            _ = wait => {}
            _ = tokio::time::sleep_until(nap) => {}
        }
    }

    /// Makes this node's state fresh enough for `consistency`, then waits for `min_seq`.
    pub async fn read_barrier(
        &self,
        consistency: Consistency,
        min_seq: u64,
    ) -> Result<(), RegionError> {
        let deadline = tokio::time::Instant::now() + self.opts.request_timeout;
        match consistency {
            Consistency::Local => {}
            Consistency::Linearizable | Consistency::Regional => {
                self.on_leader(
                    || async { self.read_index_as_leader().await.map(|_| ()) },
                    |id, node| async move {
                        let index = forward_read_index(self, id, &node).await?;
                        self.wait_applied(index, deadline).await
                    },
                )
                .await?
            }
        }
        if min_seq > 0 {
            self.wait_seq(min_seq, deadline).await?;
        }
        Ok(())
    }

    /// Confirms leadership with a quorum and waits until everything committed before is
    /// applied; returns the read index.
    pub async fn read_index_as_leader(&self) -> Result<u64, RegionError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        let (tx, rx) = oneshot::channel();
        let stopped = || RegionError::Fatal {
            cluster: self.cluster.clone(),
            reason: "the group is shutting down".into(),
        };
        self.read_indexes.send(tx).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    async fn wait_applied(
        &self,
        index: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), RegionError> {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        self.raft
            .wait(Some(left))
            .applied_index_at_least(Some(index), "read index")
            .await
            .map(|_| ())
            .map_err(|_| RegionError::Timeout {
                what: format!("applying log index {index} on node {}", self.node_id),
                waited_ms: self.opts.request_timeout.as_millis() as u64,
            })
    }

    async fn wait_seq(
        &self,
        min_seq: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), RegionError> {
        let mut rx = self.sm.subscribe_seq();
        let reached = async {
            loop {
                if *rx.borrow_and_update() >= min_seq {
                    return true;
                }
                if rx.changed().await.is_err() {
                    return false;
                }
            }
        };
        match tokio::time::timeout_at(deadline, reached).await {
            Ok(true) => Ok(()),
            _ => Err(RegionError::Timeout {
                what: format!(
                    "cluster {} reaching seq {min_seq} (applied: {})",
                    self.cluster,
                    self.sm.seq()
                ),
                waited_ms: self.opts.request_timeout.as_millis() as u64,
            }),
        }
    }

    /// Stops background tasks and Raft; the storage is flushed by the caller closing the db.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let tasks: Vec<_> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            if tokio::time::timeout(Duration::from_secs(2), t)
                .await
                .is_err()
            {
                warn!(cluster = %self.cluster, "active expiry task did not stop within 2s");
            }
        }
        self.registry.unregister(&self.group.as_string());
        self.router.unregister(&self.group.as_string());
        if let Err(e) = self.raft.shutdown().await {
            warn!(cluster = %self.cluster, error = %e, "raft shutdown failed");
        }
    }
}

/// Planted bug `ack_before_commit` applies to batches of plain `SET key value` only.
fn is_plain_set(commands: &[Vec<Bytes>]) -> bool {
    !commands.is_empty()
        && commands
            .iter()
            .all(|c| c.len() == 3 && c[0].eq_ignore_ascii_case(b"set"))
}
