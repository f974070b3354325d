//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP, with Redis
//! 7.0's fields. `radix-tree-keys` and `radix-tree-nodes` describe the radix tree Redis would
//! hold: one key per listpack node (see `model.rs`), nodes counted as `rax.c` lays out 128-bit
//! big-endian keys after insertions.

use bytes::Bytes;
use meridian_types::Reply;

use super::cgroup::{Consumer, Group};
use super::groups::{help_reply, subcommand};
use super::model::{Stream, StreamId};
use super::range::entries_in;
use crate::args::{eq_ignore_case, int_arg};
use crate::command::CommandResult;
use crate::ctx::ReadCtx;
use crate::errors::{err, no_group_for_key, subcommand_syntax, NO_SUCH_KEY};

const SUBCOMMANDS: &[(&str, i32)] = &[("stream", -3), ("groups", 3), ("consumers", 4), ("help", 2)];

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
];

/// XINFO STREAM FULL's default COUNT.
const FULL_DEFAULT_COUNT: i64 = 10;

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::Bulk(Bytes::copy_from_slice(name.as_bytes())), value)
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

fn int(n: usize) -> Reply {
    Reply::Integer(n as i64)
}

pub(super) fn xinfo(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let sub = subcommand(argv, SUBCOMMANDS, "XINFO")?;
    if sub == "help" {
        return Ok(help_reply(HELP));
    }
    let key = &argv[2];
    let s = ctx
        .db
        .lookup::<Stream>(key, ctx.now_ms)?
        .ok_or_else(|| err(NO_SUCH_KEY))?;
    match sub {
        "consumers" => {
            let g = s
                .groups
                .get(&argv[3])
                .ok_or_else(|| no_group_for_key(&argv[3], key))?;
            Ok(consumers(g, ctx.now_ms as i64))
        }
        "groups" => Ok(Reply::Array(
            s.groups
                .iter()
                .map(|(n, g)| group_summary(s, n, g))
                .collect(),
        )),
        _ => stream_info(s, argv),
    }
}

fn consumers(g: &Group, now: i64) -> Reply {
    Reply::Array(
        g.consumers
            .iter()
            .map(|(name, c)| {
                Reply::Map(vec![
                    field("name", Reply::Bulk(name.clone())),
                    field("pending", int(c.pel.len())),
                    field(
                        "idle",
                        Reply::Integer(now.wrapping_sub(c.seen_time_ms).max(0)),
                    ),
                ])
            })
            .collect(),
    )
}

fn entries_read(g: &Group) -> Reply {
    g.entries_read
        .map_or(Reply::Nil, |n| Reply::Integer(n as i64))
}

fn lag(s: &Stream, g: &Group) -> Reply {
    s.lag(g).map_or(Reply::Nil, Reply::Integer)
}

fn group_summary(s: &Stream, name: &Bytes, g: &Group) -> Reply {
    Reply::Map(vec![
        field("name", Reply::Bulk(name.clone())),
        field("consumers", int(g.consumers.len())),
        field("pending", int(g.pel.len())),
        field("last-delivered-id", id_reply(g.last_id)),
        field("entries-read", entries_read(g)),
        field("lag", lag(s, g)),
    ])
}

/// XINFO STREAM's options: None for the short form, the COUNT of FULL (0: everything).
fn parse_full(argv: &[Bytes]) -> Result<Option<usize>, Reply> {
    let opts = &argv[3..];
    let syntax = || subcommand_syntax(&argv[1], "XINFO");
    match opts.len() {
        0 => return Ok(None),
        1 | 3 => {}
        _ => return Err(syntax()),
    }
    if !eq_ignore_case(&opts[0], "full") {
        return Err(syntax());
    }
    let mut count = FULL_DEFAULT_COUNT;
    if opts.len() == 3 {
        if !eq_ignore_case(&opts[1], "count") {
            return Err(syntax());
        }
        count = int_arg(&opts[2])?;
        if count < 0 {
            count = FULL_DEFAULT_COUNT;
        }
    }
    Ok(Some(usize::try_from(count).unwrap_or(usize::MAX)))
}

