//! The blocking pops BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP, as Redis 7.0
//! runs them when it may not block (inside MULTI): the first key holding a value is served
//! exactly as LPOP, RPOP, LMOVE, RPOPLPUSH, LMPOP, ZPOPMIN, ZPOPMAX or ZMPOP serves it (their
//! code, not a copy), and when every key is empty the reply is the timeout reply.
//!
//! The waiting belongs to the server (crate `meridian-server`), which this module gives what it
//! needs:
//!
//! ```text
//!  block_spec(argv) ─► Err: reply it        (the same error the command itself answers)
//!         │ Ok(spec: family, keys, timeout)
//!         ▼
//!  propose argv as a write ─► !served_nothing(reply): reply it
//!         │ nothing served
//!         ▼
//!  wait until Databases::block_ready(key) for some of spec.keys, or the timeout
//!         ├─ ready keys: propose retry_argv(argv, ready) (loop while it serves nothing)
//!         └─ timeout: timeout_reply(argv)
//! ```
//!
//! Every attempt is an ordinary replicated write that never blocks, so replicas apply the same
//! pop; an attempt that finds the keys emptied by a faster client changes nothing. Arguments
//! are checked in Redis's order: BLMOVE's ends and BLMPOP/BZMPOP's numkeys, ends and COUNT come
//! before the timeout, which comes before any key is looked at.

use std::collections::HashSet;

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::parse_i64;
use crate::cmd_zset_algebra::mpop;
use crate::command::{keyed, keyless, lookup, CommandDef, CommandKind, CommandResult, WriteFn};
use crate::ctx::WriteCtx;
use crate::databases::Databases;
use crate::db::Keyspace;
use crate::errors::wrong_arity;
use crate::typed::{List, Typed};
use crate::zset::ZSet;
use crate::{cmd_list, cmd_zset};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_api;
mod timeout;

use timeout::timeout_ms;

/// Flags as Redis 7.0.15's COMMAND INFO reports them.
const W_NOSCRIPT_BLOCKING: &[&str] = &["write", "noscript", "blocking"];
const W_DENYOOM_NOSCRIPT_BLOCKING: &[&str] = &["write", "denyoom", "noscript", "blocking"];
const W_NOSCRIPT_BLOCKING_FAST: &[&str] = &["write", "noscript", "blocking", "fast"];
const W_BLOCKING_MOVABLE: &[&str] = &["write", "blocking", "movablekeys"];

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed(
        "blpop",
        -3,
        W_NOSCRIPT_BLOCKING,
        -2,
        CommandKind::Write(blpop),
    ),
    keyed(
        "brpop",
        -3,
        W_NOSCRIPT_BLOCKING,
        -2,
        CommandKind::Write(brpop),
    ),
    keyed(
        "blmove",
        6,
        W_DENYOOM_NOSCRIPT_BLOCKING,
        2,
        CommandKind::Write(blmove),
    ),
    keyed(
        "brpoplpush",
        4,
        W_DENYOOM_NOSCRIPT_BLOCKING,
        2,
        CommandKind::Write(brpoplpush),
    ),
    keyless("blmpop", -5, W_BLOCKING_MOVABLE, CommandKind::Write(blmpop)),
    keyed(
        "bzpopmin",
        -3,
        W_NOSCRIPT_BLOCKING_FAST,
        -2,
        CommandKind::Write(bzpopmin),
    ),
    keyed(
        "bzpopmax",
        -3,
        W_NOSCRIPT_BLOCKING_FAST,
        -2,
        CommandKind::Write(bzpopmax),
    ),
    keyless("bzmpop", -5, W_BLOCKING_MOVABLE, CommandKind::Write(bzmpop)),
];

/// Which value type a blocked command waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockFamily {
    List,
    Zset,
}

/// A blocking command's parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSpec {
    pub family: BlockFamily,
    /// The keys the client waits on (sources only; BLMOVE's destination is not one), in the
    /// client's order, each once.
    pub keys: Vec<Bytes>,
    /// The timeout in ms; 0 waits forever.
    pub timeout_ms: u64,
}

/// The eight blocking commands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Blocking {
    Blpop,
    Brpop,
    Blmove,
    Brpoplpush,
    Blmpop,
    Bzpopmin,
    Bzpopmax,
    Bzmpop,
}

impl Blocking {
    /// The blocking command `argv` runs, if it runs one.
    fn of(argv: &[Bytes]) -> Option<Blocking> {
        Blocking::named(lookup(argv.first()?)?.name)
    }

