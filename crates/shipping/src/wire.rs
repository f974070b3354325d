//! The messages of a shipping stream, bincode-encoded in `ShipFrame`s.

use bytes::Bytes;
use meridian_proto::internal::ShipFrame;
use meridian_types::{BacklogOp, HistoryMark, NodeId, Seq, ShipPosition};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tonic::Status;

/// Subscriber → source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Up {
    Subscribe(Subscribe),
    Ack(Ack),
}

/// The first message of a stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscribe {
    pub datastore: String,
    /// The primary cluster asked for (must be the serving node's cluster).
    pub source: String,
    /// The subscribing secondary cluster and its leader.
    pub subscriber: String,
    pub node: NodeId,
    /// The subscriber's RESP address (reported by INFO replication on the primary).
    pub resp_addr: String,
    /// Where the subscriber stands; None asks for a full sync.
    pub position: Option<ShipPosition>,
    /// False: a leader that has a caught-up follower refuses, so followers carry the load.
    pub allow_leader: bool,
}

/// What the subscriber has applied (durably, in its own Raft group).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ack {
    pub applied_seq: Seq,
    pub lag_ms: u64,
}

/// Source → subscriber.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Down {
    /// Committed ops from the subscriber's next seq, in order. `head_seq` is the source's seq
    /// when sent; `age_ms` how long ago the source applied the first op (its own clock).
    Ops {
        ops: Vec<BacklogOp>,
        history: Vec<HistoryMark>,
        head_seq: Seq,
        age_ms: u64,
    },
    /// A full sync of the image at `seq` starts; `keys` records follow in chunks.
    SyncBegin {
        seq: Seq,
        history: Vec<HistoryMark>,
        keys: u64,
    },
    /// Records of the image (`meridian_keyspace::encode_chunk`).
    SyncChunk(Bytes),
    /// The image is complete; ops from `seq + 1` follow.
    SyncEnd,
    /// Nothing new; the source is at `head_seq`.
    Heartbeat {
        head_seq: Seq,
        history: Vec<HistoryMark>,
    },
    /// The image's ACL users (bincode `meridian_acl::Users`), after its chunks and before
    /// `SyncEnd`. Last of the variants: bincode numbers them, and older peers keep theirs.
    SyncUsers(Bytes),
}

pub(crate) fn frame<T: Serialize>(msg: &T) -> Result<ShipFrame, Status> {
    bincode::serialize(msg)
        .map(|payload| ShipFrame {
            payload: payload.into(),
        })
        .map_err(|e| Status::internal(format!("cannot encode a shipping message: {e}")))
}

pub(crate) fn unframe<T: DeserializeOwned>(f: &ShipFrame) -> Result<T, Status> {
    bincode::deserialize(&f.payload)
        .map_err(|e| Status::invalid_argument(format!("malformed shipping message: {e}")))
}
