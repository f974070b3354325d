//! XADD, XTRIM, XDEL, XLEN and XSETID.
//!
//! XADD with `*` or `<ms>-*` generates its id from `ctx.now_ms`, the leader's clock carried in
//! the log entry, so every replica generates the same id; when that clock is behind the
//! stream's last id, the last id's sequence is incremented, as `streamNextID` does.

use bytes::Bytes;
use meridian_types::Reply;

use super::ids::{parse_with, strict_id, IdRules};
use super::model::{Stream, StreamId, Trim, TrimStrategy};
use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, wrong_arity, ENTRIES_ADDED_NEGATIVE, LIMIT_WITHOUT_APPROX, LIMIT_WITHOUT_STRATEGY,
    MAXLEN_AND_MINID, MAXLEN_NEGATIVE, NO_SUCH_KEY, STREAM_EXHAUSTED, SYNTAX, TRIM_LIMIT_NEGATIVE,
    XADD_ID_TOO_SMALL, XADD_ZERO_ID, XSETID_ADDED_BELOW_LEN, XSETID_BELOW_MAX_DELETED,
    XSETID_BELOW_TOP, XTRIM_WITHOUT_STRATEGY,
};

/// The default LIMIT of approximate trimming: 100 nodes of `stream-node-max-entries` 100.
const APPROX_DEFAULT_LIMIT: u64 = 10_000;

/// XADD's and XTRIM's options (`streamAddTrimArgs`).
#[derive(Default)]
struct AddTrimArgs {
    trim: Option<Trim>,
    no_mkstream: bool,
    /// XADD's explicit id and whether its sequence was given (false for `<ms>-*`).
    id: Option<(StreamId, bool)>,
    /// Where the id (or `*`) is in argv (XADD).
    id_pos: usize,
}

/// `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(argv: &[Bytes], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut args = AddTrimArgs::default();
    let (mut strategy, mut approx, mut limit) = (None, false, None);
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i];
        if xadd && opt.as_ref() == b"*" {
            break;
        } else if (eq_ignore_case(opt, "maxlen") || eq_ignore_case(opt, "minid")) && more > 0 {
            if strategy.is_some() {
                return Err(err(MAXLEN_AND_MINID));
            }
            approx = false;
            let next = argv[i + 1].as_ref();
            if more >= 2 && (next == b"~" || next == b"=") {
                approx = next == b"~";
                i += 1;
            }
            strategy = Some(trim_strategy(opt, &argv[i + 1])?);
            i += 1;
        } else if eq_ignore_case(opt, "limit") && more > 0 {
            let n = int_arg(&argv[i + 1])?;
            limit = Some(u64::try_from(n).map_err(|_| err(TRIM_LIMIT_NEGATIVE))?);
            i += 1;
        } else if xadd && eq_ignore_case(opt, "nomkstream") {
            args.no_mkstream = true;
        } else if xadd {
            let rules = IdRules {
                missing_seq: 0,
                strict: true,
                seq_star: true,
            };
            let parsed = parse_with(opt, rules)?;
            args.id = Some((parsed.id, parsed.seq_given));
            break;
        } else {
            return Err(err(SYNTAX));
        }
        i += 1;
    }
    args.id_pos = i;
    args.trim = trim_args(strategy, approx, limit, xadd)?;
    Ok(args)
}

/// MAXLEN's count or MINID's id.
fn trim_strategy(opt: &[u8], arg: &Bytes) -> Result<TrimStrategy, Reply> {
    if eq_ignore_case(opt, "maxlen") {
        let n = int_arg(arg)?;
        let n = u64::try_from(n).map_err(|_| err(MAXLEN_NEGATIVE))?;
        Ok(TrimStrategy::MaxLen(n))
    } else {
        Ok(TrimStrategy::MinId(strict_id(arg)?))
    }
}

/// The checks after the option loop, and the default LIMIT.
fn trim_args(
    strategy: Option<TrimStrategy>,
    approx: bool,
    limit: Option<u64>,
    xadd: bool,
) -> Result<Option<Trim>, Reply> {
    if limit.is_some_and(|l| l > 0) && strategy.is_none() {
        return Err(err(LIMIT_WITHOUT_STRATEGY));
    }
    if !xadd && strategy.is_none() {
        return Err(err(XTRIM_WITHOUT_STRATEGY));
    }
    if limit.is_some() && !approx {
        return Err(err(LIMIT_WITHOUT_APPROX));
    }
    let Some(strategy) = strategy else {
        return Ok(None);
    };
    let limit = limit.unwrap_or(if approx { APPROX_DEFAULT_LIMIT } else { 0 });
    Ok(Some(Trim {
        strategy,
        approx,
        limit,
    }))
}