    /// The blocking command registered as `name`.
    fn named(name: &str) -> Option<Blocking> {
        Some(match name {
            "blpop" => Blocking::Blpop,
            "brpop" => Blocking::Brpop,
            "blmove" => Blocking::Blmove,
            "brpoplpush" => Blocking::Brpoplpush,
            "blmpop" => Blocking::Blmpop,
            "bzpopmin" => Blocking::Bzpopmin,
            "bzpopmax" => Blocking::Bzpopmax,
            "bzmpop" => Blocking::Bzmpop,
            _ => return None,
        })
    }

    fn family(self) -> BlockFamily {
        match self {
            Blocking::Blpop
            | Blocking::Brpop
            | Blocking::Blmove
            | Blocking::Brpoplpush
            | Blocking::Blmpop => BlockFamily::List,
            Blocking::Bzpopmin | Blocking::Bzpopmax | Blocking::Bzmpop => BlockFamily::Zset,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server's side

/// None when argv[0] is not one of the 8 blocking commands; `Some(Err(reply))` with Redis's
/// exact error when its arguments are invalid (the error the command itself answers, arity
/// included); `Some(Ok(spec))` otherwise.
pub fn block_spec(argv: &[Bytes]) -> Option<Result<BlockSpec, Reply>> {
    let def = lookup(argv.first()?)?;
    let kind = Blocking::named(def.name)?;
    if !def.arity_ok(argv.len()) {
        return Some(Err(wrong_arity(def.name)));
    }
    Some(check(kind, argv).map(|(keys, timeout_ms)| BlockSpec {
        family: kind.family(),
        keys: distinct(keys),
        timeout_ms,
    }))
}

/// The argv of a serving attempt restricted to `ready` (a non-empty subset of the spec's keys,
/// in its order), with timeout "0": `BLPOP r1 r2 0`; `BLMPOP 0 2 r1 r2 LEFT COUNT 3` (options
/// kept); BLMOVE and BRPOPLPUSH unchanged but for the timeout. Other commands: `argv` as is.
pub fn retry_argv(argv: &[Bytes], ready: &[Bytes]) -> Vec<Bytes> {
    let zero = Bytes::from_static(b"0");
    match Blocking::of(argv) {
        None => argv.to_vec(),
        Some(Blocking::Blpop | Blocking::Brpop | Blocking::Bzpopmin | Blocking::Bzpopmax) => {
            [&argv[..1], ready, &[zero][..]].concat()
        }
        Some(Blocking::Blmove | Blocking::Brpoplpush) => {
            let mut out = argv.to_vec();
            if let Some(timeout) = out.last_mut() {
                *timeout = zero;
            }
            out
        }
        Some(Blocking::Blmpop | Blocking::Bzmpop) => {
            let numkeys = argv.get(2).and_then(|n| parse_i64(n)).unwrap_or(0);
            let after_keys = usize::try_from(numkeys).map_or(usize::MAX, |n| n.saturating_add(3));
            let options = argv.get(after_keys..).unwrap_or_default();
            let count = Bytes::from(ready.len().to_string());
            [&[argv[0].clone(), zero, count][..], ready, options].concat()
        }
    }
}

/// The reply a blocked client gets when its timeout passes: Nil for BLMOVE and BRPOPLPUSH,
/// NilArray for the rest.
pub fn timeout_reply(argv: &[Bytes]) -> Reply {
    match Blocking::of(argv) {
        Some(Blocking::Blmove | Blocking::Brpoplpush) => Reply::Nil,
        _ => Reply::NilArray,
    }
}

/// True when the reply of a serving attempt means nothing was served (the timeout reply).
pub fn served_nothing(reply: &Reply) -> bool {
    matches!(reply, Reply::Nil | Reply::NilArray)
}

impl Databases {
    /// Whether `key` in database `db` holds a non-empty value of `family`'s type at `now_ms`
    /// (not expired): a blocked client waiting on it can be served.
    pub fn block_ready(&self, db: u32, key: &[u8], family: BlockFamily, now_ms: u64) -> bool {
        let ks = self.db(db);
        let keys = [Bytes::copy_from_slice(key)];
        let ready = match family {
            BlockFamily::List => first_ready::<List>(ks, &keys, now_ms),
            BlockFamily::Zset => first_ready::<ZSet>(ks, &keys, now_ms),
        };
        matches!(ready, Ok(Some(_)))
    }
}

/// `keys` without repeats, first occurrences in order.
fn distinct(keys: &[Bytes]) -> Vec<Bytes> {
    let mut seen = HashSet::new();
    keys.iter().filter(|k| seen.insert(*k)).cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// The commands

fn blpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Blpop)
}

fn brpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Brpop)
}

