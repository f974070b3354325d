//! Helpers shared by the storage tests: entry builders, a store in a temp dir, a keyspace
//! digest, and a network for a single-node Raft (which never sends anything).
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;

use anyhow::Context;
use bytes::Bytes;
use meridian_storage::{open_db, open_group, LogStore, SmHandle, StateMachine, StorageOptions};
use meridian_types::{GroupId, NodeId, RegionRequest, RegionTypeConfig, WriteBatch};
use openraft::error::{InstallSnapshotError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};

pub type C = RegionTypeConfig;

pub fn group() -> GroupId {
    GroupId::Region("test".to_string())
}

pub fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

pub fn log_id(term: u64, index: u64) -> LogId<NodeId> {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

pub fn write_entry(index: u64, commands: Vec<Vec<Bytes>>) -> Entry<C> {
    Entry {
        log_id: log_id(1, index),
        payload: EntryPayload::Normal(RegionRequest::Write(vec![WriteBatch {
            db: 0,
            commands,
            now_ms: 1_000,
            seed: index,
            watched: vec![],
        }])),
    }
}

pub fn blank_entry(index: u64) -> Entry<C> {
    Entry {
        log_id: log_id(1, index),
        payload: EntryPayload::Blank,
    }
}

/// A group opened in its own temp dir; the dir lives as long as this value.
pub struct TempStore {
    pub dir: tempfile::TempDir,
    pub db: meridian_storage::NodeDb,
    pub log: LogStore,
    pub sm: StateMachine,
    pub handle: SmHandle,
}

pub async fn temp_store(opts: StorageOptions) -> anyhow::Result<TempStore> {
    let dir = tempfile::tempdir().context("creating temp dir")?;
    let db = open_db(dir.path()).context("opening sled db")?;
    let (log, sm, handle) = open_group(&db, &group(), opts)
        .await
        .context("opening group")?;
    Ok(TempStore {
        dir,
        db,
        log,
        sm,
        handle,
    })
}

/// FNV-style digest of the keyspace's snapshot bytes (deterministic order).
pub fn digest(handle: &SmHandle) -> anyhow::Result<u64> {
    let bytes = handle.read(|ks| {
        let mut v = Vec::new();
        ks.write_snapshot(&mut v).map(|_| v)
    })?;
    let mut h = DefaultHasher::new();
    h.write(&bytes);
    Ok(h.finish())
}

/// A network for a one-voter group: every peer is unreachable (and none is ever asked).
#[derive(Clone, Default)]
pub struct NoNetwork;

fn unreachable<E: std::error::Error>() -> RPCError<NodeId, meridian_types::Node, E> {
    RPCError::Unreachable(Unreachable::new(&std::io::Error::other("single-node test")))
}

impl RaftNetworkFactory<C> for NoNetwork {
    type Network = NoNetwork;
    async fn new_client(&mut self, _target: NodeId, _node: &meridian_types::Node) -> NoNetwork {
        NoNetwork
    }
}

impl RaftNetwork<C> for NoNetwork {
    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<C>,
        _option: RPCOption,
    ) -> Result<
        AppendEntriesResponse<NodeId>,
        RPCError<NodeId, meridian_types::Node, RaftError<NodeId>>,
    > {
        Err(unreachable())
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<C>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, meridian_types::Node, RaftError<NodeId, InstallSnapshotError>>,
    > {
        Err(unreachable())
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, meridian_types::Node, RaftError<NodeId>>>
    {
        Err(unreachable())
    }
}
