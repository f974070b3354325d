//! The typed control-plane API, the same whether this node is a voter ([`CoordGroup`]) or not
//! ([`CoordClient`]). The gRPC service, the reconciler and lease renewal all go through it.

use std::sync::Arc;
use std::time::Duration;

use meridian_types::{
    AutoFailover, CoordOutcome, CoordRequest, Datastore, DiscardedRange, Epoch, FailoverStep,
    Lease, Seq,
};

use crate::call::{CoordCall, CoordReply};
use crate::{ControlPlane, CoordClient, CoordError, CoordGroup, Registration};

/// A way to the coordination leader. Cheap to clone.
#[derive(Clone)]
pub enum CoordHandle {
    /// This node is a voter: calls run here when it leads, else are forwarded.
    Group(Arc<CoordGroup>),
    /// This node (or the CLI) is not a voter.
    Client(CoordClient),
}

impl From<Arc<CoordGroup>> for CoordHandle {
    fn from(g: Arc<CoordGroup>) -> Self {
        CoordHandle::Group(g)
    }
}

impl From<CoordClient> for CoordHandle {
    fn from(c: CoordClient) -> Self {
        CoordHandle::Client(c)
    }
}

fn unexpected(what: &str, reply: impl std::fmt::Debug) -> CoordError {
    CoordError::fatal_msg(format!("{what} answered unexpectedly: {reply:?}"))
}

impl CoordHandle {
    async fn call(&self, call: CoordCall) -> Result<CoordReply, CoordError> {
        match self {
            CoordHandle::Group(g) => g.call(&call).await,
            CoordHandle::Client(c) => c.call(&call, None).await,
        }
    }

    /// Proposes any entry (except `GrantLease`; see [`CoordHandle::grant_lease`]).
    pub async fn write(&self, req: CoordRequest) -> Result<CoordOutcome, CoordError> {
        match self.call(CoordCall::Write(req)).await? {
            CoordReply::Outcome(o) => Ok(o),
            other => Err(unexpected("a write", other)),
        }
    }

    async fn write_datastore(&self, req: CoordRequest) -> Result<Datastore, CoordError> {
        match self.write(req).await? {
            CoordOutcome::Datastore(d) => Ok(d),
            other => Err(unexpected("a datastore change", other)),
        }
    }

    /// The whole control plane, linearizably (read on the leader after a quorum round).
    pub async fn state(&self) -> Result<ControlPlane, CoordError> {
        match self.call(CoordCall::Read).await? {
            CoordReply::State(s) => Ok(s),
            other => Err(unexpected("a read", other)),
        }
    }

    /// One datastore (`Some(id)`, refused if unknown) or all of them, linearizably.
    pub async fn describe(&self, id: Option<&str>) -> Result<Vec<Datastore>, CoordError> {
        let state = self.state().await?;
        match id {
            Some(id) => Ok(vec![state.datastore(id)?.clone()]),
            None => Ok(state.datastores.into_values().collect()),
        }
    }

    /// Records the deployment's clusters and limits (idempotent).
    pub async fn register(&self, reg: &Registration) -> Result<(), CoordError> {
        self.write(reg.request()).await.map(|_| ())
    }

