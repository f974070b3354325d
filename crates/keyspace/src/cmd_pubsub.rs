//! PUBLISH and SPUBLISH as replicated writes that change no key: they take a seq and travel
//! through the Raft log and to secondary clusters like any write, and every node delivers
//! them to its own subscribers when it applies them (the server's pub/sub hub). The reply
//! here is a placeholder; the serving node answers with its own receiver count, as each
//! node of a Redis Cluster does.

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{keyed, keyless, CommandDef, CommandKind, CommandResult};
use crate::ctx::WriteCtx;

const PUBSUB_FLAGS: &[&str] = &["pubsub", "loading", "stale", "fast"];

/// SPUBLISH's channel is at a key position (Redis Cluster routes it by slot); its key spec
/// says `not_key`, so ACL rules check it as a channel, not a key.
pub(crate) const COMMANDS: &[CommandDef] = &[
    keyless("publish", 3, PUBSUB_FLAGS, CommandKind::Write(publish)),
    keyed("spublish", 3, PUBSUB_FLAGS, 1, CommandKind::Write(publish)),
];

fn publish(_ctx: &mut WriteCtx<'_>, _argv: &[Bytes]) -> CommandResult {
    Ok(Reply::Integer(0))
}

/// True for the commands whose reply the serving node computes (its receivers).
pub fn is_publish(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"publish") || name.eq_ignore_ascii_case(b"spublish")
}
