//! MEMORY: USAGE estimates a key from its value's size; STATS reports Redis's fields from
//! what this node knows (its dataset estimate, the process's resident set size).

use bytes::Bytes;
use meridian_keyspace::{Databases, Entry, Value};
use meridian_types::Reply;

use super::subcommand_syntax_error;
use crate::resp::dispatch::Answer;
use crate::resp::listener::Shared;
use crate::resp::server_cmds::{help, parse_i64};

/// Redis's per-key overheads on a 64-bit build: a dict entry and an object header.
const DICT_ENTRY: usize = 24;
const ROBJ: usize = 16;

/// jemalloc's size classes, roughly: multiples of 8 up to 128, then of 16 up to 256,
/// then quarter steps of powers of two.
fn alloc_size(n: usize) -> usize {
    match n {
        0..=8 => 8,
        9..=128 => n.div_ceil(8) * 8,
        129..=256 => n.div_ceil(16) * 16,
        _ => {
            let step = (n.next_power_of_two() / 8).max(16);
            n.div_ceil(step) * step
        }
    }
}

/// MEMORY USAGE's estimate for `key` holding `entry`.
pub(super) fn usage(key: &[u8], entry: &Entry) -> usize {
    let key_sds = alloc_size(key.len() + 4);
    let value = match &entry.value {
        // An embedded string shares its allocation with the object header.
        Value::Str(s) if s.len() <= 44 => alloc_size(ROBJ + s.len() + 4),
        Value::Str(s) => ROBJ + alloc_size(s.len() + 4),
        other => ROBJ + other.approx_size(),
    };
    DICT_ENTRY + key_sds + value
}

fn dataset_bytes(dbs: &Databases) -> (usize, usize, Vec<(u32, usize, usize)>) {
    let mut total = 0;
    let mut keys = 0;
    let mut per_db = Vec::new();
    for (id, db) in dbs.non_empty() {
        for (key, entry) in db.iter(0) {
            total += usage(key, entry);
        }
        keys += db.len();
        per_db.push((id, db.len(), db.expires_count()));
    }
    (total, keys, per_db)
}

fn rss_bytes() -> usize {
    crate::resp::info::resident_bytes() as usize
}

pub(super) fn command(shared: &Shared, db: u32, argv: &[Bytes]) -> Answer {
    let sub = argv[1].to_ascii_lowercase();
    let reply = match (sub.as_slice(), argv.len()) {
        (b"help", 2) => help(&[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ]),
        (b"usage", _) => memory_usage(shared, db, argv),
        (b"stats", 2) => stats(shared),
        (b"malloc-stats", 2) => Reply::bulk("Stats not supported for the current allocator"),
        (b"doctor", 2) => {
            let (used, _, _) = shared.group.sm().read(dataset_bytes);
            let text = if used < 5 * 1024 * 1024 {
                "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
            } else {
                "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
            };
            return Answer::Verbatim(text.into());
        }
        (b"purge", 2) => Reply::ok(),
        _ => subcommand_syntax_error(argv),
    };
    Answer::Reply(reply)
}

fn memory_usage(shared: &Shared, db: u32, argv: &[Bytes]) -> Reply {
    let mut j = 3;
    while j < argv.len() {
        if !argv[j].eq_ignore_ascii_case(b"samples") || j + 1 >= argv.len() {
            return Reply::Error("ERR syntax error".into());
        }
        match parse_i64(&argv[j + 1]) {
            None => return Reply::Error("ERR value is not an integer or out of range".into()),
            Some(n) if n < 0 => return Reply::Error("ERR syntax error".into()),
            // The estimate covers every element; the sample count changes nothing.
            Some(_) => j += 2,
        }
    }
    let key = &argv[2];
    shared.group.sm().read(|dbs| match dbs.db(db).get(key, 0) {
        Some(entry) => Reply::Integer(usage(key, entry) as i64),
        None => Reply::Nil,
    })
}

fn stats(shared: &Shared) -> Reply {
    let (dataset, keys, per_db) = shared.group.sm().read(dataset_bytes);
    let rss = rss_bytes();
    let clients = shared.clients.count() * 20 * 1024;
    let overhead: usize = per_db
        .iter()
        .map(|(_, k, e)| k * DICT_ENTRY + e * DICT_ENTRY)
        .sum::<usize>()
        + clients;
    let total = (dataset + overhead).max(1);
    let peak = shared.intro.note_peak(total as u64) as usize;
    let int = |n: usize| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    let ratio = |a: usize, b: usize| Reply::Double(a as f64 / b.max(1) as f64);
    let f = |name: &str, v: Reply| (Reply::bulk(name.to_string()), v);
    let mut fields = vec![
        f("peak.allocated", int(peak)),
        f("total.allocated", int(total)),
        f("startup.allocated", int(0)),
        f("replication.backlog", int(0)),
        f("clients.slaves", int(0)),
        f("clients.normal", int(clients)),
        f("cluster.links", int(0)),
        f("aof.buffer", int(0)),
        f("lua.caches", int(0)),
        f("functions.caches", int(0)),
    ];
    for (id, k, e) in &per_db {
        fields.push(f(
            &format!("db.{id}"),
            Reply::Map(vec![
                f("overhead.hashtable.main", int(k * DICT_ENTRY)),
                f("overhead.hashtable.expires", int(e * DICT_ENTRY)),
                f("overhead.hashtable.slot-to-keys", int(0)),
            ]),
        ));
    }
    fields.extend([
        f("overhead.total", int(overhead)),
        f("keys.count", int(keys)),
        f(
            "keys.bytes-per-key",
            int(total.checked_div(keys).unwrap_or(0)),
        ),
        f("dataset.bytes", int(dataset)),
        f(
            "dataset.percentage",
            Reply::Double(dataset as f64 * 100.0 / total as f64),
        ),
        f(
            "peak.percentage",
            Reply::Double(total as f64 * 100.0 / peak.max(1) as f64),
        ),
        f("allocator.allocated", int(total)),
        f("allocator.active", int(total)),
        f("allocator.resident", int(rss)),
        f("allocator-fragmentation.ratio", Reply::Double(1.0)),
        f("allocator-fragmentation.bytes", int(0)),
        f("allocator-rss.ratio", ratio(rss, total)),
        f("allocator-rss.bytes", int(rss.saturating_sub(total))),
        f("rss-overhead.ratio", Reply::Double(1.0)),
        f("rss-overhead.bytes", int(0)),
        f("fragmentation", ratio(rss, total)),
        f("fragmentation.bytes", int(rss.saturating_sub(total))),
    ]);
    Reply::Map(fields)
}
