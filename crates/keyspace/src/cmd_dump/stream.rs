//! Streams in DUMP payloads: `RDB_TYPE_STREAM_LISTPACKS_2` (19), as Redis 7.0's
//! `rdbSaveObject` writes it, and RESTORE of it and of the older `RDB_TYPE_STREAM_LISTPACKS`
//! (15).
//!
//! The object: the radix tree's nodes (16-byte big-endian master id, listpack), the length,
//! last id, first id, max deleted id and entries added (type 19), then each group: name, last
//! delivered id, entries read (type 19), its PEL (id, delivery time, delivery count) and its
//! consumers (name, seen time, the ids they own).
//!
//! A node's listpack holds a master entry (count, deleted, the master fields, 0) and the
//! entries (flags, id deltas, [fields,] values, element count). Meridian keeps no deleted
//! entries, so a node it writes holds only live ones: the payload equals Redis's when no node
//! holds a tombstone (XDEL and exact trimming leave them), and loads in Redis either way.

use bytes::Bytes;

use super::rdb_read::Reader;
use super::rdb_write::{save_len, save_raw_string};
use super::{listpack, rdb_type as t, Corrupt};
use crate::args::parse_i64;
use crate::cmd_stream::{Consumer, Group, Nack, Node, Stream, StreamId};
use crate::value::Value;

/// `STREAM_ITEM_FLAG_DELETED`, `STREAM_ITEM_FLAG_SAMEFIELDS`.
const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;
/// Redis's `SCG_INVALID_ENTRIES_READ` (-1) as `rdbSaveLen` writes it.
const INVALID_ENTRIES_READ: u64 = u64::MAX;

fn id_key(id: StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

fn key_id(k: &[u8]) -> Result<StreamId, Corrupt> {
    let k: &[u8; 16] = k.try_into().map_err(|_| Corrupt("stream id size"))?;
    let (ms, seq) = k.split_at(8);
    let be = |b: &[u8]| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
    Ok(StreamId::new(be(ms), be(seq)))
}

pub(super) fn save(out: &mut Vec<u8>, s: &Stream) {
    out.push(t::STREAM_LISTPACKS_2);
    save_len(out, s.nodes.len() as u64);
    for (master, node) in &s.nodes {
        save_raw_string(out, &id_key(*master));
        save_raw_string(out, &node_listpack(s, *master, node));
    }
    save_len(out, s.len() as u64);
    for id in [s.last_id, s.first_id, s.max_deleted_id] {
        save_len(out, id.ms);
        save_len(out, id.seq);
    }
    save_len(out, s.entries_added);
    save_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        save_raw_string(out, name);
        save_len(out, g.last_id.ms);
        save_len(out, g.last_id.seq);
        save_len(out, g.entries_read.unwrap_or(INVALID_ENTRIES_READ));
        save_len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            out.extend_from_slice(&id_key(*id));
            out.extend_from_slice(&nack.delivery_time_ms.to_le_bytes());
            save_len(out, nack.delivery_count);
        }
        save_len(out, g.consumers.len() as u64);
        for (name, c) in &g.consumers {
            save_raw_string(out, name);
            out.extend_from_slice(&c.seen_time_ms.to_le_bytes());
            save_len(out, c.pel.len() as u64);
            c.pel
                .iter()
                .for_each(|id| out.extend_from_slice(&id_key(*id)));
        }
    }
}

/// The listpack of the node at `master`, built as `streamAppendItem` builds it.
fn node_listpack(s: &Stream, master: StreamId, node: &Node) -> Vec<u8> {
    let entries: Vec<_> = s.entries.range(master..=node.last).collect();
    let mut lp = listpack::Writer::new();
    lp.push_int(entries.len() as i64);
    lp.push_int(0);
    lp.push_int(node.master_fields.len() as i64);
    node.master_fields.iter().for_each(|f| lp.push(f));
    lp.push_int(0);
    for (id, fields) in entries {
        let names = fields.iter().step_by(2);
        let same = names.len() == node.master_fields.len() && names.eq(node.master_fields.iter());
        let pairs = (fields.len() / 2) as i64;
        lp.push_int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.push_int(id.ms.wrapping_sub(master.ms) as i64);
        lp.push_int(id.seq.wrapping_sub(master.seq) as i64);
        if same {
            fields.iter().skip(1).step_by(2).for_each(|v| lp.push(v));
            lp.push_int(pairs + 3);
        } else {
            lp.push_int(pairs);
            fields.iter().for_each(|v| lp.push(v));
            lp.push_int(2 * pairs + 4);
        }
    }
    lp.finish()
}

pub(super) fn load(r: &mut Reader<'_>, kind: u8) -> Result<Value, Corrupt> {
    let mut s = Stream::default();
    for _ in 0..r.count()? {
        let master = key_id(&r.string()?)?;
        let lp = r.string()?;
        load_node(&mut s, master, &lp)?;
    }
    let length = r.len()?;
    s.last_id = StreamId::new(r.len()?, r.len()?);
    if kind == t::STREAM_LISTPACKS_2 {
        s.first_id = StreamId::new(r.len()?, r.len()?);
        s.max_deleted_id = StreamId::new(r.len()?, r.len()?);
        s.entries_added = r.len()?;
    } else {
        s.first_id = s.first_live_id().unwrap_or_default();
        s.entries_added = length;
    }
    if length != s.len() as u64 || s.last_live_id().is_some_and(|top| top > s.last_id) {
        return Err(Corrupt("stream length or last id"));
    }
    for _ in 0..r.count()? {
        let name = Bytes::from(r.string()?);
        let last_id = StreamId::new(r.len()?, r.len()?);
        let entries_read = if kind == t::STREAM_LISTPACKS_2 {
            Some(r.len()?).filter(|n| *n != INVALID_ENTRIES_READ)
        } else {
            s.estimate_distance(last_id)
        };
        let group = load_group(r, Group::new(last_id, entries_read))?;
        if s.groups.insert(name, group).is_some() {
            return Err(Corrupt("duplicate group"));
        }
    }
    Ok(Value::Stream(Box::new(s)))
}

