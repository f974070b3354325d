//! Generic key commands: DEL EXISTS TYPE … and the keyspace-wide ones (DBSIZE, FLUSHDB, SCAN).

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{CommandDef, CommandKind};
use crate::ctx::WriteCtx;

pub const COMMANDS: &[CommandDef] = &[CommandDef {
    name: "del",
    arity: -2,
    flags: &["write"],
    first_key: 1,
    last_key: -1,
    step: 1,
    kind: CommandKind::Write(del),
}];

fn del(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    let now = ctx.now_ms;
    let n = argv[1..]
        .iter()
        .filter(|k| ctx.db.remove(k, now).is_some())
        .count();
    Reply::Integer(n as i64)
}
