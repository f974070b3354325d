//! The sequential specification of one key: a register that is also a counter.

use std::collections::{BTreeSet, HashSet};

use crate::event::{Kind, Op};

/// What one op does to the register, reduced to what the search needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Step {
    /// An ok read and the value it returned (None = nil).
    Read(Option<i64>),
    /// `certain`: acknowledged; an `info` write may never have happened.
    Write { value: i64, certain: bool },
    /// `result`: the new value an ok increment returned; None when unknown (info).
    /// `certain`: acknowledged; an `info` increment that would overflow was refused, a no-op.
    Incr {
        by: i64,
        result: Option<i64>,
        certain: bool,
    },
    /// `certain`: the op was acknowledged, so it swapped. An `info` CAS may also have compared
    /// unequal, which leaves the register unchanged.
    Cas { from: i64, to: i64, certain: bool },
}

impl Step {
    /// The step of an op that ended with `outcome`, or None when the op is dropped: `fail`
    /// (certainly not applied) and reads whose result is unknown (they change nothing).
    pub fn of(op: &Op, outcome: Kind) -> Option<Step> {
        let certain = match outcome {
            Kind::Ok => true,
            Kind::Info | Kind::Invoke => false,
            Kind::Fail => return None,
        };
        match *op {
            Op::Read { value, .. } if certain => Some(Step::Read(value)),
            Op::Read { .. } => None,
            Op::Write { value, .. } => Some(Step::Write { value, certain }),
            Op::Incr { by, value, .. } => Some(Step::Incr {
                by,
                result: if certain { value } else { None },
                certain,
            }),
            Op::Cas { from, to, .. } => Some(Step::Cas { from, to, certain }),
            Op::Txn { .. } | Op::ReadState { .. } => None,
        }
    }

    /// The register after this step from `state`, or None when the step cannot happen there.
    /// An uncertain (`info`) step can happen in every state, so it can always go last.
    pub fn apply(self, state: Option<i64>) -> Option<Option<i64>> {
        match self {
            Step::Read(value) => (value == state).then_some(state),
            Step::Write { value, .. } => Some(Some(value)),
            Step::Incr {
                by,
                result,
                certain,
            } => {
                // Redis refuses an increment that overflows: an ok one cannot have overflowed,
                // an info one that would overflow changed nothing.
                let Some(new) = state.unwrap_or(0).checked_add(by) else {
                    return (!certain).then_some(state);
                };
                result.is_none_or(|r| r == new).then_some(Some(new))
            }
            Step::Cas { from, to, certain } => {
                if state == Some(from) {
                    Some(Some(to))
                } else if certain {
                    None
                } else {
                    Some(state)
                }
            }
        }
    }
}

/// Drops the `info` writes and CASes whose new value no op could have observed, which makes
/// failing searches far cheaper (each info op otherwise multiplies the configurations to rule
/// out).
///
/// Sound only on a key without increments. Say an info op may set `v`, no ok read returned `v`
/// and no CAS compares with `v`. In a linearization, where it set `v`, the ops after it up to
/// the next write or swap can only be info CASes that compared unequal (a no-op fits in any
/// state, so they can move to the end); where it changed nothing it can simply go. Either way
/// the rest is a linearization without it; and one without it extends with it at the end. So
/// the key is linearizable with it iff it is without. Returns how many were dropped.
pub(super) fn drop_unobserved_info_writes<T>(ops: &mut Vec<(T, Step)>) -> usize {
    let steps = || ops.iter().map(|(_, s)| *s);
    if steps().any(|s| matches!(s, Step::Incr { .. })) {
        return 0;
    }
    let observed: HashSet<i64> = steps()
        .filter_map(|s| match s {
            Step::Read(value) => value,
            Step::Cas { from, .. } => Some(from),
            Step::Write { .. } | Step::Incr { .. } => None,
        })
        .collect();
    let before = ops.len();
    ops.retain(|(_, s)| match *s {
        Step::Write {
            value: v,
            certain: false,
        }
        | Step::Cas {
            to: v,
            certain: false,
            ..
        } => observed.contains(&v),
        _ => true,
    });
    before - ops.len()
}

