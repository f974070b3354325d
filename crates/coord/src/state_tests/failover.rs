//! Failover requests and the phases of a planned failover.

use meridian_types::{FailoverPhase, FailoverStep};

use super::*;

fn fo(to: &str, force: bool) -> CoordRequest {
    CoordRequest::Failover {
        id: "g".into(),
        to: to.into(),
        force,
    }
}

fn step(to: &str, step: FailoverStep) -> CoordRequest {
    CoordRequest::FailoverStep {
        id: "g".into(),
        to: to.into(),
        step,
    }
}

fn phase(cp: &ControlPlane) -> FailoverPhase {
    cp.datastores["g"]
        .failover
        .as_ref()
        .map(|f| f.phase.clone())
        .expect("a failover is recorded")
}

#[test]
fn failover_requests_are_validated() {
    let mut cp = available(&["euw1"]);
    ok(&mut cp, add("g", "aps1"));
    assert!(matches!(
        refused(&mut cp, fo("use1", false)),
        ControlError::AlreadyPrimary { .. }
    ));
    assert!(matches!(
        refused(&mut cp, fo("usw2", false)),
        ControlError::NotAMember { .. }
    ));
    assert!(matches!(
        refused(&mut cp, fo("aps1", true)),
        ControlError::WrongMemberStatus { .. }
    ));
    let mut creating = plane();
    ok(&mut creating, create("g", "use1"));
    assert!(matches!(
        refused(&mut creating, fo("euw1", false)),
        ControlError::WrongDatastoreStatus { .. }
    ));
}

#[test]
fn a_planned_failover_moves_through_its_phases_and_bumps_the_epoch_once() {
    let mut cp = available(&["euw1", "aps1"]);
    ok(&mut cp, report("euw1", 1, 5));
    ok(&mut cp, fo("euw1", false));
    assert_eq!(phase(&cp), FailoverPhase::Requested);
    // The same request again is harmless; another target is refused; so is any other change.
    let before = cp.clone();
    ok(&mut cp, fo("euw1", false));
    assert_eq!(cp, before);
    assert!(matches!(
        refused(&mut cp, fo("aps1", false)),
        ControlError::ModificationInProgress { .. }
    ));
    assert!(matches!(
        refused(&mut cp, fo("use1", false)),
        ControlError::ModificationInProgress { .. }
    ));
    // The old primary gets no lease from now on.
    assert!(matches!(
        refused(&mut cp, lease("g", "use1", 1)),
        ControlError::FailoverDraining { .. }
    ));
    // Steps out of order are refused and change nothing.
    assert!(matches!(
        refused(&mut cp, step("euw1", FailoverStep::Promote)),
        ControlError::FailoverStepOutOfOrder { .. }
    ));
    for s in [
        FailoverStep::Drained { final_seq: 42 },
        FailoverStep::CaughtUp,
        FailoverStep::Promote,
    ] {
        ok(&mut cp, step("euw1", s.clone()));
        // Each step again (a leader unsure it committed) changes nothing.
        let before = cp.clone();
        ok(&mut cp, step("euw1", s));
        assert_eq!(cp, before);
    }
    let ds = &cp.datastores["g"];
    assert_eq!((ds.primary.as_str(), ds.epoch), ("euw1", 2));
    assert_eq!(ds.members[0].cluster, "euw1", "the primary is listed first");
    assert_eq!(
        ds.members[0].applied_seq, 0,
        "a primary reports no position"
    );
    assert_eq!(ds.member("use1").map(|m| m.role), Some(Role::Secondary));
    let f = ds.failover.as_ref().expect("recorded");
    assert_eq!((f.final_seq, f.new_epoch), (Some(42), Some(2)));
    // The new primary gets leases at the new epoch; the old one at neither.
    ok(&mut cp, lease("g", "euw1", 2));
    assert!(matches!(
        refused(&mut cp, lease("g", "use1", 2)),
        ControlError::NotPrimary { .. }
    ));
    assert!(matches!(
        refused(
            &mut cp,
            step(
                "euw1",
                FailoverStep::Abort {
                    reason: "late".into()
                }
            )
        ),
        ControlError::FailoverStepOutOfOrder { .. }
    ));
    ok(
        &mut cp,
        step("euw1", FailoverStep::TargetPrimary { base_seq: 42 }),
    );
    ok(&mut cp, step("euw1", FailoverStep::Repointed));
    assert_eq!(phase(&cp), FailoverPhase::Done);
    // Done: the record stays (describe shows the outcome) and the datastore is free again.
    ok(&mut cp, add("g", "usw2"));
}

