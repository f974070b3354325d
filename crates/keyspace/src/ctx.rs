use std::cell::{RefCell, RefMut};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::db::Keyspace;
use crate::events::{EventClass, KeyEvent};

/// Limits that commands enforce (Redis config values).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest string a command may create (`proto-max-bulk-len`, default 512 MiB).
    pub max_string_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_string_len: 512 * 1024 * 1024,
        }
    }
}

/// A seeded random source, seeded on first use: most commands never draw from it, and seeding
/// costs more than a whole GET. The numbers drawn are the same as from one seeded up front.
#[derive(Debug, Clone)]
pub struct LazyRng {
    seed: u64,
    rng: Option<StdRng>,
}

impl LazyRng {
    pub fn new(seed: u64) -> LazyRng {
        LazyRng { seed, rng: None }
    }

    pub fn get(&mut self) -> &mut StdRng {
        let seed = self.seed;
        self.rng.get_or_insert_with(|| StdRng::seed_from_u64(seed))
    }
}

/// What a read-only command sees: the keyspace at `now_ms` (keys past their TTL are hidden).
pub struct ReadCtx<'a> {
    pub db: &'a Keyspace,
    pub now_ms: u64,
    pub limits: Limits,
    rng: RefCell<LazyRng>,
}

impl<'a> ReadCtx<'a> {
    pub fn new(db: &'a Keyspace, now_ms: u64, seed: u64) -> ReadCtx<'a> {
        ReadCtx {
            db,
            now_ms,
            limits: Limits::default(),
            rng: RefCell::new(LazyRng::new(seed)),
        }
    }

    /// Randomness for commands such as SRANDMEMBER or RANDOMKEY.
    pub fn rng(&self) -> RefMut<'_, StdRng> {
        RefMut::map(self.rng.borrow_mut(), LazyRng::get)
    }
}

/// What a write command sees: the keyspace, the leader's clock, and a seeded random source, so
/// that every replica applying the same entry makes the same changes.
pub struct WriteCtx<'a> {
    pub db: &'a mut Keyspace,
    pub now_ms: u64,
    pub limits: Limits,
    pub rng: LazyRng,
    /// The index of `db` (what the events name).
    pub db_id: u32,
    /// The keyspace events fired so far, in Redis's order (see `events.rs`), when
    /// `record_events` is set (by the caller that wants them).
    pub events: Vec<KeyEvent>,
    pub record_events: bool,
}

impl<'a> WriteCtx<'a> {
    pub fn new(db: &'a mut Keyspace, now_ms: u64, seed: u64) -> WriteCtx<'a> {
        WriteCtx {
            db,
            now_ms,
            limits: Limits::default(),
            rng: LazyRng::new(seed),
            db_id: 0,
            events: Vec::new(),
            record_events: false,
        }
    }

    /// Fires `event` for `key` (Redis's `notifyKeyspaceEvent`), after the `expired` / `new`
    /// events of what the command did to the keyspace before it.
    pub fn notify(&mut self, class: EventClass, event: &'static str, key: &Bytes) {
        if !self.record_events {
            return;
        }
        self.flush_journal();
        self.events.push(KeyEvent {
            class,
            event,
            db: self.db_id,
            key: key.clone(),
        });
    }

    /// Fires `del` for `key` if it held a collection the command emptied (and so removed):
    /// Redis's `if (deleted) notifyKeyspaceEvent(NOTIFY_GENERIC,"del",…)`.
    pub fn remove_if_empty_notify(&mut self, key: &Bytes) -> bool {
        let removed = self.db.remove_if_empty(key);
        if removed {
            self.notify(EventClass::Generic, "del", key);
        }
        removed
    }

    /// Turns what the keyspace journaled into `expired` / `new` events.
    pub fn flush_journal(&mut self) {
        self.db
            .drain_journal(self.db_id, self.now_ms, &mut self.events);
    }

    /// A read view of the same state, for write commands that reuse read logic.
    pub fn as_read(&self) -> ReadCtx<'_> {
        ReadCtx {
            db: self.db,
            now_ms: self.now_ms,
            limits: self.limits,
            rng: RefCell::new(self.rng.clone()),
        }
    }
}

/// What a command that spans databases sees (`MOVE`, `SWAPDB`, `COPY … DB`, `FLUSHALL`): all of
/// them, the one the client selected, and the leader's clock.
pub struct DbsCtx<'a> {
    pub dbs: &'a mut crate::Databases,
    /// The client's selected database.
    pub db: u32,
    pub now_ms: u64,
    /// The keyspace events fired so far, in Redis's order (see `events.rs`), when
    /// `record_events` is set (by the caller that wants them).
    pub events: Vec<KeyEvent>,
    pub record_events: bool,
}

impl<'a> DbsCtx<'a> {
    pub fn new(dbs: &'a mut crate::Databases, db: u32, now_ms: u64) -> DbsCtx<'a> {
        DbsCtx {
            dbs,
            db,
            now_ms,
            events: Vec::new(),
            record_events: false,
        }
    }

    /// Fires `event` for `key` of database `db`, after the `expired` / `new` events of what
    /// the command did to the databases before it.
    pub fn notify(&mut self, class: EventClass, event: &'static str, db: u32, key: &Bytes) {
        if !self.record_events {
            return;
        }
        self.flush_journal();
        self.events.push(KeyEvent {
            class,
            event,
            db,
            key: key.clone(),
        });
    }

    /// Turns what the databases journaled into `expired` / `new` events.
    pub fn flush_journal(&mut self) {
        self.dbs.drain_journals(self.now_ms, &mut self.events);
    }
}
