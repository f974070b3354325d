//! The coordination group's vocabulary: the control-plane model (clusters, global datastores,
//! members, leases), the entries of the coordination log, what applying them answers, and the
//! rule violations they can be refused with.
//!
//! The rules themselves live in `meridian-coord` (`ControlPlane::apply`); these types are here
//! because the openraft type config, the storage layer and every client need to agree on them.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::failover::{DiscardedRange, FailoverInProgress, FailoverStep};
use crate::{Epoch, Node, NodeId, Seq};

/// A cluster as the control plane knows it (registered from the deployment config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Cluster name, unique in the deployment.
    pub name: String,
    /// Region label; a cluster lives in exactly one region.
    pub region: String,
    /// The nodes of the cluster's regional group with their addresses.
    pub nodes: BTreeMap<NodeId, Node>,
}

/// Deployment-wide settings the rules depend on, registered with the clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlLimits {
    /// Most secondaries one global datastore may have (`limits.max_secondaries_per_datastore`).
    pub max_secondaries: u64,
}

impl Default for ControlLimits {
    fn default() -> Self {
        ControlLimits { max_secondaries: 4 }
    }
}

/// A member cluster's role in its global datastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Primary,
    Secondary,
}

/// A member's association status (AWS: `associating | associated | disassociating`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    Associating,
    Associated,
    Disassociating,
}

/// A global datastore's status (AWS: `creating | modifying | available | primary-only |
/// deleting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DatastoreStatus {
    Creating,
    Modifying,
    Available,
    PrimaryOnly,
    Deleting,
}

/// Whether the coordination group promotes a secondary by itself when the primary is gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AutoFailover {
    /// Only an operator fails over (AWS behaviour). The default.
    #[default]
    Off,
    /// Forced promotion after the primary has been unreachable this long, in milliseconds.
    After { ms: u64 },
}

/// One cluster of a global datastore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub cluster: String,
    pub region: String,
    pub role: Role,
    pub status: MemberStatus,
    /// Last seq this secondary reported applied (0 for the primary and before any report).
    pub applied_seq: Seq,
    /// Replication lag this secondary last reported, in milliseconds.
    pub lag_ms: u64,
    /// Ops the secondary last reported it was behind the primary.
    pub lag_seq: Seq,
    /// The secondary holds a full copy (its first full sync completed) and follows the stream.
    pub synced: bool,
    /// A primary deposed by a forced failover that has not yet taken its secondary role
    /// (it was unreachable); the reconciler repoints it once it answers.
    pub rejoin_pending: bool,
    /// Runs of its own writes this cluster discarded when it rejoined a newer history.
    pub discarded: Vec<DiscardedRange>,
}

impl Member {
    /// A cluster starting to associate with `role`, with nothing reported yet.
    pub fn associating(cluster: &str, region: &str, role: Role) -> Member {
        Member {
            cluster: cluster.to_string(),
            region: region.to_string(),
            role,
            status: MemberStatus::Associating,
            applied_seq: 0,
            lag_ms: 0,
            lag_seq: 0,
            synced: false,
            rejoin_pending: false,
            discarded: Vec::new(),
        }
    }

    /// Writes this cluster discarded on rejoins, in all.
    pub fn discarded_writes(&self) -> u64 {
        self.discarded.iter().map(DiscardedRange::count).sum()
    }
}

/// A write lease: the right of `cluster` to accept writes for `datastore` at `epoch`.
///
/// `granted_at_ms` is read from the monotonic clock of the coordination leader that granted it
/// (`granted_by` in `term`): it is only comparable with that process's own clock, which is why
/// a new leader waits a whole lease after its election instead (DESIGN §5, rule 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub datastore: String,
    pub cluster: String,
    pub epoch: Epoch,
    /// Length `D` of the lease, in milliseconds.
    pub length_ms: u64,
    /// Grant time on the granting leader's monotonic clock, in milliseconds.
    pub granted_at_ms: u64,
    /// The coordination leader that granted it.
    pub granted_by: NodeId,
    /// That leader's Raft term.
    pub term: u64,
    /// The primary's applied seq when it asked (its writes up to here may be acknowledged;
    /// a forced failover reports the seqs past the target's position up to at least this
    /// one as possibly lost).
    pub head_seq: Seq,
}

/// A global datastore: one primary cluster and its secondaries, each in a region of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Datastore {
    pub id: String,
    pub description: String,
    /// Primary first, then secondaries in the order they were added.
    pub members: Vec<Member>,
    /// Name of the primary cluster.
    pub primary: String,
    /// Issued at creation and at every change of primary from one deployment-wide counter
    /// (`ControlPlane::last_epoch`): never reused, not even by another datastore.
    pub epoch: Epoch,
    pub status: DatastoreStatus,
    pub auto_failover: AutoFailover,
    /// Boxed: rarely present, and it would make every datastore value large.
    pub failover: Option<Box<FailoverInProgress>>,
    /// The newest lease granted to the primary.
    pub lease: Option<Lease>,
}

