//! [`RegionGroup`]: one node's membership in its cluster's regional Raft group.
//!
//! This file holds the struct, its accessors and its lifecycle (start, lease renewal,
//! shutdown). The request paths live in submodules, each adding an `impl RegionGroup` block:
//!
//! - `routing`: runs a request on the leader, here or forwarded, retrying while nothing was
//!   written;
//! - `write_path`: client writes, role changes and direct proposals;
//! - `read_path`: read barriers, the read index and `min_seq` waits.

mod read_path;
mod routing;
mod write_path;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use meridian_storage::{open_group, SmHandle, StorageOptions};
use meridian_transport::{ChannelPool, GroupRouter, GrpcNetworkFactory, RaftEndpoint};
use meridian_types::{ClusterRole, GroupId, Node, NodeId, RegionRaft};
use openraft::ServerState;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::forward::ForwardRegistry;
use crate::leader_time::LeaderTime;
use crate::lease::{LeaseSource, LeaseState};
use crate::lease_share::InheritedLease;
use crate::proposer::Proposal;
use crate::read_index::ReadIndexWaiter;
use crate::{ErrorCause, RegionError, RegionOptions};

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
    /// The lease this node inherits from its leader, adopted if it is elected (`lease_share`).
    inherited_lease: InheritedLease,
    leader_time: LeaderTime,
    /// Whether this node, as leader, deletes expired keys actively (`DEBUG SET-ACTIVE-EXPIRE`).
    active_expiry: std::sync::atomic::AtomicBool,
}

/// What [`RegionGroup::start`] needs besides the node's database: who this node is, which
/// cluster it serves with which members, its settings, and the node's transport and
/// forwarding services the group registers with.
pub struct GroupStart {
    pub node_id: NodeId,
    pub cluster: String,
    pub members: BTreeMap<NodeId, Node>,
    pub opts: RegionOptions,
    pub pool: ChannelPool,
    pub router: GroupRouter,
    pub registry: ForwardRegistry,
}

