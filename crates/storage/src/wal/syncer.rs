//! The log's group commit: one thread per log that `fdatasync`s the segment files written since
//! its last sync, then reports every append of the wave durable, in order.
//!
//! RaftCore never waits on a sync: it hands the append's callback over and goes on batching
//! new entries while the previous wave is being synced. One `fdatasync` covers every write made
//! to the file before it started, so under load each sync acknowledges many appends.

use std::fs::File;
use std::sync::mpsc;
use std::sync::Arc;

/// Called once the write is durable (`Ok`) or could not be made durable.
pub(crate) type Done = Box<dyn FnOnce(std::io::Result<()>) + Send>;

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
    /// Starts the sync thread, named after the log it serves.
    pub(crate) fn start(name: String) -> std::io::Result<Syncer> {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name(name)
            .spawn(move || run(rx))?;
        Ok(Syncer { tx })
    }

    /// Queues `done` behind a sync of `file`.
    pub(crate) fn sync_then(&self, file: Arc<File>, done: Done) {
        if let Err(mpsc::SendError(req)) = self.tx.send(Request { file, done }) {
            (req.done)(Err(std::io::Error::other(
                "the log's sync thread has stopped",
            )));
        }
    }
}

fn run(rx: mpsc::Receiver<Request>) {
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
        let result = files
            .iter()
            .try_for_each(|f| f.sync_data())
            .map_err(|e| e.to_string());
        files.clear();
        for req in wave.drain(..) {
            (req.done)(result.clone().map_err(std::io::Error::other));
        }
    }
}
