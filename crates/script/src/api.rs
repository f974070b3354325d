//! The `redis` table (luaRegisterRedisAPI) and Redis's `math.random` / `math.randomseed`.
//!
//! `redis.call`, `redis.pcall` and `redis.log` reach the host, which only exists for the length
//! of one run: `with_host` installs them in a Lua scope and puts inert stand-ins back after.

use std::cell::RefCell;

use bytes::Bytes;
use mlua::{Lua, MultiValue, Table, Value};

use crate::convert::{error_table, reply_to_lua};
use crate::error::LuaRedisError;
use crate::fmt::fmt_g;
use crate::host::{LogLevel, ScriptHost};
use crate::vm::{RunState, Vm};

/// Redis 7.0.15 (`REDIS_VERSION_NUM` is `0x0007000f`, as `(major << 16) | (minor << 8) | patch`).
pub const REDIS_VERSION: &str = "7.0.15";
pub const REDIS_VERSION_NUM: i64 = 0x0007_000f;

fn raise<T>(msg: &str) -> mlua::Result<T> {
    Err(LuaRedisError::new(msg).into_lua())
}

pub(crate) fn redis_table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "call",
        lua.create_function(|_, _: MultiValue| -> mlua::Result<()> {
            raise("redis.call/pcall can only be called inside a script invocation")
        })?,
    )?;
    t.raw_set("pcall", t.raw_get::<Value>("call")?)?;
    t.raw_set("log", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    t.raw_set(
        "acl_check_cmd",
        lua.create_function(|_, _: MultiValue| -> mlua::Result<()> {
            raise("redis.acl_check_cmd can only be called inside a script invocation")
        })?,
    )?;
    for (name, level) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
    ] {
        t.raw_set(name, level)?;
    }
    t.raw_set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    t.raw_set("REDIS_VERSION", REDIS_VERSION)?;
    t.raw_set("setresp", lua.create_function(setresp)?)?;
    t.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
    t.raw_set("error_reply", lua.create_function(error_reply)?)?;
    t.raw_set("status_reply", lua.create_function(status_reply)?)?;
    t.raw_set("set_repl", lua.create_function(set_repl)?)?;
    for (name, v) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        t.raw_set(name, v)?;
    }
    // Effects replication is the only mode of 7.0: always on.
    t.raw_set(
        "replicate_commands",
        lua.create_function(|_, _: MultiValue| Ok(true))?,
    )?;
    // Outside the debugger these do nothing.
    t.raw_set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    t.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    Ok(t)
}

fn setresp(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return raise("redis.setresp() requires one argument.");
    }
    let resp = lua_number(&args[0]).unwrap_or(0.0) as i64;
    if resp != 2 && resp != 3 {
        return raise("RESP version must be 2 or 3.");
    }
    if let Some(mut st) = lua.app_data_mut::<RunState>() {
        st.resp = if resp == 3 { 3 } else { 2 };
    }
    Ok(())
}

fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<String> {
    if args.len() != 1 {
        return raise("wrong number of arguments");
    }
    let bytes = lua_bytes(lua, &args[0]).unwrap_or_default();
    Ok(crate::sha1_hex(&bytes))
}

fn single_string_arg(args: &MultiValue) -> Option<mlua::LuaString> {
    match args.iter().collect::<Vec<_>>().as_slice() {
        [Value::String(s)] => Some(s.clone()),
        _ => None,
    }
}

fn error_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Table> {
    let Some(s) = single_string_arg(&args) else {
        return error_table(lua, "ERR wrong number or type of arguments");
    };
    let text = s.to_string_lossy();
    let t = lua.create_table()?;
    let with_dash = if text.starts_with('-') {
        text
    } else {
        format!("-{text}")
    };
    t.raw_set("err", crate::error::push_error_text(&with_dash))?;
    Ok(t)
}

fn status_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Table> {
    let Some(s) = single_string_arg(&args) else {
        return error_table(lua, "ERR wrong number or type of arguments");
    };
    let t = lua.create_table()?;
    t.raw_set("ok", s)?;
    Ok(t)
}

fn set_repl(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return raise("redis.set_repl() requires two arguments.");
    }
    let flags = lua_number(&args[0]).unwrap_or(0.0) as i64;
    if flags & !3 != 0 {
        return raise(
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
    }
    Ok(())
}

/// `lua_tonumber`: numbers, and strings that read as numbers.
pub(crate) fn lua_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str2number(&s.as_bytes()),
        _ => None,
    }
}

/// Lua 5.1's `luaO_str2d`: C's strtod over the whole string, spaces allowed around it.
pub(crate) fn str2number(s: &[u8]) -> Option<f64> {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = s.iter().take_while(|c| space(c)).count();
    let (n, len) = crate::libs::strtod_prefix(&s[start..])?;
    s[start + len..].iter().all(space).then_some(n)
}

/// `lua_tolstring`: strings, and numbers as Lua prints them (`%.14g`).
pub(crate) fn lua_bytes(_lua: &Lua, v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(fmt_g(*n, 14).into_bytes()),
        _ => None,
    }
}

