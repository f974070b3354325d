//! Errors of loading and checking a deployment config.

use std::fmt;
use std::path::PathBuf;

/// Why a deployment config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read deployment config {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML, or does not fit the schema (unknown or missing field,
    /// wrong type). toml's message names the line, column and field.
    #[error("cannot parse deployment config {origin}: {source}")]
    Parse {
        /// The file path, or `<inline>` for [`crate::DeploymentConfig::from_toml_str`].
        origin: String,
        /// toml's error, with line and column.
        #[source]
        source: toml::de::Error,
    },
    /// A `MERIDIAN_*` environment variable holds a value that does not fit its setting.
    #[error("environment variable {var}={value:?} is not usable: {reason}")]
    Env {
        /// The variable name, e.g. `MERIDIAN_COORD_LEASE_MS`.
        var: String,
        /// Its value (lossily converted if not UTF-8).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The config parsed but breaks one or more rules; every problem found is listed.
    #[error("{}", ProblemList(problems))]
    Invalid {
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
}

/// One validation problem: where (a field path such as `clusters[1].nodes[0].grpc_port`) and
/// what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Field path in the file: `raft.election_timeout_min_ms`, `clusters[2]`,
    /// `global_datastores[0].secondaries[1]`; empty when the problem is about the whole file.
    pub path: String,
    /// A sentence a person can act on.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Renders problems as a header line and one indented problem per line.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid deployment config ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The validation problems, if this is [`ConfigError::Invalid`]; empty otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems } => problems,
            _ => &[],
        }
    }
}
