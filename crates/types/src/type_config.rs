use std::io::Cursor;

use crate::{Node, NodeId, RegionRequest, RegionResponse};

openraft::declare_raft_types!(
    /// openraft configuration of a regional group.
    pub RegionTypeConfig:
        D = RegionRequest,
        R = RegionResponse,
        NodeId = NodeId,
        Node = Node,
        SnapshotData = Cursor<Vec<u8>>,
);

/// A regional Raft group handle.
pub type RegionRaft = openraft::Raft<RegionTypeConfig>;