fn stream_info(s: &Stream, argv: &[Bytes]) -> CommandResult {
    let full = parse_full(argv)?;
    let mut fields = vec![
        field("length", int(s.len())),
        field("radix-tree-keys", int(s.nodes.len())),
        field("radix-tree-nodes", int(rax_nodes(s))),
        field("last-generated-id", id_reply(s.last_id)),
        field("max-deleted-entry-id", id_reply(s.max_deleted_id)),
        field("entries-added", Reply::Integer(s.entries_added as i64)),
        field("recorded-first-entry-id", id_reply(s.first_id)),
    ];
    let Some(count) = full else {
        let edge = |rev| {
            entries_in(s, StreamId::MIN, StreamId::MAX, 1, rev)
                .pop()
                .unwrap_or(Reply::Nil)
        };
        fields.push(field("groups", int(s.groups.len())));
        fields.push(field("first-entry", edge(false)));
        fields.push(field("last-entry", edge(true)));
        return Ok(Reply::Map(fields));
    };
    let entries = entries_in(s, StreamId::MIN, StreamId::MAX, count, false);
    fields.push(field("entries", Reply::Array(entries)));
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| group_full(s, name, g, count))
        .collect();
    fields.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(fields))
}

fn limit(count: usize) -> usize {
    if count == 0 {
        usize::MAX
    } else {
        count
    }
}

fn group_full(s: &Stream, name: &Bytes, g: &Group, count: usize) -> Reply {
    let pending = g
        .pel
        .iter()
        .take(limit(count))
        .map(|(id, nack)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::Bulk(nack.consumer.clone()),
                Reply::Integer(nack.delivery_time_ms),
                Reply::Integer(nack.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = g
        .consumers
        .iter()
        .map(|(name, c)| consumer_full(g, name, c, count))
        .collect();
    Reply::Map(vec![
        field("name", Reply::Bulk(name.clone())),
        field("last-delivered-id", id_reply(g.last_id)),
        field("entries-read", entries_read(g)),
        field("lag", lag(s, g)),
        field("pel-count", int(g.pel.len())),
        field("pending", Reply::Array(pending)),
        field("consumers", Reply::Array(consumers)),
    ])
}

fn consumer_full(g: &Group, name: &Bytes, c: &Consumer, count: usize) -> Reply {
    let pending = c
        .pel
        .iter()
        .take(limit(count))
        .filter_map(|id| g.pel.get(id).map(|nack| (id, nack)))
        .map(|(id, nack)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::Integer(nack.delivery_time_ms),
                Reply::Integer(nack.delivery_count as i64),
            ])
        })
        .collect();
    Reply::Map(vec![
        field("name", Reply::Bulk(name.clone())),
        field("seen-time", Reply::Integer(c.seen_time_ms)),
        field("pel-count", int(c.pel.len())),
        field("pending", Reply::Array(pending)),
    ])
}

/// The number of nodes of Redis's radix tree over the node keys (128-bit big-endian master
/// ids): an empty tree is its root; a run of single-child bytes is one compressed node, a
/// byte where keys part one branching node, and every key ends in a leaf node.
fn rax_nodes(s: &Stream) -> usize {
    let keys: Vec<[u8; 16]> = s
        .nodes
        .keys()
        .map(|id| {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        })
        .collect();
    if keys.is_empty() {
        return 1;
    }
    subtree_nodes(&keys, 0)
}

/// Nodes of the subtree holding `keys` (sorted, distinct, equal up to `depth`).
fn subtree_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    let compressed = usize::from(common > 0);
    let depth = depth + common;
    if depth == 16 {
        return compressed + 1;
    }
    let mut total = compressed + 1;
    let mut start = 0;
    while start < keys.len() {
        let byte = keys[start][depth];
        let len = keys[start..]
            .iter()
            .take_while(|k| k[depth] == byte)
            .count();
        total += subtree_nodes(&keys[start..start + len], depth + 1);
        start += len;
    }
    total
}
