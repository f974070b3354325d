//! A datastore's failover record: its phases and the steps that move it (DESIGN §7; the
//! rules are in the coordination crate's `state/failover.rs`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Epoch, Seq};

/// The newest failover of a datastore: under way until its phase is `Done` or `Aborted`
/// (then kept, so describe shows the last one's outcome). While one is under way the rules
/// refuse every other change and, once it drains the primary, that primary's leases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverInProgress {
    pub to: String,
    pub force: bool,
    /// The primary being replaced.
    pub from: String,
    pub phase: FailoverPhase,
    /// The old primary's final seq, fixed by its fence entry (from `Draining` on).
    pub final_seq: Option<Seq>,
    /// The epoch the target was promoted at (from `Promoted` on).
    pub new_epoch: Option<Epoch>,
    /// A forced failover's record of what may be lost (from `Promoted` on).
    pub loss: Option<LossRange>,
}

/// What a forced failover may lose: the old primary's writes of `epoch` after the seq the
/// new primary started from. The old primary reported its head seq with every lease renewal;
/// it may have acknowledged writes past the last report until its lease ran out, so the range
/// is known exactly only when the old primary rejoins and counts what it discards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossRange {
    /// The old primary's epoch.
    pub epoch: Epoch,
    /// The seq the new primary started from (known once it took its role): writes of `epoch`
    /// up to here survive.
    pub after_seq: Option<Seq>,
    /// The highest head seq the old primary reported with a lease renewal in `epoch`.
    pub reported_head: Seq,
    /// Writes the old primary discarded when it rejoined (its ops past `after_seq`).
    pub discarded: Option<u64>,
}

impl LossRange {
    /// How many of the old primary's seqs past `after_seq` it certainly applied (up to its last
    /// reported head): the count known before it rejoins. It may have written more.
    pub fn at_least(&self) -> u64 {
        self.after_seq
            .map_or(0, |after| self.reported_head.saturating_sub(after))
    }
}

/// A run of a cluster's own writes it discarded when it rejoined a newer primary's history:
/// seqs `first_seq ..= last_seq` it had written (or applied) in `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscardedRange {
    pub epoch: Epoch,
    pub first_seq: Seq,
    pub last_seq: Seq,
}

impl DiscardedRange {
    pub fn count(&self) -> u64 {
        self.last_seq.saturating_sub(self.first_seq) + 1
    }
}

impl FailoverInProgress {
    /// Not yet `Done` or `Aborted`.
    pub fn under_way(&self) -> bool {
        !matches!(
            self.phase,
            FailoverPhase::Done | FailoverPhase::Aborted { .. }
        )
    }

    /// The old primary gets no lease: it is being drained (until the promotion, or until an
    /// aborted failover has lifted the drain). After the promotion it is no longer the primary.
    pub fn drains_primary(&self) -> bool {
        matches!(
            self.phase,
            FailoverPhase::Requested
                | FailoverPhase::Draining
                | FailoverPhase::CaughtUp
                | FailoverPhase::Aborting { .. }
        )
    }
}

/// Where a planned failover stands (DESIGN §7). Each step is one coordination entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailoverPhase {
    /// Recorded; the old primary's leases stop.
    Requested,
    /// The old primary appended its fence entry: its seq is final (`final_seq`).
    Draining,
    /// The target applied exactly `final_seq` (asked of the target itself).
    CaughtUp,
    /// The epoch is bumped and the target is the primary in the control plane (a forced
    /// failover gets here from `Requested`, once the old primary's lease certainly ran out).
    Promoted,
    /// The target took its primary role; the other members are being pointed at it.
    Repointing,
    Done,
    /// Giving up before the promotion: the old primary's drain is being lifted.
    Aborting {
        reason: String,
    },
    Aborted {
        reason: String,
    },
}

impl fmt::Display for FailoverPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailoverPhase::Requested => f.write_str("requested"),
            FailoverPhase::Draining => f.write_str("draining"),
            FailoverPhase::CaughtUp => f.write_str("caught-up"),
            FailoverPhase::Promoted => f.write_str("promoted"),
            FailoverPhase::Repointing => f.write_str("repointing"),
            FailoverPhase::Done => f.write_str("done"),
            FailoverPhase::Aborting { .. } => f.write_str("aborting"),
            FailoverPhase::Aborted { .. } => f.write_str("aborted"),
        }
    }
}

/// A step of a failover under way, reported by the coordination leader that drives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailoverStep {
    /// The old primary's fence entry applied at `final_seq`.
    Drained { final_seq: Seq },
    /// The target applied exactly the final seq.
    CaughtUp,
    /// Bump the epoch and make the target the primary.
    Promote,
    /// Forced: the old primary's lease certainly ran out; bump the epoch and make `to` (the
    /// requested target, or the secondary found furthest ahead) the primary.
    ForcedPromote { to: String },
    /// The target recorded its primary role, starting at `base_seq`.
    TargetPrimary { base_seq: Seq },
    /// Every other member follows the target.
    Repointed,
    /// Give up (only before the promotion).
    Abort { reason: String },
    /// The old primary's drain is lifted.
    DrainLifted,
}
