//! Lease hand-off inside a primary cluster: followers inherit the leader's lease conservatively,
//! so a new regional leader can take writes at once instead of waiting for a fresh grant
//! (the safety argument is in `lease.rs`).
//!
//! ```text
//!  leader                                   follower i
//!    ── LeaseProbe ─────────────────────────►  s_i := now (own monotonic clock), id P_i
//!    ◄───────────────────────────── P_i ─────
//!  t0 := now; grant (E, D) from the coordination group
//!    ── LeaseConfirm(P_i, E, D) ────────────►  inherited := (E, s_i + D) if P_i is newer
//!                                              than what it holds
//!  … the leader dies; follower i is elected: adopts (E, s_i + D) if its role is primary of E
//! ```
//!
//! A probe id is made by the follower that answers: a random number drawn when the group
//! starts (its incarnation) and a counter. A confirm can therefore only name a time this very
//! process noted; one sent before a restart, or to another node, names nothing and is
//! ignored.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meridian_types::{Epoch, Node, NodeId};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;
use tracing::debug;

use crate::forward::{send_lease_confirm, send_lease_probe};
use crate::RegionGroup;

/// Answered probes a follower remembers; a confirm for an older one is ignored. The leader
/// confirms within one grant round trip, so a few are plenty even with two leaders at once.
const REMEMBERED_PROBES: usize = 8;

/// Names one probe a follower answered (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProbeId {
    incarnation: u64,
    seq: u64,
}

/// What a follower did with a confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmed {
    /// It now holds the lease of `epoch` until `until` (its own clock).
    Inherited { epoch: Epoch, until: Instant },
    /// It holds a lease from a probe at least as new: nothing changed.
    Stale,
    /// The probe is not one it remembers (another process, or forgotten): nothing changed.
    Unknown,
}

/// A follower's side of the hand-off: the probes it answered and the lease it inherited.
/// In memory only: after a restart nothing is inherited.
#[derive(Debug)]
pub(crate) struct InheritedLease {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    incarnation: u64,
    next_seq: u64,
    /// `(seq, s_i)` of the newest answered probes, oldest first.
    answered: VecDeque<(u64, Instant)>,
    /// `(seq of the probe, epoch, until)`.
    held: Option<(u64, Epoch, Instant)>,
}

impl Default for InheritedLease {
    fn default() -> Self {
        InheritedLease {
            state: Mutex::new(State {
                incarnation: rand::random(),
                next_seq: 1,
                answered: VecDeque::with_capacity(REMEMBERED_PROBES),
                held: None,
            }),
        }
    }
}

impl InheritedLease {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes `now` (this node's monotonic clock, read while answering) under a new probe id.
    pub(crate) fn answer(&self, now: Instant) -> ProbeId {
        let mut s = self.lock();
        let seq = s.next_seq;
        s.next_seq += 1;
        if s.answered.len() == REMEMBERED_PROBES {
            s.answered.pop_front();
        }
        s.answered.push_back((seq, now));
        ProbeId {
            incarnation: s.incarnation,
            seq,
        }
    }

    /// The leader was granted a lease of `length` for `epoch` after it heard the answer to
    /// `probe`: inherit it until `s_i + length`, unless a newer probe's lease is held.
    pub(crate) fn confirm(&self, probe: ProbeId, epoch: Epoch, length: Duration) -> Confirmed {
        let mut s = self.lock();
        if probe.incarnation != s.incarnation {
            return Confirmed::Unknown;
        }
        if s.held.is_some_and(|(seq, ..)| seq >= probe.seq) {
            return Confirmed::Stale;
        }
        let Some(&(_, noted)) = s.answered.iter().find(|(seq, _)| *seq == probe.seq) else {
            return Confirmed::Unknown;
        };
        let until = noted + length;
        s.held = Some((probe.seq, epoch, until));
        // Nothing older may replace it any more.
        s.answered.retain(|(seq, _)| *seq > probe.seq);
        Confirmed::Inherited { epoch, until }
    }

    /// When the inherited lease of `epoch` ends, if it still runs at `now`.
    pub(crate) fn valid_until(&self, epoch: Epoch, now: Instant) -> Option<Instant> {
        match self.lock().held {
            Some((_, e, until)) if e == epoch && now < until => Some(until),
            _ => None,
        }
    }
}

/// A follower that answered the leader's probe.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    node_id: NodeId,
    node: Node,
    probe: ProbeId,
}

/// Probes every other voter of the group in parallel and returns those whose answers arrived
/// within `wait`; stragglers are abandoned. Every answer returned was received before this
/// returns, hence before the caller's `t0`.
pub(crate) async fn probe_followers(group: &Arc<RegionGroup>, wait: Duration) -> Vec<Answered> {
    let mut calls = JoinSet::new();
    for (node_id, node) in group.peers() {
        let g = group.clone();
        calls.spawn(async move {
            let answer = send_lease_probe(&g, node_id, &node, wait).await;
            (node_id, node, answer)
        });
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut answered = Vec::new();
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, calls.join_next()).await {
        match joined {
            Ok((node_id, node, Ok(probe))) => answered.push(Answered {
                node_id,
                node,
                probe,
            }),
            Ok((node_id, _, Err(e))) => {
                debug!(node_id, error = %e, "lease probe not answered")
            }
            Err(_) => {}
        }
    }
    answered
}