pub(super) fn xadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let args = parse_add_trim(argv, true)?;
    let fields = argv.get(args.id_pos + 1..).unwrap_or_default();
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(wrong_arity("xadd"));
    }
    if args.id == Some((StreamId::MIN, true)) {
        return Err(err(XADD_ZERO_ID));
    }
    let key = &argv[1];
    let now = ctx.now_ms;
    if args.no_mkstream && ctx.db.lookup::<Stream>(key, now)?.is_none() {
        return Ok(Reply::Nil);
    }
    // A new stream's last id is 0-0, so the id checks below cannot fail for it.
    let s = ctx.db.lookup_or_create_unmarked::<Stream>(key, now)?;
    if s.last_id == StreamId::MAX {
        return Err(err(STREAM_EXHAUSTED));
    }
    let id = new_id(s, args.id, now)?;
    s.append(id, fields.to_vec());
    if let Some(trim) = &args.trim {
        s.trim(trim);
    }
    ctx.db.mark_modified(key);
    Ok(Reply::Bulk(id.to_bytes()))
}

/// The id of a new entry (`streamAppendItem`): given, `<ms>-*`, or generated.
fn new_id(s: &Stream, given: Option<(StreamId, bool)>, now_ms: u64) -> Result<StreamId, Reply> {
    let too_small = || err(XADD_ID_TOO_SMALL);
    let id = match given {
        Some((id, true)) => id,
        // `<ms>-*` at the top id's ms: the next seq, never a carry into the next ms.
        Some((id, false)) if id.ms == s.last_id.ms => match s.last_id.seq {
            u64::MAX => return Err(too_small()),
            seq => StreamId::new(id.ms, seq + 1),
        },
        Some((id, false)) => id,
        None => s.next_id(now_ms).ok_or_else(too_small)?,
    };
    if id <= s.last_id {
        return Err(too_small());
    }
    Ok(id)
}

pub(super) fn xtrim(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let args = parse_add_trim(argv, false)?;
    let Some(trim) = args.trim else {
        return Err(err(XTRIM_WITHOUT_STRATEGY));
    };
    let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let deleted = s.trim(&trim);
    if deleted > 0 {
        ctx.db.mark_modified(&argv[1]);
    }
    Ok(Reply::Integer(deleted as i64))
}

pub(super) fn xdel(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    if ctx.db.lookup::<Stream>(&argv[1], ctx.now_ms)?.is_none() {
        return Ok(Reply::Integer(0));
    }
    let ids = argv[2..]
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0;
    let mut first_deleted = false;
    for id in ids {
        if s.delete(id) {
            first_deleted |= id == s.first_id;
            s.max_deleted_id = s.max_deleted_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() {
            s.first_id = StreamId::MIN;
        } else if first_deleted {
            s.refresh_first_id();
        }
        ctx.db.mark_modified(&argv[1]);
    }
    Ok(Reply::Integer(deleted))
}

pub(super) fn xlen(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let s = ctx.db.lookup::<Stream>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Integer(s.map_or(0, Stream::len) as i64))
}

/// XSETID's options.
struct SetIdArgs {
    id: StreamId,
    entries_added: Option<u64>,
    max_deleted: StreamId,
}

fn parse_xsetid(argv: &[Bytes]) -> Result<SetIdArgs, Reply> {
    let mut args = SetIdArgs {
        id: strict_id(&argv[2])?,
        entries_added: None,
        max_deleted: StreamId::MIN,
    };
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if eq_ignore_case(&argv[i], "entriesadded") && more > 0 {
            let n = int_arg(&argv[i + 1])?;
            args.entries_added = Some(u64::try_from(n).map_err(|_| err(ENTRIES_ADDED_NEGATIVE))?);
        } else if eq_ignore_case(&argv[i], "maxdeletedid") && more > 0 {
            args.max_deleted = strict_id(&argv[i + 1])?;
            if args.id < args.max_deleted {
                return Err(err(XSETID_BELOW_MAX_DELETED));
            }
        } else {
            return Err(err(SYNTAX));
        }
        i += 2;
    }
    Ok(args)
}

pub(super) fn xsetid(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let args = parse_xsetid(argv)?;
    let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(&argv[1], ctx.now_ms)? else {
        return Err(err(NO_SUCH_KEY));
    };
    if let Some(top) = s.last_live_id() {
        if args.id < top {
            return Err(err(XSETID_BELOW_TOP));
        }
        if args.entries_added.is_some_and(|n| (s.len() as u64) > n) {
            return Err(err(XSETID_ADDED_BELOW_LEN));
        }
    }
    s.last_id = args.id;
    if let Some(n) = args.entries_added {
        s.entries_added = n;
    }
    if !args.max_deleted.is_zero() {
        s.max_deleted_id = args.max_deleted;
    }
    // Redis does not signal XSETID to WATCH.
    Ok(Reply::ok())
}
