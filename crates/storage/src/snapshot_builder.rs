//! Builds and persists a snapshot of the state machine.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use meridian_types::{Node, NodeId, RegionTypeConfig};
use openraft::storage::{RaftSnapshotBuilder, Snapshot};
use openraft::{LogId, SnapshotMeta};

use crate::codec::blocking;
use crate::error::{IntoRaft, RaftError, StorageError};
use crate::snapshot_store::SaveMode;
use crate::state_machine::Shared;

/// openraft runs a build in its own task while apply goes on; the builder serialises the state
/// under the read lock (on a blocking thread), so the data is exactly that of `last_applied`.
pub struct SnapshotBuilder {
    shared: Arc<Shared>,
}

impl SnapshotBuilder {
    pub(crate) fn new(shared: Arc<Shared>) -> SnapshotBuilder {
        SnapshotBuilder { shared }
    }

    fn build_blocking(
        shared: &Shared,
    ) -> Result<(SnapshotMeta<NodeId, Node>, Vec<u8>), StorageError> {
        let (last_applied, membership, data) = {
            let st = shared.read();
            (st.last_applied, st.membership.clone(), st.encode()?)
        };
        let meta = SnapshotMeta {
            snapshot_id: snapshot_id(last_applied),
            last_log_id: last_applied,
            last_membership: membership,
        };
        shared.backlog.flush()?;
        if !shared.snapshots.save(&meta, &data, SaveMode::IfNotOlder)? {
            tracing::info!(
                snapshot_id = %meta.snapshot_id,
                "a newer snapshot was installed meanwhile; keeping it as current"
            );
        }
        Ok((meta, data))
    }
}

/// `<term>-<index>-<unix ms>`: readable, and unique across rebuilds at the same index.
pub(crate) fn snapshot_id(last: Option<LogId<NodeId>>) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    match last {
        Some(l) => format!("{}-{}-{ms}", l.leader_id.term, l.index),
        None => format!("0-0-{ms}"),
    }
}

impl RaftSnapshotBuilder<RegionTypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<RegionTypeConfig>, RaftError> {
        let shared = self.shared.clone();
        let (meta, data) = blocking(move || SnapshotBuilder::build_blocking(&shared))
            .await
            .write_snapshot()?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}
