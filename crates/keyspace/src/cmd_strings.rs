//! String commands: GET SET … (see the Redis 7 command reference for each).

use bytes::Bytes;
use meridian_types::Reply;

use crate::args::wrongtype;
use crate::command::{CommandDef, CommandKind};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::value::Value;

pub const COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "get",
        arity: 2,
        flags: &["readonly", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        kind: CommandKind::Read(get),
    },
    CommandDef {
        name: "set",
        arity: -3,
        flags: &["write", "denyoom"],
        first_key: 1,
        last_key: 1,
        step: 1,
        kind: CommandKind::Write(set),
    },
];

fn get(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> Reply {
    match ctx.db.get_value(&argv[1], ctx.now_ms) {
        None => Reply::Nil,
        Some(Value::Str(s)) => Reply::Bulk(s.clone()),
        Some(_) => wrongtype(),
    }
}

// TODO(strings helper): options NX XX GET EX PX EXAT PXAT KEEPTTL.
fn set(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> Reply {
    ctx.db.insert(argv[1].clone(), Value::Str(argv[2].clone()));
    Reply::ok()
}