/// Tells each follower in `answered` the lease granted after its answer; waits at most `wait`.
pub(crate) async fn confirm_followers(
    group: &Arc<RegionGroup>,
    answered: Vec<Answered>,
    epoch: Epoch,
    length: Duration,
    wait: Duration,
) {
    let mut calls = JoinSet::new();
    for a in answered {
        let g = group.clone();
        calls.spawn(async move {
            let sent = send_lease_confirm(&g, a.node_id, &a.node, a.probe, epoch, length, wait);
            (a.node_id, sent.await)
        });
    }
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, calls.join_next()).await {
        if let Ok((node_id, Err(e))) = joined {
            debug!(node_id, error = %e, "lease confirm not delivered");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_millis(4_000);

    #[test]
    fn a_confirm_gives_the_answer_time_plus_the_length_however_late_it_comes() {
        let inherited = InheritedLease::default();
        let s = Instant::now();
        let p = inherited.answer(s);
        // Confirmed long after the answer: the lease still counts from the answer.
        assert_eq!(
            inherited.confirm(p, 7, D),
            Confirmed::Inherited {
                epoch: 7,
                until: s + D
            }
        );
        assert_eq!(inherited.valid_until(7, s), Some(s + D));
        assert_eq!(
            inherited.valid_until(7, s + D - Duration::from_millis(1)),
            Some(s + D)
        );
        assert_eq!(inherited.valid_until(7, s + D), None, "ends at s_i + D");
    }

    #[test]
    fn a_repeated_or_older_confirm_never_extends_the_lease() {
        let inherited = InheritedLease::default();
        let s1 = Instant::now();
        let p1 = inherited.answer(s1);
        let s2 = s1 + Duration::from_millis(300);
        let p2 = inherited.answer(s2);
        assert!(matches!(
            inherited.confirm(p2, 7, D),
            Confirmed::Inherited { .. }
        ));
        // The older probe's confirm arrives late, with a longer lease: ignored.
        assert_eq!(inherited.confirm(p1, 7, D * 2), Confirmed::Stale);
        // The same probe confirmed again with a longer lease: ignored.
        assert_eq!(inherited.confirm(p2, 7, D * 2), Confirmed::Stale);
        assert_eq!(inherited.valid_until(7, s2), Some(s2 + D));
    }

    #[test]
    fn a_newer_probe_replaces_the_lease_even_with_another_epoch() {
        let inherited = InheritedLease::default();
        let s1 = Instant::now();
        let p1 = inherited.answer(s1);
        assert!(matches!(
            inherited.confirm(p1, 7, D),
            Confirmed::Inherited { .. }
        ));
        let s2 = s1 + Duration::from_millis(100);
        let p2 = inherited.answer(s2);
        assert!(matches!(
            inherited.confirm(p2, 8, D),
            Confirmed::Inherited { .. }
        ));
        assert_eq!(inherited.valid_until(7, s2), None, "epoch 7 is gone");
        assert_eq!(inherited.valid_until(8, s2), Some(s2 + D));
    }

    #[test]
    fn a_lease_of_another_epoch_is_not_valid() {
        let inherited = InheritedLease::default();
        let s = Instant::now();
        let p = inherited.answer(s);
        inherited.confirm(p, 7, D);
        assert_eq!(inherited.valid_until(6, s), None);
        assert_eq!(inherited.valid_until(8, s), None);
    }

    #[test]
    fn probes_of_another_process_or_forgotten_ones_are_unknown() {
        let before_restart = InheritedLease::default();
        let after_restart = InheritedLease::default();
        let s = Instant::now();
        let old = before_restart.answer(s);
        // The restarted node answered as many probes: same counter, another incarnation.
        let new = after_restart.answer(s + Duration::from_secs(1));
        assert_eq!(old.seq, new.seq);
        assert_eq!(after_restart.confirm(old, 7, D), Confirmed::Unknown);
        assert_eq!(after_restart.valid_until(7, s), None);

        let forgetful = InheritedLease::default();
        let first = forgetful.answer(s);
        for _ in 0..REMEMBERED_PROBES {
            forgetful.answer(s);
        }
        assert_eq!(forgetful.confirm(first, 7, D), Confirmed::Unknown);
        let never = ProbeId {
            incarnation: new.incarnation,
            seq: 999,
        };
        assert_eq!(after_restart.confirm(never, 7, D), Confirmed::Unknown);
    }

    #[test]
    fn nothing_is_inherited_without_a_confirm() {
        let inherited = InheritedLease::default();
        let s = Instant::now();
        inherited.answer(s);
        assert_eq!(inherited.valid_until(7, s), None);
    }
}
