//! What cross-region log shipping carries: the primary's applied ops, the history marks that
//! say which epoch wrote which seqs, and the position a secondary resumes from.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::{Epoch, Seq};

/// One applied client write (or active-expiry deletion) as secondaries replay it: the command
/// with the time and seed it was applied with, at replication position `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogOp {
    pub seq: Seq,
    /// The database the command ran in.
    pub db: u32,
    pub now_ms: u64,
    pub seed: u64,
    pub argv: Vec<Bytes>,
}

/// The ops after `start_seq` (up to the next mark) were written by the primary of `epoch`.
///
/// A cluster's history is the list of its marks, oldest first. Two clusters agree on every
/// seq up to `s` when their histories place `s` in the same epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryMark {
    pub epoch: Epoch,
    pub start_seq: Seq,
}

/// Where a secondary stands: it holds exactly the primary's state at `seq`, reached in `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipPosition {
    pub epoch: Epoch,
    pub seq: Seq,
}

/// The epoch that wrote the state at `seq` according to `history` (the newest mark starting at
/// or before it), or None when the history does not reach back that far.
pub fn epoch_at(history: &[HistoryMark], seq: Seq) -> Option<Epoch> {
    history
        .iter()
        .rev()
        .find(|m| m.start_seq <= seq)
        .map(|m| m.epoch)
}

/// True when a cluster at `pos` holds a prefix of the history `history` whose newest seq is
/// `head`: the epoch of `pos` is in `history` and `pos.seq` lies within that epoch's range.
pub fn on_history(history: &[HistoryMark], head: Seq, pos: ShipPosition) -> bool {
    history.iter().enumerate().any(|(i, m)| {
        let end = history.get(i + 1).map_or(head, |next| next.start_seq);
        m.epoch == pos.epoch && m.start_seq <= pos.seq && pos.seq <= end
    })
}

/// An identifier for one full sync, so chunks of an abandoned sync are never mixed into another.
pub type SyncId = u64;

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(v: &[(Epoch, Seq)]) -> Vec<HistoryMark> {
        v.iter()
            .map(|&(epoch, start_seq)| HistoryMark { epoch, start_seq })
            .collect()
    }

    #[test]
    fn positions_on_and_off_a_history() {
        let h = marks(&[(1, 0), (3, 50)]);
        let at = |epoch, seq| ShipPosition { epoch, seq };
        assert!(on_history(&h, 80, at(1, 10)));
        assert!(
            on_history(&h, 80, at(1, 50)),
            "the end of epoch 1 is shared"
        );
        assert!(
            !on_history(&h, 80, at(1, 51)),
            "epoch 1 never wrote seq 51 here"
        );
        assert!(on_history(&h, 80, at(3, 80)));
        assert!(!on_history(&h, 80, at(3, 81)), "ahead of the head");
        assert!(!on_history(&h, 80, at(2, 10)), "unknown epoch");
        assert_eq!(epoch_at(&h, 50), Some(3));
        assert_eq!(epoch_at(&h, 49), Some(1));
        assert_eq!(epoch_at(&marks(&[(2, 10)]), 5), None);
    }
}
