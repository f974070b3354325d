//! Failovers (DESIGN §7). A failover is excepted from the one-modification-at-a-time rule (it
//! may start while a member joins or leaves), but only one may be under way per datastore.
//!
//! A failover is a record that moves through its phases one coordination entry at a time,
//! each reported by the coordination leader that carries the step out (the `failover` driver
//! on voters), so any later leader resumes it:
//!
//! ```text
//! requested ─Drained{F}─► draining ─CaughtUp─► caught-up ─Promote─► promoted
//!   │  │                      │                    │        (epoch + 1, target primary)
//!   │  └─────── Abort ────────┴────────────────────┘               │ TargetPrimary{base}
//!   │           ▼                                                   ▼
//!   │       aborting ─DrainLifted─► aborted                    repointing ─Repointed─► done
//!   │                                  ▲                            ▲
//!   └─ forced: ForcedPromote{to} ──────┼────────────► promoted ─────┘
//!              Abort ──────────────────┘
//! ```
//!
//! A forced failover never fences the old primary (it is unreachable): from `requested` on it
//! gets no lease, and the coordination leader promotes only once its last lease certainly ran
//! out (`CoordGroup::promotion_allowed_at`). The promotion records the loss range and marks the
//! old primary `rejoin_pending`: the reconciler repoints it whenever it answers again, and it
//! reports the writes it then discards.
//!
//! A step repeated after it took effect changes nothing (a leader that is unsure whether its
//! step committed does it again); a step that fits neither the phase nor the one after it is
//! refused. The epoch is bumped in this log before any cluster hears of the new primary.

use meridian_types::{
    ControlError, CoordOutcome, Datastore, DatastoreStatus, DiscardedRange, Epoch,
    FailoverInProgress, FailoverPhase, FailoverStep, LossRange, MemberStatus, Role,
};

use crate::rules;
use crate::ControlPlane;

