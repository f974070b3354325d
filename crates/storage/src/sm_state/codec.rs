//! The snapshot encoding of [`SmState`]: a version byte, a bincode header, then the
//! databases' own format (and the staged image's databases, when a full sync is under way),
//! then the ACL users (and the staged image's, when they arrived) in bincode.
//!
//! Version 5 (before the users were replicated) is still read, with the default users, so a
//! data directory written by the previous build opens.
//!
//! The bytes may come from another node (InstallSnapshot), so decoding trusts no length prefix:
//! each part is read from the front of the slice with the bytes left as the limit
//! ([`decode_prefix`], [`Databases::read_snapshot_from`]).

use std::io::{Read, Write};

use meridian_acl::Users;
use meridian_keyspace::Databases;
use meridian_types::{ClusterRole, DiscardedRange, HistoryMark, Node, NodeId, Seq, SyncId};
use openraft::{LogId, StoredMembership};
use serde::{Deserialize, Serialize};

use super::{SmState, Staging};
use crate::codec::decode_prefix;
use crate::error::StorageError;

/// Version byte at the head of every snapshot this crate writes.
pub(super) const SNAPSHOT_VERSION: u8 = 6;

/// The previous version, still read: no users part (the default users).
pub(super) const SNAPSHOT_VERSION_NO_USERS: u8 = 5;

/// What precedes the databases in a snapshot.
#[derive(Serialize, Deserialize)]
struct SnapshotHeader {
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, Node>,
    seq: Seq,
    role: ClusterRole,
    history: Vec<HistoryMark>,
    last_op_ms: u64,
    /// The staged image's `(id, seq, history, corrupt)`; its databases follow the main ones.
    staging: Option<(SyncId, Seq, Vec<HistoryMark>, bool)>,
    discarded: Vec<DiscardedRange>,
    role_token: u64,
}

/// What follows the databases (version 6 on).
#[derive(Serialize, Deserialize)]
struct UsersPart {
    users: Users,
    /// The staged image's users, when a full sync is under way and they arrived.
    staged: Option<Users>,
}

impl SmState {
    /// Snapshot bytes: version, bincode header, then the databases' own format.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, StorageError> {
        let mut out = Vec::with_capacity(64 + self.dbs.len() * 32);
        out.write_all(&[SNAPSHOT_VERSION])?;
        let header = SnapshotHeader {
            last_applied: self.last_applied,
            membership: self.membership.clone(),
            seq: self.seq,
            role: self.role.clone(),
            history: self.history.clone(),
            last_op_ms: self.last_op_ms,
            staging: self
                .staging
                .as_ref()
                .map(|st| (st.id, st.seq, st.history.clone(), st.corrupt)),
            discarded: self.discarded.clone(),
            role_token: self.role_token,
        };
        bincode::serialize_into(&mut out, &header)
            .map_err(StorageError::codec("encode snapshot header"))?;
        if self.planted.snapshot_drops_key {
            // Planted bug: the snapshot silently lacks its smallest key.
            let mut dbs = self.dbs.clone();
            let first = dbs.db(0).iter(0).map(|(k, _)| k.to_bytes()).min();
            if let Some(first) = first {
                dbs.db_mut(0).remove(&first, 0);
            }
            dbs.write_snapshot(&mut out)?;
        } else {
            self.dbs.write_snapshot(&mut out)?;
        }
        if let Some(st) = &self.staging {
            st.dbs.write_snapshot(&mut out)?;
        }
        let users = UsersPart {
            users: self.users.clone(),
            staged: self.staging.as_ref().and_then(|st| st.users.clone()),
        };
        bincode::serialize_into(&mut out, &users)
            .map_err(StorageError::codec("encode snapshot users"))?;
        Ok(out)
    }

    /// Reads bytes made by [`SmState::encode`].
    pub(crate) fn decode(mut data: &[u8]) -> Result<SmState, StorageError> {
        let r = &mut data;
        let mut version = [0u8; 1];
        r.read_exact(&mut version)?;
        if version[0] != SNAPSHOT_VERSION && version[0] != SNAPSHOT_VERSION_NO_USERS {
            return Err(StorageError::SnapshotVersion(version[0], SNAPSHOT_VERSION));
        }
        let header: SnapshotHeader = decode_prefix("decode snapshot header", r)?;
        let dbs = Databases::read_snapshot_from(r)?;
        let mut staging = match header.staging {
            Some((id, seq, history, corrupt)) => Some(Staging {
                id,
                seq,
                history,
                corrupt,
                dbs: Databases::read_snapshot_from(r)?,
                users: None,
            }),
            None => None,
        };
        let users = if version[0] == SNAPSHOT_VERSION_NO_USERS {
            Users::default()
        } else {
            let part: UsersPart = decode_prefix("decode snapshot users", r)?;
            if let Some(st) = staging.as_mut() {
                st.users = part.staged;
            }
            part.users
        };
        Ok(SmState {
            dbs,
            users,
            last_applied: header.last_applied,
            membership: header.membership,
            seq: header.seq,
            role: header.role,
            history: header.history,
            last_op_ms: header.last_op_ms,
            staging,
            discarded: header.discarded,
            role_token: header.role_token,
            planted: Default::default(),
            acl_commands: Default::default(),
        })
    }
}
