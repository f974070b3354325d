//! Failover requests: validated fully, then refused as not supported yet.

use super::*;

#[test]
fn failover_requests_are_validated() {
    let mut cp = available(&["euw1"]);
    ok(&mut cp, add("g", "aps1"));
    let fo = |to: &str, force| CoordRequest::Failover {
        id: "g".into(),
        to: to.into(),
        force,
    };
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
    for force in [false, true] {
        let e = refused(&mut cp, fo("euw1", force));
        assert!(matches!(e, ControlError::NotSupported { .. }));
        assert!(e.to_string().contains("not supported yet"), "{e}");
    }
    let mut creating = plane();
    ok(&mut creating, create("g", "use1"));
    assert!(matches!(
        refused(&mut creating, fo("euw1", false)),
        ControlError::WrongDatastoreStatus { .. }
    ));
}
