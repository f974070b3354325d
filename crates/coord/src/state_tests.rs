//! Every control-plane rule at the state-machine level: each violation returns its error and
//! leaves the state byte-identical.

use std::collections::BTreeMap;

use meridian_types::{
    AutoFailover, ClusterInfo, ControlError, ControlLimits, CoordOutcome, CoordRequest, Datastore,
    DatastoreStatus, FailoverInProgress, Lease, MemberStatus, Node, Role,
};

use crate::ControlPlane;

mod failover;
mod lease;
mod refusals;

const CLUSTERS: &[(&str, &str)] = &[
    ("use1", "us-east-1"),
    ("use2", "us-east-1"),
    ("euw1", "eu-west-1"),
    ("aps1", "ap-south-1"),
    ("usw2", "us-west-2"),
    ("sae1", "sa-east-1"),
    ("cac1", "ca-central-1"),
];

fn register(max_secondaries: u64) -> CoordRequest {
    let clusters = CLUSTERS
        .iter()
        .enumerate()
        .map(|(i, (name, region))| ClusterInfo {
            name: name.to_string(),
            region: region.to_string(),
            nodes: BTreeMap::from([(
                i as u64 + 1,
                Node {
                    grpc_addr: format!("127.0.0.1:{}", 7400 + i),
                    resp_addr: format!("127.0.0.1:{}", 6400 + i),
                },
            )]),
        })
        .collect();
    CoordRequest::RegisterClusters {
        clusters,
        limits: ControlLimits { max_secondaries },
    }
}

fn plane() -> ControlPlane {
    let mut cp = ControlPlane::default();
    ok(&mut cp, register(4));
    cp
}

fn ok(cp: &mut ControlPlane, req: CoordRequest) -> CoordOutcome {
    match cp.apply(&req) {
        Ok(o) => o,
        Err(e) => panic!("{req:?} was refused: {e}"),
    }
}

/// Applies `req`, expects it refused, and checks that the state did not change at all.
fn refused(cp: &mut ControlPlane, req: CoordRequest) -> ControlError {
    let before = bincode::serialize(cp).expect("encode state");
    let err = match cp.apply(&req) {
        Ok(o) => panic!("{req:?} was accepted: {o:?}"),
        Err(e) => e,
    };
    let after = bincode::serialize(cp).expect("encode state");
    assert_eq!(before, after, "{req:?} changed the state although refused");
    assert!(!err.to_string().is_empty());
    err
}

fn create(id: &str, primary: &str) -> CoordRequest {
    CoordRequest::Create {
        id: id.into(),
        description: format!("{id} datastore"),
        primary: primary.into(),
        auto_failover: AutoFailover::Off,
    }
}

fn add(id: &str, cluster: &str) -> CoordRequest {
    CoordRequest::AddSecondary {
        id: id.into(),
        cluster: cluster.into(),
    }
}

fn ready(id: &str, cluster: &str, epoch: u64) -> CoordRequest {
    CoordRequest::MemberReady {
        id: id.into(),
        cluster: cluster.into(),
        epoch,
    }
}

fn disassociate(id: &str, cluster: &str) -> CoordRequest {
    CoordRequest::Disassociate {
        id: id.into(),
        cluster: cluster.into(),
    }
}

fn removed(id: &str, cluster: &str) -> CoordRequest {
    CoordRequest::MemberRemoved {
        id: id.into(),
        cluster: cluster.into(),
    }
}

fn lease(id: &str, cluster: &str, epoch: u64) -> CoordRequest {
    CoordRequest::GrantLease(Lease {
        datastore: id.into(),
        cluster: cluster.into(),
        epoch,
        length_ms: 4000,
        granted_at_ms: 10,
        granted_by: 1,
        term: 1,
        head_seq: 0,
    })
}

/// A secondary of `g` reporting its applied `seq` at `epoch`.
fn report(cluster: &str, epoch: u64, seq: u64) -> CoordRequest {
    CoordRequest::ReportAppliedSeq {
        id: "g".into(),
        cluster: cluster.into(),
        epoch,
        seq,
        lag_ms: 3,
        lag_seq: 0,
        synced: true,
    }
}

fn ds<'a>(cp: &'a ControlPlane, id: &str) -> &'a Datastore {
    cp.datastore(id).expect("datastore exists")
}

