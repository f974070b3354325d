//! `Traffic`: connection and byte counters per directed link (caller's region → target's
//! region), shared by every connection and read by the admin endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::LinkStatus;

/// Source label of connections whose local address maps to no region.
pub const UNMAPPED: &str = "unmapped";

/// Counters of one link. Connections update them without locks.
#[derive(Debug, Default)]
pub(crate) struct LinkCounters {
    open: AtomicU64,
    total: AtomicU64,
    /// Bytes forwarded from the caller to the target.
    pub(crate) bytes_out: AtomicU64,
    /// Bytes forwarded from the target back to the caller.
    pub(crate) bytes_back: AtomicU64,
}

impl LinkCounters {
    /// Adds `n` forwarded bytes to `counter`.
    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Marks one connection open for as long as it lives.
pub(crate) struct OpenConnection {
    link: Arc<LinkCounters>,
}

impl OpenConnection {
    pub(crate) fn counters(&self) -> &LinkCounters {
        &self.link
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.link.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every link seen so far.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    links: Mutex<BTreeMap<(String, String), Arc<LinkCounters>>>,
}

impl Traffic {
    /// Counts a new connection from region `from` to region `to` until the guard drops.
    pub(crate) fn open(&self, from: &str, to: &str) -> OpenConnection {
        let link = {
            let mut links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
            links
                .entry((from.to_string(), to.to_string()))
                .or_default()
                .clone()
        };
        link.open.fetch_add(1, Ordering::Relaxed);
        link.total.fetch_add(1, Ordering::Relaxed);
        OpenConnection { link }
    }

    /// The counters of every link, sorted by (from, to).
    pub(crate) fn snapshot(&self) -> Vec<LinkStatus> {
        let links = self.links.lock().unwrap_or_else(PoisonError::into_inner);
        links
            .iter()
            .map(|((from, to), c)| LinkStatus {
                from: from.clone(),
                to: to.clone(),
                connections_open: c.open.load(Ordering::Relaxed),
                connections_total: c.total.load(Ordering::Relaxed),
                bytes_out: c.bytes_out.load(Ordering::Relaxed),
                bytes_back: c.bytes_back.load(Ordering::Relaxed),
            })
            .collect()
    }
}
