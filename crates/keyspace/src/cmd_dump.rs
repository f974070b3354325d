//! DUMP, RESTORE, OBJECT and TOUCH, with Redis 7.0's payload format and replies.
//!
//! A DUMP payload is the RDB type byte, the object as Redis 7.0 serialises it, the RDB version
//! (10) and a CRC64 of everything before it, so payloads move between redis-server and
//! Meridian in both directions. DUMP picks the RDB encoding Redis would use for the value by
//! its default size rules (`encoding.rs`); RESTORE loads every encoding Redis 7.0 loads except
//! modules (streams: `stream.rs`). Meridian keeps no access times, so OBJECT IDLETIME answers 0 and the
//! IDLETIME / FREQ options of RESTORE are checked, then ignored.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, int_arg};
use crate::command::{
    keyed, keyless, CommandDef, CommandKind, CommandResult, RO, RO_FAST, W_DENYOOM,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, unknown_subcommand, wrong_arity, BAD_DATA_FORMAT, BAD_DUMP_FOOTER, BUSYKEY, INVALID_FREQ,
    INVALID_IDLETIME, INVALID_TTL, NO_LFU, SYNTAX,
};

mod crc64;
mod encoding;
mod intset;
mod listpack;
mod lzf;
mod rdb_read;
mod rdb_write;
mod stream;
mod ziplist;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_payloads;

/// RDB version 10 (Redis 7.0) in the payload footer; RESTORE accepts this and older ones.
const RDB_VERSION: u16 = 10;

/// RDB object type bytes (`rdb.h`).
mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Why a payload's object could not be loaded (RESTORE answers "ERR Bad data format").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("corrupt DUMP payload: {0}")]
pub(crate) struct Corrupt(&'static str);

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed("dump", 2, RO, 1, CommandKind::Read(dump)),
    keyed("restore", -4, W_DENYOOM, 1, CommandKind::Write(restore)),
    keyed("touch", -2, RO_FAST, -1, CommandKind::Read(touch)),
    // A container command in Redis: its subcommands carry the key, so no key positions here.
    keyless("object", -2, &[], CommandKind::Read(object)),
];

fn dump(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    Ok(match ctx.db.get_value(&argv[1], ctx.now_ms) {
        Some(v) => Reply::Bulk(Bytes::from(rdb_write::payload(v))),
        None => Reply::Nil,
    })
}

/// The object bytes of a payload whose footer (version <= 10, CRC64) checks out
/// (`verifyDumpPayload`).
fn verified_body(payload: &[u8]) -> Option<&[u8]> {
    let body_len = payload.len().checked_sub(10)?;
    let (body, footer) = payload.split_at(body_len);
    if u16::from_le_bytes([footer[0], footer[1]]) > RDB_VERSION {
        return None;
    }
    let crc = crc64::crc64(&payload[..body_len + 2]);
    (footer[2..] == crc.to_le_bytes()).then_some(body)
}

/// RESTORE's options after the payload.
#[derive(Default)]
struct RestoreOpts {
    replace: bool,
    absttl: bool,
}

/// `restoreCommand`'s option loop: IDLETIME and FREQ exclude each other (the second one is a
/// syntax error), and each value is range-checked even though Meridian keeps neither.
fn restore_opts(args: &[Bytes]) -> Result<RestoreOpts, Reply> {
    let mut opts = RestoreOpts::default();
    let (mut idle, mut freq) = (false, false);
    let mut j = 0;
    while j < args.len() {
        let has_value = j + 1 < args.len();
        let a = &args[j];
        if eq_ignore_case(a, "replace") {
            opts.replace = true;
        } else if eq_ignore_case(a, "absttl") {
            opts.absttl = true;
        } else if eq_ignore_case(a, "idletime") && has_value && !freq {
            if int_arg(&args[j + 1])? < 0 {
                return Err(err(INVALID_IDLETIME));
            }
            idle = true;
            j += 1;
        } else if eq_ignore_case(a, "freq") && has_value && !idle {
            if !(0..=255).contains(&int_arg(&args[j + 1])?) {
                return Err(err(INVALID_FREQ));
            }
            freq = true;
            j += 1;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok(opts)
}

fn restore(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let opts = restore_opts(&argv[4..])?;
    let (key, now) = (&argv[1], ctx.now_ms);
    if !opts.replace && ctx.db.contains(key, now) {
        return Err(err(BUSYKEY));
    }
    let ttl = int_arg(&argv[2])?;
    if ttl < 0 {
        return Err(err(INVALID_TTL));
    }
    let body = verified_body(&argv[3]).ok_or_else(|| err(BAD_DUMP_FOOTER))?;
    let value = rdb_read::load(body).map_err(|_| err(BAD_DATA_FORMAT))?;
    if opts.replace {
        ctx.db.remove(key, now);
    }
    // Redis adds the clock to a relative TTL in C's wrapping arithmetic; a sum at or before
    // now (overflow included) means the key is born expired: nothing is stored.
    let now_i = i64::try_from(now).unwrap_or(i64::MAX);
    let at = if ttl != 0 && !opts.absttl {
        ttl.wrapping_add(now_i)
    } else {
        ttl
    };
    if at != 0 && at <= now_i {
        return Ok(Reply::ok());
    }
    ctx.db.insert(key.clone(), value);
    if at != 0 {
        ctx.db.set_expire(key, Some(at as u64));
    }
    Ok(Reply::ok())
}

/// The CRC64 of a DUMP payload's object and version (for tests that build payloads).
#[cfg(test)]
pub(crate) fn crc64_of(data: &[u8]) -> u64 {
    crc64::crc64(data)
}

/// The bytes one element takes in a listpack (`lpAppend`: canonical integers as integers,
/// backlen included), for the stream node model.
pub(crate) fn listpack_element_bytes(ele: &[u8]) -> u64 {
    let mut w = listpack::Writer::new();
    w.push(ele);
    (w.bytes() - listpack::Writer::new().bytes()) as u64
}

fn touch(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let n = argv[1..]
        .iter()
        .filter(|k| ctx.db.contains(k, ctx.now_ms))
        .count();
    Ok(Reply::Integer(n as i64))
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// OBJECT's subcommands with their Redis arity (command name included).
const OBJECT_SUBCOMMANDS: &[(&str, usize)] = &[
    ("encoding", 3),
    ("freq", 3),
    ("help", 2),
    ("idletime", 3),
    ("refcount", 3),
];

/// OBJECT: the subcommand and arity checks Redis makes before running a container command,
/// then `objectCommand`.
fn object(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let sub = &argv[1];
    let (name, arity) = OBJECT_SUBCOMMANDS
        .iter()
        .find(|(n, _)| eq_ignore_case(sub, n))
        .ok_or_else(|| unknown_subcommand(sub, "OBJECT"))?;
    if argv.len() != *arity {
        return Err(wrong_arity(&format!("object|{name}")));
    }
    if *name == "help" {
        return Ok(Reply::Array(
            OBJECT_HELP
                .iter()
                .map(|l| Reply::Status((*l).to_string()))
                .collect(),
        ));
    }
    let Some(value) = ctx.db.get_value(&argv[2], ctx.now_ms) else {
        return Ok(Reply::Nil);
    };
    match *name {
        "encoding" => Ok(Reply::Bulk(Bytes::from_static(
            encoding::name(value).as_bytes(),
        ))),
        "refcount" => Ok(Reply::Integer(encoding::refcount(value))),
        "freq" => Err(err(NO_LFU)),
        // Access times are not kept: every key looks just used.
        _ => Ok(Reply::Integer(0)),
    }
}