/// For a key that only counts up (reads and increments by a non-negative amount, nothing
/// else), the register never decreases (nil below every number). So a configuration whose
/// register is above what some op still to be linearized needs before it is dead, whatever
/// comes next: that op can never be placed. Tracks the lowest such need.
pub(super) struct Ceiling {
    /// (the highest register value the op can be applied at, op) for the ops left.
    needs: BTreeSet<(Option<i64>, usize)>,
}

impl Ceiling {
    /// A ceiling for these steps, or None when the key is not a counter that only goes up.
    pub fn new(steps: &[Step]) -> Option<Ceiling> {
        let monotone = steps.iter().all(|s| match *s {
            Step::Read(_) => true,
            Step::Incr { by, .. } => by >= 0,
            Step::Write { .. } | Step::Cas { .. } => false,
        });
        let needs = steps
            .iter()
            .enumerate()
            .filter_map(|(op, s)| Some((Self::need(*s)?, op)))
            .collect();
        monotone.then_some(Ceiling { needs })
    }

    fn need(step: Step) -> Option<Option<i64>> {
        match step {
            Step::Read(value) => Some(value),
            Step::Incr {
                by,
                result: Some(r),
                ..
            } => r.checked_sub(by).map(Some),
            _ => None,
        }
    }

    /// The op left, other than `op`, that needs the register lowest, if `state` is above
    /// what it needs: linearizing `op` to reach `state` would leave that op unplaceable.
    pub fn exceeded(&self, op: usize, state: Option<i64>) -> Option<usize> {
        let &(need, lowest) = self.needs.iter().find(|(_, other)| *other != op)?;
        (state > need).then_some(lowest)
    }

    /// The op left, other than `op`, that needs the register below what `op` needs: `op`
    /// cannot be placed before it. Of several with the lowest need, the one invoked last (ops
    /// are numbered in invocation order): a read long after `op` that still needs a lower
    /// value explains more than a concurrent one.
    pub fn conflict(&self, op: usize, step: Step) -> Option<usize> {
        let own = Self::need(step)?;
        let &(need, _) = self.needs.iter().find(|(_, other)| *other != op)?;
        let (_, lowest) = self
            .needs
            .range((need, 0)..=(need, usize::MAX))
            .rev()
            .find(|(_, other)| *other != op)?;
        (need < own).then_some(*lowest)
    }

    /// `op` was linearized.
    pub fn take(&mut self, op: usize, step: Step) {
        if let Some(need) = Self::need(step) {
            self.needs.remove(&(need, op));
        }
    }

    /// `op` was un-linearized.
    pub fn restore(&mut self, op: usize, step: Step) {
        if let Some(need) = Self::need(step) {
            self.needs.insert((need, op));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_redis_semantics() {
        let incr = Step::Incr {
            by: 2,
            result: Some(2),
            certain: true,
        };
        assert_eq!(incr.apply(None), Some(Some(2)), "nil counts as 0");
        assert_eq!(incr.apply(Some(1)), None);
        let overflow = |certain| Step::Incr {
            by: 1,
            result: None,
            certain,
        };
        assert_eq!(overflow(true).apply(Some(i64::MAX)), None);
        assert_eq!(overflow(false).apply(Some(1)), Some(Some(2)));
        assert_eq!(
            overflow(false).apply(Some(i64::MAX)),
            Some(Some(i64::MAX)),
            "an info op can always be placed"
        );
        let cas = |certain| Step::Cas {
            from: 1,
            to: 2,
            certain,
        };
        assert_eq!(cas(true).apply(Some(1)), Some(Some(2)));
        assert_eq!(cas(true).apply(Some(3)), None);
        assert_eq!(cas(false).apply(Some(3)), Some(Some(3)));
        assert_eq!(Step::Read(None).apply(None), Some(None));
        assert_eq!(Step::Read(Some(1)).apply(None), None);
    }
}
