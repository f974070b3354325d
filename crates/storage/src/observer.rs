//! A hook that hears about every applied write: how the server wakes clients blocked on keys
//! (BLPOP and the other blocking commands) without polling.

use std::sync::{Arc, PoisonError, RwLock};

use meridian_keyspace::KeyEvent;
use meridian_types::BacklogOp;

/// What one `apply` call did, in log order.
pub struct Applied<'a> {
    /// The writes (each with its database and argv).
    pub ops: &'a [BacklogOp],
    /// The keyspace events they fired, each with the index in `ops` of the op that fired it
    /// (collected only while [`crate::SmHandle::set_events_wanted`] is on).
    pub events: &'a [(usize, KeyEvent)],
    /// `ops[..replayed_ops]` and `events[..replayed_events]` come from entries this node
    /// already held in its log when it started: applied again after a restart, they happened
    /// before any of its clients came.
    pub replayed_ops: usize,
    pub replayed_events: usize,
}

/// Told, after each apply, which writes the state machine just applied. Called on the state
/// machine's task with no lock held: keep it short and never block.
pub trait ApplyObserver: Send + Sync {
    /// The writes of one `apply` call.
    fn applied(&self, applied: &Applied<'_>);

    /// The whole state was replaced (a snapshot installed): any key may have changed.
    fn replaced(&self);
}

/// The state machine's slot for one observer.
#[derive(Default)]
pub(crate) struct ObserverSlot(RwLock<Option<Arc<dyn ApplyObserver>>>);

impl ObserverSlot {
    pub(crate) fn set(&self, observer: Arc<dyn ApplyObserver>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(observer);
    }

    fn get(&self) -> Option<Arc<dyn ApplyObserver>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn applied(&self, applied: &Applied<'_>) {
        if applied.ops.is_empty() && applied.events.is_empty() {
            return;
        }
        if let Some(o) = self.get() {
            o.applied(applied);
        }
    }

    pub(crate) fn replaced(&self) {
        if let Some(o) = self.get() {
            o.replaced();
        }
    }
}
