//! Registering clusters: the bootstrap request (repeated on every start, so it must be
//! idempotent) that records the deployment's clusters and the limits the rules use.

use meridian_types::{ClusterInfo, ControlError, ControlLimits, CoordOutcome};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    pub(super) fn register(
        &mut self,
        clusters: &[ClusterInfo],
        limits: ControlLimits,
    ) -> Result<CoordOutcome, ControlError> {
        for c in clusters {
            rules::check_name("cluster name", &c.name)?;
            rules::check_name("region", &c.region)?;
            if let (Some(old), Some(ds)) = (self.clusters.get(&c.name), self.datastore_of(&c.name))
            {
                if old.region != c.region {
                    return Err(ControlError::RegionChange {
                        cluster: c.name.clone(),
                        registered: old.region.clone(),
                        requested: c.region.clone(),
                        datastore: ds.id.clone(),
                    });
                }
            }
        }
        for c in clusters {
            self.clusters.insert(c.name.clone(), c.clone());
        }
        self.limits = limits;
        Ok(CoordOutcome::Nothing)
    }
}
