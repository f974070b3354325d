//! The keyspace events of the stream commands (Redis's `notifyKeyspaceEvent` calls in
//! t_stream.c), fired from what each command did: XADD `xadd` (then `xtrim` when its MAXLEN /
//! MINID removed entries), XTRIM `xtrim` and XDEL `xdel` when they removed entries, XSETID
//! `xsetid`, XGROUP `xgroup-create` / `-setid` / `-destroy` / `-createconsumer` /
//! `-delconsumer` when they changed something, and `xgroup-createconsumer` whenever XREADGROUP,
//! XCLAIM or XAUTOCLAIM created the consumer they name.

use bytes::Bytes;
use meridian_types::Reply;

use super::model::Stream;
use crate::command::{CommandResult, WriteFn};
use crate::ctx::WriteCtx;
use crate::events::EventClass;

/// What the stream at `key` held before the command: entries and the named group's consumers.
struct Before {
    len: Option<usize>,
    consumer: bool,
}

fn look(ctx: &WriteCtx<'_>, key: &Bytes, group: Option<(&Bytes, &Bytes)>) -> Before {
    let s = ctx.db.lookup::<Stream>(key, ctx.now_ms).ok().flatten();
    Before {
        len: s.map(|s| s.entries.len()),
        consumer: match (s, group) {
            (Some(s), Some((g, c))) => s.groups.get(g).is_some_and(|g| g.consumers.contains_key(c)),
            _ => false,
        },
    }
}

/// The group and consumer a command names, for `xgroup-createconsumer`.
fn named_consumer<'a>(name: &str, argv: &'a [Bytes]) -> Option<(&'a Bytes, &'a Bytes)> {
    match name {
        "xreadgroup" => Some((argv.get(2)?, argv.get(3)?)),
        "xclaim" | "xautoclaim" => Some((argv.get(2)?, argv.get(3)?)),
        "xgroup" => Some((argv.get(3)?, argv.get(4)?)),
        _ => None,
    }
}

/// The stream key of a command (XGROUP's is its third argument).
fn stream_key<'a>(name: &str, argv: &'a [Bytes]) -> Option<&'a Bytes> {
    match name {
        "xgroup" => argv.get(2),
        "xreadgroup" => {
            let at = argv
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"streams"))?;
            argv.get(at + 1)
        }
        _ => argv.get(1),
    }
}

/// Runs the stream command `f` and fires its events.
pub(crate) fn run(ctx: &mut WriteCtx<'_>, name: &str, f: WriteFn, argv: &[Bytes]) -> CommandResult {
    if !ctx.record_events {
        return f(ctx, argv);
    }
    let Some(key) = stream_key(name, argv).cloned() else {
        return f(ctx, argv);
    };
    let group = named_consumer(name, argv).map(|(g, c)| (g.clone(), c.clone()));
    let before = look(ctx, &key, group.as_ref().map(|(g, c)| (g, c)));
    let reply = f(ctx, argv)?;
    let after = look(ctx, &key, group.as_ref().map(|(g, c)| (g, c)));
    let sub = argv
        .get(1)
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .unwrap_or_default();
    for event in events(name, &sub, &reply, &before, &after) {
        ctx.notify(EventClass::Stream, event, &key);
    }
    Ok(reply)
}

/// Which events a command fired, judged from its reply and the stream before and after it.
fn events(
    name: &str,
    sub: &str,
    reply: &Reply,
    before: &Before,
    after: &Before,
) -> Vec<&'static str> {
    let removed = |added: usize| before.len.unwrap_or(0) + added > after.len.unwrap_or(0);
    let positive = matches!(reply, Reply::Integer(n) if *n > 0);
    let created_consumer = !before.consumer && after.consumer;
    match name {
        "xadd" if matches!(reply, Reply::Bulk(_)) => {
            let mut out = vec!["xadd"];
            if removed(1) {
                out.push("xtrim");
            }
            out
        }
        "xtrim" if positive => vec!["xtrim"],
        "xdel" if positive => vec!["xdel"],
        "xsetid" => vec!["xsetid"],
        "xgroup" => match sub {
            "create" => vec!["xgroup-create"],
            "setid" => vec!["xgroup-setid"],
            "destroy" if positive => vec!["xgroup-destroy"],
            "createconsumer" if created_consumer => vec!["xgroup-createconsumer"],
            "delconsumer" if before.consumer && !after.consumer => vec!["xgroup-delconsumer"],
            _ => Vec::new(),
        },
        "xreadgroup" | "xclaim" | "xautoclaim" if created_consumer => {
            vec!["xgroup-createconsumer"]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::{Databases, KeyEvent};

    fn run(dbs: &mut Databases, line: &str) -> Vec<&'static str> {
        let argv: Vec<Bytes> = line
            .split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        let mut events: Vec<KeyEvent> = Vec::new();
        dbs.execute_write_with_events(&mut 0, &argv, 1_000, 0, &mut events);
        events.into_iter().map(|e| e.event).collect()
    }

    #[test]
    fn stream_commands_fire_redis_events_only_when_they_change_something() {
        let mut dbs = Databases::default();
        assert_eq!(run(&mut dbs, "xadd s 1-1 f v"), ["new", "xadd"]);
        assert_eq!(run(&mut dbs, "xadd s 2-1 f v"), ["xadd"]);
        assert_eq!(run(&mut dbs, "xadd s maxlen 1 3-1 f v"), ["xadd", "xtrim"]);
        assert!(
            run(&mut dbs, "xadd s nomkstream 1-1 f v").is_empty(),
            "an error"
        );
        assert!(
            run(&mut dbs, "xtrim s maxlen 5").is_empty(),
            "nothing removed"
        );
        assert!(run(&mut dbs, "xdel s 9-9").is_empty(), "nothing deleted");
        assert_eq!(run(&mut dbs, "xgroup create s g 0"), ["xgroup-create"]);
        assert_eq!(
            run(&mut dbs, "xreadgroup group g alice streams s >"),
            ["xgroup-createconsumer"]
        );
        assert!(run(&mut dbs, "xreadgroup group g alice streams s >").is_empty());
        assert!(run(&mut dbs, "xgroup createconsumer s g alice").is_empty());
        assert_eq!(
            run(&mut dbs, "xgroup delconsumer s g alice"),
            ["xgroup-delconsumer"]
        );
        assert_eq!(run(&mut dbs, "xgroup setid s g 0"), ["xgroup-setid"]);
        assert_eq!(run(&mut dbs, "xgroup destroy s g"), ["xgroup-destroy"]);
        assert_eq!(run(&mut dbs, "xdel s 3-1"), ["xdel"]);
        assert_eq!(run(&mut dbs, "xsetid s 10-0"), ["xsetid"]);
    }
}
