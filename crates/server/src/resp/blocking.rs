//! Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
//! BZMPOP): who waits on which key of which database, in arrival order, and waking them when
//! an applied write may have filled a key.
//!
//! How a blocked client is served (the connection side is in `blocking/wait.rs`):
//! - The client registers as a [`Waiter`] on its keys *before* its first attempt, so a push
//!   that lands between that attempt and the wait still wakes it.
//! - Every attempt is the command itself proposed as an ordinary replicated write; the keyspace
//!   runs it without blocking (as Redis does inside MULTI). So the log decides who got which
//!   element, and every node and every secondary cluster applies the same pop.
//! - The state machine tells [`BlockedKeys`] about each applied write (`applied.rs`); the
//!   first waiter in line on a touched key is woken, looks at the node's own copy of the data,
//!   and proposes a pop restricted to its keys that are ready. When it leaves (served, timed
//!   out, unblocked, gone), the next in line on its keys is woken. Clients of one node are
//!   thus served in Redis's order; clients blocked on different nodes of a cluster race, and
//!   the log orders them.

pub(crate) mod stream_wait;
pub(crate) mod wait;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use meridian_region::RegionGroup;
use meridian_types::BacklogOp;
use tokio::sync::Notify;

/// A key of one database.
type DbKey = (u32, Bytes);

/// The longest a writer waits for the clients its write woke on this node.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The node's blocked clients, by key. Shared by the RESP connections and the state machine's
/// observer.
#[derive(Default)]
pub(crate) struct BlockedKeys {
    inner: Mutex<Lines>,
    /// Waiters registered: the observer's fast path when nobody blocks.
    count: AtomicUsize,
    /// Told whenever a waiter acted on a wake-up or left.
    settled: Notify,
}

/// A waiter's wake-up, and whether it has not yet acted on it (looked at the data and, when
/// a key was ready, made its serving attempt).
#[derive(Default)]
struct Wake {
    notify: Notify,
    pending: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Lines {
    next_ticket: u64,
    /// Per key, the tickets waiting on it, oldest first.
    queues: HashMap<DbKey, VecDeque<u64>>,
    /// Each waiter's wake-up.
    wakes: HashMap<u64, Arc<Wake>>,
    /// Each database's keys with a queue (SWAPDB wakes them all).
    by_db: HashMap<u32, usize>,
}

impl Lines {
    fn wake_head(&self, key: &DbKey) {
        let head = self.queues.get(key).and_then(|q| q.front());
        if let Some(wake) = head.and_then(|t| self.wakes.get(t)) {
            wake.pending.store(true, Ordering::Release);
            wake.notify.notify_one();
        }
    }

    fn wake_db(&self, db: u32) {
        if !self.by_db.contains_key(&db) {
            return;
        }
        for key in self.queues.keys().filter(|(d, _)| *d == db) {
            self.wake_head(key);
        }
    }

    fn wake_all(&self) {
        for key in self.queues.keys() {
            self.wake_head(key);
        }
    }

    /// True while a registered waiter has a wake-up it has not acted on. A waiter that left
    /// is no longer here, so nothing can stay owed.
    fn any_pending(&self) -> bool {
        self.wakes
            .values()
            .any(|w| w.pending.load(Ordering::Acquire))
    }
}

impl BlockedKeys {
    /// A snapshot replaced the data: any key may have been filled.
    pub(crate) fn wake_everyone(&self) {
        self.lock().wake_all();
    }

