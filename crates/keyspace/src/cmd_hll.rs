//! HyperLogLog commands: PFADD PFCOUNT PFMERGE, and PFDEBUG / PFSELFTEST (which Redis's own
//! test unit calls), with Redis 7.0 replies, error texts and value bytes (see `repr.rs`).
//!
//! PFCOUNT of one key is a read here. Redis writes the cardinality it computes back into the
//! value's cache (and propagates that), but a read in Meridian may run on any node and must not
//! change state, so we compute the same count and leave the cache alone. The reply is Redis's;
//! only the eight cache bytes of the value (GET, DUMP) may differ: Redis's hold the last count
//! a PFCOUNT computed (flagged invalid again by the next change of a register), ours what the
//! last write left there.
//!
//! A write that answers an error changes nothing (shipping relies on it): where Redis's PFADD
//! has already updated some registers before it meets corrupt sparse data, we keep none.

mod repr;
mod selftest;
mod sparse;

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{
    keyed, keyless, CommandDef, CommandKind, CommandResult, RO, W_DENYOOM, W_DENYOOM_FAST,
};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{err, unknown_pfdebug, HLL_NOT_SPARSE, HLL_NO_SUCH_KEY, INVALID_HLL, NOT_HLL};
use crate::events::EventClass;
use crate::small_bytes::SmallBytes;
use crate::value::Value;
use repr::{Corrupt, RawRegisters, HDR_SIZE, REGISTERS};

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed("pfadd", -2, W_DENYOOM_FAST, 1, CommandKind::Write(pfadd)),
    keyed("pfcount", -2, RO, -1, CommandKind::Read(pfcount)),
    keyed("pfmerge", -2, W_DENYOOM, -1, CommandKind::Write(pfmerge)),
    // The key is the second argument (PFDEBUG <subcommand> <key>).
    CommandDef {
        first_key: 2,
        last_key: 2,
        ..keyed(
            "pfdebug",
            3,
            &["write", "denyoom", "admin"],
            2,
            CommandKind::Write(pfdebug),
        )
    },
    keyless(
        "pfselftest",
        1,
        &["admin"],
        CommandKind::Read(selftest::pfselftest),
    ),
];

impl From<Corrupt> for Reply {
    fn from(_: Corrupt) -> Reply {
        err(INVALID_HLL)
    }
}

/// The HLL under `key` (None if missing): WRONGTYPE for another type, and Redis's "not a valid
/// HyperLogLog" WRONGTYPE for a string that is not one.
fn hll_at<'a>(db: &'a Keyspace, key: &Bytes, now_ms: u64) -> Result<Option<&'a [u8]>, Reply> {
    match db.lookup::<SmallBytes>(key, now_ms)? {
        None => Ok(None),
        Some(s) if repr::is_valid(s) => Ok(Some(s.as_slice())),
        Some(_) => Err(err(NOT_HLL)),
    }
}

/// Stores `hll` under `key`, keeping the key's TTL if it exists; a modification for WATCH only
/// when `signal` (Redis's `signalModifiedKey`).
fn store(ctx: &mut WriteCtx<'_>, key: &Bytes, hll: &[u8], signal: bool) {
    let now = ctx.now_ms;
    let existing = if signal {
        ctx.db.lookup_mut::<SmallBytes>(key, now)
    } else {
        ctx.db.lookup_mut_unmarked::<SmallBytes>(key, now)
    };
    match existing {
        Ok(Some(s)) => *s = SmallBytes::new(hll),
        _ => ctx.db.insert(key.clone(), Value::Str(SmallBytes::new(hll))),
    }
}

fn pfadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let key = &argv[1];
    let (mut hll, mut updated) = match hll_at(ctx.db, key, ctx.now_ms)? {
        // Most additions to a large HLL change nothing: answer without copying its 12 KiB.
        Some(existing)
            if repr::is_dense(existing)
                && !repr::dense_would_raise(existing, argv[2..].iter().map(|e| &e[..])) =>
        {
            return Ok(Reply::Integer(0));
        }
        Some(existing) => (existing.to_vec(), false),
        None => (repr::new_sparse(), true),
    };
    for ele in &argv[2..] {
        updated |= repr::add(&mut hll, ele)?;
    }
    if updated {
        repr::invalidate_cache(&mut hll);
        store(ctx, key, &hll, true);
        ctx.notify(EventClass::String, "pfadd", key);
    }
    Ok(Reply::Integer(i64::from(updated)))
}

