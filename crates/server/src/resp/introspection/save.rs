//! LASTSAVE, SAVE, BGSAVE: Meridian's "RDB" is the Raft snapshot of the node's regional
//! group. SAVE asks this node's Raft to build one and waits for it; BGSAVE asks and answers at
//! once; LASTSAVE answers when this node last built or installed a snapshot (or started).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use meridian_region::RegionGroup;
use meridian_types::{NodeId, Reply};
use tracing::{debug, info_span, Instrument};

use super::unix_secs;
use crate::resp::listener::Shared;

/// How long SAVE waits for the snapshot before giving up.
const SAVE_LIMIT: Duration = Duration::from_secs(60);

pub(super) struct SaveClock {
    last: AtomicI64,
}

impl SaveClock {
    /// Starts at now and follows the group's snapshots: a small task watches the Raft
    /// metrics and ends when the Raft stops publishing them.
    pub(super) fn watch(group: &Arc<RegionGroup>) -> Arc<SaveClock> {
        let clock = Arc::new(SaveClock {
            last: AtomicI64::new(unix_secs()),
        });
        let mut metrics = group.raft().metrics();
        let watcher = clock.clone();
        let span =
            info_span!("lastsave_watcher", node = group.node_id(), cluster = %group.cluster());
        let watch = async move {
            let mut seen = metrics.borrow().snapshot;
            while metrics.changed().await.is_ok() {
                let now = metrics.borrow().snapshot;
                if now != seen {
                    seen = now;
                    watcher.touch();
                }
            }
            debug!("LASTSAVE watcher stopped with the Raft metrics");
        };
        tokio::spawn(watch.instrument(span));
        clock
    }

    pub(super) fn last(&self) -> i64 {
        self.last.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        self.last.store(unix_secs(), Ordering::Relaxed);
    }
}

/// Why SAVE could not build a snapshot.
#[derive(Debug, thiserror::Error)]
enum SnapshotError {
    #[error(transparent)]
    Trigger(#[from] openraft::error::Fatal<NodeId>),
    #[error(transparent)]
    Wait(#[from] openraft::metrics::WaitError),
}

/// Triggers a snapshot and waits until one covers everything applied when asked.
async fn snapshot(group: &RegionGroup) -> Result<(), SnapshotError> {
    let raft = group.raft();
    let target = raft.metrics().borrow().last_applied;
    raft.trigger().snapshot().await?;
    raft.wait(Some(SAVE_LIMIT))
        .metrics(|m| m.snapshot >= target, "snapshot covers the applied log")
        .await?;
    Ok(())
}

/// SAVE (and DEBUG RELOAD): +OK once the snapshot is built.
pub(super) async fn save(shared: &Shared) -> Reply {
    match snapshot(&shared.group).await {
        Ok(()) => {
            shared.intro.save.touch();
            Reply::ok()
        }
        Err(e) => Reply::Error(format!("ERR snapshot failed: {e}")),
    }
}

/// BGSAVE [SCHEDULE]: the snapshot is built in the background; LASTSAVE moves when done.
pub(super) fn bgsave(shared: &Arc<Shared>, argv: &[Bytes]) -> Reply {
    match argv.len() {
        1 => {}
        2 if argv[1].eq_ignore_ascii_case(b"schedule") => {}
        _ => return Reply::Error("ERR syntax error".into()),
    }
    background_snapshot(shared);
    Reply::Status("Background saving started".into())
}

/// BGREWRITEAOF: the Raft log is Meridian's append-only file, and a snapshot is what compacts
/// it, so a rewrite is a snapshot built in the background.
pub(super) fn bgrewriteaof(shared: &Arc<Shared>) -> Reply {
    background_snapshot(shared);
    Reply::Status("Background append only file rewriting started".into())
}

fn background_snapshot(shared: &Arc<Shared>) {
    let shared = shared.clone();
    let save = async move {
        match snapshot(&shared.group).await {
            Ok(()) => shared.intro.save.touch(),
            Err(e) => debug!(error = %e, "BGSAVE snapshot failed"),
        }
    };
    // Inside the client's span, which names the node.
    tokio::spawn(save.instrument(info_span!("bgsave")));
}
