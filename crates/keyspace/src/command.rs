use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use meridian_types::Reply;

use crate::ctx::{DbsCtx, ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{spans_databases, unknown_command, write_as_read, wrong_arity};
use crate::events::{EventClass, KeyEvent};

/// What a command answers: `Ok` with its reply, or `Err` with the error reply it stopped at (a
/// [`Reply::Error`], after changing nothing). Handlers reach their errors with `?`; the
/// dispatchers ([`Keyspace::run_write`], [`Keyspace::run_read`], `Databases::execute_write`)
/// turn both into the one reply sent, with [`into_reply`].
pub type CommandResult = Result<Reply, Reply>;

pub type ReadFn = fn(&ReadCtx<'_>, &[Bytes]) -> CommandResult;
pub type WriteFn = fn(&mut WriteCtx<'_>, &[Bytes]) -> CommandResult;
pub type DbsFn = fn(&mut DbsCtx<'_>, &[Bytes]) -> CommandResult;

/// The reply a command's result sends: its reply or its error.
pub(crate) fn into_reply(result: CommandResult) -> Reply {
    result.unwrap_or_else(|error| error)
}

/// Whether a command only reads (served by any node) or writes (goes through the Raft log),
/// and whether it works in one database or across them.
#[derive(Clone, Copy)]
pub enum CommandKind {
    Read(ReadFn),
    Write(WriteFn),
    /// A write that spans databases (runs through [`crate::Databases`]).
    Databases(DbsFn),
}

/// One Redis command as `COMMAND INFO` describes it, with its implementation.
pub struct CommandDef {
    /// Lower-case name, as Redis reports it.
    pub name: &'static str,
    /// Redis arity: `n > 0` exactly n arguments (command name included), `n < 0` at least -n.
    pub arity: i32,
    /// Redis command flags (`write`, `readonly`, `fast`, `denyoom`, …).
    pub flags: &'static [&'static str],
    /// Position of the first key in argv (0 for none), last key (-1 = last argument), step.
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub kind: CommandKind,
}

impl CommandDef {
    pub fn is_write(&self) -> bool {
        matches!(self.kind, CommandKind::Write(_) | CommandKind::Databases(_))
    }

    /// True when `argc` (command name included) fits the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// The keys of `argv` according to first/last/step.
    pub fn keys<'a>(&self, argv: &'a [Bytes]) -> Vec<&'a Bytes> {
        if self.first_key <= 0 || argv.is_empty() {
            return Vec::new();
        }
        let last = if self.last_key < 0 {
            argv.len() as i64 + i64::from(self.last_key)
        } else {
            i64::from(self.last_key)
        };
        let step = self.step.max(1) as usize;
        let first = self.first_key as usize;
        (first..=last.max(0) as usize)
            .step_by(step)
            .filter_map(|i| argv.get(i))
            .collect()
    }
}

/// Redis command flags, as the family tables spell them.
pub(crate) const W: &[&str] = &["write"];
pub(crate) const W_FAST: &[&str] = &["write", "fast"];
pub(crate) const W_DENYOOM: &[&str] = &["write", "denyoom"];
pub(crate) const W_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
pub(crate) const RO: &[&str] = &["readonly"];
pub(crate) const RO_FAST: &[&str] = &["readonly", "fast"];

/// A command whose keys are argv[1] through argv[last_key] (-1: the last argument), step 1.
pub(crate) const fn keyed(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    last_key: i32,
    kind: CommandKind,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        first_key: 1,
        last_key,
        step: 1,
        kind,
    }
}

/// A command without key positions (no keys, or keys after a `numkeys` argument).
pub(crate) const fn keyless(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    kind: CommandKind,
) -> CommandDef {
    CommandDef {
        name,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        step: 0,
        kind,
    }
}

impl CommandDef {
    /// The same command with keys every `step` arguments (MSET: key value key value ...).
    pub(crate) const fn step(self, step: i32) -> CommandDef {
        CommandDef { step, ..self }
    }
}

/// Every data command Meridian implements, family by family.
pub const ALL_COMMANDS: &[&[CommandDef]] = &[
    crate::cmd_keys::COMMANDS,
    crate::cmd_db::COMMANDS,
    crate::cmd_strings::COMMANDS,
    crate::cmd_hash::COMMANDS,
    crate::cmd_list::COMMANDS,
    crate::cmd_set::COMMANDS,
    crate::cmd_zset::COMMANDS,
    crate::cmd_bitmap::COMMANDS,
    crate::cmd_hll::COMMANDS,
    crate::cmd_geo::COMMANDS,
    crate::cmd_zset_algebra::COMMANDS,
    crate::cmd_blocking::COMMANDS,
    crate::cmd_sort::COMMANDS,
    crate::cmd_dump::COMMANDS,
    crate::cmd_pubsub::COMMANDS,
    crate::cmd_stream::COMMANDS,
];

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandDef> {
    static TABLE: OnceLock<HashMap<String, &'static CommandDef>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ALL_COMMANDS
            .iter()
            .flat_map(|family| family.iter())
            .map(|def| (def.name.to_string(), def))
            .collect()
    });
    // Lower-cased on the stack: this runs for every request.
    let mut buf = [0u8; MAX_NAME_LEN];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table.get(std::str::from_utf8(lower).ok()?).copied()
}

/// Longer than any command name (a test checks), so a longer name is simply unknown.
const MAX_NAME_LEN: usize = 32;

