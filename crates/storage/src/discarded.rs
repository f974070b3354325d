//! The file a cluster writes when a full sync makes it give up writes of its own (a deposed
//! primary rejoining after a forced failover, DESIGN §7 "Rejoin"): one JSON line per seq, in
//! order, with the command as it was applied, so a person can see and replay what was lost.
//!
//! `<data>/discarded/<group>/epoch-<E>-seqs-<first>-<last>.jsonl`; a seq whose op already left
//! the replication backlog gets a line saying so (the count stays exact: seqs are dense).

use std::io::Write;
use std::path::{Path, PathBuf};

use meridian_types::{BacklogOp, DiscardedRange};
use serde_json::{json, Value};

use crate::backlog::Backlog;
use crate::error::StorageError;
use crate::fsutil;

/// One line per seq of `run`, read from `backlog` before it is reset.
pub(crate) fn save(
    dir: &Path,
    run: DiscardedRange,
    backlog: &Backlog,
) -> Result<PathBuf, StorageError> {
    let mut ops = backlog
        .range(run.first_seq, u64::MAX)?
        .into_iter()
        .take_while(|op| op.seq <= run.last_seq)
        .peekable();
    let mut out = Vec::new();
    for seq in run.first_seq..=run.last_seq {
        let line = match ops.next_if(|op| op.seq == seq) {
            Some(op) => op_line(run, &op),
            None => {
                json!({"epoch": run.epoch, "seq": seq, "missing": "the op had left the replication backlog"})
            }
        };
        writeln!(out, "{line}")?;
    }
    fsutil::create_dir_durable(dir)?;
    let path = dir.join(format!(
        "epoch-{}-seqs-{}-{}.jsonl",
        run.epoch, run.first_seq, run.last_seq
    ));
    fsutil::write_atomically(&path, &out)?;
    Ok(path)
}

fn op_line(run: DiscardedRange, op: &BacklogOp) -> Value {
    let argv: Vec<Value> = op
        .argv
        .iter()
        .map(|a| match std::str::from_utf8(a) {
            Ok(s) => Value::from(s),
            Err(_) => json!({ "hex": hex(a) }),
        })
        .collect();
    json!({"epoch": run.epoch, "seq": op.seq, "unix_ms": op.now_ms, "argv": argv})
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
