use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::{BacklogOp, ClusterRole, HistoryMark, Reply, Seq, SyncId};

/// One client write (or an atomic group of them, as MULTI/EXEC or a gRPC batch), as it is
/// stored in the regional Raft log.
///
/// Everything that would make apply non-deterministic is chosen by the leader when it
/// proposes: the wall-clock time used for TTL arithmetic and the seed of any random choice
/// (SPOP, SRANDMEMBER with a write side effect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteBatch {
    /// The database the commands run in (the client's `SELECT`); a `SELECT` among the commands
    /// moves the ones after it.
    pub db: u32,
    /// Redis commands as argv (`["SET", "k", "v", "PX", "100"]`), applied in order, atomically.
    pub commands: Vec<Vec<Bytes>>,
    /// Leader's wall clock in Unix milliseconds when it proposed the batch.
    pub now_ms: u64,
    /// Seed for commands that choose at random.
    pub seed: u64,
    /// WATCHed keys with the digest each had when it was watched (the keyspace's
    /// modification version of the key, or of its slot's creations when it was missing). If
    /// any differs at apply time, the batch changes nothing and is reported aborted, as EXEC
    /// after a touched WATCH.
    pub watched: Vec<WatchedKey>,
}

/// A key a client WATCHed, in its database, with the digest it had then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchedKey {
    pub db: u32,
    pub key: Bytes,
    pub digest: Option<u64>,
}

/// An entry of the regional Raft log (the application data of the regional group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegionRequest {
    /// Client writes: the batches of one or more clients that the leader gathered into one
    /// entry (so one append, one flush and one replication round serve them all). Each batch is
    /// applied atomically, in order.
    Write(Vec<WriteBatch>),
    /// Active expiry proposed by the leader: delete each `(db, key)` whose TTL is at or before
    /// `now_ms` at apply time (a key whose TTL was changed since is left alone).
    Expire {
        keys: Vec<(u32, Bytes)>,
        now_ms: u64,
    },
    /// The coordination group changed this cluster's role. With `wipe`, every key is deleted
    /// first (a cluster joining a global datastore as a secondary starts empty, as on AWS).
    /// `token` fences it: the coordination log index the decision was read at; a change
    /// below the newest token applied is ignored, so a delayed decision (a stale `Standalone`
    /// included) never undoes a newer one. Tools and tests outside the coordination group
    /// use 0.
    SetRole {
        role: ClusterRole,
        wipe: bool,
        token: u64,
    },
    /// Ops shipped from the primary cluster, in seq order, with the primary's history as the
    /// shipper last saw it. Applied only on a secondary that holds a position: ops at or below
    /// its seq are skipped (already applied), and an op past a gap stops the entry there.
    Ship {
        ops: Vec<BacklogOp>,
        history: Vec<HistoryMark>,
    },
    /// A full sync starts: the primary's image at `seq` follows in chunks, collected aside
    /// (reads keep seeing the old data) until `SyncEnd` swaps it in.
    SyncBegin {
        id: SyncId,
        seq: Seq,
        history: Vec<HistoryMark>,
    },
    /// A part of the image: bincode `Vec<(key, entry)>` as the keyspace stores them.
    SyncChunk { id: SyncId, entries: bytes::Bytes },
    /// The image is complete: it replaces the data, and the secondary now holds position
    /// `(epoch at seq, seq)`.
    SyncEnd { id: SyncId },
    /// The image's ACL users (bincode `meridian_acl::Users`), collected with the chunks and
    /// swapped in at `SyncEnd` (a sync that sent none leaves the default users). Last of the
    /// variants: bincode numbers them, and logs already written keep their meaning.
    SyncUsers { id: SyncId, users: bytes::Bytes },
}

/// What applying one [`RegionRequest`] produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionResponse {
    /// One result per [`WriteBatch`] of a `Write` entry; empty for other entries.
    pub results: Vec<WriteResult>,
    /// The cluster's seq after this entry was applied.
    pub seq: Seq,
}

/// What applying one [`WriteBatch`] produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteResult {
    /// One reply per command.
    pub replies: Vec<Reply>,
    /// The cluster's seq right after this batch: what a client waits for to read its writes.
    pub seq: Seq,
    /// True when a watched key had changed: nothing was applied and `replies` is empty.
    #[serde(default)]
    pub aborted: bool,
}

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consistency {
    /// Reflects every write acknowledged before the read started (read index on the leader).
    #[default]
    Linearizable,
    /// Read index in the serving cluster (same as linearizable inside a standalone cluster).
    Regional,
    /// This node's state, possibly stale.
    Local,
}