impl Keyspace {
    /// Runs one command of a committed write entry. Read commands inside a transaction run
    /// here too, so they observe the writes before them.
    pub fn execute_write(&mut self, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        let Some(def) = argv.first().and_then(|n| lookup(n)) else {
            return unknown_command(argv);
        };
        if !def.arity_ok(argv.len()) {
            return wrong_arity(def.name);
        }
        self.run_write(def, argv, now_ms, seed)
    }

    /// Runs `def`, already looked up and arity-checked by the caller, as part of a write entry.
    pub fn run_write(&mut self, def: &CommandDef, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        self.run_write_inner(def, argv, (now_ms, seed), (0, None))
    }

    /// As [`Keyspace::run_write`], appending the keyspace events it fires, as events of
    /// database `db_id`, to `events`. `clock` is the entry's `(now_ms, seed)`.
    pub fn run_write_with_events(
        &mut self,
        def: &CommandDef,
        argv: &[Bytes],
        clock: (u64, u64),
        db_id: u32,
        events: &mut Vec<KeyEvent>,
    ) -> Reply {
        self.run_write_inner(def, argv, clock, (db_id, Some(events)))
    }

    /// Runs `def` in this keyspace, database `db_id`, recording its events into `events` if
    /// given (otherwise the keyspace journals nothing and commands record nothing).
    pub(crate) fn run_write_inner(
        &mut self,
        def: &CommandDef,
        argv: &[Bytes],
        (now_ms, seed): (u64, u64),
        (db_id, mut events): (u32, Option<&mut Vec<KeyEvent>>),
    ) -> Reply {
        self.journal(events.is_some());
        self.expire_looked_up(def, argv, now_ms);
        let start = events.as_ref().map_or(0, |e| e.len());
        if let Some(events) = events.as_deref_mut() {
            self.drain_journal(db_id, now_ms, events);
            self.key_misses_into(def, argv, (db_id, now_ms), events);
        }
        let mut fired = Vec::new();
        let reply = match def.kind {
            CommandKind::Write(f) => {
                let mut ctx = WriteCtx::new(self, now_ms, seed);
                ctx.db_id = db_id;
                ctx.record_events = events.is_some();
                let reply = into_reply(run_write_fn(&mut ctx, def, f, argv));
                fired = ctx.events;
                reply
            }
            CommandKind::Read(f) => into_reply(f(&ReadCtx::new(self, now_ms, seed), argv)),
            CommandKind::Databases(_) => spans_databases(def.name),
        };
        if let Some(events) = events {
            events.append(&mut fired);
            self.drain_journal(db_id, now_ms, events);
            crate::key_miss::drop_key_misses_if_failed(&reply, events, start);
        }
        self.journal(false);
        reply
    }

    /// Runs a read-only command against this node's state at `now_ms`.
    pub fn execute_read(&self, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        let Some(def) = argv.first().and_then(|n| lookup(n)) else {
            return unknown_command(argv);
        };
        if !def.arity_ok(argv.len()) {
            return wrong_arity(def.name);
        }
        self.run_read(def, argv, now_ms, seed)
    }

    /// Runs `def`, already looked up and arity-checked by the caller, as a read.
    pub fn run_read(&self, def: &CommandDef, argv: &[Bytes], now_ms: u64, seed: u64) -> Reply {
        match def.kind {
            CommandKind::Read(f) => into_reply(f(&ReadCtx::new(self, now_ms, seed), argv)),
            CommandKind::Write(_) | CommandKind::Databases(_) => write_as_read(def.name),
        }
    }
}

/// Runs `f`, the implementation of `def`. RESTORE's events are fired here, from what it did
/// (its implementation belongs to the DUMP format's files), and the stream commands' in
/// `cmd_stream/events.rs`.
fn run_write_fn(
    ctx: &mut WriteCtx<'_>,
    def: &CommandDef,
    f: WriteFn,
    argv: &[Bytes],
) -> CommandResult {
    if def.name.starts_with('x') {
        return crate::cmd_stream::run_with_events(ctx, def.name, f, argv);
    }
    if def.name != "restore" {
        return f(ctx, argv);
    }
    let key = &argv[1];
    let existed = ctx.db.contains(key, ctx.now_ms);
    let reply = f(ctx, argv)?;
    if ctx.db.contains(key, ctx.now_ms) {
        ctx.notify(EventClass::Generic, "restore", key);
    } else if existed {
        // REPLACE with a TTL already past: the old key is deleted and nothing stored.
        ctx.notify(EventClass::Generic, "del", key);
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_name_fits_the_lookup_buffer_and_is_found_in_any_case() {
        for def in ALL_COMMANDS.iter().flat_map(|f| f.iter()) {
            assert!(def.name.len() < MAX_NAME_LEN, "{}", def.name);
            let upper = def.name.to_ascii_uppercase();
            assert!(lookup(upper.as_bytes()).is_some_and(|d| d.name == def.name));
        }
        assert!(lookup(&[b'g'; MAX_NAME_LEN + 1]).is_none());
    }

    #[test]
    fn every_command_is_registered_once_in_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for def in ALL_COMMANDS.iter().flat_map(|f| f.iter()) {
            assert_eq!(def.name, def.name.to_ascii_lowercase());
            assert!(seen.insert(def.name), "{} registered twice", def.name);
        }
    }
}
