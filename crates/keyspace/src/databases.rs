//! The numbered databases of a cluster (Redis's `SELECT`able `db0`, `db1`, …), and the entry
//! point the state machine calls: every command runs in one database, except the few that span
//! several (`MOVE`, `SWAPDB`, `COPY … DB`, `FLUSHALL`, see `cmd_db.rs`).
//!
//! A database is created by the first write that names it and is never dropped, so its WATCH
//! versions go on from where they were (see `versions.rs`). Reads of a database never written
//! see an empty one. How many databases clients may use is the edge's `databases` setting;
//! the replicated state accepts any index below [`MAX_DATABASES`], so clusters and regions
//! configured differently still apply the same log.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::OnceLock;

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{into_reply, lookup, CommandDef, CommandKind, CommandResult};
use crate::ctx::{DbsCtx, ReadCtx};
use crate::db::Keyspace;
use crate::errors::{unknown_command, wrong_arity};
use crate::events::{EventClass, KeyEvent};
use crate::snapshot::{decode_prefix, SnapshotError};
use crate::value::Entry;

/// The largest `databases` setting (and so the largest index + 1 the state accepts).
pub const MAX_DATABASES: u32 = 1 << 16;

/// Every database of a cluster.
#[derive(Debug, Default, Clone)]
pub struct Databases {
    dbs: BTreeMap<u32, Keyspace>,
    /// Set while a command spanning databases records its events (a database it creates
    /// journals too).
    journaling: bool,
}

impl PartialEq for Databases {
    /// Same data in every database (an empty database equals one never created).
    fn eq(&self, other: &Databases) -> bool {
        let ids = self.dbs.keys().chain(other.dbs.keys());
        ids.copied().all(|id| self.db(id) == other.db(id))
    }
}

fn empty() -> &'static Keyspace {
    static EMPTY: OnceLock<Keyspace> = OnceLock::new();
    EMPTY.get_or_init(Keyspace::new)
}

impl Databases {
    pub fn new() -> Databases {
        Databases::default()
    }

    /// Database `id` (an empty one if it was never written).
    pub fn db(&self, id: u32) -> &Keyspace {
        self.dbs.get(&id).unwrap_or_else(|| empty())
    }

    /// Database `id` for a write, created if needed.
    pub fn db_mut(&mut self, id: u32) -> &mut Keyspace {
        let journaling = self.journaling;
        self.dbs.entry(id).or_insert_with(|| {
            let mut ks = Keyspace::new();
            ks.journal(journaling);
            ks
        })
    }

