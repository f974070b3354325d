//! What the server needs to block XREAD and XREADGROUP with BLOCK, the way `cmd_blocking`
//! serves BLPOP and friends. The commands themselves never block: with or without BLOCK (and
//! inside MULTI) they answer at once, a nil array when no stream has anything for the client.
//!
//! ```text
//!  stream_block_spec(argv) ─► None: no BLOCK (or not XREAD/XREADGROUP): run it as usual
//!         │ Some(Err(reply)): reply it (the command's own error for its options)
//!         │ Some(Ok(spec: keys, timeout, group))
//!         ▼
//!  run argv (XREAD a read, XREADGROUP a write) ─► not NilArray: reply it
//!         │ NilArray (nothing served)
//!         ▼
//!  blocked = Databases::stream_block_argv(db, argv, now)   ◄─ on the SAME state as the run:
//!         │                                                    `$` becomes the last id then
//!         ▼
//!  wait until a write touches one of spec.keys, then for such a key:
//!     Databases::stream_block_wake(db, &blocked, key, now)
//!         ├─ Serve: run stream_retry_argv(&blocked, key) (a write for XREADGROUP);
//!         │         a NilArray reply (a faster client took the entries): keep waiting
//!         ├─ Fail(reply): reply it (XREADGROUP whose key or group is gone)
//!         └─ Wait: keep waiting
//!  timeout (spec.timeout_ms, 0 = forever): reply Reply::NilArray
//! ```
//!
//! `$` must be resolved when the client blocks, not when it is served: "entries after the
//! last one present when I asked". Resolving it in argv makes every retry an ordinary,
//! deterministic command that replicas apply alike. A retry serves only the key that became
//! ready, with COUNT 1000 when the client gave none, as Redis serves a blocked stream client.
//! An XREADGROUP client whose key or group is deleted while it waits is unblocked with the
//! error Redis 7.0 sends then (`StreamWake::Fail`).

use bytes::Bytes;
use meridian_types::Reply;

use super::ids::strict_id;
use super::model::{Stream, StreamId};
use super::read::{parse_read, resolve_ids, ReadArgs, ReadFrom};
use crate::command::lookup;
use crate::databases::Databases;
use crate::errors::{err, wrong_arity, UNBLOCKED_NO_GROUP, UNBLOCKED_NO_KEY};

/// Redis's COUNT for a served blocked client that gave none (`XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: &[u8] = b"1000";

/// What a write to a key means for a client blocked on it.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamWake {
    /// Nothing for the client yet.
    Wait,
    /// Run [`stream_retry_argv`] for the key (it may still find nothing: keep waiting then).
    Serve,
    /// Unblock the client with this error.
    Fail(Reply),
}

/// A blocking XREAD or XREADGROUP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamBlockSpec {
    /// The stream keys waited on, in the client's order (a key given twice appears twice).
    pub keys: Vec<Bytes>,
    /// BLOCK's milliseconds; 0 waits forever.
    pub timeout_ms: u64,
    /// XREADGROUP's group and consumer; None for XREAD.
    pub group: Option<(Bytes, Bytes)>,
}

/// Whether `argv` names XREADGROUP (true), XREAD (false) or neither (None).
fn is_group_read(argv: &[Bytes]) -> Option<bool> {
    match lookup(argv.first()?)?.name {
        "xread" => Some(false),
        "xreadgroup" => Some(true),
        _ => None,
    }
}

/// For XREAD and XREADGROUP with a BLOCK option: the keys, the timeout and the group, or the
/// error the command answers for its options (arity included). None for any other command,
/// and for XREAD/XREADGROUP without BLOCK (they answer at once).
pub fn stream_block_spec(argv: &[Bytes]) -> Option<Result<StreamBlockSpec, Reply>> {
    let group = is_group_read(argv)?;
    let def = lookup(&argv[0])?;
    if !def.arity_ok(argv.len()) {
        return Some(Err(wrong_arity(def.name)));
    }
    let args = match parse_read(argv, group) {
        Ok(args) => args,
        Err(e) => return Some(Err(e)),
    };
    let timeout_ms = args.block_ms?;
    Some(Ok(StreamBlockSpec {
        keys: args.keys(argv).to_vec(),
        timeout_ms,
        group: args.group,
    }))
}

