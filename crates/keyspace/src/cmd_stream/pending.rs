//! XPENDING, XCLAIM and XAUTOCLAIM. Idle times are `now_ms - delivery time`, with the
//! leader's clock from the log entry.

use bytes::Bytes;
use meridian_types::Reply;

use super::cgroup::{Group, Nack};
use super::ids::{range_end, range_start, strict_id};
use super::model::{Stream, StreamId};
use super::range::entry_reply;
use crate::args::{eq_ignore_case, int_arg, parse_i64};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{
    err, no_group, unrecognized_xclaim_option, SYNTAX, XAUTOCLAIM_COUNT, XAUTOCLAIM_MIN_IDLE,
    XCLAIM_IDLE, XCLAIM_MIN_IDLE, XCLAIM_RETRYCOUNT, XCLAIM_TIME,
};

/// XPENDING's extended form.
struct PendingRange {
    min_idle: i64,
    start: StreamId,
    end: StreamId,
    count: usize,
    consumer: Option<Bytes>,
}

fn parse_pending(argv: &[Bytes]) -> Result<Option<PendingRange>, Reply> {
    let argc = argv.len();
    if argc == 3 {
        return Ok(None);
    }
    if !(6..=9).contains(&argc) {
        return Err(err(SYNTAX));
    }
    let mut at = 3;
    let mut min_idle = 0;
    if eq_ignore_case(&argv[3], "idle") {
        min_idle = int_arg(&argv[4])?;
        if argc < 8 {
            return Err(err(SYNTAX));
        }
        at += 2;
    }
    let count = int_arg(&argv[at + 2])?.max(0);
    let start = range_start(&argv[at])?;
    let end = range_end(&argv[at + 1])?;
    Ok(Some(PendingRange {
        min_idle,
        start,
        end,
        count: usize::try_from(count).unwrap_or(usize::MAX),
        consumer: argv.get(at + 3).cloned(),
    }))
}

pub(super) fn xpending(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let range = parse_pending(argv)?;
    let (key, group) = (&argv[1], &argv[2]);
    let g = ctx
        .db
        .lookup::<Stream>(key, ctx.now_ms)?
        .and_then(|s| s.groups.get(group))
        .ok_or_else(|| no_group(key, group, ""))?;
    match range {
        None => Ok(pending_summary(g)),
        Some(range) => Ok(pending_range(g, &range, ctx.now_ms as i64)),
    }
}

fn pending_summary(g: &Group) -> Reply {
    let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
        return Reply::Array(vec![
            Reply::Integer(0),
            Reply::Nil,
            Reply::Nil,
            Reply::NilArray,
        ]);
    };
    let owners = g
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| {
            Reply::Array(vec![
                Reply::Bulk(name.clone()),
                Reply::Bulk(Bytes::from(c.pel.len().to_string())),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::Integer(g.pel.len() as i64),
        Reply::Bulk(first.to_bytes()),
        Reply::Bulk(last.to_bytes()),
        Reply::Array(owners),
    ])
}

fn pending_range(g: &Group, r: &PendingRange, now: i64) -> Reply {
    if r.start > r.end || r.count == 0 {
        return Reply::Array(Vec::new());
    }
    let ids: Box<dyn Iterator<Item = &StreamId>> = match &r.consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(r.start..=r.end)),
            None => return Reply::Array(Vec::new()),
        },
        None => Box::new(g.pel.range(r.start..=r.end).map(|(id, _)| id)),
    };
    let rows = ids
        .filter_map(|id| g.pel.get(id).map(|nack| (id, nack)))
        .filter(|(_, nack)| {
            r.min_idle == 0 || now.wrapping_sub(nack.delivery_time_ms) >= r.min_idle
        })
        .take(r.count)
        .map(|(id, nack)| {
            Reply::Array(vec![
                Reply::Bulk(id.to_bytes()),
                Reply::Bulk(nack.consumer.clone()),
                Reply::Integer(now.wrapping_sub(nack.delivery_time_ms).max(0)),
                Reply::Integer(nack.delivery_count as i64),
            ])
        })
        .collect();
    Reply::Array(rows)
}