    /// The databases that hold keys, by index (INFO keyspace).
    pub fn non_empty(&self) -> impl Iterator<Item = (u32, &Keyspace)> + '_ {
        self.dbs
            .iter()
            .filter(|(_, ks)| !ks.is_empty())
            .map(|(id, ks)| (*id, ks))
    }

    /// Keys stored in all databases (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.dbs.values().map(Keyspace::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.dbs.values().all(Keyspace::is_empty)
    }

    /// Removes every key of every database (FLUSHALL, a wipe). Versions go on.
    pub fn clear(&mut self) {
        self.dbs.values_mut().for_each(Keyspace::clear);
    }

    /// Exchanges the contents of two databases (SWAPDB), as a modification of every key either
    /// holds, so WATCH on either side sees it.
    pub(crate) fn swap(&mut self, a: u32, b: u32) {
        if a == b {
            return;
        }
        let mut right = std::mem::take(self.db_mut(b));
        self.db_mut(a).swap_data(&mut right);
        *self.db_mut(b) = right;
    }

    /// Runs one command of a committed write entry in database `*db`; `SELECT` (only ever in a
    /// transaction's entry) moves `*db` for the commands after it.
    pub fn execute_write(&mut self, db: &mut u32, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        self.execute(db, argv, (now_ms, seed), None)
    }

    /// As [`Databases::execute_write`], appending the keyspace events the command fires to
    /// `events`, in the order Redis fires them (see `events.rs`). A command that answers an
    /// error fires nothing (unless it deleted expired keys first, as Redis does).
    pub fn execute_write_with_events(
        &mut self,
        db: &mut u32,
        argv: &[Bytes],
        now_ms: u64,
        seed: u64,
        events: &mut Vec<KeyEvent>,
    ) -> Reply {
        self.execute(db, argv, (now_ms, seed), Some(events))
    }

    /// One command of a write entry, recording its events into `events` if given.
    fn execute(
        &mut self,
        db: &mut u32,
        argv: &[Bytes],
        (now_ms, seed): (u64, u64),
        events: Option<&mut Vec<KeyEvent>>,
    ) -> Reply {
        if argv
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"select"))
        {
            return into_reply(select_in_entry(db, argv));
        }
        let Some(def) = argv.first().and_then(|n| lookup(n)) else {
            return unknown_command(argv);
        };
        if !def.arity_ok(argv.len()) {
            return wrong_arity(def.name);
        }
        match def.kind {
            CommandKind::Databases(f) => self.run_dbs(f, def, argv, (*db, now_ms), events),
            CommandKind::Write(_) | CommandKind::Read(_) => {
                let clock = (now_ms, seed);
                self.db_mut(*db)
                    .run_write_inner(def, argv, clock, (*db, events))
            }
        }
    }

    /// A command spanning databases, run in `db` at `now_ms`.
    fn run_dbs(
        &mut self,
        f: crate::DbsFn,
        def: &CommandDef,
        argv: &[Bytes],
        (db, now_ms): (u32, u64),
        mut events: Option<&mut Vec<KeyEvent>>,
    ) -> Reply {
        self.journal(events.is_some());
        self.db_mut(db).expire_looked_up(def, argv, now_ms);
        let start = events.as_ref().map_or(0, |e| e.len());
        if let Some(events) = events.as_deref_mut() {
            self.drain_journals(now_ms, events);
            self.db(db).key_misses_into(def, argv, (db, now_ms), events);
        }
        let mut ctx = DbsCtx::new(self, db, now_ms);
        ctx.record_events = events.is_some();
        let reply = into_reply(f(&mut ctx, argv));
        if let Some(events) = events {
            ctx.flush_journal();
            events.append(&mut ctx.events);
            crate::key_miss::drop_key_misses_if_failed(&reply, events, start);
        }
        self.journal(false);
        reply
    }

    /// Starts or stops journaling in every database, and in any the command creates.
    fn journal(&mut self, on: bool) {
        self.journaling = on;
        self.dbs.values_mut().for_each(|ks| ks.journal(on));
    }

    /// Moves what every database journaled into `out` as `expired` / `new` events.
    pub(crate) fn drain_journals(&mut self, now_ms: u64, out: &mut Vec<KeyEvent>) {
        for (id, ks) in &mut self.dbs {
            ks.drain_journal(*id, now_ms, out);
        }
    }

    /// Runs a read-only command against database `db` at `now_ms`.
    pub fn execute_read(&self, db: u32, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        self.db(db).execute_read(argv, now_ms, seed)
    }

    /// Runs `def`, already looked up and arity-checked by the caller, as a read of `db`.
    pub fn run_read(
        &self,
        db: u32,
        def: &CommandDef,
        argv: &[Bytes],
        now: u64,
        seed: u64,
    ) -> Reply {
        self.db(db).run_read(def, argv, now, seed)
    }

    /// A read with a streamed form (`streamed_read`), written into `sink`.
    pub fn run_read_streamed(
        &self,
        db: u32,
        read: crate::StreamedReadFn,
        argv: &[Bytes],
        now: u64,
        seed: u64,
        sink: &mut dyn crate::BulkSink,
    ) -> Result<(), Reply> {
        read(&ReadCtx::new(self.db(db), now, seed), argv, sink)
    }

    /// The reads of a transaction without writes, in order, starting in `db`; a `SELECT` among
    /// them moves to its database for the reads after it.
    pub fn execute_reads(&self, mut db: u32, cmds: &[Vec<Bytes>], now: u64) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(cmds.len());
        for argv in cmds {
            let reply = if argv
                .first()
                .is_some_and(|n| n.eq_ignore_ascii_case(b"select"))
            {
                into_reply(select_in_entry(&mut db, argv))
            } else {
                self.execute_read(db, argv, now, rand::random())
            };
            replies.push(reply);
        }
        replies
    }

    /// What WATCH records for `key` of database `db` (see [`Keyspace::digest`]).
    pub fn digest(&self, db: u32, key: &Bytes, now_ms: u64) -> Option<u64> {
        self.db(db).digest(key, now_ms)
    }

    /// Up to `limit` `(db, key)` whose TTL is at or before `now_ms`, for active expiry.
    pub fn expired_keys(&self, now_ms: u64, limit: usize) -> Vec<(u32, Bytes)> {
        let mut out = Vec::new();
        for (id, ks) in &self.dbs {
            let room = limit.saturating_sub(out.len());
            if room == 0 {
                break;
            }
            out.extend(ks.expired_keys(now_ms, room).into_iter().map(|k| (*id, k)));
        }
        out
    }

    /// Deletes `key` of `db` if its TTL is at or before `now_ms`; true if it did.
    pub fn expire_if_due(&mut self, db: u32, key: &Bytes, now_ms: u64) -> bool {
        match self.dbs.get_mut(&db) {
            Some(ks) => ks.expire_if_due(key, now_ms),
            None => false,
        }
    }

    /// As [`Databases::expire_if_due`] (active expiry), appending the `expired` event of a
    /// key it deletes to `events`.
    pub fn expire_if_due_with_events(
        &mut self,
        db: u32,
        key: &Bytes,
        now_ms: u64,
        events: &mut Vec<KeyEvent>,
    ) -> bool {
        let deleted = self.expire_if_due(db, key, now_ms);
        if deleted {
            events.push(KeyEvent {
                class: EventClass::Expired,
                event: "expired",
                db,
                key: key.clone(),
            });
        }
        deleted
    }

    /// Replaces every database's keys with `image`'s (a full sync), as a modification of every
    /// key it holds (see [`Keyspace::adopt`]).
    pub fn adopt(&mut self, mut image: Databases) {
        let ids: std::collections::BTreeSet<u32> =
            self.dbs.keys().chain(image.dbs.keys()).copied().collect();
        for id in ids {
            let incoming = image.dbs.remove(&id).unwrap_or_default();
            self.db_mut(id).adopt(incoming);
        }
    }

    /// Every stored `(db, key, entry)` (expired ones included), consuming the databases: a full
    /// sync streams a copy this way, in chunks made by [`encode_chunk`](crate::encode_chunk).
    pub fn into_raw_entries(self) -> impl Iterator<Item = (u32, Bytes, Entry)> {
        self.dbs
            .into_iter()
            .flat_map(|(id, ks)| ks.into_raw_entries().map(move |(k, e)| (id, k, e)))
    }

    /// Inserts every record of a chunk made by [`encode_chunk`](crate::encode_chunk); returns
    /// how many. A corrupt chunk, or one naming a database past [`MAX_DATABASES`], inserts
    /// nothing.
    pub fn import_chunk(&mut self, data: &[u8]) -> Result<usize, SnapshotError> {
        let entries: Vec<(u32, Bytes, Entry)> = bincode::deserialize(data)?;
        if let Some((db, ..)) = entries.iter().find(|(db, ..)| *db >= MAX_DATABASES) {
            return Err(SnapshotError::Database(*db));
        }
        let n = entries.len();
        for (db, k, e) in entries {
            self.db_mut(db).insert_entry(k, e);
        }
        Ok(n)
    }

    /// Writes every created database: their count, then each index and its keyspace.
    pub fn write_snapshot(&self, mut w: impl Write) -> Result<(), SnapshotError> {
        bincode::serialize_into(&mut w, &(self.dbs.len() as u32))?;
        for (id, ks) in &self.dbs {
            bincode::serialize_into(&mut w, id)?;
            ks.write_snapshot(&mut w)?;
        }
        Ok(())
    }

    /// Reads databases written by [`Databases::write_snapshot`] from the front of `data`
    /// (bytes after them are ignored). A length prefix is checked against the bytes left before
    /// anything is allocated for it (see `snapshot.rs`), so hostile bytes are an error.
    pub fn read_snapshot(mut data: &[u8]) -> Result<Databases, SnapshotError> {
        Databases::read_snapshot_from(&mut data)
    }

    /// As [`Databases::read_snapshot`], advancing `data` past the databases read: for a format
    /// that carries more after them (the state machine's snapshot).
    pub fn read_snapshot_from(data: &mut &[u8]) -> Result<Databases, SnapshotError> {
        let count: u32 = decode_prefix(data)?;
        let mut dbs = BTreeMap::new();
        for _ in 0..count {
            let id: u32 = decode_prefix(data)?;
            if id >= MAX_DATABASES {
                return Err(SnapshotError::Database(id));
            }
            dbs.insert(id, Keyspace::read_snapshot_from(data)?);
        }
        Ok(Databases {
            dbs,
            journaling: false,
        })
    }
}

#[cfg(test)]
impl Databases {
    /// Runs `argv` as a committed write in database 0 of `ks` (tests of one keyspace).
    pub(crate) fn run_in(ks: &mut Keyspace, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        let mut dbs = Databases::new();
        dbs.dbs.insert(0, std::mem::take(ks));
        let reply = dbs.execute_write(&mut 0, argv, now_ms, seed);
        *ks = dbs.dbs.remove(&0).unwrap_or_default();
        reply
    }
}

/// `SELECT` inside a committed entry: the edge checked the index against its `databases`
/// setting before proposing, so only the hard limit is checked here.
fn select_in_entry(db: &mut u32, argv: &[Bytes]) -> CommandResult {
    if argv.len() != 2 {
        return Err(wrong_arity("select"));
    }
    *db = crate::cmd_db::db_index(&argv[1], None, MAX_DATABASES)?;
    Ok(Reply::ok())
}

#[cfg(test)]
#[path = "databases_tests.rs"]
mod tests;
