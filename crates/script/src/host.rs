//! What the engine needs from the server: running one command, logging.

use bytes::Bytes;
use meridian_types::Reply;

/// `redis.log` levels (`LL_DEBUG` .. `LL_WARNING`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
}

impl LogLevel {
    pub fn from_number(n: i64) -> Option<LogLevel> {
        match n {
            0 => Some(LogLevel::Debug),
            1 => Some(LogLevel::Verbose),
            2 => Some(LogLevel::Notice),
            3 => Some(LogLevel::Warning),
            _ => None,
        }
    }
}

/// The server side of a running script.
///
/// The host checks each command (existence, arity, "not allowed from script", ACL, the script's
/// flags, write commands from a read-only script, cross-slot keys) and runs it. Every refusal is a
/// `Reply::Error` worded as Redis words it (`ERR Unknown Redis command called from script`, …):
/// the engine turns error replies into Lua errors for `redis.call` and into `{err=…}` tables for
/// `redis.pcall`, as script_lua.c does.
pub trait ScriptHost {
    /// Runs one command. `resp` is the protocol the script asked for with `redis.setresp`
    /// (2 by default); the engine converts the reply for Lua by itself, so most hosts ignore it.
    fn call(&mut self, argv: Vec<Bytes>, resp: u8) -> Reply;

    /// `redis.log(level, ...)`: the arguments glued with spaces. The host filters by verbosity.
    fn log(&mut self, level: LogLevel, message: &[u8]);

    /// `redis.acl_check_cmd(...)`: whether the calling user may run `argv`; `None` when no such
    /// command exists (the script gets `ERR Invalid command passed to redis.acl_check_cmd()`).
    /// Hosts without ACLs keep the default: every command is allowed.
    fn acl_check_cmd(&mut self, argv: &[Bytes]) -> Option<bool> {
        let _ = argv;
        Some(true)
    }
}