#[test]
fn an_aborted_failover_keeps_the_primary_and_its_epoch() {
    let mut cp = available(&["euw1"]);
    ok(&mut cp, fo("euw1", false));
    ok(
        &mut cp,
        step("euw1", FailoverStep::Drained { final_seq: 7 }),
    );
    let abort = FailoverStep::Abort {
        reason: "euw1 did not catch up".into(),
    };
    ok(&mut cp, step("euw1", abort));
    assert!(matches!(phase(&cp), FailoverPhase::Aborting { .. }));
    // Until the drain is lifted the old primary still gets no lease.
    assert!(matches!(
        refused(&mut cp, lease("g", "use1", 1)),
        ControlError::FailoverDraining { .. }
    ));
    ok(&mut cp, step("euw1", FailoverStep::DrainLifted));
    assert!(matches!(phase(&cp), FailoverPhase::Aborted { .. }));
    let ds = &cp.datastores["g"];
    assert_eq!((ds.primary.as_str(), ds.epoch), ("use1", 1));
    ok(&mut cp, lease("g", "use1", 1));
    // A new failover may start.
    ok(&mut cp, fo("euw1", false));
}

/// `g` with primary use1, secondaries euw1 and aps1, and a lease use1 holds reporting head 90.
fn leased() -> ControlPlane {
    let mut cp = available(&["euw1", "aps1"]);
    let mut l = match lease("g", "use1", 1) {
        CoordRequest::GrantLease(l) => l,
        _ => unreachable!(),
    };
    l.head_seq = 90;
    ok(&mut cp, CoordRequest::GrantLease(l));
    cp
}

#[test]
fn a_forced_failover_promotes_records_the_loss_range_and_leaves_the_old_primary_to_rejoin() {
    let mut cp = leased();
    ok(&mut cp, fo("", true));
    assert_eq!(phase(&cp), FailoverPhase::Requested);
    // No lease for the old primary from the request on; no planned step applies.
    assert!(matches!(
        refused(&mut cp, lease("g", "use1", 1)),
        ControlError::FailoverDraining { .. }
    ));
    assert!(matches!(
        refused(&mut cp, step("", FailoverStep::Drained { final_seq: 1 })),
        ControlError::FailoverStepOutOfOrder { .. }
    ));
    // The target chosen must be a promotable member.
    assert!(matches!(
        refused(
            &mut cp,
            step("", FailoverStep::ForcedPromote { to: "use1".into() })
        ),
        ControlError::AlreadyPrimary { .. }
    ));
    let promote = step("", FailoverStep::ForcedPromote { to: "aps1".into() });
    ok(&mut cp, promote.clone());
    let again = cp.clone();
    ok(&mut cp, promote);
    ok(
        &mut cp,
        step("aps1", FailoverStep::ForcedPromote { to: "aps1".into() }),
    );
    assert_eq!(cp, again, "a repeated promotion changes nothing");
    let ds = &cp.datastores["g"];
    assert_eq!((ds.primary.as_str(), ds.epoch), ("aps1", 2));
    let old = ds.member("use1").expect("member");
    assert!(old.rejoin_pending && old.role == Role::Secondary);
    ok(
        &mut cp,
        step("aps1", FailoverStep::TargetPrimary { base_seq: 80 }),
    );
    let f = cp.datastores["g"].failover.clone().expect("recorded");
    let loss = f.loss.expect("a forced failover records its loss range");
    assert_eq!(
        (loss.epoch, loss.after_seq, loss.reported_head),
        (1, Some(80), 90)
    );
    assert_eq!(loss.at_least(), 10);
    ok(&mut cp, step("aps1", FailoverStep::Repointed));
    assert_eq!(phase(&cp), FailoverPhase::Done);
    // The old primary rejoins at the new epoch only, and reports what it discarded, once.
    assert!(matches!(
        refused(&mut cp, rejoined("use1", 1)),
        ControlError::StaleEpoch { .. }
    ));
    ok(&mut cp, rejoined("use1", 2));
    assert!(
        !cp.datastores["g"]
            .member("use1")
            .expect("member")
            .rejoin_pending
    );
    // A rejoined old primary on the new history with nothing discarded: the count is 0.
    ok(&mut cp, discarded("use1", vec![]));
    let loss = cp.datastores["g"]
        .failover
        .as_ref()
        .and_then(|f| f.loss.clone());
    assert_eq!(loss.and_then(|l| l.discarded), Some(0));
    let run = meridian_types::DiscardedRange {
        epoch: 1,
        first_seq: 81,
        last_seq: 93,
    };
    for _ in 0..2 {
        ok(&mut cp, discarded("use1", vec![run]));
    }
    let ds = &cp.datastores["g"];
    assert_eq!(ds.member("use1").map(|m| m.discarded_writes()), Some(13));
    let loss = ds
        .failover
        .as_ref()
        .and_then(|f| f.loss.clone())
        .expect("loss");
    assert_eq!(loss.discarded, Some(13));
}

