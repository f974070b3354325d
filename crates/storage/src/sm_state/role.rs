//! Role changes recorded by the coordination group.

use meridian_types::{ClusterRole, HistoryMark};

use super::{ApplyEffects, SmState};

impl SmState {
    /// Records a role. Re-recording the role a cluster already has changes nothing (the
    /// control plane retries steps), so a secondary is wiped once per association and a
    /// primary keeps the seq it started its epoch at.
    pub(super) fn set_role(&mut self, role: &ClusterRole, wipe: bool, fx: &mut ApplyEffects) {
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
            self.keyspace.clear();
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
