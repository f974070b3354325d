//! The primary's lease (DESIGN §5): the rule a grant must pass, recording a grant, and the
//! longest lease a new coordination leader must outwait before any promotion.

use meridian_types::{ControlError, CoordOutcome, Lease};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    pub(super) fn grant_lease(&mut self, lease: &Lease) -> Result<CoordOutcome, ControlError> {
        self.check_lease(lease)?;
        self.update(&lease.datastore, |ds| {
            ds.lease = Some(newest(ds.lease.take(), lease))
        })?;
        Ok(CoordOutcome::Lease(lease.clone()))
    }

    /// Whether `lease` may be granted: its cluster is the datastore's primary at its epoch and
    /// no failover is draining it. The leader checks this before its quorum round too.
    pub fn check_lease(&self, lease: &Lease) -> Result<(), ControlError> {
        let ds = self.datastore(&lease.datastore)?;
        rules::member(ds, &lease.cluster)?;
        rules::check_epoch(ds, lease.epoch)?;
        if ds.primary != lease.cluster {
            return Err(ControlError::NotPrimary {
                id: ds.id.clone(),
                cluster: lease.cluster.clone(),
                primary: ds.primary.clone(),
            });
        }
        if let Some(f) = ds.failover.as_ref().filter(|f| f.drains_primary()) {
            return Err(ControlError::FailoverDraining {
                id: ds.id.clone(),
                to: f.to.clone(),
            });
        }
        if lease.length_ms == 0 {
            return Err(ControlError::InvalidArgument {
                field: "lease length".into(),
                value: "0".into(),
                reason: "a lease must last at least 1 ms".into(),
            });
        }
        Ok(())
    }
}

/// The lease to keep on record after granting `new`: the one that ends later (grants of one
/// leader may commit out of their stamp order, and a promotion must outwait the later one),
/// with the highest head seq the primary reported in this epoch.
fn newest(old: Option<Lease>, new: &Lease) -> Lease {
    let Some(old) = old.filter(|o| o.cluster == new.cluster && o.epoch == new.epoch) else {
        return new.clone();
    };
    let head_seq = old.head_seq.max(new.head_seq);
    let same_clock = old.granted_by == new.granted_by && old.term == new.term;
    let ends = |l: &Lease| l.granted_at_ms.saturating_add(l.length_ms);
    let mut kept = if same_clock && ends(&old) > ends(new) {
        old
    } else {
        new.clone()
    };
    kept.head_seq = head_seq;
    kept
}