#[test]
fn a_forced_failover_to_a_named_target_keeps_it_and_aborts_without_a_drain() {
    let mut cp = leased();
    ok(&mut cp, fo("euw1", true));
    assert!(matches!(
        refused(
            &mut cp,
            step("euw1", FailoverStep::ForcedPromote { to: "aps1".into() })
        ),
        ControlError::FailoverStepOutOfOrder { .. }
    ));
    let abort = FailoverStep::Abort {
        reason: "no secondary answered".into(),
    };
    ok(&mut cp, step("euw1", abort));
    assert!(matches!(phase(&cp), FailoverPhase::Aborted { .. }));
    let ds = &cp.datastores["g"];
    assert_eq!((ds.primary.as_str(), ds.epoch), ("use1", 1));
    ok(&mut cp, lease("g", "use1", 1));
}

fn rejoined(cluster: &str, epoch: u64) -> CoordRequest {
    CoordRequest::MemberRejoined {
        id: "g".into(),
        cluster: cluster.into(),
        epoch,
    }
}

fn discarded(cluster: &str, ranges: Vec<meridian_types::DiscardedRange>) -> CoordRequest {
    CoordRequest::ReportDiscarded {
        id: "g".into(),
        cluster: cluster.into(),
        ranges,
    }
}

#[test]
fn epochs_are_never_reused_across_datastores_or_after_a_delete() {
    let mut cp = available(&["euw1"]);
    ok(&mut cp, fo("euw1", false));
    for s in [
        FailoverStep::Drained { final_seq: 1 },
        FailoverStep::CaughtUp,
        FailoverStep::Promote,
    ] {
        ok(&mut cp, step("euw1", s));
    }
    assert_eq!(cp.datastores["g"].epoch, 2);
    // Another datastore starts past every epoch issued so far.
    ok(&mut cp, create("h", "usw2"));
    assert_eq!(cp.datastores["h"].epoch, 3);
    // So does a datastore deleted and created again under the same id.
    ok(&mut cp, ready("h", "usw2", 3));
    ok(&mut cp, CoordRequest::Delete { id: "h".into() });
    ok(&mut cp, CoordRequest::DatastoreDeleted { id: "h".into() });
    ok(&mut cp, create("h", "usw2"));
    assert_eq!(cp.datastores["h"].epoch, 4);
    assert_eq!(cp.last_epoch, 4);
}
