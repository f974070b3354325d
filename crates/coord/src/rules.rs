//! Checks shared by several control-plane operations. Each returns the error a person sees.

use meridian_types::{AutoFailover, ControlError, Datastore, Epoch, Member, MemberStatus};

use crate::ControlPlane;

/// Longest cluster name, region label or datastore id (as in the deployment config).
pub const MAX_NAME_LEN: usize = 32;

/// Longest datastore description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// 1 to 32 of `a-z`, `0-9`, `-`: the same rule as the deployment config.
pub fn check_name(field: &str, value: &str) -> Result<(), ControlError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_NAME_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ControlError::InvalidArgument {
            field: field.to_string(),
            value: value.to_string(),
            reason: format!("use 1 to {MAX_NAME_LEN} characters of a-z, 0-9 and -"),
        })
    }
}

pub fn check_description(d: &str) -> Result<(), ControlError> {
    if d.len() > MAX_DESCRIPTION_LEN || d.chars().any(char::is_control) {
        return Err(ControlError::InvalidArgument {
            field: "description".into(),
            value: d.chars().take(40).collect(),
            reason: format!("use at most {MAX_DESCRIPTION_LEN} bytes of printable text"),
        });
    }
    Ok(())
}

pub fn check_auto_failover(a: AutoFailover) -> Result<(), ControlError> {
    if a == (AutoFailover::After { ms: 0 }) {
        return Err(ControlError::InvalidArgument {
            field: "auto-failover".into(),
            value: "after 0ms".into(),
            reason: "give a positive duration (e.g. 30s), or off".into(),
        });
    }
    Ok(())
}

/// `cluster` is in no global datastore.
pub fn check_not_in_datastore(cp: &ControlPlane, cluster: &str) -> Result<(), ControlError> {
    match cp.datastore_of(cluster) {
        Some(ds) => Err(ControlError::ClusterInUse {
            cluster: cluster.to_string(),
            datastore: ds.id.clone(),
        }),
        None => Ok(()),
    }
}

/// No other change of `ds` is under way (AWS allows one modification at a time).
pub fn check_idle(ds: &Datastore) -> Result<(), ControlError> {
    if !ds.is_busy() {
        return Ok(());
    }
    let what = if let Some(f) = ds.failover.as_ref().filter(|f| f.under_way()) {
        format!("a failover to {:?} is under way", f.to)
    } else if let Some(m) = ds
        .members
        .iter()
        .find(|m| m.status != MemberStatus::Associated)
    {
        format!("cluster {:?} is {}", m.cluster, m.status)
    } else {
        format!("it is {}", ds.status)
    };
    Err(ControlError::ModificationInProgress {
        id: ds.id.clone(),
        what,
    })
}

pub fn member<'a>(ds: &'a Datastore, cluster: &str) -> Result<&'a Member, ControlError> {
    ds.member(cluster).ok_or_else(|| ControlError::NotAMember {
        id: ds.id.clone(),
        cluster: cluster.to_string(),
    })
}

pub fn check_epoch(ds: &Datastore, epoch: Epoch) -> Result<(), ControlError> {
    if epoch == ds.epoch {
        Ok(())
    } else {
        Err(ControlError::StaleEpoch {
            id: ds.id.clone(),
            given: epoch,
            current: ds.epoch,
        })
    }
}
