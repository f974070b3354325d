//! The log's group commit: one thread per log that `fdatasync`s the segment files written since
//! its last sync, then reports every append of the wave durable, in order.
//!
//! The sync runs off the async runtime, on this thread. openraft 0.9's RaftCore awaits each
//! append's callback before its next command (`RaftCore::append_to_log`), so today a wave is
//! one append of one group; the wave logic makes no assumption about that and covers every
//! append queued while the previous sync ran.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

/// Called once the write is durable (`Ok`) or could not be made durable.
pub(crate) type Done = Box<dyn FnOnce(io::Result<()>) + Send>;

/// Why a sync was refused without trying: an earlier one of the same log failed.
#[derive(Debug, thiserror::Error)]
#[error("an earlier write or sync of this log failed; restart the node")]
struct EarlierFailure;

struct Request {
    file: Arc<File>,
    done: Done,
}

/// The sending side; the thread ends when every clone is dropped and the queue is drained.
#[derive(Clone)]
pub(crate) struct Syncer {
    tx: mpsc::Sender<Request>,
}

impl Syncer {
    /// Starts the sync thread of `group`'s log (thread `wal-<group>`, in a `wal_sync` span
    /// naming the group). A failed sync sets `failed` for good: after one, Linux may report
    /// later syncs clean although the lost pages are gone, so every later sync is reported
    /// failed too.
    pub(crate) fn start(group: &str, failed: Arc<AtomicBool>) -> io::Result<Syncer> {
        let (tx, rx) = mpsc::channel::<Request>();
        let span = tracing::info_span!("wal_sync", group);
        std::thread::Builder::new()
            .name(format!("wal-{group}"))
            .spawn(move || span.in_scope(|| run(rx, &failed)))?;
        Ok(Syncer { tx })
    }

    /// Queues `done` behind a sync of `file`.
    pub(crate) fn sync_then(&self, file: Arc<File>, done: Done) {
        if let Err(mpsc::SendError(req)) = self.tx.send(Request { file, done }) {
            (req.done)(Err(io::Error::other("the log's sync thread has stopped")));
        }
    }
}

fn run(rx: mpsc::Receiver<Request>, failed: &AtomicBool) {
    let mut wave = Vec::new();
    let mut files: Vec<Arc<File>> = Vec::new();
    while let Ok(first) = rx.recv() {
        wave.push(first);
        while let Ok(more) = rx.try_recv() {
            wave.push(more);
        }
        for req in &wave {
            if !files.iter().any(|f| Arc::ptr_eq(f, &req.file)) {
                files.push(req.file.clone());
            }
        }
        // Shared by every append of the wave: each gets an error that shows this one.
        let result: Result<(), Arc<io::Error>> = if failed.load(Ordering::Acquire) {
            Err(Arc::new(io::Error::other(EarlierFailure)))
        } else {
            files
                .iter()
                .try_for_each(|f| f.sync_data())
                .map_err(Arc::new)
        };
        if result.is_err() {
            failed.store(true, Ordering::Release);
        }
        files.clear();
        for req in wave.drain(..) {
            (req.done)(result.clone().map_err(io::Error::other));
        }
    }
}