impl Databases {
    /// The argv to wait with, given `argv` and the state its run saw: each `$` of an XREAD
    /// replaced by the stream's last id (0-0 for a missing key). Anything else is returned as
    /// is, as is an argv whose ids do not resolve (its run answered the error already).
    pub fn stream_block_argv(&self, db: u32, argv: &[Bytes], now_ms: u64) -> Vec<Bytes> {
        let mut out = argv.to_vec();
        let Some(false) = is_group_read(argv) else {
            return out;
        };
        let Ok(args) = parse_read(argv, false) else {
            return out;
        };
        let Ok(from) = resolve_ids(self.db(db), now_ms, argv, &args) else {
            return out;
        };
        let first_id = args.streams_at + args.n;
        for (i, from) in from.into_iter().enumerate() {
            if let ReadFrom::After(id) = from {
                out[first_id + i] = id.to_bytes();
            }
        }
        out
    }

    /// What a write to `key` means for the blocked request `blocked` (from
    /// [`Databases::stream_block_argv`]), as `serveClientsBlockedOnStreamKey` and
    /// `unblockDeletedStreamReadgroupClients` decide: XREAD is served once the stream has an
    /// entry after the client's id (a deleted or retyped key keeps it waiting); XREADGROUP once
    /// the stream has an entry after the group's last delivered id, and fails when the key or
    /// the group is gone.
    pub fn stream_block_wake(
        &self,
        db: u32,
        blocked: &[Bytes],
        key: &[u8],
        now_ms: u64,
    ) -> StreamWake {
        let Some(group) = is_group_read(blocked) else {
            return StreamWake::Wait;
        };
        let Ok(args) = parse_read(blocked, group) else {
            return StreamWake::Wait;
        };
        let Some(i) = args.keys(blocked).iter().position(|k| k.as_ref() == key) else {
            return StreamWake::Wait;
        };
        let key = Bytes::copy_from_slice(key);
        let Ok(Some(s)) = self.db(db).lookup::<Stream>(&key, now_ms) else {
            return match args.group {
                Some(_) => StreamWake::Fail(err(UNBLOCKED_NO_KEY)),
                None => StreamWake::Wait,
            };
        };
        let after = match &args.group {
            Some((name, _)) => match s.groups.get(name) {
                Some(g) => g.last_id,
                None => return StreamWake::Fail(err(UNBLOCKED_NO_GROUP)),
            },
            None => strict_id(&args.ids(blocked)[i]).unwrap_or(StreamId::MAX),
        };
        if s.last_live_id().is_some_and(|top| top > after) {
            StreamWake::Serve
        } else {
            StreamWake::Wait
        }
    }
}

/// The command that serves a blocked client from `key` (one of its keys): its options without
/// BLOCK, COUNT 1000 if it gave none, and `STREAMS key id` for that key alone.
pub fn stream_retry_argv(blocked: &[Bytes], key: &[u8]) -> Vec<Bytes> {
    let Some(group) = is_group_read(blocked) else {
        return blocked.to_vec();
    };
    let Ok(args) = parse_read(blocked, group) else {
        return blocked.to_vec();
    };
    let Some(i) = args.keys(blocked).iter().position(|k| k.as_ref() == key) else {
        return blocked.to_vec();
    };
    retry_for(blocked, &args, i)
}

fn retry_for(blocked: &[Bytes], args: &ReadArgs, i: usize) -> Vec<Bytes> {
    let word = |w: &'static [u8]| Bytes::from_static(w);
    let mut out = vec![blocked[0].clone()];
    if let Some((group, consumer)) = &args.group {
        out.extend([word(b"GROUP"), group.clone(), consumer.clone()]);
    }
    // COUNT 0 means no limit, which a served blocked client does not get either.
    let count = if args.count > 0 {
        Bytes::from(args.count.to_string())
    } else {
        word(BLOCKED_DEFAULT_COUNT)
    };
    out.extend([word(b"COUNT"), count]);
    if args.noack {
        out.push(word(b"NOACK"));
    }
    out.extend([
        word(b"STREAMS"),
        args.keys(blocked)[i].clone(),
        args.ids(blocked)[i].clone(),
    ]);
    out
}
