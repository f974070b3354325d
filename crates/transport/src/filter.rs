use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use meridian_types::NodeId;

/// Links this node must treat as cut: messages to these nodes fail as unreachable and messages
/// from them are refused. Empty in production; tests fill it to simulate partitions.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    cut: Arc<RwLock<HashSet<NodeId>>>,
}

impl LinkFilter {
    pub fn new() -> LinkFilter {
        LinkFilter::default()
    }

    pub fn cut(&self, peer: NodeId) {
        self.cut
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer);
    }

    pub fn heal(&self, peer: NodeId) {
        self.cut
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    }

    pub fn heal_all(&self) {
        self.cut.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn is_cut(&self, peer: NodeId) -> bool {
        self.cut
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&peer)
    }
}