/// XCLAIM's options after the ids.
#[derive(Default)]
struct ClaimOpts {
    force: bool,
    justid: bool,
    /// IDLE/TIME as a delivery time.
    delivery_time: Option<i64>,
    retry_count: Option<i64>,
    last_id: StreamId,
}

/// The ids (up to the first argument that is not one) and the options after them.
fn parse_claim(argv: &[Bytes], now: i64) -> Result<(Vec<StreamId>, ClaimOpts), Reply> {
    let mut ids = Vec::new();
    let mut j = 5;
    while let Some(id) = argv.get(j).and_then(|a| strict_id(a).ok()) {
        ids.push(id);
        j += 1;
    }
    let mut o = ClaimOpts::default();
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let opt = &argv[j];
        let num = |text: &str| parse_i64(&argv[j + 1]).ok_or_else(|| err(text));
        if eq_ignore_case(opt, "force") {
            o.force = true;
        } else if eq_ignore_case(opt, "justid") {
            o.justid = true;
        } else if eq_ignore_case(opt, "idle") && more {
            o.delivery_time = Some(now.wrapping_sub(num(XCLAIM_IDLE)?));
            j += 1;
        } else if eq_ignore_case(opt, "time") && more {
            o.delivery_time = Some(num(XCLAIM_TIME)?);
            j += 1;
        } else if eq_ignore_case(opt, "retrycount") && more {
            o.retry_count = Some(num(XCLAIM_RETRYCOUNT)?);
            j += 1;
        } else if eq_ignore_case(opt, "lastid") && more {
            o.last_id = strict_id(&argv[j + 1])?;
            j += 1;
        } else {
            return Err(unrecognized_xclaim_option(opt));
        }
        j += 1;
    }
    Ok((ids, o))
}

/// XCLAIM's and XAUTOCLAIM's first check: the stream and its group exist (NOGROUP otherwise).
fn require_group(ctx: &WriteCtx<'_>, key: &Bytes, group: &Bytes) -> Result<(), Reply> {
    let exists = ctx
        .db
        .lookup::<Stream>(key, ctx.now_ms)?
        .is_some_and(|s| s.groups.contains_key(group));
    if exists {
        Ok(())
    } else {
        Err(no_group(key, group, ""))
    }
}

pub(super) fn xclaim(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
    let now = ctx.now_ms as i64;
    require_group(ctx, key, group)?;
    let min_idle = parse_i64(&argv[4])
        .ok_or_else(|| err(XCLAIM_MIN_IDLE))?
        .max(0);
    let (ids, o) = parse_claim(argv, now)?;
    let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(key, ctx.now_ms)? else {
        return Err(no_group(key, group, ""));
    };
    let Some(mut g) = s.groups.remove(group) else {
        return Err(no_group(key, group, ""));
    };
    g.last_id = g.last_id.max(o.last_id);
    let time = match o.delivery_time {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let mut out = Vec::new();
    let mut consumer_seen = false;
    for id in ids {
        let Some(fields) = s.entries.get(&id) else {
            g.ack(id);
            continue;
        };
        let idle_ok = |nack: Option<&Nack>| {
            min_idle == 0 || nack.is_none_or(|n| now.wrapping_sub(n.delivery_time_ms) >= min_idle)
        };
        let pending = g.pel.get(&id);
        if (pending.is_none() && !o.force) || !idle_ok(pending) {
            continue;
        }
        if !consumer_seen {
            g.consumer(consumer, now);
            consumer_seen = true;
        }
        g.assign(id, consumer, |old| {
            // A NACK created by FORCE starts at one delivery (`streamCreateNACK`).
            let count = old.map_or(1, |n| n.delivery_count);
            let count = match o.retry_count {
                Some(n) if n >= 0 => n as u64,
                _ if !o.justid => count + 1,
                _ => count,
            };
            (time, count)
        });
        out.push(if o.justid {
            Reply::Bulk(id.to_bytes())
        } else {
            entry_reply(id, fields)
        });
    }
    s.groups.insert(group.clone(), g);
    Ok(Reply::Array(out))
}

/// XAUTOCLAIM's options.
fn parse_autoclaim(argv: &[Bytes]) -> Result<(i64, StreamId, usize, bool), Reply> {
    let min_idle = parse_i64(&argv[4])
        .ok_or_else(|| err(XAUTOCLAIM_MIN_IDLE))?
        .max(0);
    let start = range_start(&argv[5])?;
    let (mut count, mut justid) = (100usize, false);
    let mut j = 6;
    while j < argv.len() {
        if eq_ignore_case(&argv[j], "count") && j + 1 < argv.len() {
            // LONG_MAX / max(sizeof(streamID), attempts factor 10).
            let max = i64::MAX / 16;
            count = parse_i64(&argv[j + 1])
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| err(XAUTOCLAIM_COUNT))? as usize;
            j += 1;
        } else if eq_ignore_case(&argv[j], "justid") {
            justid = true;
        } else {
            return Err(err(SYNTAX));
        }
        j += 1;
    }
    Ok((min_idle, start, count, justid))
}

