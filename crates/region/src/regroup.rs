//! Regrouping for the leader's coalescing queues (the proposer's Raft entries, the read-index
//! rounds): right after a round is answered, wait a moment for the clients it answered to come
//! back, so that clients in a loop share one round.
//!
//! Without it, such clients settle into two cohorts: one round in flight, the other cohort
//! queued behind it; each client then waits for the other cohort's round as well as its own
//! (redis-benchmark at 50 clients: a third more writes per second with regrouping, see
//! docs/benchmarks.md). The wait ends when as many clients as the answered round had plus
//! those who queued during it are in, or `REGROUP_WAIT` after the answer (tokio's timer rounds
//! it up to its millisecond tick, so a finer pause between arrivals could not be told apart).
//! A lone client, or one after a pause, never waits, and a queue regroups only while the
//! clients it answers are seen to come back quickly (`Returns`).

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task;
use tokio::time::Instant;

/// How long after a round is answered a queue may wait for its clients' next requests.
pub(crate) const REGROUP_WAIT: Duration = Duration::from_millis(1);
/// Bound of `Returns::score`: how much history decides whether regrouping is worth it.
const RETURNS_SCORE_MAX: i32 = 64;

/// Who queued a request, and when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) queued_at: Instant,
    /// The caller's task (a RESP connection runs in one task for its whole life).
    pub(crate) task: Option<task::Id>,
}

impl Caller {
    /// The current task, now.
    pub(crate) fn current() -> Caller {
        Caller {
            queued_at: Instant::now(),
            task: task::try_id(),
        }
    }
}

/// A request in a coalescing queue.
pub(crate) trait Queued {
    fn caller(&self) -> Caller;
}

/// The requests going into the next round.
pub(crate) trait Round {
    type Item: Queued;
    fn items(&self) -> &[Self::Item];
    /// Adds `item`, or hands it back when the round is full.
    fn add(&mut self, item: Self::Item) -> Option<Self::Item>;
}

/// When the last round was answered, and whom it answered.
pub(crate) struct Answered {
    pub(crate) at: Instant,
    pub(crate) callers: Vec<Option<task::Id>>,
}

impl Answered {
    /// `round`'s callers, answered now.
    pub(crate) fn now<T: Queued>(round: &[T]) -> Answered {
        Answered {
            at: Instant::now(),
            callers: round.iter().map(|r| r.caller().task).collect(),
        }
    }
}

/// Fills rounds: what is queued, then (right after an answer, when worth it) the answered
/// clients' next requests.
#[derive(Default)]
pub(crate) struct Regrouper {
    returns: Returns,
}

impl Regrouper {
    /// Adds to `round` everything queued and, when `answered` is the round just answered,
    /// regroups; returns a request that did not fit.
    pub(crate) async fn fill<R: Round>(
        &mut self,
        round: &mut R,
        rx: &mut mpsc::UnboundedReceiver<R::Item>,
        answered: Option<&Answered>,
    ) -> Option<R::Item> {
        let mut carry = drain(round, rx);
        if let Some(answered) = answered {
            self.returns.answered(answered);
            if carry.is_none() && self.returns.worth_waiting() {
                carry = regroup(round, rx, answered).await;
            }
        }
        for item in round.items() {
            self.returns.arrived(item.caller());
        }
        carry
    }
}

/// Takes everything already queued; returns a request that did not fit.
fn drain<R: Round>(round: &mut R, rx: &mut mpsc::UnboundedReceiver<R::Item>) -> Option<R::Item> {
    while let Ok(item) = rx.try_recv() {
        if let Some(full) = round.add(item) {
            return Some(full);
        }
    }
    None
}

/// Waits for `answered`'s clients (see the module docs); returns a request that did not fit.
pub(crate) async fn regroup<R: Round>(
    round: &mut R,
    rx: &mut mpsc::UnboundedReceiver<R::Item>,
    answered: &Answered,
) -> Option<R::Item> {
    let queued_during = round
        .items()
        .iter()
        .filter(|r| r.caller().queued_at < answered.at)
        .count();
    let expected = answered.callers.len() + queued_during;
    let until = answered.at + REGROUP_WAIT;
    while round.items().len() < expected {
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(item)) => {
                if let Some(full) = round.add(item) {
                    return Some(full);
                }
            }
            _ => break,
        }
    }
    None
}

/// Learns whether answered clients come straight back with their next request, as clients in
/// a loop do (benchmarks, batch jobs, workers draining a queue); only then is regrouping worth
/// its wait. Clients whose requests arrive independently (web requests over a pool) would just
/// wait for nobody, so their rounds go out at once.
#[derive(Default)]
pub(crate) struct Returns {
    /// Clients answered recently, and when.
    answered: HashMap<task::Id, Instant>,
    /// Quick returns minus clients that did not return quickly, within `±RETURNS_SCORE_MAX`.
    pub(crate) score: i32,
}

impl Returns {
    pub(crate) fn answered(&mut self, round: &Answered) {
        let before = self.answered.len();
        self.answered
            .retain(|_, at| *at + 2 * REGROUP_WAIT > round.at);
        self.add_score(-((before - self.answered.len()) as i32));
        for t in round.callers.iter().flatten() {
            self.answered.insert(*t, round.at);
        }
    }

    pub(crate) fn arrived(&mut self, caller: Caller) {
        let answered = caller.task.and_then(|t| self.answered.remove(&t));
        if let Some(at) = answered {
            let quick = caller.queued_at <= at + REGROUP_WAIT;
            self.add_score(if quick { 1 } else { -1 });
        }
    }

    fn add_score(&mut self, delta: i32) {
        self.score = (self.score + delta).clamp(-RETURNS_SCORE_MAX, RETURNS_SCORE_MAX);
    }

    pub(crate) fn worth_waiting(&self) -> bool {
        self.score > 0
    }
}

#[cfg(test)]
mod tests;
