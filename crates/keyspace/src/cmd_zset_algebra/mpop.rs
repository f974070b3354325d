//! ZMPOP and LMPOP: pop from the first non-empty key of several (Redis's `zmpopGenericCommand`
//! and `lmpopGenericCommand`, without blocking). Registered in `cmd_zset_algebra::COMMANDS`.

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::{eq_ignore_case, parse_i64};
use crate::command::CommandResult;
use crate::ctx::WriteCtx;
use crate::errors::{err, COUNT_NOT_POSITIVE, NUMKEYS_NOT_POSITIVE, SYNTAX};
use crate::events::EventClass;
use crate::typed::List;
use crate::zset::ZSet;

/// A parsed `numkeys key [key ...] <end> [COUNT count]`: the keys, which end (true for MAX or
/// RIGHT), and how many to pop.
pub(crate) struct MultiPop<'a> {
    pub(crate) keys: &'a [Bytes],
    from_top: bool,
    count: usize,
}

/// Parses the arguments; `ends` names the low and the high end (MIN/MAX, LEFT/RIGHT).
pub(crate) fn parse<'a>(argv: &'a [Bytes], ends: (&str, &str)) -> Result<MultiPop<'a>, Reply> {
    let numkeys = match parse_i64(&argv[1]) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(err(NUMKEYS_NOT_POSITIVE)),
    };
    let where_at = numkeys.saturating_add(2);
    let Some(end) = argv.get(where_at) else {
        return Err(err(SYNTAX));
    };
    let from_top = if eq_ignore_case(end, ends.0) {
        false
    } else if eq_ignore_case(end, ends.1) {
        true
    } else {
        return Err(err(SYNTAX));
    };
    let mut count = None;
    let mut j = where_at + 1;
    while let Some(opt) = argv.get(j) {
        let more = j + 1 < argv.len();
        if count.is_none() && more && eq_ignore_case(opt, "count") {
            count = match parse_i64(&argv[j + 1]) {
                Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(err(COUNT_NOT_POSITIVE)),
            };
            j += 2;
        } else {
            return Err(err(SYNTAX));
        }
    }
    Ok(MultiPop {
        keys: &argv[2..where_at],
        from_top,
        count: count.unwrap_or(1),
    })
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: `[key, [[member, score], ...]]` from
/// the first existing key (WRONGTYPE if that key is not a sorted set), or a nil array.
pub(crate) fn zmpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let req = parse(argv, ("min", "max"))?;
    let now = ctx.now_ms;
    for key in req.keys {
        let Some(z) = ctx.db.lookup_mut::<ZSet>(key, now)? else {
            continue;
        };
        let popped: Vec<Reply> = (0..req.count)
            .map_while(|_| z.pop(req.from_top))
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
            .collect();
        let event = if req.from_top { "zpopmax" } else { "zpopmin" };
        ctx.notify(EventClass::Zset, event, key);
        ctx.remove_if_empty_notify(key);
        return Ok(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(popped),
        ]));
    }
    Ok(Reply::NilArray)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: `[key, [element, ...]]` from the
/// first non-empty list (WRONGTYPE if an earlier existing key is not a list), or a nil array.
pub(crate) fn lmpop(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let req = parse(argv, ("left", "right"))?;
    let now = ctx.now_ms;
    for key in req.keys {
        let Some(list) = ctx.db.lookup_mut::<List>(key, now)? else {
            continue;
        };
        let popped: Vec<Reply> = (0..req.count)
            .map_while(|_| {
                if req.from_top {
                    list.pop_back()
                } else {
                    list.pop_front()
                }
            })
            .map(Reply::Bulk)
            .collect();
        let event = if req.from_top { "rpop" } else { "lpop" };
        ctx.notify(EventClass::List, event, key);
        ctx.remove_if_empty_notify(key);
        return Ok(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(popped),
        ]));
    }
    Ok(Reply::NilArray)
}
