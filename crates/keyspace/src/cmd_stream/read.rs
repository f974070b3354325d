//! XREAD and XREADGROUP as Redis 7.0 answers them when it does not block: every stream that
//! has something for the client is served at once; when none has, the reply is a nil array
//! (the timeout reply). BLOCK is checked and otherwise left to the server (`blocking.rs`).

use bytes::Bytes;
use meridian_types::Reply;

use super::cgroup::Group;
use super::ids::{cstr, strict_id};
use super::model::{Stream, StreamId};
use super::range::{entries_in, entry_reply};
use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{
    err, no_group, GROUP_NEEDS_XREADGROUP, NOACK_NEEDS_XREADGROUP, SYNTAX, TIMEOUT_NEGATIVE,
    TIMEOUT_NOT_INTEGER, XREADGROUP_DOLLAR, XREADGROUP_WITHOUT_GROUP, XREAD_GREATER_ID,
    XREAD_UNBALANCED,
};

/// XREAD's and XREADGROUP's options, as `xreadCommand` parses them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadArgs {
    /// BLOCK's milliseconds (0: forever), None without BLOCK.
    pub block_ms: Option<u64>,
    /// COUNT (0: no limit).
    pub count: u64,
    /// Index of the first key in argv.
    pub streams_at: usize,
    /// Number of keys (and of ids).
    pub n: usize,
    /// XREADGROUP's group and consumer.
    pub group: Option<(Bytes, Bytes)>,
    pub noack: bool,
}

impl ReadArgs {
    pub fn keys<'a>(&self, argv: &'a [Bytes]) -> &'a [Bytes] {
        &argv[self.streams_at..self.streams_at + self.n]
    }

    pub fn ids<'a>(&self, argv: &'a [Bytes]) -> &'a [Bytes] {
        &argv[self.streams_at + self.n..]
    }
}

/// Parses the options (everything but the ids, which need the keyspace).
pub(crate) fn parse_read(argv: &[Bytes], xreadgroup: bool) -> Result<ReadArgs, Reply> {
    let mut args = ReadArgs {
        block_ms: None,
        count: 0,
        streams_at: 0,
        n: 0,
        group: None,
        noack: false,
    };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = &argv[i];
        if eq_ignore_case(o, "block") && more > 0 {
            i += 1;
            let ms = parse_i64(&argv[i]).ok_or_else(|| err(TIMEOUT_NOT_INTEGER))?;
            args.block_ms = Some(u64::try_from(ms).map_err(|_| err(TIMEOUT_NEGATIVE))?);
        } else if eq_ignore_case(o, "count") && more > 0 {
            i += 1;
            let n = int_arg(&argv[i])?;
            args.count = n.max(0) as u64;
        } else if eq_ignore_case(o, "streams") && more > 0 {
            args.streams_at = i + 1;
            let rest = argv.len() - args.streams_at;
            if !rest.is_multiple_of(2) {
                return Err(err(XREAD_UNBALANCED));
            }
            args.n = rest / 2;
            break;
        } else if eq_ignore_case(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(err(GROUP_NEEDS_XREADGROUP));
            }
            args.group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
            i += 2;
        } else if eq_ignore_case(o, "noack") {
            if !xreadgroup {
                return Err(err(NOACK_NEEDS_XREADGROUP));
            }
            args.noack = true;
        } else {
            return Err(err(SYNTAX));
        }
        i += 1;
    }
    if args.streams_at == 0 {
        return Err(err(SYNTAX));
    }
    if xreadgroup && args.group.is_none() {
        return Err(err(XREADGROUP_WITHOUT_GROUP));
    }
    Ok(args)
}

/// Where a client reads a stream from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ReadFrom {
    /// Entries after this id (XREAD; XREADGROUP: the consumer's pending history).
    After(StreamId),
    /// `>`: entries never delivered to the group.
    New,
}

