//! XRANGE and XREVRANGE, and the entry replies every stream command shares.

use bytes::Bytes;
use meridian_types::Reply;

use super::ids::{range_end, range_start};
use super::model::{Stream, StreamId};
use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::ReadCtx;
use crate::errors::{err, SYNTAX};

/// One entry as Redis replies it: `[id, [field, value, …]]`.
pub(crate) fn entry_reply(id: StreamId, fields: &[Bytes]) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(id.to_bytes()),
        Reply::Array(fields.iter().cloned().map(Reply::Bulk).collect()),
    ])
}

/// Entries with ids in `start..=end`, ascending (or descending with `rev`), at most `count`
/// of them (0: all).
pub(crate) fn entries_in(
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Vec<Reply> {
    if start > end {
        return Vec::new();
    }
    let range = s.entries.range(start..=end);
    let limit = if count == 0 { usize::MAX } else { count };
    let reply = |(id, f): (&StreamId, &Vec<Bytes>)| entry_reply(*id, f);
    if rev {
        range.rev().take(limit).map(reply).collect()
    } else {
        range.take(limit).map(reply).collect()
    }
}

pub(super) fn xrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_command(ctx, argv, false)
}

pub(super) fn xrevrange(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    range_command(ctx, argv, true)
}

/// `xrangeGenericCommand`: bounds first, then COUNT, then the key.
fn range_command(ctx: &ReadCtx<'_>, argv: &[Bytes], rev: bool) -> CommandResult {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: Option<i64> = None;
    let mut j = 4;
    while j < argv.len() {
        if eq_ignore_case(&argv[j], "count") && j + 1 < argv.len() {
            count = Some(int_arg(&argv[j + 1])?.max(0));
            j += 2;
        } else {
            return Err(err(SYNTAX));
        }
    }
    let Some(s) = ctx.db.lookup::<Stream>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    match count {
        Some(0) => Ok(Reply::NilArray),
        _ => {
            let count = count.map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX));
            Ok(Reply::Array(entries_in(s, start, end, count, rev)))
        }
    }
}
