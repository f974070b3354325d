//! Failover requests (DESIGN §7). A failover is excepted from the one-modification-at-a-time
//! rule (it may start while a member joins or leaves), but only one may be under way per
//! datastore. This build validates a request fully and then refuses it with `NotSupported`;
//! the failover record and its phases will be carried out here.

use meridian_types::{ControlError, CoordOutcome, DatastoreStatus, MemberStatus, Role};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    /// Validates a failover fully; carrying it out is not implemented yet, so a valid request
    /// is answered `NotSupported` and changes nothing.
    pub(super) fn failover(
        &mut self,
        id: &str,
        to: &str,
        force: bool,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if matches!(
            ds.status,
            DatastoreStatus::Creating | DatastoreStatus::Deleting
        ) {
            return Err(ControlError::WrongDatastoreStatus {
                id: id.to_string(),
                status: ds.status.to_string(),
                needed: "only an available datastore can fail over".into(),
            });
        }
        if let Some(f) = &ds.failover {
            return Err(ControlError::ModificationInProgress {
                id: id.to_string(),
                what: format!("a failover to {:?} is under way", f.to),
            });
        }
        let m = rules::member(ds, to)?;
        if m.role == Role::Primary {
            return Err(ControlError::AlreadyPrimary {
                id: id.to_string(),
                cluster: to.to_string(),
            });
        }
        if m.status != MemberStatus::Associated {
            return Err(ControlError::WrongMemberStatus {
                id: id.to_string(),
                cluster: to.to_string(),
                status: m.status.to_string(),
                needed: "only an associated secondary can be promoted".into(),
            });
        }
        Err(ControlError::NotSupported {
            id: id.to_string(),
            what: if force {
                "a forced failover".into()
            } else {
                "a planned failover".into()
            },
            detail: format!(
                "promoting {to:?} is accepted and validated, but this build cannot carry out promotions yet"
            ),
        })
    }
}