/// Resolves the ids against the keyspace in Redis's order: for each key its type, its group
/// (XREADGROUP), then the id (`$` is the stream's last id).
pub(crate) fn resolve_ids(
    db: &Keyspace,
    now_ms: u64,
    argv: &[Bytes],
    args: &ReadArgs,
) -> Result<Vec<ReadFrom>, Reply> {
    let mut out = Vec::with_capacity(args.n);
    for (key, id) in args.keys(argv).iter().zip(args.ids(argv)) {
        let s = db.lookup::<Stream>(key, now_ms)?;
        if let Some((group, _)) = &args.group {
            if !s.is_some_and(|s| s.groups.contains_key(group)) {
                let suffix = " in XREADGROUP with GROUP option";
                return Err(no_group(key, group, suffix));
            }
        }
        let from = match cstr(id) {
            b"$" if args.group.is_some() => return Err(err(XREADGROUP_DOLLAR)),
            b"$" => ReadFrom::After(s.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if args.group.is_none() => return Err(err(XREAD_GREATER_ID)),
            b">" => ReadFrom::New,
            _ => ReadFrom::After(strict_id(id)?),
        };
        out.push(from);
    }
    Ok(out)
}

/// The reply of the streams served, or the nil array when none was.
fn served(items: Vec<(Reply, Reply)>) -> Reply {
    if items.is_empty() {
        Reply::NilArray
    } else {
        Reply::MapOrPairs(items)
    }
}

pub(super) fn xread(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let args = parse_read(argv, false)?;
    let from = resolve_ids(ctx.db, ctx.now_ms, argv, &args)?;
    let mut items = Vec::new();
    for (key, from) in args.keys(argv).iter().zip(from) {
        let (Some(s), ReadFrom::After(gt)) = (ctx.db.lookup::<Stream>(key, ctx.now_ms)?, from)
        else {
            continue;
        };
        if s.last_live_id().is_some_and(|top| top > gt) {
            let start = gt.incr().unwrap_or(StreamId::MAX);
            let entries = entries_in(s, start, StreamId::MAX, args.count as usize, false);
            items.push((Reply::Bulk(key.clone()), Reply::Array(entries)));
        }
    }
    Ok(served(items))
}

pub(super) fn xreadgroup(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let args = parse_read(argv, true)?;
    let from = resolve_ids(ctx.db, ctx.now_ms, argv, &args)?;
    let Some((group, consumer)) = &args.group else {
        return Err(err(XREADGROUP_WITHOUT_GROUP));
    };
    let now = ctx.now_ms as i64;
    let mut items = Vec::new();
    for (key, from) in args.keys(argv).iter().zip(from) {
        let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(key, ctx.now_ms)? else {
            continue;
        };
        let Some(mut g) = s.groups.remove(group) else {
            continue;
        };
        let entries = match from {
            ReadFrom::After(gt) => Some(history(s, &mut g, consumer, gt, args.count, now)),
            ReadFrom::New => deliver_new(s, &mut g, consumer, &args, now),
        };
        s.groups.insert(group.clone(), g);
        if let Some(entries) = entries {
            items.push((Reply::Bulk(key.clone()), Reply::Array(entries)));
        }
    }
    Ok(served(items))
}

/// The consumer's own pending entries after `gt` (`streamReplyWithRangeFromConsumerPEL`):
/// each delivery counts; an entry deleted since is `[id, nil]`.
fn history(
    s: &Stream,
    g: &mut Group,
    consumer: &Bytes,
    gt: StreamId,
    count: u64,
    now: i64,
) -> Vec<Reply> {
    let Some(start) = gt.incr() else {
        return Vec::new();
    };
    let c = g.consumer(consumer, now);
    let limit = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    let ids: Vec<StreamId> = c.pel.range(start..).take(limit).copied().collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.entries.get(&id) {
            Some(fields) => {
                if let Some(nack) = g.pel.get_mut(&id) {
                    nack.delivery_time_ms = now;
                    nack.delivery_count += 1;
                }
                out.push(entry_reply(id, fields));
            }
            None => out.push(Reply::Array(vec![
                Reply::Bulk(id.to_bytes()),
                Reply::NilArray,
            ])),
        }
    }
    out
}

/// `>`: entries after the group's last delivered id, which move it forward and (without
/// NOACK) enter the PEL of the group and the consumer. None when there is nothing new.
fn deliver_new(
    s: &Stream,
    g: &mut Group,
    consumer: &Bytes,
    args: &ReadArgs,
    now: i64,
) -> Option<Vec<Reply>> {
    if s.last_live_id().is_none_or(|top| top <= g.last_id) {
        return None;
    }
    let start = g.last_id.incr()?;
    g.consumer(consumer, now);
    let limit = if args.count == 0 {
        usize::MAX
    } else {
        args.count as usize
    };
    let mut out = Vec::new();
    for (id, fields) in s.entries.range(start..).take(limit) {
        advance_group(s, g, *id);
        if !args.noack {
            g.assign(*id, consumer, |_| (now, 1));
        }
        out.push(entry_reply(*id, fields));
    }
    Some(out)
}

/// Moves the group's last delivered id to `id`, keeping its read counter when it can.
pub(crate) fn advance_group(s: &Stream, g: &mut Group, id: StreamId) {
    if id <= g.last_id {
        return;
    }
    match g.entries_read {
        Some(read) if !s.has_tombstones_from(id) => g.entries_read = Some(read + 1),
        _ if s.entries_added > 0 => g.entries_read = s.estimate_distance(id),
        _ => {}
    }
    g.last_id = id;
}
