//! `pcall`, `xpcall`, `coroutine.resume`, `loadstring` and `load` replaced in Rust (C functions,
//! so a script's `return pcall(...)` keeps its frame):
//! - `pcall` answers an error table's `err` string (luaRedisPcall); `xpcall`'s handler sees an
//!   error the engine raised as Redis's `{err=…}` table;
//! - none of them may swallow the end of a script stopped by the budget or SCRIPT KILL;
//! - a precompiled chunk fails to load as Redis's text-only parser fails on it.

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::error::LuaRedisError;
use crate::overrides::{arg_error, type_name};
use crate::vm::RunState;

/// Lua's own functions, and sandbox.lua's handler wrapper.
pub(crate) struct Originals {
    pub pcall: Function,
    pub xpcall: Function,
    pub resume: Function,
    pub loadstring: Function,
    pub wrap_handler: Function,
}

/// The error that ended the script, when the engine ended it.
fn terminated(lua: &Lua) -> Option<mlua::Error> {
    let st = lua.app_data_ref::<RunState>()?;
    let (_, msg) = st.terminated.as_ref()?;
    Some(LuaRedisError::new(msg).into_lua())
}

fn failed(res: &MultiValue) -> bool {
    matches!(res.front(), Some(Value::Boolean(false)))
}

fn pcall(lua: &Lua, o: &Originals, args: MultiValue) -> mlua::Result<MultiValue> {
    if args.is_empty() {
        // luaRedisPcall with nothing to call answers nothing.
        return Ok(MultiValue::new());
    }
    let res: MultiValue = o.pcall.call(args)?;
    if !failed(&res) {
        return Ok(res);
    }
    if let Some(e) = terminated(lua) {
        return Err(e);
    }
    let err = res.get(1).cloned().unwrap_or(Value::Nil);
    let shown = crate::errors::pcall_error(lua, err)?;
    Ok(MultiValue::from_iter([Value::Boolean(false), shown]))
}

fn xpcall(lua: &Lua, o: &Originals, args: MultiValue) -> mlua::Result<MultiValue> {
    if args.len() < 2 {
        return Err(arg_error(2, "xpcall", "value expected"));
    }
    let handler: Function = o.wrap_handler.call(args[1].clone())?;
    let res: MultiValue = o.xpcall.call((args[0].clone(), handler))?;
    match terminated(lua) {
        Some(e) if failed(&res) => Err(e),
        _ => Ok(res),
    }
}

fn resume(lua: &Lua, o: &Originals, args: MultiValue) -> mlua::Result<MultiValue> {
    if !matches!(args.front(), Some(Value::Thread(_))) {
        return Err(arg_error(1, "resume", "coroutine expected"));
    }
    let res: MultiValue = o.resume.call(args)?;
    match terminated(lua) {
        Some(e) if failed(&res) => Err(e),
        _ => Ok(res),
    }
}

/// Loads `text` as Lua text. A precompiled chunk gets a space in front, so Lua's text parser
/// reports it exactly as Redis's (`unexpected symbol near 'char(27)'`), under its own name.
fn load_text(
    lua: &Lua,
    o: &Originals,
    text: mlua::LuaString,
    name: Value,
) -> mlua::Result<MultiValue> {
    if text.as_bytes().first() != Some(&0x1b) {
        return o.loadstring.call((text, name));
    }
    let name = match name {
        Value::Nil => Value::String(text.clone()),
        other => other,
    };
    let mut spaced = b" ".to_vec();
    spaced.extend_from_slice(&text.as_bytes());
    o.loadstring.call((lua.create_string(spaced)?, name))
}

fn loadstring(lua: &Lua, o: &Originals, args: MultiValue) -> mlua::Result<MultiValue> {
    let text = match args.front() {
        Some(Value::String(s)) => s.clone(),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => {
            lua.create_string(crate::api::lua_bytes_plain(v).unwrap_or_default())?
        }
        other => {
            let got = other.map_or("no value", type_name);
            return Err(arg_error(
                1,
                "loadstring",
                &format!("string expected, got {got}"),
            ));
        }
    };
    load_text(lua, o, text, args.get(1).cloned().unwrap_or(Value::Nil))
}

fn load(lua: &Lua, o: &Originals, args: MultiValue) -> mlua::Result<MultiValue> {
    let Some(Value::Function(reader)) = args.front() else {
        let got = args.front().map_or("no value", type_name);
        return Err(arg_error(
            1,
            "load",
            &format!("function expected, got {got}"),
        ));
    };
    let mut text = Vec::new();
    loop {
        match reader.call::<Value>(())? {
            Value::Nil => break,
            Value::String(s) if s.as_bytes().is_empty() => break,
            v @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => {
                text.extend_from_slice(&crate::api::lua_bytes_plain(&v).unwrap_or_default());
            }
            _ => return Err(mlua::Error::runtime("reader function must return a string")),
        }
    }
    let name = match args.get(1) {
        None | Some(Value::Nil) => Value::String(lua.create_string("=(load)")?),
        Some(v) => v.clone(),
    };
    load_text(lua, o, lua.create_string(text)?, name)
}

/// Installs the replacements; `coroutine` is the real coroutine table (behind its proxy).
pub(crate) fn install(
    lua: &Lua,
    globals: &Table,
    coroutine: &Table,
    originals: Originals,
) -> mlua::Result<()> {
    let o = std::sync::Arc::new(originals);
    let q = o.clone();
    globals.raw_set(
        "pcall",
        lua.create_function(move |lua, a| pcall(lua, &q, a))?,
    )?;
    let q = o.clone();
    globals.raw_set(
        "xpcall",
        lua.create_function(move |lua, a| xpcall(lua, &q, a))?,
    )?;
    let q = o.clone();
    globals.raw_set(
        "loadstring",
        lua.create_function(move |lua, a| loadstring(lua, &q, a))?,
    )?;
    let q = o.clone();
    globals.raw_set("load", lua.create_function(move |lua, a| load(lua, &q, a))?)?;
    coroutine.raw_set(
        "resume",
        lua.create_function(move |lua, a| resume(lua, &o, a))?,
    )?;
    Ok(())
}
