//! Lua errors in Redis's table form: the message handler (`__redis__err__handler`), the
//! `pcall` replacement's unwrapping, and the final error reply (luaCallFunction).

use mlua::{Lua, Table, Value};

use crate::error::LuaRedisError;
use crate::vm::INTERNAL_CHUNK;

/// `__redis__err__handler`: any error becomes `{err=…, source=…, line=…}`; the location is the
/// function that raised it, or its caller when that function is a C function (`error`,
/// `redis.call`), looking past the engine's own Lua frames.
pub(crate) fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Value> {
    let table = match err {
        Value::Table(t) => t,
        other => {
            let t = lua.create_table()?;
            t.raw_set("err", error_text(lua, &other, "ERR ")?)?;
            t
        }
    };
    if let Some((source, line)) = error_location(lua) {
        table.set("source", source)?;
        table.set("line", line)?;
    }
    Ok(Value::Table(table))
}

/// The text of a non-table error: a Rust-raised Redis error keeps its code; anything else gets
/// `prefix` (`ERR `) before Lua's `tostring` of it.
fn error_text(lua: &Lua, err: &Value, prefix: &str) -> mlua::Result<mlua::LuaString> {
    if let Value::Error(e) = err {
        if let Some(r) = e.downcast_ref::<LuaRedisError>() {
            return lua.create_string(&r.msg);
        }
        // luaL_error's position: the Lua function that called the failing Rust function.
        let at = lua
            .inspect_stack(2, |d| {
                let src = d
                    .source()
                    .short_src
                    .map(|s| s.into_owned())
                    .unwrap_or_default();
                d.current_line().map(|l| format!("{src}:{l}: "))
            })
            .flatten()
            .unwrap_or_default();
        return lua.create_string(format!("{prefix}{at}{}", root_message(e)));
    }
    // Lua's tostring (not looked up: while FUNCTION LOAD runs, the globals are the library API).
    let mut bytes = prefix.as_bytes().to_vec();
    match err {
        Value::String(s) => bytes.extend_from_slice(&s.as_bytes()),
        Value::Number(n) => bytes.extend_from_slice(crate::fmt::fmt_g(*n, 14).as_bytes()),
        other => bytes.extend_from_slice(other.to_string()?.as_bytes()),
    }
    lua.create_string(bytes)
}

/// An error raised by the engine (`redis.call`, …) as the `{err=…}` table Redis raises;
/// anything else unchanged.
pub(crate) fn as_error_table(lua: &Lua, err: Value) -> mlua::Result<Value> {
    if let Value::Error(e) = &err {
        if let Some(r) = e.downcast_ref::<LuaRedisError>() {
            let t = lua.create_table()?;
            t.raw_set("err", r.msg.as_str())?;
            return Ok(Value::Table(t));
        }
    }
    Ok(err)
}

/// What the `pcall` replacement answers for a caught error: `err` of an error table, the message
/// of a Rust-raised error, anything else unchanged.
pub(crate) fn pcall_error(lua: &Lua, err: Value) -> mlua::Result<Value> {
    match &err {
        Value::Error(_) => Ok(Value::String(error_text(lua, &err, "")?)),
        Value::Table(t) => match t.get::<Value>("err")? {
            v @ (Value::String(_) | Value::Number(_) | Value::Integer(_)) => Ok(v),
            _ => Ok(err),
        },
        _ => Ok(err),
    }
}

fn frame(lua: &Lua, level: usize) -> Option<(String, &'static str)> {
    lua.inspect_stack(level, |d| {
        let src = d.source();
        (
            src.source.map(|s| s.into_owned()).unwrap_or_default(),
            src.what,
        )
    })
}

/// The first frame from `level` on that is not the engine's own Lua code, nor the trace a tail
/// call from it leaves (`=(tail call)`).
fn skip_internal(lua: &Lua, mut level: usize) -> Option<usize> {
    loop {
        let (source, what) = frame(lua, level)?;
        if source != INTERNAL_CHUNK && what != "tail" {
            return Some(level);
        }
        level += 1;
    }
}

fn error_location(lua: &Lua) -> Option<(String, i64)> {
    let mut level = skip_internal(lua, 1)?;
    if frame(lua, level)?.1 == "C" {
        level = skip_internal(lua, level + 1)?;
    }
    lua.inspect_stack(level, |d| {
        let source = d
            .source()
            .source
            .map(|s| s.into_owned())
            .unwrap_or_default();
        let line = d
            .current_line()
            .and_then(|l| i64::try_from(l).ok())
            .unwrap_or(-1);
        (source, line)
    })
}

/// The error reply for a failed run (luaCallFunction): `<err>` and, when the handler found
/// where it happened, ` script: <name>, on <source>:<line>.`
pub(crate) fn run_error_text(err: &Value, name: &str) -> String {
    let Value::Table(t) = err else {
        let msg = match err {
            Value::String(s) => s.to_string_lossy(),
            _ => "execution failure".to_string(),
        };
        let msg: String = msg.chars().take(100).collect();
        return sanitize(&format!("ERR Error running script {name}, {msg}\n"));
    };
    // Redis 7.0.15 crashes on an error table without `err`; Meridian answers a plain error.
    let msg = table_text(t, "err").unwrap_or_else(|| "ERR unknown error".to_string());
    let mut out = msg;
    if let (Some(source), Some(line)) = (table_text(t, "source"), table_text(t, "line")) {
        out.push_str(&format!(" script: {name}, on {source}:{line}."));
    }
    sanitize(&out)
}

/// A field read as `lua_isstring` + `lua_tostring` read it (numbers as `%.14g`).
pub(crate) fn table_text(t: &Table, key: &str) -> Option<String> {
    match t.get::<Value>(key).ok()? {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(crate::fmt::fmt_g(n, 14)),
        _ => None,
    }
}

/// Error replies are one line: `\r` and `\n` become spaces, as addReplyErrorLength does.
pub(crate) fn sanitize(s: &str) -> String {
    s.trim_end_matches(['\r', '\n']).replace(['\r', '\n'], " ")
}

/// The message of an error raised by mlua itself (an argument check of a Rust function), without
/// the callback wrapping and traceback mlua adds.
pub(crate) fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            root_message(cause)
        }
        // A Lua error met through mlua's own protected call gets a traceback appended.
        mlua::Error::RuntimeError(s) => s
            .split("\nstack traceback:")
            .next()
            .unwrap_or_default()
            .to_string(),
        other => other.to_string(),
    }
}
