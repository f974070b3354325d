//! `setmetatable`, `rawset`, `rawget`, `next` and `pairs` as the sandbox needs them (read-only
//! tables, proxies seen through), written in Rust so that they are C functions, as Redis's are: a
//! script's `return setmetatable(...)` keeps its frame, and errors name the script's line.
//! `protected.rs` does the same for `pcall`, `xpcall`, `coroutine.resume`, `loadstring`, `load`.

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::error::LuaRedisError;

/// What sandbox.lua hands over, and the real functions the replacements call.
pub(crate) struct Proxies {
    /// Tables nothing may change (weak keys).
    pub protected: Table,
    /// proxy → the table it shows (weak keys).
    pub proxied: Table,
    /// Lua's own `next`.
    pub next: Function,
}

/// Lua 5.1's name of a value's type (mlua tells integers and light userdata apart).
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(_) => "userdata",
        other => other.type_name(),
    }
}

pub(crate) fn arg_error(n: usize, fname: &str, msg: &str) -> mlua::Error {
    mlua::Error::runtime(format!("bad argument #{n} to '{fname}' ({msg})"))
}

/// luaL_checktype(…, LUA_TTABLE).
fn check_table(args: &MultiValue, n: usize, fname: &str) -> mlua::Result<Table> {
    match args.get(n - 1) {
        Some(Value::Table(t)) => Ok(t.clone()),
        other => {
            let got = other.map_or("no value", type_name);
            Err(arg_error(n, fname, &format!("table expected, got {got}")))
        }
    }
}

fn readonly() -> mlua::Error {
    LuaRedisError::new("Attempt to modify a readonly table").into_lua()
}

fn is_protected(p: &Proxies, t: &Table) -> mlua::Result<bool> {
    Ok(!matches!(
        p.protected.raw_get::<Value>(t.clone())?,
        Value::Nil | Value::Boolean(false)
    ))
}

fn setmetatable(p: &Proxies, args: &MultiValue) -> mlua::Result<Table> {
    let t = check_table(args, 1, "setmetatable")?;
    let mt = match args.get(1) {
        Some(Value::Nil) => None,
        Some(Value::Table(mt)) => Some(mt.clone()),
        _ => return Err(arg_error(2, "setmetatable", "nil or table expected")),
    };
    if is_protected(p, &t)? {
        return Err(readonly());
    }
    let locked = t.metatable().is_some_and(|m| {
        !m.raw_get::<Value>("__metatable")
            .unwrap_or(Value::Nil)
            .is_nil()
    });
    if locked {
        return Err(mlua::Error::runtime("cannot change a protected metatable"));
    }
    t.set_metatable(mt)?;
    Ok(t)
}

/// lua_rawset's own errors carry no position (luaG_runerror in a C function).
fn check_key(k: &Value) -> mlua::Result<()> {
    match k {
        Value::Nil => Err(LuaRedisError::new("table index is nil").into_lua()),
        Value::Number(n) if n.is_nan() => Err(LuaRedisError::new("table index is NaN").into_lua()),
        _ => Ok(()),
    }
}

fn rawset(p: &Proxies, args: &MultiValue) -> mlua::Result<Table> {
    let t = check_table(args, 1, "rawset")?;
    if args.len() < 2 {
        return Err(arg_error(2, "rawset", "value expected"));
    }
    if args.len() < 3 {
        return Err(arg_error(3, "rawset", "value expected"));
    }
    if is_protected(p, &t)? {
        return Err(readonly());
    }
    check_key(&args[1])?;
    t.raw_set(args[1].clone(), args[2].clone())?;
    Ok(t)
}

fn shown(p: &Proxies, t: Table) -> mlua::Result<Table> {
    Ok(match p.proxied.raw_get::<Value>(t.clone())? {
        Value::Table(shown) => shown,
        _ => t,
    })
}

/// `next` through proxies; its "invalid key" error carries no position, as lua_next's.
fn next(p: &Proxies, args: MultiValue) -> mlua::Result<MultiValue> {
    let t = check_table(&args, 1, "next")?;
    let k = args.get(1).cloned().unwrap_or(Value::Nil);
    p.next
        .call::<MultiValue>((shown(p, t)?, k))
        .map_err(|e| LuaRedisError::new(&crate::errors::root_message(&e)).into_lua())
}

fn rawget(p: &Proxies, args: &MultiValue) -> mlua::Result<Value> {
    let t = check_table(args, 1, "rawget")?;
    if args.len() < 2 {
        return Err(arg_error(2, "rawget", "value expected"));
    }
    shown(p, t)?.raw_get(args[1].clone())
}

/// `pairs` of a proxy walks the table it shows, with Lua's own (fast) `next`.
fn pairs(p: &Proxies, args: &MultiValue) -> mlua::Result<(Function, Table, Value)> {
    let t = check_table(args, 1, "pairs")?;
    Ok((p.next.clone(), shown(p, t)?, Value::Nil))
}

pub(crate) fn install(lua: &Lua, globals: &Table, proxies: Proxies) -> mlua::Result<()> {
    let p = std::sync::Arc::new(proxies);
    let q = p.clone();
    globals.raw_set(
        "setmetatable",
        lua.create_function(move |_, a: MultiValue| setmetatable(&q, &a))?,
    )?;
    let q = p.clone();
    globals.raw_set(
        "rawset",
        lua.create_function(move |_, a: MultiValue| rawset(&q, &a))?,
    )?;
    let q = p.clone();
    globals.raw_set(
        "rawget",
        lua.create_function(move |_, a: MultiValue| rawget(&q, &a))?,
    )?;
    let q = p.clone();
    globals.raw_set(
        "next",
        lua.create_function(move |_, a: MultiValue| next(&q, a))?,
    )?;
    globals.raw_set(
        "pairs",
        lua.create_function(move |_, a: MultiValue| pairs(&p, &a))?,
    )?;
    Ok(())
}