    /// Puts a client in line on `keys` of database `db` (duplicates count once).
    pub(crate) fn register(self: &Arc<Self>, db: u32, keys: &[Bytes]) -> Waiter {
        let mut lines = self.lock();
        let ticket = lines.next_ticket;
        lines.next_ticket += 1;
        let wake = Arc::new(Wake::default());
        lines.wakes.insert(ticket, wake.clone());
        let mut mine: Vec<Bytes> = Vec::with_capacity(keys.len());
        for key in keys {
            if mine.contains(key) {
                continue;
            }
            mine.push(key.clone());
            let queue = lines.queues.entry((db, key.clone())).or_default();
            let first_on_key = queue.is_empty();
            queue.push_back(ticket);
            if first_on_key {
                *lines.by_db.entry(db).or_default() += 1;
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        Waiter {
            registry: self.clone(),
            ticket,
            db,
            keys: mine,
            wake,
        }
    }

    /// Blocked clients on this node.
    pub(crate) fn waiting(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a write of this node's client: returns once this node applied it (`seq`) and the
    /// clients it woke here made their serving attempts, or after a short limit. So the
    /// writer's next command sees them served, as on Redis, where a write serves blocked
    /// clients before anything else runs.
    pub(crate) async fn settle_after(&self, group: &RegionGroup, seq: meridian_types::Seq) {
        if self.waiting() == 0 {
            return;
        }
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        let mut applied = group.sm().subscribe_seq();
        let reached = applied.wait_for(|s| *s >= seq);
        if tokio::time::timeout_at(deadline, reached).await.is_err() {
            return;
        }
        self.settle_pending(deadline).await;
    }

    /// Returns once no waiter has a wake-up it has not acted on, or at `deadline`.
    async fn settle_pending(&self, deadline: tokio::time::Instant) {
        loop {
            let settled = self.settled.notified();
            if !self.lock().any_pending() {
                return;
            }
            if tokio::time::timeout_at(deadline, settled).await.is_err() {
                return;
            }
        }
    }

    /// A waiter acted on its wake-up.
    fn settle(&self, wake: &Wake) {
        if wake.pending.swap(false, Ordering::AcqRel) {
            self.settled.notify_waiters();
        }
    }

    fn leave(&self, waiter: &Waiter) {
        self.leave_lines(waiter);
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.settled.notify_waiters();
    }

    fn leave_lines(&self, waiter: &Waiter) {
        let mut lines = self.lock();
        lines.wakes.remove(&waiter.ticket);
        for key in &waiter.keys {
            let db_key = (waiter.db, key.clone());
            let Some(queue) = lines.queues.get_mut(&db_key) else {
                continue;
            };
            let was_head = queue.front() == Some(&waiter.ticket);
            queue.retain(|t| *t != waiter.ticket);
            if queue.is_empty() {
                lines.queues.remove(&db_key);
                if let Some(n) = lines.by_db.get_mut(&waiter.db) {
                    *n -= 1;
                    if *n == 0 {
                        lines.by_db.remove(&waiter.db);
                    }
                }
            } else if was_head {
                lines.wake_head(&db_key);
            }
        }
    }

    /// Wakes the first waiter on each key that `ops` may have filled.
    pub(crate) fn touched(&self, ops: &[BacklogOp]) {
        if self.waiting() == 0 {
            return;
        }
        let lines = self.lock();
        for op in ops {
            match touched_by(op) {
                Touched::Keys(keys) => keys.iter().for_each(|k| lines.wake_head(k)),
                Touched::Dbs(a, b) => {
                    lines.wake_db(a);
                    lines.wake_db(b);
                }
            }
        }
    }
}

/// What an applied write may have made non-empty.
enum Touched {
    /// Candidate keys: every argument in the op's database (a key the op did not write only
    /// costs its waiter a look at the data), plus MOVE's and COPY … DB's target.
    Keys(Vec<DbKey>),
    /// SWAPDB: every key of both databases.
    Dbs(u32, u32),
}

fn touched_by(op: &BacklogOp) -> Touched {
    let argv = &op.argv;
    let name = argv
        .first()
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    let db_arg = |i: usize| {
        argv.get(i)
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|s| s.parse::<u32>().ok())
    };
    if name == b"swapdb" {
        if let (Some(a), Some(b)) = (db_arg(1), db_arg(2)) {
            return Touched::Dbs(a, b);
        }
    }
    let mut keys: Vec<DbKey> = argv.iter().skip(1).map(|a| (op.db, a.clone())).collect();
    if name == b"move" {
        if let (Some(key), Some(to)) = (argv.get(1), db_arg(2)) {
            keys.push((to, key.clone()));
        }
    }
    if name == b"copy" {
        let db_at = argv.iter().position(|a| a.eq_ignore_ascii_case(b"db"));
        if let (Some(dst), Some(to)) = (argv.get(2), db_at.and_then(|i| db_arg(i + 1))) {
            keys.push((to, dst.clone()));
        }
    }
    Touched::Keys(keys)
}

/// One blocked client's place in line on its keys; leaving (drop) wakes whoever is next.
pub(crate) struct Waiter {
    registry: Arc<BlockedKeys>,
    ticket: u64,
    db: u32,
    keys: Vec<Bytes>,
    wake: Arc<Wake>,
}

impl Waiter {
    /// Resolves when a key this client is first in line on may have been filled (a wake-up
    /// that came while the client was busy is kept, never lost).
    pub(crate) async fn woken(&self) {
        self.wake.notify.notified().await;
    }

    /// Done acting on a wake-up (see [`BlockedKeys::settle_after`]).
    pub(crate) fn settled(&self) {
        self.registry.settle(&self.wake);
    }

    /// True when nobody waits ahead of this client on any of its keys.
    pub(crate) fn first_in_every_line(&self) -> bool {
        self.heads().len() == self.keys.len()
    }

    /// The keys on which this client is first in line now, in its own order.
    pub(crate) fn heads(&self) -> Vec<Bytes> {
        let lines = self.registry.lock();
        self.keys
            .iter()
            .filter(|k| {
                lines
                    .queues
                    .get(&(self.db, (*k).clone()))
                    .and_then(|q| q.front())
                    == Some(&self.ticket)
            })
            .cloned()
            .collect()
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.registry.leave(self);
    }
}

#[cfg(test)]
mod tests;
