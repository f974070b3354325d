//! Waiting for a condition with a deadline: the one piece of code behind every "poll until it
//! holds, or give up" in Meridian's tests and tools.
//!
//! A check is called until it reports success or the time limit has passed. Each call reports
//! either a value (done) or an observation (not yet, and why). Between calls the waiter sleeps
//! for the poll interval (20 ms unless [`Wait::every`] says otherwise), never past the deadline,
//! so the last call is made at the deadline: a condition that holds by then is seen. When time
//! runs out, the [`Elapsed`] error names what was awaited, for how long, and what the last call
//! observed:
//!
//! ```text
//!   check() ── Ok(v) / Some(v) / true ─────────────────────────────► Ok(v)
//!      │
//!      └─ Err(observation) / None / false ─ time left? ── yes ─ sleep ─► check() again
//!                                                    └─ no ─► Err(Elapsed { what, limit, last })
//!
//!   "the sled db to reopen: not reached within 10s (last: the db is locked)"
//! ```
//!
//! The check always runs at least once, even with a zero limit. [`until`] blocks the thread
//! (`std::thread::sleep`, the system clock); [`until_async`] sleeps on tokio's clock, so under a
//! paused test clock a long limit costs no real time.
//!
//! ```
//! use std::time::Duration;
//!
//! let mut polls = 0;
//! let seen = meridian_wait::until("three polls", Duration::from_secs(5), || {
//!     polls += 1;
//!     if polls == 3 { Ok(polls) } else { Err(format!("{polls} polls so far")) }
//! })?;
//! assert_eq!(seen, 3);
//! # Ok::<(), meridian_wait::Elapsed<String>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How long the waiter sleeps between two calls of the check unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(20);

/// Polls `check` every 20 ms until it reports a value, or fails with the last observation once
/// `limit` has passed. Blocks the calling thread; in async code use [`until_async`].
pub fn until<C, R>(
    what: impl Into<String>,
    limit: Duration,
    check: C,
) -> Result<R::Value, Elapsed<R::Observation>>
where
    C: FnMut() -> R,
    R: Outcome,
{
    Wait::new(what, limit).until(check)
}

/// Awaits `check` every 20 ms (tokio's clock) until it reports a value, or fails with the last
/// observation once `limit` has passed.
pub async fn until_async<C, F>(
    what: impl Into<String>,
    limit: Duration,
    check: C,
) -> Result<<F::Output as Outcome>::Value, Elapsed<<F::Output as Outcome>::Observation>>
where
    C: FnMut() -> F,
    F: Future,
    F::Output: Outcome,
{
    Wait::new(what, limit).until_async(check).await
}

/// A wait to run: what is awaited (for the error), the time limit and the poll interval.
#[derive(Debug, Clone)]
pub struct Wait {
    what: String,
    limit: Duration,
    interval: Duration,
}

impl Wait {
    /// A wait for `what` (say it as the condition: "a leader", "node 2 to catch up") of at most
    /// `limit`, polling every 20 ms.
    pub fn new(what: impl Into<String>, limit: Duration) -> Self {
        Self {
            what: what.into(),
            limit,
            interval: DEFAULT_INTERVAL,
        }
    }

    /// Polls every `interval` instead (a check that is costly, or a process that is slow to
    /// change).
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Runs the wait, blocking the calling thread between calls of `check`.
    pub fn until<C, R>(&self, mut check: C) -> Result<R::Value, Elapsed<R::Observation>>
    where
        C: FnMut() -> R,
        R: Outcome,
    {
        let start = std::time::Instant::now();
        loop {
            let last = match check().into_result() {
                Ok(value) => return Ok(value),
                Err(observation) => observation,
            };
            let left = self.limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(self.elapsed(last));
            }
            std::thread::sleep(self.interval.min(left));
        }
    }

    /// Runs the wait, sleeping on tokio's clock between calls of `check`.
    pub async fn until_async<C, F>(
        &self,
        mut check: C,
    ) -> Result<<F::Output as Outcome>::Value, Elapsed<<F::Output as Outcome>::Observation>>
    where
        C: FnMut() -> F,
        F: Future,
        F::Output: Outcome,
    {
        let start = tokio::time::Instant::now();
        loop {
            let last = match check().await.into_result() {
                Ok(value) => return Ok(value),
                Err(observation) => observation,
            };
            let left = self.limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(self.elapsed(last));
            }
            tokio::time::sleep(self.interval.min(left)).await;
        }
    }

    fn elapsed<O>(&self, last: O) -> Elapsed<O> {
        Elapsed {
            what: self.what.clone(),
            limit: self.limit,
            last,
        }
    }
}

/// What one call of a check reports: `Ok` with the value the wait returns, or `Err` with what it
/// saw instead.
///
/// `Result<T, O>` is itself an outcome: `Err(o)` means "not yet" and `o` is kept as the last
/// observation (an error from a connection attempt, the state seen, a sentence). `Option<T>` and
/// `bool` are outcomes whose only observation is [`NotYet`].
pub trait Outcome {
    /// What the wait returns once the condition holds.
    type Value;
    /// What a call that found the condition false saw.
    type Observation;

    /// `Ok(value)` when the condition holds, else `Err(observation)`.
    fn into_result(self) -> Result<Self::Value, Self::Observation>;
}

impl<T, O> Outcome for Result<T, O> {
    type Value = T;
    type Observation = O;

    fn into_result(self) -> Result<T, O> {
        self
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    type Observation = NotYet;

    fn into_result(self) -> Result<T, NotYet> {
        self.ok_or(NotYet)
    }
}

impl Outcome for bool {
    type Value = ();
    type Observation = NotYet;

    fn into_result(self) -> Result<(), NotYet> {
        if self {
            Ok(())
        } else {
            Err(NotYet)
        }
    }
}

/// The observation of a check that says only "not yet" (`None`, `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotYet;

impl fmt::Display for NotYet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("condition not met yet")
    }
}

/// A wait that ran out of time: what was awaited, the limit, and the last call's observation.
///
/// Displayed as `"{what}: not reached within {limit:?} (last: {last:#})"`; the alternate form
/// of the observation prints an `anyhow::Error` with its causes.
#[derive(Debug, Clone)]
pub struct Elapsed<O> {
    what: String,
    limit: Duration,
    last: O,
}

impl<O> Elapsed<O> {
    /// What was awaited, as the wait was told.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// How long the wait was allowed to take.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// What the last call of the check observed.
    pub fn last(&self) -> &O {
        &self.last
    }

    /// The last observation, for a caller that reports it in its own way.
    pub fn into_last(self) -> O {
        self.last
    }
}

impl<O: fmt::Display> fmt::Display for Elapsed<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: not reached within {:?} (last: {:#})",
            self.what, self.limit, self.last
        )
    }
}

impl<O: fmt::Debug + fmt::Display> std::error::Error for Elapsed<O> {}

#[cfg(test)]
mod tests;