impl Datastore {
    pub fn member(&self, cluster: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.cluster == cluster)
    }

    pub fn secondaries(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.role == Role::Secondary)
    }

    /// A member is joining or leaving, the datastore is being created, modified or deleted,
    /// or a failover runs: another change must wait.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.status,
            DatastoreStatus::Creating | DatastoreStatus::Modifying | DatastoreStatus::Deleting
        ) || self.failover.as_ref().is_some_and(|f| f.under_way())
            || self
                .members
                .iter()
                .any(|m| m.status != MemberStatus::Associated)
    }
}

/// An entry of the coordination log (the application data of the coordination group).
///
/// Operator requests (`Create` … `Failover`) mirror AWS's Global Datastore API; the rest are
/// reported by clusters (`ReportAppliedSeq`, `GrantLease`) or driven by the reconciler that
/// carries out a change (`MemberReady`, `MemberRemoved`, `DatastoreDeleted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CoordRequest {
    /// Registers (or updates) clusters and the deployment limits. Idempotent.
    RegisterClusters {
        clusters: Vec<ClusterInfo>,
        limits: ControlLimits,
    },
    /// Creates a global datastore around an existing cluster, its primary.
    Create {
        id: String,
        description: String,
        primary: String,
        auto_failover: AutoFailover,
    },
    /// Associates a cluster as a new secondary (its data is wiped and fully synced).
    AddSecondary { id: String, cluster: String },
    /// Starts removing a secondary; it becomes a standalone cluster again.
    Disassociate { id: String, cluster: String },
    /// Changes the description and/or the auto-failover policy (`None`: unchanged).
    Modify {
        id: String,
        description: Option<String>,
        auto_failover: Option<AutoFailover>,
    },
    /// Starts deleting a datastore that has no secondaries left.
    Delete { id: String },
    /// Promotes `to` (planned, or forced when the primary is unreachable). A forced failover
    /// may leave `to` empty: the secondary found furthest ahead is promoted.
    Failover { id: String, to: String, force: bool },
    /// The coordination leader carried out a step of the failover of `id` to `to`.
    FailoverStep {
        id: String,
        to: String,
        step: FailoverStep,
    },
    /// A secondary's applied position.
    ReportAppliedSeq {
        id: String,
        cluster: String,
        epoch: Epoch,
        seq: Seq,
        lag_ms: u64,
        lag_seq: Seq,
        synced: bool,
    },
    /// Records a lease the leader decided to grant (after confirming its leadership).
    GrantLease(Lease),
    /// Every run of writes a member discarded when it rejoined newer histories, sent once it
    /// follows the current epoch's history (known runs are kept once).
    ReportDiscarded {
        id: String,
        cluster: String,
        ranges: Vec<DiscardedRange>,
    },
    /// The reconciler recorded the secondary role of `epoch` in a deposed primary.
    MemberRejoined {
        id: String,
        cluster: String,
        epoch: Epoch,
    },
    /// The reconciler finished associating `cluster` (or setting up the primary) at `epoch`.
    MemberReady {
        id: String,
        cluster: String,
        epoch: Epoch,
    },
    /// The reconciler finished disassociating `cluster`.
    MemberRemoved { id: String, cluster: String },
    /// The reconciler finished deleting the datastore.
    DatastoreDeleted { id: String },
}

impl CoordRequest {
    /// The datastore the request is about, if any.
    pub fn datastore(&self) -> Option<&str> {
        match self {
            CoordRequest::RegisterClusters { .. } => None,
            CoordRequest::GrantLease(l) => Some(&l.datastore),
            CoordRequest::Create { id, .. }
            | CoordRequest::AddSecondary { id, .. }
            | CoordRequest::Disassociate { id, .. }
            | CoordRequest::Modify { id, .. }
            | CoordRequest::Delete { id }
            | CoordRequest::Failover { id, .. }
            | CoordRequest::FailoverStep { id, .. }
            | CoordRequest::ReportAppliedSeq { id, .. }
            | CoordRequest::ReportDiscarded { id, .. }
            | CoordRequest::MemberRejoined { id, .. }
            | CoordRequest::MemberReady { id, .. }
            | CoordRequest::MemberRemoved { id, .. }
            | CoordRequest::DatastoreDeleted { id } => Some(id),
        }
    }
}

/// What an applied request changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoordOutcome {
    /// Nothing to show (registrations, seq reports, blank and membership entries).
    #[default]
    Nothing,
    /// The datastore as it is after the change.
    Datastore(Datastore),
    /// The datastore is gone.
    Deleted { id: String },
    /// The lease that was recorded.
    Lease(Lease),
}

