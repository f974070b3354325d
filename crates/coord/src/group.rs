//! One voter's membership in the coordination group.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meridian_storage::{open_mem_group, MemSmHandle};
use meridian_transport::{ChannelPool, GroupRouter, GrpcNetworkFactory, RaftEndpoint};
use meridian_types::{
    ControlError, CoordOutcome, CoordRaft, CoordRequest, FailoverStep, GroupId, Lease, Node,
    NodeId, Seq,
};
use openraft::error::{CheckIsLeaderError, ClientWriteError, RaftError};
use openraft::ServerState;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::call::{CoordCall, CoordReply};
use crate::grants_seen::GrantsSeen;
use crate::{ControlPlane, CoordClient, CoordError, CoordOptions, Registration};

/// The term this node leads in and when it noticed (on its monotonic clock).
#[derive(Debug, Clone, Copy)]
struct Leadership {
    term: u64,
    since: Instant,
}

/// The coordination group as hosted by one voter: its Raft, the control-plane state, and the
/// way to the leader when this voter is not it.
pub struct CoordGroup {
    node_id: NodeId,
    raft: CoordRaft,
    sm: MemSmHandle<ControlPlane>,
    opts: CoordOptions,
    router: GroupRouter,
    client: CoordClient,
    leadership: Arc<Mutex<Option<Leadership>>>,
    /// Lease grants this voter refused while leading (a rule said no: not the primary, a
    /// failover draining it, a stale epoch).
    lease_refusals: AtomicU64,
    grants_seen: GrantsSeen,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl CoordGroup {
    /// Opens the group's storage (`coord/…` trees in `db`), starts its Raft with the WAN
    /// timing of `opts`, registers it with the node's transport, and initializes the group if
    /// this is the lowest-numbered voter starting on pristine storage. Whenever this voter
    /// becomes leader it records `registration` (clusters and limits) if the state lacks it.
    pub async fn start(
        db: &meridian_storage::NodeDb,
        node_id: NodeId,
        voters: BTreeMap<NodeId, Node>,
        registration: Registration,
        opts: CoordOptions,
        pool: ChannelPool,
        router: GroupRouter,
    ) -> Result<Arc<CoordGroup>, CoordError> {
        if !voters.contains_key(&node_id) {
            return Err(CoordError::fatal_msg(format!(
                "node {node_id} is not a coordination voter (voters: {:?})",
                voters.keys().collect::<Vec<_>>()
            )));
        }
        let group = GroupId::Coord;
        let (log_store, state_machine, sm) = open_mem_group(db, &group)
            .await
            .map_err(|e| CoordError::fatal_in("opening coordination storage", e))?;
        let config = Arc::new(opts.raft_config()?);
        let network = GrpcNetworkFactory::new(group.clone(), pool.clone());
        let raft = CoordRaft::new(node_id, config, network, log_store, state_machine)
            .await
            .map_err(|e| CoordError::fatal_in("starting coordination raft", e))?;
        router.register(group.as_string(), Arc::new(RaftEndpoint::new(raft.clone())));

        let initialized = raft.is_initialized().await.map_err(CoordError::fatal)?;
        if !initialized && voters.keys().next() == Some(&node_id) {
            info!(node_id, voters = ?voters.keys().collect::<Vec<_>>(), "initializing the coordination group");
            if let Err(e) = raft.initialize(voters.clone()).await {
                warn!(error = %e, "coordination group initialization refused (already initialized elsewhere?)");
            }
        }

        let addrs = voters
            .iter()
            .map(|(id, n)| (*id, n.grpc_addr.clone()))
            .collect();
        let g = Arc::new(CoordGroup {
            node_id,
            raft,
            sm,
            client: CoordClient::new(addrs, pool, opts.request_timeout),
            opts,
            router,
            leadership: Arc::default(),
            lease_refusals: AtomicU64::new(0),
            grants_seen: GrantsSeen::default(),
            cancel: CancellationToken::new(),
            tasks: Mutex::default(),
        });
        let span = tracing::info_span!("coord_leadership", node = node_id);
        let watcher = tokio::spawn(watch_leadership(g.clone(), registration).instrument(span));
        g.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(watcher);
        Ok(g)
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    pub fn raft(&self) -> &CoordRaft {
        &self.raft
    }

    /// Lease grants this voter refused while leading, since it started.
    pub fn lease_refusals(&self) -> u64 {
        self.lease_refusals.load(Ordering::Relaxed)
    }

    pub fn options(&self) -> &CoordOptions {
        &self.opts
    }

    /// This voter's copy of the control plane (possibly stale; use
    /// [`crate::CoordHandle::state`] for a linearizable view).
    pub fn local_state(&self) -> &MemSmHandle<ControlPlane> {
        &self.sm
    }

    /// The leader this voter knows of.
    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    pub fn is_leader(&self) -> bool {
        let m = self.raft.metrics();
        let m = m.borrow();
        m.state == ServerState::Leader && m.current_leader == Some(self.node_id)
    }

    fn not_leader(&self) -> CoordError {
        CoordError::NotLeader {
            node: self.node_id,
            leader: self.leader().filter(|l| *l != self.node_id),
        }
    }

    /// Runs `call` here if this voter leads, else on the leader.
    pub(crate) async fn call(&self, call: &CoordCall) -> Result<CoordReply, CoordError> {
        if self.is_leader() {
            match self.call_as_leader(call.clone()).await {
                Err(e) if e.nothing_written() => {}
                other => return other,
            }
        }
        self.client.call(call, self.leader()).await
    }

    /// Runs `call` on this voter, which must lead the group (the `CoordForward` service).
    pub(crate) async fn call_as_leader(&self, call: CoordCall) -> Result<CoordReply, CoordError> {
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        match call {
            CoordCall::Write(CoordRequest::GrantLease(_)) => {
                Err(CoordError::Rule(ControlError::InvalidArgument {
                    field: "request".into(),
                    value: "GrantLease".into(),
                    reason: "leases are granted by the leader after a quorum round; ask for one with grant_lease".into(),
                }))
            }
            CoordCall::Write(req) => {
                self.check_promotion_time(&req).await?;
                self.propose(req).await.map(CoordReply::Outcome)
            }
            CoordCall::GrantLease {
                datastore,
                cluster,
                epoch,
                length_ms,
                head_seq,
            } => {
                let granted = self
                    .grant_lease_as_leader(datastore, cluster, epoch, (length_ms, head_seq))
                    .await;
                if let Err(CoordError::Rule(_)) = granted {
                    self.lease_refusals.fetch_add(1, Ordering::Relaxed);
                }
                granted.map(|l| CoordReply::Outcome(CoordOutcome::Lease(l)))
            }
            CoordCall::Read => {
                self.linearize().await?;
                Ok(CoordReply::State(self.sm.read(Clone::clone)))
            }
        }
    }

    /// Confirms leadership with a quorum round and waits until everything committed before it
    /// is applied here.
    async fn linearize(&self) -> Result<(), CoordError> {
        let waited_ms = self.opts.request_timeout.as_millis() as u64;
        match tokio::time::timeout(self.opts.request_timeout, self.raft.ensure_linearizable()).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(_)))) => {
                Err(self.not_leader())
            }
            // No quorum answered, or Raft stopped here: leadership is not confirmed and
            // nothing was written, so another voter may be asked.
            Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_))))
            | Ok(Err(RaftError::Fatal(_))) => Err(CoordError::NoLeader),
            Err(_) => Err(CoordError::Timeout {
                what: "confirming coordination leadership with a quorum".into(),
                waited_ms,
            }),
        }
    }

    /// Proposes one entry and returns what applying it produced.
    async fn propose(&self, req: CoordRequest) -> Result<CoordOutcome, CoordError> {
        match tokio::time::timeout(self.opts.request_timeout, self.raft.client_write(req)).await {
            Ok(Ok(resp)) => resp.data.result.map_err(CoordError::Rule),
            // The entry may have been appended (and replicated) before leadership moved or
            // Raft stopped here.
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))))
            | Ok(Err(RaftError::Fatal(_)))
            | Err(_) => Err(CoordError::OutcomeUnknown),
            Ok(Err(e)) => Err(CoordError::fatal(e)),
        }
    }

    /// The lease rule (DESIGN §5): confirm leadership with a quorum, check the cluster is the
    /// primary at `epoch` with no failover draining it, stamp the grant on this leader's
    /// monotonic clock and record it through the log. The length is capped at the configured
    /// lease; the primary must use the length it was granted.
    async fn grant_lease_as_leader(
        &self,
        datastore: String,
        cluster: String,
        epoch: u64,
        (length_ms, head_seq): (u64, Seq),
    ) -> Result<Lease, CoordError> {
        self.linearize().await?;
        let term = self
            .leadership()
            .map(|l| l.term)
            .ok_or_else(|| self.not_leader())?;
        let lease = Lease {
            datastore,
            cluster,
            epoch,
            length_ms: length_ms.min(self.opts.lease.as_millis() as u64),
            granted_at_ms: self.opts.clock.mono_ms(),
            granted_by: self.node_id,
            term,
            head_seq,
        };
        self.sm.read(|cp| cp.check_lease(&lease))?;
        match self.propose(CoordRequest::GrantLease(lease)).await? {
            CoordOutcome::Lease(l) => Ok(l),
            other => Err(CoordError::fatal_msg(format!(
                "a lease grant produced {other:?}"
            ))),
        }
    }

    fn leadership(&self) -> Option<Leadership> {
        let l = *self.leadership.lock().unwrap_or_else(|e| e.into_inner());
        let term = self.raft.metrics().borrow().current_term;
        l.filter(|l| l.term == term && self.is_leader())
    }

    /// When this leader may promote another cluster of `datastore` (DESIGN §5, rule 4):
    /// `D × (1 + ε) + margin` after it saw the newest lease record (`grants_seen.rs` says why
    /// that bounds every grant, its predecessors' included), at once when none exists.
    /// Refused on a voter that does not lead. Call after a linearizable read, so every grant
    /// ever acknowledged is applied here.
    pub fn promotion_allowed_at(&self, datastore: &str) -> Result<Instant, CoordError> {
        let lead = self.leadership().ok_or_else(|| self.not_leader())?;
        Ok(match self.newest_lease(datastore)? {
            Some((l, seen)) => seen + self.opts.promotion_wait(Duration::from_millis(l.length_ms)),
            None => lead.since,
        })
    }

    /// Since when, as far as this leader can tell, the primary of `datastore` holds no lease:
    /// the end of the newest lease record as this voter saw it, and never before its own
    /// election (the count restarts at every election). The automatic failover policy
    /// measures from here.
    pub fn unleased_since(&self, datastore: &str) -> Result<Instant, CoordError> {
        let lead = self.leadership().ok_or_else(|| self.not_leader())?;
        let end = self
            .newest_lease(datastore)?
            .map(|(l, seen)| seen + Duration::from_millis(l.length_ms));
        Ok(end.map_or(lead.since, |end| end.max(lead.since)))
    }

    /// The lease record of `datastore` on this voter and when the voter first saw it.
    fn newest_lease(&self, datastore: &str) -> Result<Option<(Lease, Instant)>, CoordError> {
        let now = self.opts.clock.now();
        self.sm.read(|cp| {
            self.grants_seen.note(cp, now);
            let ds = cp.datastore(datastore)?;
            Ok(ds.lease.clone().map(|l| {
                let seen = self.grants_seen.seen_at(datastore, &l).unwrap_or(now);
                (l, seen)
            }))
        })
    }

    /// Notes lease records as they apply (the leadership watcher calls it on every change).
    fn note_leases(&self) {
        let now = self.opts.clock.now();
        self.sm.read(|cp| self.grants_seen.note(cp, now));
    }

    /// A forced promotion is proposed only once the old primary's lease certainly ran out
    /// ([`CoordGroup::promotion_allowed_at`]), whoever asks for it.
    async fn check_promotion_time(&self, req: &CoordRequest) -> Result<(), CoordError> {
        let CoordRequest::FailoverStep {
            id,
            step: FailoverStep::ForcedPromote { .. },
            ..
        } = req
        else {
            return Ok(());
        };
        // Every grant acknowledged under earlier terms is applied here after this.
        self.linearize().await?;
        let at = self.promotion_allowed_at(id)?;
        let now = self.opts.clock.now();
        if now < at {
            return Err(CoordError::Rule(ControlError::PromotionTooEarly {
                id: id.clone(),
                wait_ms: (at - now).as_millis() as u64,
            }));
        }
        Ok(())
    }

    /// Stops the leadership watcher and Raft; the caller flushes and closes the database.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let tasks: Vec<_> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            if tokio::time::timeout(Duration::from_secs(2), t)
                .await
                .is_err()
            {
                warn!(
                    node_id = self.node_id,
                    "coordination leadership watcher did not stop within 2s"
                );
            }
        }
        self.router.unregister(&GroupId::Coord.as_string());
        if let Err(e) = self.raft.shutdown().await {
            warn!(node_id = self.node_id, error = %e, "coordination raft shutdown failed");
        }
    }
}

