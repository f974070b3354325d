//! Requests the control plane refuses: unknown or duplicate ids, clusters that are unknown,
//! taken or in a taken region, too many secondaries, a second modification at once.

use super::*;

#[test]
fn unknown_datastore_is_refused_by_every_operation() {
    let mut cp = available(&["euw1"]);
    let reqs = [
        add("nope", "aps1"),
        disassociate("nope", "euw1"),
        CoordRequest::Modify {
            id: "nope".into(),
            description: Some("x".into()),
            auto_failover: None,
        },
        CoordRequest::Delete { id: "nope".into() },
        CoordRequest::Failover {
            id: "nope".into(),
            to: "euw1".into(),
            force: false,
        },
        CoordRequest::ReportAppliedSeq {
            id: "nope".into(),
            cluster: "euw1".into(),
            epoch: 1,
            seq: 1,
            lag_ms: 0,
            lag_seq: 0,
            synced: false,
        },
        lease("nope", "use1", 1),
        ready("nope", "use1", 1),
        removed("nope", "euw1"),
        CoordRequest::DatastoreDeleted { id: "nope".into() },
    ];
    for r in reqs {
        assert!(
            matches!(refused(&mut cp, r.clone()), ControlError::UnknownDatastore { ref id } if id == "nope"),
            "{r:?}"
        );
    }
}

#[test]
fn duplicate_and_malformed_ids_are_refused() {
    let mut cp = available(&[]);
    assert!(matches!(
        refused(&mut cp, create("g", "euw1")),
        ControlError::DuplicateDatastore { .. }
    ));
    for bad in ["", "Upper", "has space", &"x".repeat(33)] {
        assert!(matches!(
            refused(&mut cp, create(bad, "euw1")),
            ControlError::InvalidArgument { .. }
        ));
    }
    let long = CoordRequest::Create {
        id: "h".into(),
        description: "d".repeat(2000),
        primary: "euw1".into(),
        auto_failover: AutoFailover::Off,
    };
    assert!(matches!(
        refused(&mut cp, long),
        ControlError::InvalidArgument { .. }
    ));
    let zero = CoordRequest::Create {
        id: "h".into(),
        description: String::new(),
        primary: "euw1".into(),
        auto_failover: AutoFailover::After { ms: 0 },
    };
    assert!(matches!(
        refused(&mut cp, zero),
        ControlError::InvalidArgument { .. }
    ));
}

#[test]
fn unknown_clusters_are_refused() {
    let mut cp = available(&[]);
    assert!(matches!(
        refused(&mut cp, create("h", "ghost")),
        ControlError::UnknownCluster { .. }
    ));
    assert!(matches!(
        refused(&mut cp, add("g", "ghost")),
        ControlError::UnknownCluster { .. }
    ));
}

#[test]
fn a_cluster_belongs_to_one_datastore_only() {
    let mut cp = available(&["euw1"]);
    // primary of another datastore, secondary of another, or already a member here
    assert!(matches!(
        refused(&mut cp, create("h", "use1")),
        ControlError::ClusterInUse { .. }
    ));
    assert!(matches!(
        refused(&mut cp, create("h", "euw1")),
        ControlError::ClusterInUse { .. }
    ));
    assert!(matches!(
        refused(&mut cp, add("g", "euw1")),
        ControlError::ClusterInUse { .. }
    ));
    ok(&mut cp, create("h", "usw2"));
    ok(&mut cp, ready("h", "usw2", 2));
    assert!(matches!(
        refused(&mut cp, add("h", "use1")),
        ControlError::ClusterInUse { ref datastore, .. } if datastore == "g"
    ));
}

#[test]
fn each_member_needs_a_region_of_its_own() {
    let mut cp = available(&["euw1"]);
    // same region as the primary
    assert!(matches!(
        refused(&mut cp, add("g", "use2")),
        ControlError::SameRegion { ref other, .. } if other == "use1"
    ));
    // same region as another secondary
    let mut cp2 = plane();
    ok(&mut cp2, create("g", "euw1"));
    ok(&mut cp2, ready("g", "euw1", 1));
    ok(&mut cp2, add("g", "use1"));
    ok(&mut cp2, ready("g", "use1", 1));
    assert!(matches!(
        refused(&mut cp2, add("g", "use2")),
        ControlError::SameRegion { ref other, .. } if other == "use1"
    ));
}

#[test]
fn secondaries_are_limited() {
    let mut cp = ControlPlane::default();
    ok(&mut cp, register(2));
    ok(&mut cp, create("g", "use1"));
    ok(&mut cp, ready("g", "use1", 1));
    for s in ["euw1", "aps1"] {
        ok(&mut cp, add("g", s));
        ok(&mut cp, ready("g", s, 1));
    }
    assert!(matches!(
        refused(&mut cp, add("g", "usw2")),
        ControlError::TooManySecondaries { limit: 2, .. }
    ));
    // the default limit is 4
    let mut cp = available(&["euw1", "aps1", "usw2", "sae1"]);
    assert!(matches!(
        refused(&mut cp, add("g", "cac1")),
        ControlError::TooManySecondaries { limit: 4, .. }
    ));
}

#[test]
fn one_modification_at_a_time() {
    let modify = CoordRequest::Modify {
        id: "g".into(),
        description: Some("x".into()),
        auto_failover: None,
    };
    // creating
    let mut cp = plane();
    ok(&mut cp, create("g", "use1"));
    for r in [
        add("g", "euw1"),
        modify.clone(),
        CoordRequest::Delete { id: "g".into() },
    ] {
        assert!(matches!(
            refused(&mut cp, r),
            ControlError::ModificationInProgress { .. }
        ));
    }
    // a secondary associating
    let mut cp = available(&["euw1"]);
    ok(&mut cp, add("g", "aps1"));
    for r in [add("g", "usw2"), disassociate("g", "euw1"), modify.clone()] {
        assert!(matches!(
            refused(&mut cp, r),
            ControlError::ModificationInProgress { ref what, .. } if what.contains("aps1")
        ));
    }
    // a secondary disassociating
    let mut cp = available(&["euw1", "aps1"]);
    ok(&mut cp, disassociate("g", "aps1"));
    for r in [add("g", "usw2"), disassociate("g", "euw1"), modify.clone()] {
        assert!(matches!(
            refused(&mut cp, r),
            ControlError::ModificationInProgress { .. }
        ));
    }
    // failover is excepted from the rule: it is recorded
    ok(
        &mut cp,
        CoordRequest::Failover {
            id: "g".into(),
            to: "euw1".into(),
            force: false,
        },
    );
    // deleting
    let mut cp = available(&[]);
    ok(&mut cp, CoordRequest::Delete { id: "g".into() });
    for r in [
        modify,
        CoordRequest::Delete { id: "g".into() },
        add("g", "euw1"),
    ] {
        assert!(matches!(
            refused(&mut cp, r),
            ControlError::ModificationInProgress { .. }
        ));
    }
    // a failover under way (recorded by the failover work) blocks changes too
    let mut cp = available(&["euw1"]);
    cp.datastores.get_mut("g").expect("g").failover = requested_failover();
    assert!(matches!(
        refused(&mut cp, add("g", "aps1")),
        ControlError::ModificationInProgress { .. }
    ));
}
