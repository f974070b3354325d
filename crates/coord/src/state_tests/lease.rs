//! Lease grants: only the primary at the current epoch, never while a failover drains it.

use super::*;

#[test]
fn leases_only_for_the_primary_at_the_current_epoch() {
    let mut cp = available(&["euw1"]);
    assert!(matches!(
        refused(&mut cp, lease("g", "euw1", 1)),
        ControlError::NotPrimary { ref primary, .. } if primary == "use1"
    ));
    for epoch in [0, 2] {
        assert!(matches!(
            refused(&mut cp, lease("g", "use1", epoch)),
            ControlError::StaleEpoch { current: 1, .. }
        ));
    }
    assert!(matches!(
        refused(&mut cp, lease("g", "aps1", 1)),
        ControlError::NotAMember { .. }
    ));
    let mut zero = Lease {
        datastore: "g".into(),
        cluster: "use1".into(),
        epoch: 1,
        length_ms: 0,
        granted_at_ms: 1,
        granted_by: 1,
        term: 1,
        head_seq: 0,
    };
    assert!(matches!(
        refused(&mut cp, CoordRequest::GrantLease(zero.clone())),
        ControlError::InvalidArgument { .. }
    ));
    zero.length_ms = 100;
    assert!(matches!(
        ok(&mut cp, CoordRequest::GrantLease(zero.clone())),
        CoordOutcome::Lease(ref l) if l == &zero
    ));
    // a failover draining the primary stops grants
    cp.datastores.get_mut("g").expect("g").failover = requested_failover();
    assert!(matches!(
        refused(&mut cp, lease("g", "use1", 1)),
        ControlError::FailoverDraining { .. }
    ));
}
