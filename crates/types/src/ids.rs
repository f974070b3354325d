use serde::{Deserialize, Serialize};
use std::fmt;

/// A node's id, unique in a deployment (the `id` of a `[[clusters.nodes]]` entry).
pub type NodeId = u64;

/// Replication position: grows by one for every write the primary applies; never resets.
pub type Seq = u64;

/// Counter bumped by the coordination group on every change of primary.
pub type Epoch = u64;

/// What a Raft peer needs to know about a node: where to reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// `host:port` of the node's gRPC listener (Raft RPCs, KeyValue, admin).
    pub grpc_addr: String,
    /// `host:port` of the node's RESP listener.
    pub resp_addr: String,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "grpc={} resp={}", self.grpc_addr, self.resp_addr)
    }
}

/// Names a Raft group hosted by a node; carried by every internal Raft RPC so one gRPC port
/// can serve several groups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GroupId {
    /// The regional group of the named cluster.
    Region(String),
    /// The cross-region coordination group.
    Coord,
}

impl GroupId {
    /// Stable text form, used in RPCs and as a prefix of sled tree names.
    pub fn as_string(&self) -> String {
        match self {
            GroupId::Region(c) => format!("region.{c}"),
            GroupId::Coord => "coord".to_string(),
        }
    }

    /// Parses the text form made by [`GroupId::as_string`].
    pub fn parse(s: &str) -> Option<GroupId> {
        if s == "coord" {
            return Some(GroupId::Coord);
        }
        s.strip_prefix("region.")
            .filter(|c| !c.is_empty())
            .map(|c| GroupId::Region(c.to_string()))
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_id_round_trips_through_text() {
        for g in [GroupId::Coord, GroupId::Region("use1".into())] {
            assert_eq!(GroupId::parse(&g.as_string()), Some(g));
        }
        assert_eq!(GroupId::parse("region."), None);
        assert_eq!(GroupId::parse("bogus"), None);
    }
}