/// luaArgsToRedisArgv: numbers are sent as `%.17g`, strings as they are, anything else refused.
fn command_argv(args: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    args.iter()
        .map(|v| match v {
            Value::String(s) => Ok(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => Ok(Bytes::from(i.to_string())),
            Value::Number(n) => Ok(Bytes::from(fmt_g(*n, 17))),
            _ => Err("Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

/// One `redis.call` (`raise`) or `redis.pcall`.
fn host_call(
    lua: &Lua,
    host: &RefCell<&mut dyn ScriptHost>,
    args: &MultiValue,
    raise_err: bool,
) -> mlua::Result<Value> {
    let argv = match command_argv(args) {
        Ok(argv) => argv,
        Err(msg) if raise_err => return raise(msg),
        Err(msg) => return Ok(Value::Table(error_table(lua, &format!("ERR {msg}"))?)),
    };
    let resp = lua.app_data_ref::<RunState>().map_or(2, |st| st.resp);
    let reply = host.borrow_mut().call(argv, resp);
    if let (true, meridian_types::Reply::Error(e)) = (raise_err, &reply) {
        return Err(LuaRedisError::new(&format!("-{e}")).into_lua());
    }
    reply_to_lua(lua, &reply, resp)
}

/// `redis.acl_check_cmd`: the argument errors of redis.call, then the host's answer.
fn acl_check_cmd(host: &RefCell<&mut dyn ScriptHost>, args: &MultiValue) -> mlua::Result<bool> {
    let argv = match command_argv(args) {
        Ok(argv) => argv,
        Err(msg) => return raise(msg),
    };
    match host.borrow_mut().acl_check_cmd(&argv) {
        Some(allowed) => Ok(allowed),
        None => raise("Invalid command passed to redis.acl_check_cmd()"),
    }
}

fn log(host: &RefCell<&mut dyn ScriptHost>, args: &MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return raise("redis.log() requires two arguments or more.");
    }
    let Some(level) = lua_number(&args[0]) else {
        return raise("First argument must be a number (log level).");
    };
    let Some(level) = LogLevel::from_number(level as i64) else {
        return raise("Invalid debug level.");
    };
    let mut msg = Vec::new();
    for (j, v) in args.iter().enumerate().skip(1) {
        if let Some(bytes) = lua_bytes_plain(v) {
            if j != 1 {
                msg.push(b' ');
            }
            msg.extend_from_slice(&bytes);
        }
    }
    host.borrow_mut().log(level, &msg);
    Ok(())
}

pub(crate) fn lua_bytes_plain(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(fmt_g(*n, 14).into_bytes()),
        _ => None,
    }
}

/// Runs `f` with `redis.call`, `redis.pcall` and `redis.log` bound to `host`.
pub(crate) fn with_host<R>(
    vm: &Vm,
    host: &mut dyn ScriptHost,
    f: impl FnOnce() -> mlua::Result<R>,
) -> mlua::Result<R> {
    let host = RefCell::new(host);
    let saved: Vec<(&str, Value)> = ["call", "pcall", "log", "acl_check_cmd"]
        .into_iter()
        .map(|k| Ok((k, vm.redis.raw_get::<Value>(k)?)))
        .collect::<mlua::Result<_>>()?;
    let result = vm.lua.scope(|scope| {
        let host = &host;
        vm.redis.raw_set(
            "call",
            scope.create_function(move |lua, a: MultiValue| host_call(lua, host, &a, true))?,
        )?;
        vm.redis.raw_set(
            "pcall",
            scope.create_function(move |lua, a: MultiValue| host_call(lua, host, &a, false))?,
        )?;
        vm.redis.raw_set(
            "log",
            scope.create_function(move |_, a: MultiValue| log(host, &a))?,
        )?;
        vm.redis.raw_set(
            "acl_check_cmd",
            scope.create_function(move |_, a: MultiValue| acl_check_cmd(host, &a))?,
        )?;
        f()
    });
    for (k, v) in saved {
        vm.redis.raw_set(k, v)?;
    }
    result
}

pub(crate) fn replace_math_random(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let math: Table = globals.raw_get("math")?;
    math.raw_set("random", lua.create_function(math_random)?)?;
    math.raw_set("randomseed", lua.create_function(math_randomseed)?)?;
    Ok(())
}

fn check_int(v: Option<&Value>, arg: usize, name: &str) -> mlua::Result<i64> {
    match v.and_then(lua_number) {
        Some(n) => Ok(n as i32 as i64),
        None => Err(mlua::Error::runtime(format!(
            "bad argument #{arg} to '{name}' (number expected, got {})",
            v.map_or("no value", crate::overrides::type_name)
        ))),
    }
}

fn math_random(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    let r = {
        let mut st = lua.app_data_mut::<RunState>().ok_or_else(|| {
            mlua::Error::runtime("math.random can only be called inside a script invocation")
        })?;
        (st.rng.next() % crate::rand::LRAND48_MAX) as f64 / crate::rand::LRAND48_MAX as f64
    };
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = check_int(args.front(), 1, "random")?;
            if u < 1 {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        2 => {
            let l = check_int(args.front(), 1, "random")?;
            let u = check_int(args.get(1), 2, "random")?;
            if l > u {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            Ok((r * (u - l + 1) as f64).floor() + l as f64)
        }
        _ => Err(mlua::Error::runtime("wrong number of arguments")),
    }
}

fn math_randomseed(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    let seed = check_int(args.front(), 1, "randomseed")?;
    if let Some(mut st) = lua.app_data_mut::<RunState>() {
        st.rng = crate::rand::Rand48::seeded(seed as i32);
    }
    Ok(())
}
