//! What can be wrong with a history file or a checker's input (as opposed to a verdict about
//! the system under test).

use std::io;

/// A history, or a checker input, that cannot be read or does not follow the format's rules.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history line {line}: cannot read it: {source}")]
    Read {
        line: usize,
        #[source]
        source: io::Error,
    },
    #[error("history line {line}: not a history event: {source}")]
    Parse {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write event {index}: {source}")]
    Write {
        index: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "event {index}: process {process} invokes while its op at event {pending} is still pending"
    )]
    InvokeWhilePending {
        index: u64,
        process: u64,
        pending: u64,
    },
    #[error("event {index}: process {process} completes an op it never invoked")]
    CompletionWithoutInvoke { index: u64, process: u64 },
    #[error("event {index}: process {process} invokes again after its op ended `info`")]
    ProcessReusedAfterInfo { index: u64, process: u64 },
    #[error("event {index}: process {process} completes `{completed}` but invoked `{invoked}`")]
    OpMismatch {
        index: u64,
        process: u64,
        invoked: String,
        completed: String,
    },
    /// List-append needs every value appended at most once per key.
    #[error("key {key}: value {value} appended by both event {first} and event {second}")]
    DuplicateAppend {
        key: String,
        value: i64,
        first: u64,
        second: u64,
    },
    /// Primary writes need seqs above the base seq, never decreasing.
    #[error("primary write {position}: seq {seq} comes after seq {previous}, or the base seq")]
    PrimaryOrder {
        position: usize,
        seq: u64,
        previous: u64,
    },
}