    pub async fn create(
        &self,
        id: &str,
        description: &str,
        primary: &str,
        auto_failover: AutoFailover,
    ) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::Create {
            id: id.into(),
            description: description.into(),
            primary: primary.into(),
            auto_failover,
        })
        .await
    }

    pub async fn add_secondary(&self, id: &str, cluster: &str) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::AddSecondary {
            id: id.into(),
            cluster: cluster.into(),
        })
        .await
    }

    pub async fn disassociate(&self, id: &str, cluster: &str) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::Disassociate {
            id: id.into(),
            cluster: cluster.into(),
        })
        .await
    }

    pub async fn modify(
        &self,
        id: &str,
        description: Option<String>,
        auto_failover: Option<AutoFailover>,
    ) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::Modify {
            id: id.into(),
            description,
            auto_failover,
        })
        .await
    }

    pub async fn delete(&self, id: &str) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::Delete { id: id.into() })
            .await
    }

    /// Records a failover of `id` to `to` (forced: `to` may be empty, for the secondary
    /// furthest ahead); the coordination leader carries it out. Answers the datastore with the
    /// failover record.
    pub async fn failover(&self, id: &str, to: &str, force: bool) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::Failover {
            id: id.into(),
            to: to.into(),
            force,
        })
        .await
    }

    /// A secondary's applied position (the newest report wins): seq, lag in ms and in ops,
    /// and whether it holds a full copy.
    pub async fn report_applied_seq(
        &self,
        id: &str,
        cluster: &str,
        epoch: Epoch,
        (seq, lag_ms, lag_seq, synced): (Seq, u64, Seq, bool),
    ) -> Result<(), CoordError> {
        self.write(CoordRequest::ReportAppliedSeq {
            id: id.into(),
            cluster: cluster.into(),
            epoch,
            seq,
            lag_ms,
            lag_seq,
            synced,
        })
        .await
        .map(|_| ())
    }

    /// Asks for a write lease of `length` for the primary `cluster` of `id` at `epoch`. The
    /// caller notes its own monotonic time `t0` *before* calling and treats the lease as valid
    /// until `t0 + granted.length_ms` (the length may be capped by the group). `head_seq` is
    /// the primary's applied seq at `t0`, recorded with the grant.
    pub async fn grant_lease(
        &self,
        id: &str,
        cluster: &str,
        epoch: Epoch,
        length: Duration,
        head_seq: Seq,
    ) -> Result<Lease, CoordError> {
        let call = CoordCall::GrantLease {
            datastore: id.into(),
            cluster: cluster.into(),
            epoch,
            length_ms: length.as_millis() as u64,
            head_seq,
        };
        match self.call(call).await? {
            CoordReply::Outcome(CoordOutcome::Lease(l)) => Ok(l),
            other => Err(unexpected("a lease grant", other)),
        }
    }

    /// Reconciler: `cluster` finished associating (or the primary finished setting up).
    /// Records a step of the failover of `id` to `to` (idempotent).
    pub async fn failover_step(
        &self,
        id: &str,
        to: &str,
        step: FailoverStep,
    ) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::FailoverStep {
            id: id.into(),
            to: to.into(),
            step,
        })
        .await
    }

    pub async fn member_ready(
        &self,
        id: &str,
        cluster: &str,
        epoch: Epoch,
    ) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::MemberReady {
            id: id.into(),
            cluster: cluster.into(),
            epoch,
        })
        .await
    }

    /// Reconciler: the deposed primary `cluster` took its secondary role of `epoch`.
    pub async fn member_rejoined(
        &self,
        id: &str,
        cluster: &str,
        epoch: Epoch,
    ) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::MemberRejoined {
            id: id.into(),
            cluster: cluster.into(),
            epoch,
        })
        .await
    }

    /// A member's runs of discarded writes (all it holds; known runs are kept once).
    pub async fn report_discarded(
        &self,
        id: &str,
        cluster: &str,
        ranges: Vec<DiscardedRange>,
    ) -> Result<(), CoordError> {
        self.write(CoordRequest::ReportDiscarded {
            id: id.into(),
            cluster: cluster.into(),
            ranges,
        })
        .await
        .map(|_| ())
    }

    /// Reconciler: `cluster` finished disassociating.
    pub async fn member_removed(&self, id: &str, cluster: &str) -> Result<Datastore, CoordError> {
        self.write_datastore(CoordRequest::MemberRemoved {
            id: id.into(),
            cluster: cluster.into(),
        })
        .await
    }

    /// Reconciler: the datastore is deleted (its primary is a standalone cluster again).
    pub async fn datastore_deleted(&self, id: &str) -> Result<(), CoordError> {
        self.write(CoordRequest::DatastoreDeleted { id: id.into() })
            .await
            .map(|_| ())
    }
}
