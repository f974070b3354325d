//! Role changes recorded by the coordination group.

use meridian_types::{ClusterRole, Epoch, HistoryMark};

use super::{ApplyEffects, SmState};

/// The datastore and epoch a role belongs to (none for a standalone cluster).
fn epoch_of(role: &ClusterRole) -> Option<(&str, Epoch)> {
    match role {
        ClusterRole::Standalone => None,
        ClusterRole::Primary {
            datastore, epoch, ..
        }
        | ClusterRole::Secondary {
            datastore, epoch, ..
        }
        | ClusterRole::Draining { datastore, epoch } => Some((datastore, *epoch)),
    }
}

/// `new` is of the same datastore as `current` but from an older epoch.
fn is_stale(current: &ClusterRole, new: &ClusterRole) -> bool {
    matches!(
        (epoch_of(current), epoch_of(new)),
        (Some((a, x)), Some((b, y))) if a == b && y < x
    )
}

impl SmState {
    /// Records a role. Re-recording the role a cluster already has changes nothing (the
    /// control plane retries steps), so a secondary is wiped once per association and a
    /// primary keeps the seq it started its epoch at. A role of the same datastore at an
    /// older epoch than the current one is refused (a delayed entry from before a failover
    /// must not undo it), and so is any change whose coordination `token` is below the newest
    /// one applied (a delayed decision of an older coordination state, a `Standalone` too).
    pub(super) fn set_role(
        &mut self,
        role: &ClusterRole,
        wipe: bool,
        token: u64,
        fx: &mut ApplyEffects,
    ) {
        if token < self.role_token || is_stale(&self.role, role) {
            return;
        }
        self.role_token = token;
        let same = match (&self.role, role) {
            (
                ClusterRole::Primary {
                    datastore: a,
                    epoch: x,
                    ..
                },
                ClusterRole::Primary {
                    datastore: b,
                    epoch: y,
                    ..
                },
            ) => a == b && x == y,
            (current, new) => current == new,
        };
        if same {
            return;
        }
        if wipe {
            self.dbs.clear();
            self.seq = 0;
            self.history.clear();
            self.staging = None;
            fx.reset();
        }
        self.role = match role {
            ClusterRole::Primary {
                datastore, epoch, ..
            } => {
                if self.history.last().map(|m| m.epoch) != Some(*epoch) {
                    self.history.push(HistoryMark {
                        epoch: *epoch,
                        start_seq: self.seq,
                    });
                }
                ClusterRole::Primary {
                    datastore: datastore.clone(),
                    epoch: *epoch,
                    base_seq: self.seq,
                }
            }
            other => {
                self.staging = None;
                other.clone()
            }
        };
    }
}