impl ControlPlane {
    /// Records a failover to `to` (forced: `to` may be empty, for the secondary furthest
    /// ahead). The same request again while it runs is harmless; a failover to another cluster
    /// meanwhile is refused.
    pub(super) fn failover(
        &mut self,
        id: &str,
        to: &str,
        force: bool,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        if to.is_empty() && !force {
            return Err(ControlError::InvalidArgument {
                field: "to_cluster".into(),
                value: String::new(),
                reason: "name the secondary cluster to promote (only a forced failover may leave the choice to the coordination group)".into(),
            });
        }
        if let Some(f) = ds.failover.as_ref().filter(|f| f.under_way()) {
            if f.to == to && f.force == force {
                return Ok(CoordOutcome::Datastore(ds.clone()));
            }
            return Err(ControlError::ModificationInProgress {
                id: id.to_string(),
                what: format!("a failover to {:?} is {}", f.to, f.phase),
            });
        }
        if !(force && to.is_empty()) {
            check_target(ds, to)?;
        } else if ds
            .secondaries()
            .all(|m| m.status != MemberStatus::Associated)
        {
            return Err(ControlError::WrongDatastoreStatus {
                id: id.to_string(),
                status: ds.status.to_string(),
                needed: "a failover needs an associated secondary to promote".into(),
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
                loss: None,
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
            .filter(|f| f.to == to || (f.force && to.is_empty()))
            .ok_or_else(|| out_of_order(id, step, "not under way"))?;
        let next = match next_phase(f, step) {
            Next::Already => return Ok(CoordOutcome::Datastore(ds.clone())),
            Next::Refused => return Err(out_of_order(id, step, &f.phase.to_string())),
            Next::To(phase) => phase,
        };
        if let FailoverStep::ForcedPromote { to } = step {
            check_target(ds, to)?;
        }
        let new_epoch = (next == FailoverPhase::Promoted).then(|| self.next_epoch());
        self.update(id, |ds| {
            if let FailoverStep::ForcedPromote { to } = step {
                if let Some(f) = ds.failover.as_mut() {
                    f.to = to.clone();
                }
            }
            if let Some(epoch) = new_epoch {
                promote(ds, epoch);
            }
            if let Some(f) = ds.failover.as_mut() {
                record_step(f, step);
                f.phase = next;
            }
        })
    }

    /// A member's runs of discarded writes (kept once each), sent once it follows the current
    /// epoch's history, so the list is complete: from the old primary of the last forced
    /// failover it completes that failover's loss record (with 0 when it diverged nowhere).
    pub(super) fn report_discarded(
        &mut self,
        id: &str,
        cluster: &str,
        ranges: &[DiscardedRange],
    ) -> Result<CoordOutcome, ControlError> {
        rules::member(self.datastore(id)?, cluster)?;
        self.update(id, |ds| {
            if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
                for r in ranges {
                    if !m.discarded.contains(r) {
                        m.discarded.push(*r);
                    }
                }
            }
            let Some(f) = ds.failover.as_mut().filter(|f| f.from == cluster) else {
                return;
            };
            if let Some(loss) = f.loss.as_mut() {
                let count = ranges
                    .iter()
                    .filter(|r| r.epoch == loss.epoch)
                    .map(DiscardedRange::count)
                    .sum::<u64>();
                loss.discarded = Some(count);
            }
        })
    }

    /// The reconciler gave a deposed primary its secondary role of `epoch`.
    pub(super) fn member_rejoined(
        &mut self,
        id: &str,
        cluster: &str,
        epoch: Epoch,
    ) -> Result<CoordOutcome, ControlError> {
        let ds = self.datastore(id)?;
        rules::member(ds, cluster)?;
        rules::check_epoch(ds, epoch)?;
        self.update(id, |ds| {
            if let Some(m) = ds.members.iter_mut().find(|m| m.cluster == cluster) {
                m.rejoin_pending = false;
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
    let planned_only = matches!(
        step,
        S::Drained { .. } | S::CaughtUp | S::Promote | S::DrainLifted
    );
    if f.force && planned_only || !f.force && matches!(step, S::ForcedPromote { .. }) {
        return Next::Refused;
    }
    match (&f.phase, step) {
        (P::Requested, S::Drained { .. }) => Next::To(P::Draining),
        (P::Draining, S::Drained { final_seq }) if f.final_seq == Some(*final_seq) => Next::Already,
        (P::Draining, S::CaughtUp) => Next::To(P::CaughtUp),
        (P::CaughtUp, S::CaughtUp) => Next::Already,
        (P::CaughtUp, S::Promote) => Next::To(P::Promoted),
        (P::Promoted | P::Repointing | P::Done, S::Promote) => Next::Already,
        (P::Requested, S::ForcedPromote { to }) if f.force && (f.to.is_empty() || f.to == *to) => {
            Next::To(P::Promoted)
        }
        (P::Promoted | P::Repointing | P::Done, S::ForcedPromote { to }) if *to == f.to => {
            Next::Already
        }
        (P::Promoted, S::TargetPrimary { .. }) => Next::To(P::Repointing),
        (P::Repointing | P::Done, S::TargetPrimary { .. }) => Next::Already,
        (P::Repointing, S::Repointed) => Next::To(P::Done),
        (P::Done, S::Repointed) => Next::Already,
        // A forced failover never fenced the old primary: there is no drain to lift.
        (P::Requested, S::Abort { reason }) if f.force => Next::To(P::Aborted {
            reason: reason.clone(),
        }),
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

/// What a step records beside the phase.
fn record_step(f: &mut FailoverInProgress, step: &FailoverStep) {
    match step {
        FailoverStep::Drained { final_seq } => f.final_seq = Some(*final_seq),
        FailoverStep::TargetPrimary { base_seq } => {
            f.final_seq.get_or_insert(*base_seq);
            if let Some(loss) = f.loss.as_mut() {
                loss.after_seq.get_or_insert(*base_seq);
            }
        }
        _ => {}
    }
}

/// Moves `ds` to the fresh `epoch` and swaps the roles of the old primary and the target. A
/// forced promotion records what may be lost and leaves the unreachable old primary to rejoin
/// later.
fn promote(ds: &mut Datastore, epoch: Epoch) {
    let Some(f) = ds.failover.as_mut() else {
        return;
    };
    if f.force {
        f.loss = Some(LossRange {
            epoch: ds.epoch,
            after_seq: None,
            reported_head: ds.lease.as_ref().map_or(0, |l| l.head_seq),
            discarded: None,
        });
    }
    ds.epoch = epoch;
    f.new_epoch = Some(ds.epoch);
    let (from, to, force) = (f.from.clone(), f.to.clone(), f.force);
    for m in &mut ds.members {
        if m.cluster == to {
            m.role = Role::Primary;
            // A primary reports no replication position (describe shows 0).
            (m.applied_seq, m.lag_ms, m.lag_seq) = (0, 0, 0);
        } else if m.cluster == from {
            m.role = Role::Secondary;
            m.rejoin_pending = force;
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
