//! What secondaries report about their replication: the last applied seq and the lag, kept on
//! each member (and shown in describe).

use meridian_types::{ControlError, CoordOutcome, Role};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    pub(super) fn report_applied_seq(
        &mut self,
        id: &str,
        cluster: &str,
        epoch: u64,
        (seq, lag_ms, lag_seq, synced): (u64, u64, u64, bool),
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        rules::check_epoch(ds, epoch)?;
        if m.role != Role::Secondary {
            return Err(ControlError::InvalidArgument {
                field: "cluster".into(),
                value: cluster.to_string(),
                reason: format!(
                    "it is the primary of {id:?}; only secondaries report an applied seq"
                ),
            });
        }
        // Reports may arrive out of order across a secondary's leader change: keep the newest.
        if seq >= m.applied_seq {
            self.update(id, |ds| {
                if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
                    m.applied_seq = seq;
                    m.lag_ms = lag_ms;
                    m.lag_seq = lag_seq;
                    m.synced = synced;
                }
            })?;
        }
        Ok(CoordOutcome::Nothing)
    }
}
