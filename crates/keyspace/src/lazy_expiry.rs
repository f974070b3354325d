//! Redis's lazy expiry at a write's key lookups: a primary that looks a key up for a command
//! deletes it if its TTL has passed and fires `expired` (`expireIfNeeded`), before the
//! command's own events. Meridian's reads only hide such keys, so a write deletes them first,
//! in the order Redis looks them up; every replica does the same (the time is the entry's).
//!
//! Keys a command reaches one by one (DEL's, MSET's, a STORE's destination) are left to the
//! command: the keyspace journals them as it removes or replaces them (see `events.rs`), which
//! puts their `expired` between the events of the keys before and after, as in Redis.

use bytes::Bytes;

use crate::args::parse_i64;
use crate::command::CommandDef;
use crate::db::Keyspace;

/// Which keys a command looks up before its first event, in Redis's order.
enum Lookups<'a> {
    /// All of them.
    All(Vec<&'a Bytes>),
    /// Up to the first that exists (the pops that serve the first non-empty key).
    UntilLive(&'a [Bytes]),
}

/// The `numkeys` keys starting at `argv[at]` (none if the count is not a valid one: the
/// command fails before it looks anything up).
pub(crate) fn counted(argv: &[Bytes], at: usize) -> &[Bytes] {
    let n = argv
        .get(at)
        .and_then(|n| parse_i64(n))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    argv.get(at + 1..)
        .map_or(&[], |rest| &rest[..n.min(rest.len())])
}

fn lookups<'a>(def: &CommandDef, argv: &'a [Bytes]) -> Lookups<'a> {
    let tail = |from: usize| argv.get(from..).unwrap_or_default().iter().collect();
    match def.name {
        "del" | "unlink" | "mset" => Lookups::All(Vec::new()),
        // The sources; the destination is looked up when it is written.
        "sinterstore" | "sunionstore" | "sdiffstore" => Lookups::All(tail(2)),
        "zrangestore" | "geosearchstore" => Lookups::All(argv.get(2).into_iter().collect()),
        "zunionstore" | "zinterstore" | "zdiffstore" => {
            Lookups::All(counted(argv, 2).iter().collect())
        }
        "bitop" => Lookups::All(tail(3)),
        // COPY's destination may be in another database; `cmd_db.rs` looks it up there.
        "copy" => Lookups::All(argv.get(1).into_iter().collect()),
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => Lookups::UntilLive(
            argv.get(1..argv.len().saturating_sub(1))
                .unwrap_or_default(),
        ),
        "lmpop" | "zmpop" => Lookups::UntilLive(counted(argv, 1)),
        "blmpop" | "bzmpop" => Lookups::UntilLive(counted(argv, 2)),
        _ => Lookups::All(def.keys(argv)),
    }
}

impl Keyspace {
    /// Deletes (and journals as expired) the keys `def` would find past their TTL at `now_ms`
    /// when Redis looks them up, before the command runs.
    pub(crate) fn expire_looked_up(&mut self, def: &CommandDef, argv: &[Bytes], now_ms: u64) {
        if !self.any_due(now_ms) {
            return;
        }
        match lookups(def, argv) {
            Lookups::All(keys) => {
                for key in keys {
                    self.drop_if_expired(key, now_ms);
                }
            }
            Lookups::UntilLive(keys) => {
                for key in keys {
                    self.drop_if_expired(key, now_ms);
                    if self.contains(key, now_ms) {
                        break;
                    }
                }
            }
        }
    }
}
