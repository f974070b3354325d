//! Failovers (DESIGN §7). A failover is excepted from the one-modification-at-a-time rule (it
//! may start while a member joins or leaves), but only one may be under way per datastore.
//!
//! A planned failover is a record that moves through its phases one coordination entry at a
//! time, each reported by the coordination leader that carries the step out (the
//! `failover` driver on voters), so any later leader resumes it:
//!
//! ```text
//! requested ─Drained{F}─► draining ─CaughtUp─► caught-up ─Promote─► promoted
//!     │                       │                    │        (epoch + 1, target primary)
//!     └──────── Abort ────────┴────────────────────┘               │ TargetPrimary
//!               ▼                                                   ▼
//!           aborting ─DrainLifted─► aborted                    repointing ─Repointed─► done
//! ```
//!
//! A step repeated after it took effect changes nothing (a leader that is unsure whether its
//! step committed does it again); a step that fits neither the phase nor the one after it is
//! refused. The epoch is bumped in this log before any cluster hears of the new primary.

use meridian_types::{
    ControlError, CoordOutcome, Datastore, DatastoreStatus, FailoverInProgress, FailoverPhase,
    FailoverStep, MemberStatus, Role,
};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    /// Records a planned failover to `to`. The same request again while it runs is harmless;
    /// a failover to another cluster meanwhile is refused. Forced failovers are validated,
    /// then refused: they come with the fenced lease wait (next step of the failover work).
    pub(super) fn failover(
        &mut self,
        id: &str,
        to: &str,
        force: bool,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if let Some(f) = ds.failover.as_ref().filter(|f| f.under_way()) {
            if f.to == to && f.force == force {
                return Ok(CoordOutcome::Datastore(ds.clone()));
            }
            return Err(ControlError::ModificationInProgress {
                id: id.to_string(),
                what: format!("a failover to {:?} is {}", f.to, f.phase),
            });
        }
        check_target(ds, to)?;
        if force {
            return Err(ControlError::NotSupported {
                id: id.to_string(),
                what: "a forced failover".into(),
                detail: format!(
                    "promoting {to:?} without the primary's consent needs the fenced lease wait, which this build does not carry out yet; a planned failover (without --force) works"
                ),
            });
        }
        let from = ds.primary.clone();
        self.update(id, |ds| {
            ds.failover = Some(Box::new(FailoverInProgress {
                to: to.to_string(),
                force,
                from,
                phase: FailoverPhase::Requested,
                final_seq: None,
                new_epoch: None,
            }));
        })
    }

    /// Applies one step of the failover under way (see the module docs).
    pub(super) fn failover_step(
        &mut self,
        id: &str,
        to: &str,
        step: &FailoverStep,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        let f = ds
            .failover
            .as_ref()
            .filter(|f| f.to == to)
            .ok_or_else(|| out_of_order(id, step, "not under way"))?;
        let next = match next_phase(f, step) {
            Next::Already => return Ok(CoordOutcome::Datastore(ds.clone())),
            Next::Refused => return Err(out_of_order(id, step, &f.phase.to_string())),
            Next::To(phase) => phase,
        };
        self.update(id, |ds| {
            if next == FailoverPhase::Promoted {
                promote(ds);
            }
            if let Some(f) = ds.failover.as_mut() {
                if let FailoverStep::Drained { final_seq } = step {
                    f.final_seq = Some(*final_seq);
                }
                f.phase = next;
            }
        })
    }
}

enum Next {
    /// The step already took effect.
    Already,
    Refused,
    To(FailoverPhase),
}

/// The phase `step` leads to from where `f` stands.
fn next_phase(f: &FailoverInProgress, step: &FailoverStep) -> Next {
    use FailoverPhase as P;
    use FailoverStep as S;
    match (&f.phase, step) {
        (P::Requested, S::Drained { .. }) => Next::To(P::Draining),
        (P::Draining, S::Drained { final_seq }) if f.final_seq == Some(*final_seq) => Next::Already,
        (P::Draining, S::CaughtUp) => Next::To(P::CaughtUp),
        (P::CaughtUp, S::CaughtUp) => Next::Already,
        (P::CaughtUp, S::Promote) => Next::To(P::Promoted),
        (P::Promoted | P::Repointing | P::Done, S::Promote) => Next::Already,
        (P::Promoted, S::TargetPrimary) => Next::To(P::Repointing),
        (P::Repointing | P::Done, S::TargetPrimary) => Next::Already,
        (P::Repointing, S::Repointed) => Next::To(P::Done),
        (P::Done, S::Repointed) => Next::Already,
        (P::Requested | P::Draining | P::CaughtUp, S::Abort { reason }) => Next::To(P::Aborting {
            reason: reason.clone(),
        }),
        (P::Aborting { .. } | P::Aborted { .. }, S::Abort { .. }) => Next::Already,
        (P::Aborting { reason }, S::DrainLifted) => Next::To(P::Aborted {
            reason: reason.clone(),
        }),
        (P::Aborted { .. }, S::DrainLifted) => Next::Already,
        _ => Next::Refused,
    }
}

/// Bumps the epoch and swaps the roles of the old primary and the target.
fn promote(ds: &mut Datastore) {
    let Some(f) = ds.failover.as_mut() else {
        return;
    };
    ds.epoch += 1;
    f.new_epoch = Some(ds.epoch);
    let (from, to) = (f.from.clone(), f.to.clone());
    for m in &mut ds.members {
        if m.cluster == to {
            m.role = Role::Primary;
            // A primary reports no replication position (describe shows 0).
            (m.applied_seq, m.lag_ms, m.lag_seq) = (0, 0, 0);
        } else if m.cluster == from {
            m.role = Role::Secondary;
        }
    }
    // The primary is listed first.
    ds.members.sort_by_key(|m| m.role != Role::Primary);
    ds.primary = to;
    ds.lease = None;
}

/// `to` may be promoted: an associated secondary of an available datastore.
fn check_target(ds: &Datastore, to: &str) -> Result<(), ControlError> {
    if matches!(
        ds.status,
        DatastoreStatus::Creating | DatastoreStatus::Deleting
    ) {
        return Err(ControlError::WrongDatastoreStatus {
            id: ds.id.clone(),
            status: ds.status.to_string(),
            needed: "only an available datastore can fail over".into(),
        });
    }
    let m = rules::member(ds, to)?;
    if m.role == Role::Primary {
        return Err(ControlError::AlreadyPrimary {
            id: ds.id.clone(),
            cluster: to.to_string(),
        });
    }
    if m.status != MemberStatus::Associated {
        return Err(ControlError::WrongMemberStatus {
            id: ds.id.clone(),
            cluster: to.to_string(),
            status: m.status.to_string(),
            needed: "only an associated secondary can be promoted".into(),
        });
    }
    Ok(())
}

fn out_of_order(id: &str, step: &FailoverStep, phase: &str) -> ControlError {
    ControlError::FailoverStepOutOfOrder {
        id: id.to_string(),
        step: format!("{step:?}"),
        phase: phase.to_string(),
    }
}