pub(super) fn xautoclaim(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let (min_idle, start, count, justid) = parse_autoclaim(argv)?;
    let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
    let now = ctx.now_ms as i64;
    require_group(ctx, key, group)?;
    let Some(s) = ctx.db.lookup_mut_unmarked::<Stream>(key, ctx.now_ms)? else {
        return Err(no_group(key, group, ""));
    };
    let Some(mut g) = s.groups.remove(group) else {
        return Err(no_group(key, group, ""));
    };
    let claim = Autoclaim {
        min_idle,
        count,
        justid,
        now,
        consumer,
    };
    let reply = claim.run(s, &mut g, start);
    s.groups.insert(group.clone(), g);
    Ok(reply)
}

struct Autoclaim<'a> {
    min_idle: i64,
    count: usize,
    justid: bool,
    now: i64,
    consumer: &'a Bytes,
}

impl Autoclaim<'_> {
    /// `xautoclaimCommand`'s loop: at most 10 × COUNT PEL entries looked at, COUNT claimed or
    /// dropped (entries deleted from the stream leave the PEL and are listed).
    fn run(&self, s: &Stream, g: &mut Group, start: StreamId) -> Reply {
        let mut attempts = self.count.saturating_mul(10);
        let mut count = self.count;
        let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
        let mut consumer_seen = false;
        let mut next = g.pel.range(start..).next().map(|(id, _)| *id);
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let Some(id) = next else { break };
            next = g.pel.range(id..).nth(1).map(|(id, _)| *id);
            let Some(fields) = s.entries.get(&id) else {
                g.ack(id);
                deleted.push(Reply::Bulk(id.to_bytes()));
                count -= 1;
                continue;
            };
            let idle = g
                .pel
                .get(&id)
                .map_or(0, |n| self.now.wrapping_sub(n.delivery_time_ms));
            if self.min_idle > 0 && idle < self.min_idle {
                continue;
            }
            if !consumer_seen {
                g.consumer(self.consumer, self.now);
                consumer_seen = true;
            }
            let bump = u64::from(!self.justid);
            g.assign(id, self.consumer, |old| {
                (self.now, old.map_or(0, |n| n.delivery_count) + bump)
            });
            claimed.push(if self.justid {
                Reply::Bulk(id.to_bytes())
            } else {
                entry_reply(id, fields)
            });
            count -= 1;
        }
        let end = next.unwrap_or(StreamId::MIN);
        Reply::Array(vec![
            Reply::Bulk(end.to_bytes()),
            Reply::Array(claimed),
            Reply::Array(deleted),
        ])
    }
}