fn pfcount(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if argv.len() > 2 {
        let (max, _) = merged(ctx.db, &argv[1..], ctx.now_ms)?;
        return Ok(count_reply(repr::count_raw(&max)));
    }
    let Some(hll) = hll_at(ctx.db, &argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let card = match repr::cached_count(hll) {
        Some(card) => card,
        None => repr::count(hll)?,
    };
    Ok(count_reply(card))
}

/// A cardinality as `addReplyLongLong` sends it (a valid cache keeps the top bit clear).
fn count_reply(card: u64) -> Reply {
    Reply::Integer(card as i64)
}

/// The register-wise maximum of the HLLs under `keys` (missing keys count as empty), and
/// whether any of them is dense.
fn merged(db: &Keyspace, keys: &[Bytes], now_ms: u64) -> Result<(Box<RawRegisters>, bool), Reply> {
    let mut max = Box::new([0u8; REGISTERS]);
    let mut any_dense = false;
    for key in keys {
        let Some(hll) = hll_at(db, key, now_ms)? else {
            continue;
        };
        any_dense |= repr::is_dense(hll);
        repr::merge_into(&mut max, hll)?;
    }
    Ok((max, any_dense))
}

fn pfmerge(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let dest = &argv[1];
    // The destination is merged too: it is the first of the keys.
    let (max, any_dense) = merged(ctx.db, &argv[1..], ctx.now_ms)?;
    let mut hll = match hll_at(ctx.db, dest, ctx.now_ms)? {
        Some(existing) => existing.to_vec(),
        None => repr::new_sparse(),
    };
    if any_dense {
        sparse::to_dense(&mut hll)?;
    }
    for (i, &count) in max.iter().enumerate() {
        if count > 0 {
            // Every key, the destination included, decoded above: this cannot fail, and Redis
            // ignores the result too.
            let _ = repr::raise(&mut hll, i, count);
        }
    }
    repr::invalidate_cache(&mut hll);
    store(ctx, dest, &hll, true);
    ctx.notify(EventClass::String, "pfadd", dest);
    Ok(Reply::ok())
}

fn pfdebug(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let key = &argv[2];
    let Some(hll) = hll_at(ctx.db, key, ctx.now_ms)? else {
        return Err(err(HLL_NO_SUCH_KEY));
    };
    let mut hll = hll.to_vec();
    let sparse = !repr::is_dense(&hll);
    // Redis compares (and prints) the subcommand as a C string: up to its first NUL.
    let sub = argv[1].split(|b| *b == 0).next().unwrap_or_default();
    match sub.to_ascii_lowercase().as_slice() {
        b"getreg" => {
            if sparse {
                to_dense_stored(ctx, key, &mut hll)?;
            }
            let regs = &hll[HDR_SIZE..];
            let values = (0..REGISTERS)
                .map(|i| Reply::Integer(i64::from(repr::dense_get(regs, i))))
                .collect();
            Ok(Reply::Array(values))
        }
        b"decode" if sparse => Ok(Reply::Bulk(Bytes::from(sparse::decode(&hll)))),
        b"decode" => Err(err(HLL_NOT_SPARSE)),
        b"encoding" => Ok(Reply::Status(
            if sparse { "sparse" } else { "dense" }.into(),
        )),
        b"todense" => {
            if sparse {
                to_dense_stored(ctx, key, &mut hll)?;
            }
            Ok(Reply::Integer(i64::from(sparse)))
        }
        _ => Err(unknown_pfdebug(sub)),
    }
}

/// Converts `hll` to dense and stores it; like Redis, not a modification WATCH sees.
fn to_dense_stored(ctx: &mut WriteCtx<'_>, key: &Bytes, hll: &mut Vec<u8>) -> Result<(), Reply> {
    sparse::to_dense(hll)?;
    store(ctx, key, hll, false);
    Ok(())
}

#[cfg(test)]
mod tests;
