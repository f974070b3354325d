//! The verdict every checker ends with, and the pieces its report is made of.

use std::fmt;

/// A checker's conclusion. A runner should treat `Unknown` as a failure: the checker could not
/// prove the history valid (a budget ran out, or the history cannot show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid(String),
    Unknown(String),
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid)
    }

    pub fn is_invalid(&self) -> bool {
        matches!(self, Verdict::Invalid(_))
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Valid => f.write_str("valid"),
            Verdict::Invalid(reason) => write!(f, "INVALID: {reason}"),
            Verdict::Unknown(reason) => write!(f, "UNKNOWN: {reason}"),
        }
    }
}

/// What every checker's report offers: a verdict, and a `Display` that explains it with the
/// events involved.
pub trait Report: fmt::Display {
    fn verdict(&self) -> Verdict;

    fn is_valid(&self) -> bool {
        self.verdict().is_valid()
    }
}

/// Where an operation sits in the history, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpRef {
    /// The index of its invocation event.
    pub index: u64,
    pub process: u64,
    /// Invocation time, ns since the start of the run.
    pub invoked: u64,
    /// Completion time of an `ok` or `fail`; None for `info` and never-completed ops.
    pub completed: Option<u64>,
}

impl fmt::Display for OpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "op #{} (process {}, {}..",
            self.index,
            self.process,
            Ns(self.invoked)
        )?;
        match self.completed {
            Some(t) => write!(f, "{})", Ns(t)),
            None => f.write_str("unknown)"),
        }
    }
}

/// Displays nanoseconds as exact milliseconds.
pub(crate) struct Ns(pub u64);

impl fmt::Display for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}ms", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// Displays a list in full when short, else its ends and its length.
pub(crate) struct Brief<'a>(pub &'a [i64]);

impl fmt::Display for Brief<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = self.0;
        if list.len() <= 12 {
            return write!(f, "{list:?}");
        }
        let (head, tail) = (&list[..4], &list[list.len() - 4..]);
        let join = |l: &[i64]| l.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        write!(
            f,
            "[{}, ..., {}] ({} elements)",
            join(head),
            join(tail),
            list.len()
        )
    }
}

/// Writes at most `max` items, one per line with `indent`, then how many were left out.
pub(crate) fn write_capped<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    max: usize,
    indent: &str,
) -> fmt::Result {
    for item in items.iter().take(max) {
        writeln!(f, "{indent}{item}")?;
    }
    if items.len() > max {
        writeln!(f, "{indent}... and {} more", items.len() - max)?;
    }
    Ok(())
}
