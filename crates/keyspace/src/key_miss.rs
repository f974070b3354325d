//! `keymiss` events (class `m`): Redis fires one for each key a command looks up for reading
//! (`lookupKeyRead*`) and does not find. Lookups for writing never fire it, so most writes do
//! not; the few that read a value first do (SET … GET, GETSET, GETEX, GETDEL, COPY, SORT, the
//! STOREs, BITOP, PFMERGE, BITFIELD with only GETs), checked against redis-server 7.0.15.
//!
//! Reads are not replicated: the node that serves one asks [`Databases::key_misses`] for its
//! events. A write's key misses are among the events `Databases::execute_write_with_events`
//! returns, before the command's own events. A command that answers an error other than
//! WRONGTYPE fires none: Redis fires them when it fails after its lookups (WRONGTYPE on a
//! later key) and not when it fails before them (a syntax error), and other errors are
//! nearly all of the second kind.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::eq_ignore_case;
use crate::command::{lookup, CommandDef, CommandKind};
use crate::db::Keyspace;
use crate::events::{EventClass, KeyEvent};
use crate::lazy_expiry::counted;
use crate::Databases;

/// The keys `def` looks up for reading, in order.
fn read_lookups<'a>(def: &CommandDef, argv: &'a [Bytes]) -> Vec<&'a Bytes> {
    let at = |i: usize| argv.get(i).into_iter().collect();
    let tail = |i: usize| argv.get(i..).unwrap_or_default().iter().collect();
    match def.name {
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" => {
            counted(argv, 1).iter().collect()
        }
        "getex" | "getdel" | "getset" | "copy" | "sort" | "georadius" | "georadiusbymember" => {
            at(1)
        }
        "set" if argv.iter().skip(3).any(|a| eq_ignore_case(a, "get")) => at(1),
        "zrangestore" | "geosearchstore" => at(2),
        "sinterstore" | "sunionstore" | "sdiffstore" => tail(2),
        "zunionstore" | "zinterstore" | "zdiffstore" => counted(argv, 2).iter().collect(),
        "bitop" => tail(3),
        "pfmerge" => tail(1),
        "bitfield" if only_gets(argv) => at(1),
        _ if matches!(def.kind, CommandKind::Read(_)) => def.keys(argv),
        _ => Vec::new(),
    }
}

/// BITFIELD without SET or INCRBY reads (Redis serves it as BITFIELD_RO would).
fn only_gets(argv: &[Bytes]) -> bool {
    !argv
        .iter()
        .skip(2)
        .any(|a| eq_ignore_case(a, "set") || eq_ignore_case(a, "incrby"))
}

impl Keyspace {
    /// Appends a `keymiss` of database `db` to `out` for each key `def` reads and finds
    /// missing at `now_ms`.
    pub(crate) fn key_misses_into(
        &self,
        def: &CommandDef,
        argv: &[Bytes],
        (db, now_ms): (u32, u64),
        out: &mut Vec<KeyEvent>,
    ) {
        for key in read_lookups(def, argv) {
            if !self.contains(key, now_ms) {
                out.push(KeyEvent {
                    class: EventClass::KeyMiss,
                    event: "keymiss",
                    db,
                    key: key.clone(),
                });
            }
        }
    }
}

impl Databases {
    /// The `keymiss` events of a read (`argv`, run in database `db` at `now_ms`), for the node
    /// that serves it to publish once it answered without an error. A key past its TTL is a
    /// miss (Redis would also delete it and fire `expired`; a read here changes nothing).
    pub fn key_misses(&self, db: u32, argv: &[Bytes], now_ms: u64) -> Vec<KeyEvent> {
        let mut out = Vec::new();
        let def = argv.first().and_then(|n| lookup(n));
        if let Some(def) = def.filter(|d| d.arity_ok(argv.len())) {
            self.db(db)
                .key_misses_into(def, argv, (db, now_ms), &mut out);
        }
        out
    }
}

/// Drops the `keymiss` events from `events[from..]` if `reply` is an error other than
/// WRONGTYPE (which Redis answers after its lookups; the others, before them).
pub(crate) fn drop_key_misses_if_failed(reply: &Reply, events: &mut Vec<KeyEvent>, from: usize) {
    match reply {
        Reply::Error(e) if !e.starts_with("WRONGTYPE") => {}
        _ => return,
    }
    let mut i = 0;
    events.retain(|e| {
        i += 1;
        i <= from || e.class != EventClass::KeyMiss
    });
}