fn blmove(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Blmove)
}

fn brpoplpush(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Brpoplpush)
}

fn blmpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Blmpop)
}

fn bzpopmin(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Bzpopmin)
}

fn bzpopmax(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Bzpopmax)
}

fn bzmpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    serve(ctx, argv, Blocking::Bzmpop)
}

/// Runs `kind` without blocking, once its arguments are checked. BLMPOP and BZMPOP hand
/// LMPOP and ZMPOP their own arguments with the timeout in the command name's place.
fn serve(ctx: &mut WriteCtx<'_>, argv: &[Bytes], kind: Blocking) -> CommandResult {
    let (keys, _) = check(kind, argv)?;
    match kind {
        Blocking::Blpop => pop_first::<List>(ctx, keys, "lpop", cmd_list::lpop),
        Blocking::Brpop => pop_first::<List>(ctx, keys, "rpop", cmd_list::rpop),
        Blocking::Bzpopmin => pop_first::<ZSet>(ctx, keys, "zpopmin", cmd_zset::zpopmin),
        Blocking::Bzpopmax => pop_first::<ZSet>(ctx, keys, "zpopmax", cmd_zset::zpopmax),
        Blocking::Blmove => cmd_list::lmove(ctx, &argv[..5]),
        Blocking::Brpoplpush => cmd_list::rpoplpush(ctx, &argv[..3]),
        Blocking::Blmpop => mpop::lmpop(ctx, &argv[1..]),
        Blocking::Bzmpop => mpop::zmpop(ctx, &argv[1..]),
    }
}

/// Checks the arguments of an arity-checked `argv` in Redis's order; the keys waited on and
/// the timeout in ms.
fn check(kind: Blocking, argv: &[Bytes]) -> Result<(&[Bytes], u64), Reply> {
    let (keys, timeout) = match kind {
        Blocking::Blpop | Blocking::Brpop | Blocking::Bzpopmin | Blocking::Bzpopmax => {
            (&argv[1..argv.len() - 1], &argv[argv.len() - 1])
        }
        Blocking::Blmove => {
            cmd_list::end_arg(&argv[3])?;
            cmd_list::end_arg(&argv[4])?;
            (&argv[1..2], &argv[5])
        }
        Blocking::Brpoplpush => (&argv[1..2], &argv[3]),
        Blocking::Blmpop => (mpop::parse(&argv[1..], ("left", "right"))?.keys, &argv[1]),
        Blocking::Bzmpop => (mpop::parse(&argv[1..], ("min", "max"))?.keys, &argv[1]),
    };
    Ok((keys, timeout_ms(timeout)?))
}

/// A type a blocked client waits for.
trait Poppable: Typed {
    fn has_elements(&self) -> bool;
}

impl Poppable for List {
    fn has_elements(&self) -> bool {
        !self.is_empty()
    }
}

impl Poppable for ZSet {
    fn has_elements(&self) -> bool {
        !self.is_empty()
    }
}

/// The first of `keys` holding a non-empty `T`; WRONGTYPE as soon as a key holds another type
/// (even when a later key could be served), as Redis checks them one by one.
fn first_ready<'k, T: Poppable>(
    ks: &Keyspace,
    keys: &'k [Bytes],
    now_ms: u64,
) -> Result<Option<&'k Bytes>, Reply> {
    for key in keys {
        if ks.lookup::<T>(key, now_ms)?.is_some_and(T::has_elements) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// BLPOP, BRPOP, BZPOPMIN, BZPOPMAX: the single-key pop `name` on the first ready key, its
/// reply prefixed with the key (`[key, element]`, `[key, member, score]`), or a nil array.
fn pop_first<T: Poppable>(
    ctx: &mut WriteCtx<'_>,
    keys: &[Bytes],
    name: &'static str,
    pop: WriteFn,
) -> CommandResult {
    let Some(key) = first_ready::<T>(ctx.db, keys, ctx.now_ms)? else {
        return Ok(Reply::NilArray);
    };
    let mut reply = vec![Reply::Bulk(key.clone())];
    match pop(ctx, &[Bytes::from_static(name.as_bytes()), key.clone()])? {
        Reply::Array(items) => reply.extend(items),
        one => reply.push(one),
    }
    Ok(Reply::Array(reply))
}
