//! The state machine's observer for the RESP edge: every write this node applies wakes the
//! clients blocked on its keys (`blocking`), and every `PUBLISH` in it and every keyspace
//! notification it fires reach this node's subscribers (`pubsub`). Both registries are held weakly, so a stopped RESP listener frees
//! them.

use std::sync::{Arc, Weak};

use meridian_region::RegionGroup;
use meridian_storage::{Applied, ApplyObserver};

use crate::resp::blocking::BlockedKeys;
use crate::resp::pubsub::PubSubHub;

struct Observer {
    blocked: Weak<BlockedKeys>,
    pubsub: Weak<PubSubHub>,
}

impl ApplyObserver for Observer {
    fn applied(&self, applied: &Applied<'_>) {
        if let Some(keys) = self.blocked.upgrade() {
            keys.touched(applied.ops);
        }
        if let Some(hub) = self.pubsub.upgrade() {
            hub.deliver(applied);
        }
    }

    fn replaced(&self) {
        if let Some(keys) = self.blocked.upgrade() {
            keys.wake_everyone();
        }
    }
}

/// Tells `group`'s state machine to report its applies to these registries.
pub(crate) fn observe(group: &RegionGroup, blocked: &Arc<BlockedKeys>, pubsub: &Arc<PubSubHub>) {
    group.sm().set_observer(Arc::new(Observer {
        blocked: Arc::downgrade(blocked),
        pubsub: Arc::downgrade(pubsub),
    }));
}
