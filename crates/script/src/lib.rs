//! `meridian-script`: Redis 7.0.15's Lua scripting (EVAL, EVALSHA, SCRIPT, FUNCTION, FCALL) as a
//! library with no I/O and no keyspace.
//!
//! The server runs scripts inside the replicated apply of a log entry, so a run depends only on
//! its inputs: `math.random` restarts from rand.c's initial state every run, the budget counts Lua
//! instructions (not time), and commands reach the keyspace only through the [`ScriptHost`] the
//! server passes in. SCRIPT KILL of a read-only script on a serving node sets
//! [`ScriptEngine::kill_flag`].
//!
//! ```text
//! EVAL body keys args ──► ScriptEngine::eval ──► compile f_<sha1> (cache)
//!                                          └──► run under the error handler + count hook
//!        redis.call(...) ──► ScriptHost::call(argv) ──► Reply ──► Lua value (RESP2 / RESP3)
//!        return value    ──► Reply
//! ```
//!
//! The Lua state is sandboxed as Redis's: the base, table, string and math libraries plus
//! cjson, cmsgpack, bit and struct (written in Rust here), no `print`, `dofile`, `loadfile`, `os`
//! or `io`, globals and library tables read-only (through proxies, as stock Lua 5.1 has no
//! read-only tables), bytecode refused.
//!
//! Where Meridian departs from Redis 7.0.15, on purpose:
//! - `math.random` restarts every run (Redis runs one sequence across all scripts), and cjson's
//!   settings (`cjson.encode_number_precision`, …) are reset every run: a run must not depend on
//!   which scripts ran before it on this node.
//! - The budget is counted in Lua instructions, checked every [`HOOK_EVERY`] of them (so a
//!   script stops at the first check past its limit), not in milliseconds; errors:
//!   [`ScriptError::OutOfBudget`], [`ScriptError::Killed`].
//! - RESP3 big numbers and verbatim strings returned by a script become bulk strings: `Reply` has
//!   no variant for them.
//! - Tables behind read-only proxies look empty to `#` and `ipairs`; `next`, `pairs` and
//!   `rawget` see through them.
//! - An error table without `err` (Redis 7.0.15 crashes) answers `ERR unknown error`.
//!
//! The globals are those of the redis-server 7.0.15 we compare with (Debian's, with the fixes of
//! CVE-2025-46818): no `getfenv`, `setfenv` or `newproxy`, and a read-only string metatable.
//!
//! What a script can still observe that differs between nodes (as in Redis, where effects
//! replication made it harmless): `collectgarbage("count")` / `gcinfo()`, `tostring` of tables and
//! functions (addresses), and the `pairs` order of tables keyed by tables or functions.

mod api;
mod budget;
mod convert;
mod engine;
mod error;
mod errors;
mod flags;
mod fmt;
mod functions;
mod host;
mod keys;
mod libs;
mod overrides;
mod protected;
mod rand;
mod register;
mod vm;

#[cfg(test)]
mod tests;

pub use api::{REDIS_VERSION, REDIS_VERSION_NUM};
pub use budget::HOOK_EVERY;
pub use engine::{CachedScript, ScriptEngine};
pub use error::ScriptError;
pub use flags::ScriptFlags;
pub use functions::{FunctionEngine, FunctionInfo, LibraryInfo};
pub use host::{LogLevel, ScriptHost};
pub use keys::{split_keys, KeysOf};

/// SHA1 of `data` in lowercase hex (script names, `redis.sha1hex`).
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}