/// A failover of `g` to euw1 just recorded (phase `requested`).
fn requested_failover() -> Option<Box<FailoverInProgress>> {
    Some(Box::new(FailoverInProgress {
        to: "euw1".into(),
        force: false,
        from: "use1".into(),
        phase: meridian_types::FailoverPhase::Requested,
        final_seq: None,
        new_epoch: None,
        loss: None,
    }))
}

/// A datastore `g` with primary use1 and associated secondaries `secondaries`.
fn available(secondaries: &[&str]) -> ControlPlane {
    let mut cp = plane();
    ok(&mut cp, create("g", "use1"));
    ok(&mut cp, ready("g", "use1", 1));
    for s in secondaries {
        ok(&mut cp, add("g", s));
        ok(&mut cp, ready("g", s, 1));
    }
    cp
}

#[test]
fn lifecycle_walks_through_the_aws_states() {
    let mut cp = plane();
    // phase: create → creating, primary associating, epoch 1
    ok(&mut cp, create("g", "use1"));
    let g = ds(&cp, "g");
    assert_eq!(
        (g.status, g.epoch, g.primary.as_str()),
        (DatastoreStatus::Creating, 1, "use1")
    );
    assert_eq!(
        (g.members[0].role, g.members[0].status),
        (Role::Primary, MemberStatus::Associating)
    );
    // phase: primary ready → primary-only
    ok(&mut cp, ready("g", "use1", 1));
    assert_eq!(ds(&cp, "g").status, DatastoreStatus::PrimaryOnly);
    // phase: add two secondaries, one at a time
    for s in ["euw1", "aps1"] {
        ok(&mut cp, add("g", s));
        let g = ds(&cp, "g");
        assert_eq!(g.status, DatastoreStatus::Modifying);
        assert_eq!(
            g.member(s).map(|m| m.status),
            Some(MemberStatus::Associating)
        );
        ok(&mut cp, ready("g", s, 1));
        assert_eq!(ds(&cp, "g").status, DatastoreStatus::Available);
    }
    // phase: modify description and policy (instant)
    ok(
        &mut cp,
        CoordRequest::Modify {
            id: "g".into(),
            description: Some("new".into()),
            auto_failover: Some(AutoFailover::After { ms: 30_000 }),
        },
    );
    let g = ds(&cp, "g");
    assert_eq!(
        (g.description.as_str(), g.auto_failover, g.status),
        (
            "new",
            AutoFailover::After { ms: 30_000 },
            DatastoreStatus::Available
        )
    );
    // phase: reports and leases
    ok(&mut cp, report("euw1", 1, 42));
    assert_eq!(ds(&cp, "g").member("euw1").map(|m| m.applied_seq), Some(42));
    ok(&mut cp, lease("g", "use1", 1));
    assert_eq!(ds(&cp, "g").lease.as_ref().map(|l| l.length_ms), Some(4000));
    // phase: disassociate both secondaries
    for (s, left) in [
        ("euw1", DatastoreStatus::Available),
        ("aps1", DatastoreStatus::PrimaryOnly),
    ] {
        ok(&mut cp, disassociate("g", s));
        assert_eq!(ds(&cp, "g").status, DatastoreStatus::Modifying);
        assert_eq!(
            ds(&cp, "g").member(s).map(|m| m.status),
            Some(MemberStatus::Disassociating)
        );
        ok(&mut cp, removed("g", s));
        assert!(ds(&cp, "g").member(s).is_none());
        assert_eq!(ds(&cp, "g").status, left);
        assert!(cp.datastore_of(s).is_none(), "{s} is standalone again");
    }
    // phase: delete
    ok(&mut cp, CoordRequest::Delete { id: "g".into() });
    assert_eq!(ds(&cp, "g").status, DatastoreStatus::Deleting);
    assert_eq!(
        ok(&mut cp, CoordRequest::DatastoreDeleted { id: "g".into() }),
        CoordOutcome::Deleted { id: "g".into() }
    );
    assert!(cp.datastores.is_empty());
    // phase: the primary is free for a new datastore
    ok(&mut cp, create("g2", "use1"));
}