/// What applying one [`CoordRequest`] produced: the outcome, or the rule it broke (in which
/// case it changed nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordResponse {
    pub result: Result<CoordOutcome, ControlError>,
}

impl Default for CoordResponse {
    fn default() -> Self {
        CoordResponse {
            result: Ok(CoordOutcome::Nothing),
        }
    }
}

/// A control-plane request that broke a rule. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ControlError {
    #[error("no global datastore {id:?} exists; `meridian global describe` lists them")]
    UnknownDatastore { id: String },
    #[error("a global datastore {id:?} already exists; pick another id or delete it first")]
    DuplicateDatastore { id: String },
    #[error("no cluster {name:?} is registered; check the cluster names in the deployment config")]
    UnknownCluster { name: String },
    #[error("cluster {cluster:?} already belongs to global datastore {datastore:?}; disassociate it there first")]
    ClusterInUse { cluster: String, datastore: String },
    #[error("cluster {cluster:?} is in region {region}, which member {other:?} of {id:?} already uses; each member needs a region of its own")]
    SameRegion {
        id: String,
        cluster: String,
        region: String,
        other: String,
    },
    #[error("global datastore {id:?} already has {limit} secondaries, the most allowed (limits.max_secondaries_per_datastore)")]
    TooManySecondaries { id: String, limit: u64 },
    #[error("global datastore {id:?} is busy ({what}); wait until `describe` shows it available or primary-only and retry")]
    ModificationInProgress { id: String, what: String },
    #[error("global datastore {id:?} still has secondaries {secondaries:?}; disassociate them before deleting it")]
    SecondariesRemain {
        id: String,
        secondaries: Vec<String>,
    },
    #[error("cluster {cluster:?} is the primary of {id:?} and cannot be disassociated; fail over to another cluster or delete the datastore")]
    CannotDisassociatePrimary { id: String, cluster: String },
    #[error("cluster {cluster:?} is not a member of global datastore {id:?}")]
    NotAMember { id: String, cluster: String },
    #[error("cluster {cluster:?} is already the primary of {id:?}")]
    AlreadyPrimary { id: String, cluster: String },
    #[error("cluster {cluster:?} of {id:?} is {status}; {needed}")]
    WrongMemberStatus {
        id: String,
        cluster: String,
        status: String,
        needed: String,
    },
    #[error("global datastore {id:?} is {status}; {needed}")]
    WrongDatastoreStatus {
        id: String,
        status: String,
        needed: String,
    },
    #[error("epoch {given} of {id:?} is stale or unknown: the current epoch is {current}")]
    StaleEpoch {
        id: String,
        given: Epoch,
        current: Epoch,
    },
    #[error("cluster {cluster:?} is not the primary of {id:?} (the primary is {primary:?}); no lease granted")]
    NotPrimary {
        id: String,
        cluster: String,
        primary: String,
    },
    #[error("a failover of {id:?} to {to:?} is draining the primary; no lease granted")]
    FailoverDraining { id: String, to: String },
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidArgument {
        field: String,
        value: String,
        reason: String,
    },
    #[error("cluster {cluster:?} was registered in region {registered}, not {requested}, and is a member of {datastore:?}; a member cannot change region")]
    RegionChange {
        cluster: String,
        registered: String,
        requested: String,
        datastore: String,
    },
    #[error("the failover of {id:?} is {phase}; step {step} does not apply to it")]
    FailoverStepOutOfOrder {
        id: String,
        step: String,
        phase: String,
    },
    #[error("the primary of {id:?} may still hold its lease; a forced promotion must wait {wait_ms} ms more")]
    PromotionTooEarly { id: String, wait_ms: u64 },
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        })
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemberStatus::Associating => "associating",
            MemberStatus::Associated => "associated",
            MemberStatus::Disassociating => "disassociating",
        })
    }
}

impl fmt::Display for DatastoreStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatastoreStatus::Creating => "creating",
            DatastoreStatus::Modifying => "modifying",
            DatastoreStatus::Available => "available",
            DatastoreStatus::PrimaryOnly => "primary-only",
            DatastoreStatus::Deleting => "deleting",
        })
    }
}

impl fmt::Display for AutoFailover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutoFailover::Off => f.write_str("off"),
            AutoFailover::After { ms } => write!(f, "after {ms}ms"),
        }
    }
}

openraft::declare_raft_types!(
    /// openraft configuration of the coordination group.
    pub CoordTypeConfig:
        D = CoordRequest,
        R = CoordResponse,
        NodeId = NodeId,
        Node = Node,
        SnapshotData = Cursor<Vec<u8>>,
);

/// The coordination group's Raft handle.
pub type CoordRaft = openraft::Raft<CoordTypeConfig>;