impl RegionGroup {
    /// Opens the group's storage in `db`, starts its Raft, registers it with the node's
    /// transport and forwarding services, and initializes the cluster if this is the
    /// lowest-numbered member starting on pristine storage. Its background tasks run in spans
    /// (`region_proposer`, `region_read_index`, `region_expiry`, `region_lease`) naming the
    /// node and cluster.
    pub async fn start(
        db: &meridian_storage::NodeDb,
        start: GroupStart,
    ) -> Result<Arc<RegionGroup>, RegionError> {
        let fatal = |cluster: &str, reason| RegionError::Fatal {
            cluster: cluster.to_string(),
            reason,
        };
        let group = GroupId::Region(start.cluster.clone());
        let (raft, sm) = open_raft(db, &group, &start)
            .await
            .map_err(|e| fatal(&start.cluster, e))?;
        let GroupStart {
            node_id,
            cluster,
            members,
            opts,
            pool,
            router,
            registry,
        } = start;
        router.register(group.as_string(), Arc::new(RaftEndpoint::new(raft.clone())));
        initialize_if_first(&raft, &cluster, node_id, members)
            .await
            .map_err(|e| fatal(&cluster, e))?;

        let cancel = CancellationToken::new();
        let (proposals, proposal_rx) = mpsc::unbounded_channel();
        let (read_indexes, read_index_rx) = mpsc::unbounded_channel();
        let leader_time = LeaderTime::new(opts.clock.clone(), sm.clone());
        let proposer = crate::proposer::run(
            raft.clone(),
            cluster.clone(),
            leader_time.clone(),
            proposal_rx,
            cancel.clone(),
        );
        let proposer = tokio::spawn(proposer.instrument(tracing::info_span!(
            "region_proposer",
            node = node_id,
            cluster = %cluster
        )));
        let reader = crate::read_index::run(
            raft.clone(),
            cluster.clone(),
            node_id,
            read_index_rx,
            cancel.clone(),
        );
        let reader = tokio::spawn(reader.instrument(tracing::info_span!(
            "region_read_index",
            node = node_id,
            cluster = %cluster
        )));
        let g = Arc::new(RegionGroup {
            node_id,
            cluster,
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
            inherited_lease: InheritedLease::default(),
            leader_time,
            active_expiry: std::sync::atomic::AtomicBool::new(true),
        });
        g.registry.register(g.group.as_string(), g.clone());
        let expiry = crate::expiry::run(g.clone(), g.cancel.clone())
            .instrument(tracing::info_span!("region_expiry", node = node_id, cluster = %g.cluster));
        g.add_task(tokio::spawn(expiry));
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

    /// Turns this node's active expiry on or off (Redis's `DEBUG SET-ACTIVE-EXPIRE`): while it
    /// is off and this node leads, expired keys are removed only when a command touches them.
    pub fn set_active_expiry(&self, on: bool) {
        self.active_expiry
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn active_expiry(&self) -> bool {
        self.active_expiry
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn is_leader(&self) -> bool {
        let m = self.raft.metrics();
        let m = m.borrow();
        m.state == ServerState::Leader && m.current_leader == Some(self.node_id)
    }

    /// The cluster's current role (as of this node's last applied entry).
    pub fn role(&self) -> ClusterRole {
        self.sm.role()
    }

    pub(crate) fn lease(&self) -> &LeaseState {
        &self.lease
    }

    pub(crate) fn inherited_lease(&self) -> &InheritedLease {
        &self.inherited_lease
    }

    /// How long the write lease this node holds still runs for the cluster's current epoch
    /// (`None`: it holds none, or the cluster is not a primary).
    pub fn lease_left(&self) -> Option<Duration> {
        let ClusterRole::Primary { epoch, .. } = self.role() else {
            return None;
        };
        let now = self.clock().now();
        self.lease.until(epoch, now).map(|until| until - now)
    }

    /// How long the lease this node inherited from its leader still runs for the cluster's
    /// current epoch: what it would adopt if elected now (`None`: none, or not a primary).
    pub fn inherited_lease_left(&self) -> Option<Duration> {
        let ClusterRole::Primary { epoch, .. } = self.role() else {
            return None;
        };
        let now = self.clock().now();
        self.inherited_lease
            .valid_until(epoch, now)
            .map(|until| until - now)
    }

    /// The other voters of the group, with their addresses (those that may be elected).
    pub(crate) fn peers(&self) -> Vec<(NodeId, Node)> {
        let metrics = self.raft.metrics();
        let m = metrics.borrow();
        let membership = m.membership_config.membership();
        membership
            .voter_ids()
            .filter(|id| *id != self.node_id)
            .filter_map(|id| membership.get_node(&id).map(|n| (id, n.clone())))
            .collect()
    }

    /// Starts renewing the primary's write lease through `source` (the coordination group).
    /// Until a source is set, a primary cluster refuses writes.
    pub fn keep_lease(self: &Arc<Self>, source: Arc<dyn LeaseSource>) {
        let keep = crate::lease::keep(self.clone(), source, self.cancel.clone()).instrument(
            tracing::info_span!("region_lease", node = self.node_id, cluster = %self.cluster),
        );
        self.add_task(tokio::spawn(keep));
    }

    /// Counts `task` among those [`RegionGroup::shutdown`] stops.
    fn add_task(&self, task: JoinHandle<()>) {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
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

/// Opens the storage of `group` and starts its Raft on it.
async fn open_raft(
    db: &meridian_storage::NodeDb,
    group: &GroupId,
    start: &GroupStart,
) -> Result<(RegionRaft, SmHandle), ErrorCause> {
    let opts = &start.opts;
    let storage_opts = StorageOptions {
        backlog_max_bytes: opts.backlog_max_bytes,
        planted: opts.planted,
        acl_commands: opts.acl_commands.clone(),
    };
    let (log_store, state_machine, sm) = open_group(db, group, storage_opts)
        .await
        .map_err(|e| ErrorCause::context("opening storage", e))?;
    let config = opts.raft_config(&start.cluster)?;
    let network = GrpcNetworkFactory::new(group.clone(), start.pool.clone());
    let raft = RegionRaft::new(
        start.node_id,
        Arc::new(config),
        network,
        log_store,
        state_machine,
    )
    .await
    .map_err(|e| ErrorCause::context("starting raft", e))?;
    Ok((raft, sm))
}

/// Initializes the cluster with `members` when this node is the lowest-numbered of them and
/// its Raft has never been initialized.
async fn initialize_if_first(
    raft: &RegionRaft,
    cluster: &str,
    node_id: NodeId,
    members: BTreeMap<NodeId, Node>,
) -> Result<(), ErrorCause> {
    let lowest = members.keys().next().copied();
    let initialized = raft.is_initialized().await.map_err(ErrorCause::new)?;
    if !initialized && lowest == Some(node_id) {
        info!(cluster, node_id, members = ?members.keys().collect::<Vec<_>>(), "initializing new cluster");
        if let Err(e) = raft.initialize(members).await {
            warn!(cluster, error = %e, "cluster initialization refused (already initialized elsewhere?)");
        }
    }
    Ok(())
}