fn le_i64(b: &[u8]) -> i64 {
    b.iter()
        .rev()
        .fold(0i64, |acc, x| (acc << 8) | i64::from(*x))
}

/// A group's PEL and consumers; every NACK must belong to exactly one consumer.
fn load_group(r: &mut Reader<'_>, mut g: Group) -> Result<Group, Corrupt> {
    for _ in 0..r.count()? {
        let id = key_id(r.take(16)?)?;
        let nack = Nack {
            consumer: Bytes::new(),
            delivery_time_ms: le_i64(r.take(8)?),
            delivery_count: r.len()?,
        };
        if g.pel.insert(id, nack).is_some() {
            return Err(Corrupt("duplicate PEL id"));
        }
    }
    for _ in 0..r.count()? {
        let name = Bytes::from(r.string()?);
        let mut c = Consumer {
            seen_time_ms: le_i64(r.take(8)?),
            ..Consumer::default()
        };
        for _ in 0..r.count()? {
            let id = key_id(r.take(16)?)?;
            match g.pel.get_mut(&id) {
                Some(nack) if nack.consumer.is_empty() && c.pel.insert(id) => {
                    nack.consumer = name.clone();
                }
                _ => return Err(Corrupt("consumer PEL id")),
            }
        }
        if g.consumers.insert(name, c).is_some() {
            return Err(Corrupt("duplicate consumer"));
        }
    }
    if g.pel.values().any(|n| n.consumer.is_empty()) {
        return Err(Corrupt("NACK without consumer"));
    }
    Ok(g)
}

/// One node: its master entry, then its entries (deleted ones only counted).
fn load_node(s: &mut Stream, master: StreamId, lp: &[u8]) -> Result<(), Corrupt> {
    let elems = listpack::decode(lp)?;
    let mut it = elems.iter();
    let mut int = || -> Result<i64, Corrupt> {
        it.next()
            .and_then(|e| parse_i64(e))
            .ok_or(Corrupt("stream listpack integer"))
    };
    let (count, deleted, nfields) = (int()?, int()?, int()?);
    let n = usize::try_from(nfields).map_err(|_| Corrupt("master fields"))?;
    let master_fields: Vec<Bytes> = it.by_ref().take(n).cloned().collect();
    let mut rest: Vec<&Bytes> = it.collect();
    if master_fields.len() != n || rest.first().map(|b| b.as_ref()) != Some(&b"0"[..]) {
        return Err(Corrupt("stream master entry"));
    }
    rest.remove(0);
    let mut node = Node {
        live: 0,
        deleted: 0,
        last: master,
        bytes: lp.len() as u64,
        master_fields,
    };
    let mut at = 0;
    while at < rest.len() {
        at = load_entry(s, master, &mut node, &rest, at)?;
    }
    if node.live != count as u64 || node.deleted != deleted as u64 || node.live + node.deleted == 0
    {
        return Err(Corrupt("stream node counts"));
    }
    if s.nodes
        .last_key_value()
        .is_some_and(|(m, n)| *m >= master || n.last >= master)
    {
        return Err(Corrupt("stream nodes out of order"));
    }
    s.nodes.insert(master, node);
    Ok(())
}

/// The entry starting at `rest[at]`; the index after it.
fn load_entry(
    s: &mut Stream,
    master: StreamId,
    node: &mut Node,
    rest: &[&Bytes],
    at: usize,
) -> Result<usize, Corrupt> {
    let int = |i: usize| -> Result<i64, Corrupt> {
        rest.get(i)
            .and_then(|e| parse_i64(e))
            .ok_or(Corrupt("stream entry integer"))
    };
    let flags = int(at)?;
    let id = StreamId::new(
        master.ms.wrapping_add(int(at + 1)? as u64),
        master.seq.wrapping_add(int(at + 2)? as u64),
    );
    let (fields, next) = if flags & FLAG_SAMEFIELDS != 0 {
        let n = node.master_fields.len();
        let values = rest
            .get(at + 3..at + 3 + n)
            .ok_or(Corrupt("stream entry"))?;
        let fields = node
            .master_fields
            .iter()
            .zip(values)
            .flat_map(|(f, v)| [f.clone(), (*v).clone()])
            .collect::<Vec<_>>();
        (fields, at + 3 + n)
    } else {
        let n = usize::try_from(int(at + 3)?).map_err(|_| Corrupt("entry fields"))?;
        let end = n.checked_mul(2).and_then(|m| m.checked_add(at + 4));
        let pairs = end
            .and_then(|end| rest.get(at + 4..end))
            .ok_or(Corrupt("stream entry"))?;
        (pairs.iter().map(|b| (*b).clone()).collect(), at + 4 + 2 * n)
    };
    let elements = if flags & FLAG_SAMEFIELDS != 0 {
        fields.len() / 2 + 3
    } else {
        fields.len() + 4
    };
    if int(next)? != elements as i64
        || fields.is_empty()
        || id <= node.last && node.live + node.deleted > 0
    {
        return Err(Corrupt("stream entry"));
    }
    node.last = id;
    if flags & FLAG_DELETED != 0 {
        node.deleted += 1;
    } else {
        node.live += 1;
        s.entries.insert(id, fields);
    }
    Ok(next + 1)
}