#[test]
fn delete_needs_no_secondaries_and_the_primary_stays() {
    let mut cp = available(&["euw1"]);
    assert!(matches!(
        refused(&mut cp, CoordRequest::Delete { id: "g".into() }),
        ControlError::SecondariesRemain { ref secondaries, .. } if secondaries == &["euw1"]
    ));
    assert!(matches!(
        refused(&mut cp, disassociate("g", "use1")),
        ControlError::CannotDisassociatePrimary { .. }
    ));
    assert!(matches!(
        refused(&mut cp, disassociate("g", "aps1")),
        ControlError::NotAMember { .. }
    ));
    assert!(matches!(
        refused(&mut cp, CoordRequest::DatastoreDeleted { id: "g".into() }),
        ControlError::WrongDatastoreStatus { .. }
    ));
}

#[test]
fn reports_and_reconciler_transitions_are_checked() {
    let mut cp = available(&["euw1"]);
    assert!(matches!(
        refused(&mut cp, report("use1", 1, 5)),
        ControlError::InvalidArgument { .. }
    ));
    assert!(matches!(
        refused(&mut cp, report("euw1", 2, 5)),
        ControlError::StaleEpoch { .. }
    ));
    ok(&mut cp, report("euw1", 1, 9));
    ok(&mut cp, report("euw1", 1, 4));
    assert_eq!(ds(&cp, "g").member("euw1").map(|m| m.applied_seq), Some(9));

    // MemberReady: stale epoch refused; already associated is a no-op; disassociating refused
    ok(&mut cp, add("g", "aps1"));
    assert!(matches!(
        refused(&mut cp, ready("g", "aps1", 2)),
        ControlError::StaleEpoch { .. }
    ));
    let before = cp.clone();
    ok(&mut cp, ready("g", "euw1", 1));
    assert_eq!(cp, before);
    ok(&mut cp, ready("g", "aps1", 1));
    ok(&mut cp, disassociate("g", "aps1"));
    assert!(matches!(
        refused(&mut cp, ready("g", "aps1", 1)),
        ControlError::WrongMemberStatus { .. }
    ));
    // MemberRemoved: only a disassociating secondary; twice is a no-op
    assert!(matches!(
        refused(&mut cp, removed("g", "euw1")),
        ControlError::WrongMemberStatus { .. }
    ));
    assert!(matches!(
        refused(&mut cp, removed("g", "use1")),
        ControlError::WrongMemberStatus { .. }
    ));
    ok(&mut cp, removed("g", "aps1"));
    let before = cp.clone();
    ok(&mut cp, removed("g", "aps1"));
    assert_eq!(cp, before);
}

#[test]
fn registration_is_idempotent_and_members_keep_their_region() {
    let mut cp = available(&["euw1"]);
    let before = cp.clone();
    ok(&mut cp, register(4));
    assert_eq!(cp, before);
    let moved = CoordRequest::RegisterClusters {
        clusters: vec![ClusterInfo {
            name: "euw1".into(),
            region: "eu-north-1".into(),
            nodes: BTreeMap::new(),
        }],
        limits: ControlLimits::default(),
    };
    assert!(matches!(
        refused(&mut cp, moved),
        ControlError::RegionChange { .. }
    ));
    let bad = CoordRequest::RegisterClusters {
        clusters: vec![ClusterInfo {
            name: "Bad Name".into(),
            region: "r".into(),
            nodes: BTreeMap::new(),
        }],
        limits: ControlLimits::default(),
    };
    assert!(matches!(
        refused(&mut cp, bad),
        ControlError::InvalidArgument { .. }
    ));
}

#[test]
fn modify_needs_something_valid_to_change() {
    let mut cp = available(&[]);
    let nothing = CoordRequest::Modify {
        id: "g".into(),
        description: None,
        auto_failover: None,
    };
    assert!(matches!(
        refused(&mut cp, nothing),
        ControlError::InvalidArgument { .. }
    ));
    let bad = CoordRequest::Modify {
        id: "g".into(),
        description: Some("line\nbreak".into()),
        auto_failover: None,
    };
    assert!(matches!(
        refused(&mut cp, bad),
        ControlError::InvalidArgument { .. }
    ));
}

#[test]
fn state_round_trips_through_the_snapshot_codec() {
    let mut cp = available(&["euw1", "aps1"]);
    ok(&mut cp, lease("g", "use1", 1));
    let bytes = bincode::serialize(&cp).expect("encode");
    let back: ControlPlane = bincode::deserialize(&bytes).expect("decode");
    assert_eq!(back, cp);
}
