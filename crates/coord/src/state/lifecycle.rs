//! A global datastore's lifecycle, in AWS's states: create, add-secondary, disassociate,
//! modify and delete (one modification at a time, see `rules::check_idle`), and the
//! reconciler's `MemberReady`, `MemberRemoved` and `DatastoreDeleted`, which complete a change
//! once the clusters have done their part and settle the datastore's status.

use meridian_types::{
    AutoFailover, ControlError, CoordOutcome, Datastore, DatastoreStatus, Member, MemberStatus,
    Role,
};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    pub(super) fn create(
        &mut self,
        id: &str,
        description: &str,
        primary: &str,
        auto_failover: AutoFailover,
    ) -> Result<CoordOutcome, ControlError> {
        rules::check_name("global datastore id", id)?;
        if self.datastores.contains_key(id) {
            return Err(ControlError::DuplicateDatastore { id: id.to_string() });
        }
        rules::check_description(description)?;
        rules::check_auto_failover(auto_failover)?;
        let region = self.cluster(primary)?.region.clone();
        rules::check_not_in_datastore(self, primary)?;
        let ds = Datastore {
            id: id.to_string(),
            description: description.to_string(),
            members: vec![Member::associating(primary, &region, Role::Primary)],
            primary: primary.to_string(),
            epoch: self.next_epoch(),
            status: DatastoreStatus::Creating,
            auto_failover,
            failover: None,
            lease: None,
        };
        self.datastores.insert(id.to_string(), ds.clone());
        Ok(CoordOutcome::Datastore(ds))
    }

    pub(super) fn add_secondary(
        &mut self,
        id: &str,
        cluster: &str,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        rules::check_idle(ds)?;
        let info = self.cluster(cluster)?;
        rules::check_not_in_datastore(self, cluster)?;
        if let Some(other) = ds.members.iter().find(|m| m.region == info.region) {
            return Err(ControlError::SameRegion {
                id: id.to_string(),
                cluster: cluster.to_string(),
                region: info.region.clone(),
                other: other.cluster.clone(),
            });
        }
        let limit = self.limits.max_secondaries;
        if ds.secondaries().count() as u64 >= limit {
            return Err(ControlError::TooManySecondaries {
                id: id.to_string(),
                limit,
            });
        }
        let member = Member::associating(cluster, &info.region, Role::Secondary);
        self.update(id, |ds| {
            ds.members.push(member);
            ds.status = DatastoreStatus::Modifying;
        })
    }

    pub(super) fn disassociate(
        &mut self,
        id: &str,
        cluster: &str,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        if m.role == Role::Primary {
            return Err(ControlError::CannotDisassociatePrimary {
                id: id.to_string(),
                cluster: cluster.to_string(),
            });
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            set_member_status(ds, cluster, MemberStatus::Disassociating);
            ds.status = DatastoreStatus::Modifying;
        })
    }

    pub(super) fn modify(
        &mut self,
        id: &str,
        description: Option<&str>,
        auto_failover: Option<AutoFailover>,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if description.is_none() && auto_failover.is_none() {
            return Err(ControlError::InvalidArgument {
                field: "modification".into(),
                value: String::new(),
                reason: "nothing to change: give a new description and/or auto-failover policy"
                    .into(),
            });
        }
        if let Some(d) = description {
            rules::check_description(d)?;
        }
        if let Some(a) = auto_failover {
            rules::check_auto_failover(a)?;
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            if let Some(d) = description {
                ds.description = d.to_string();
            }
            if let Some(a) = auto_failover {
                ds.auto_failover = a;
            }
        })
    }

    pub(super) fn delete(&mut self, id: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let secondaries: Vec<String> = ds.secondaries().map(|m| m.cluster.clone()).collect();
        if !secondaries.is_empty() {
            return Err(ControlError::SecondariesRemain {
                id: id.to_string(),
                secondaries,
            });
        }
        rules::check_idle(ds)?;
        self.update(id, |ds| {
            ds.status = DatastoreStatus::Deleting;
            for m in &mut ds.members {
                m.status = MemberStatus::Disassociating;
            }
        })
    }

    pub(super) fn member_ready(
        &mut self,
        id: &str,
        cluster: &str,
        epoch: u64,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let m = rules::member(ds, cluster)?;
        rules::check_epoch(ds, epoch)?;
        match m.status {
            // Already done: a reconciler retrying after an unknown outcome.
            MemberStatus::Associated => return Ok(CoordOutcome::Datastore(ds.clone())),
            MemberStatus::Disassociating => {
                return Err(ControlError::WrongMemberStatus {
                    id: id.to_string(),
                    cluster: cluster.to_string(),
                    status: m.status.to_string(),
                    needed: "only an associating member can become ready".into(),
                })
            }
            MemberStatus::Associating => {}
        }
        self.update(id, |ds| {
            set_member_status(ds, cluster, MemberStatus::Associated);
            settle(ds);
        })
    }

    pub(super) fn member_removed(
        &mut self,
        id: &str,
        cluster: &str,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let Some(m) = ds.member(cluster) else {
            // Already removed: a reconciler retrying after an unknown outcome.
            return Ok(CoordOutcome::Datastore(ds.clone()));
        };
        if m.role == Role::Primary || m.status != MemberStatus::Disassociating {
            return Err(ControlError::WrongMemberStatus {
                id: id.to_string(),
                cluster: cluster.to_string(),
                status: format!("{} {}", m.status, m.role),
                needed: "only a disassociating secondary can be removed".into(),
            });
        }
        self.update(id, |ds| {
            ds.members.retain(|m| m.cluster != cluster);
            settle(ds);
        })
    }

    pub(super) fn datastore_deleted(&mut self, id: &str) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if ds.status != DatastoreStatus::Deleting {
            return Err(ControlError::WrongDatastoreStatus {
                id: id.to_string(),
                status: ds.status.to_string(),
                needed: "only a datastore being deleted can be removed".into(),
            });
        }
        self.datastores.remove(id);
        Ok(CoordOutcome::Deleted { id: id.to_string() })
    }
}

fn set_member_status(ds: &mut Datastore, cluster: &str, status: MemberStatus) {
    if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
        m.status = status;
    }
}

/// Once no member is joining or leaving, a creating or modifying datastore becomes available
/// (or primary-only without secondaries).
fn settle(ds: &mut Datastore) {
    let transitional = ds
        .members
        .iter()
        .any(|m| m.status != MemberStatus::Associated);
    if matches!(
        ds.status,
        DatastoreStatus::Creating | DatastoreStatus::Modifying
    ) && !transitional
    {
        ds.status = if ds.secondaries().next().is_some() {
            DatastoreStatus::Available
        } else {
            DatastoreStatus::PrimaryOnly
        };
    }
}