/// Notes when this voter becomes leader (for the promotion wait) and then makes sure the
/// deployment's clusters are registered.
async fn watch_leadership(g: Arc<CoordGroup>, registration: Registration) {
    let mut rx = g.raft.metrics();
    loop {
        g.note_leases();
        let (leading, term) = {
            let m = rx.borrow_and_update();
            (
                m.state == ServerState::Leader && m.current_leader == Some(g.node_id),
                m.current_term,
            )
        };
        let newly = {
            let mut l = g.leadership.lock().unwrap_or_else(|e| e.into_inner());
            match (*l, leading) {
                (Some(cur), true) if cur.term == term => false,
                (_, true) => {
                    *l = Some(Leadership {
                        term,
                        since: g.opts.clock.now(),
                    });
                    true
                }
                (_, false) => {
                    *l = None;
                    false
                }
            }
        };
        if newly {
            info!(term, "leading the coordination group");
            if !registration.clusters.is_empty() {
                let g2 = g.clone();
                let reg = registration.clone();
                let span = tracing::info_span!("coord_register", node = g.node_id, term);
                let register = async move {
                    tokio::select! {
                        _ = g2.cancel.cancelled() => {}
                        _ = ensure_registered(&g2, &reg) => {}
                    }
                };
                tokio::spawn(register.instrument(span));
            }
        }
        tokio::select! {
            _ = g.cancel.cancelled() => return,
            r = rx.changed() => if r.is_err() { return },
        }
    }
}

async fn ensure_registered(g: &CoordGroup, reg: &Registration) {
    if g.linearize().await.is_err() {
        return;
    }
    if g.sm.read(|cp| reg.is_recorded_in(cp)) {
        return;
    }
    match g.propose(reg.request()).await {
        Ok(_) => info!(
            clusters = reg.clusters.len(),
            "registered the deployment's clusters"
        ),
        Err(e) => {
            warn!(error = %e, "registering the deployment's clusters failed; the next leader retries")
        }
    }
}
