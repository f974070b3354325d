//! A hook that hears about every applied write: how the server wakes clients blocked on keys
//! (BLPOP and the other blocking commands) without polling.

use std::sync::{Arc, PoisonError, RwLock};

use meridian_types::BacklogOp;

/// Told, after each apply, which writes the state machine just applied. Called on the state
/// machine's task with no lock held: keep it short and never block.
pub trait ApplyObserver: Send + Sync {
    /// The writes of one `apply` call, in log order (each with its database and argv).
    fn applied(&self, ops: &[BacklogOp]);

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

    pub(crate) fn applied(&self, ops: &[BacklogOp]) {
        if ops.is_empty() {
            return;
        }
        if let Some(o) = self.get() {
            o.applied(ops);
        }
    }

    pub(crate) fn replaced(&self) {
        if let Some(o) = self.get() {
            o.replaced();
        }
    }
}
