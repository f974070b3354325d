//! `redis.register_function` (function_lua.c), both forms: `(name, callback)` and the table of
//! named arguments `{function_name=…, callback=…, flags={…}, description=…}`.

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::error::LuaRedisError;
use crate::flags::ScriptFlags;
use crate::functions::{valid_name, RegisteredFunction};
use crate::vm::{RunState, Vm};

fn raise<T>(msg: &str) -> mlua::Result<T> {
    Err(LuaRedisError::new(msg).into_lua())
}

pub(crate) fn install(vm: &Vm) -> mlua::Result<()> {
    vm.load_api.raw_set(
        "register_function",
        vm.lua.create_function(register_function)?,
    )
}

/// `lua_isstring` + `lua_tostring`.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(crate::fmt::fmt_g(*n, 14)),
        _ => None,
    }
}

fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if lua
        .app_data_ref::<RunState>()
        .is_none_or(|st| st.registering.is_none())
    {
        return raise("redis.register_function can only be called on FUNCTION LOAD command");
    }
    let f = match args.len() {
        1 => named_args(&args[0])?,
        2 => positional(&args[0], &args[1])?,
        _ => return raise("wrong number of arguments to redis.register_function"),
    };
    if !valid_name(f.name.as_bytes()) {
        return raise("Function names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    let mut st = lua
        .app_data_mut::<RunState>()
        .ok_or_else(|| mlua::Error::runtime("no run state"))?;
    let list = st.registering.get_or_insert_with(Vec::new);
    if list.iter().any(|g| g.name.eq_ignore_ascii_case(&f.name)) {
        return raise("Function already exists in the library");
    }
    list.push(f);
    Ok(())
}

fn positional(name: &Value, callback: &Value) -> mlua::Result<RegisteredFunction> {
    let Some(name) = text(name) else {
        return raise("first argument to redis.register_function must be a string");
    };
    let Value::Function(callback) = callback else {
        return raise("second argument to redis.register_function must be a function");
    };
    Ok(RegisteredFunction {
        name,
        callback: callback.clone(),
        flags: ScriptFlags::default(),
        description: None,
    })
}

fn named_args(arg: &Value) -> mlua::Result<RegisteredFunction> {
    let Value::Table(t) = arg else {
        return raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    };
    let (mut name, mut callback, mut flags): (Option<String>, Option<Function>, ScriptFlags) =
        (None, None, ScriptFlags::default());
    let mut description = None;
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let Value::String(key) = &k else {
            return raise("named argument key given to redis.register_function is not a string");
        };
        match key.to_string_lossy().to_ascii_lowercase().as_str() {
            "function_name" => match text(&v) {
                Some(n) => name = Some(n),
                None => return raise("function_name argument given to redis.register_function must be a string"),
            },
            "description" => match text(&v) {
                Some(d) => description = Some(d),
                None => {
                    return raise("description argument given to redis.register_function must be a string")
                }
            },
            "callback" => match v {
                Value::Function(f) => callback = Some(f),
                _ => return raise("callback argument given to redis.register_function must be a function"),
            },
            "flags" => match v {
                Value::Table(ft) => flags = read_flags(&ft)?,
                _ => return raise("flags argument to redis.register_function must be a table representing function flags"),
            },
            _ => return raise("unknown argument given to redis.register_function"),
        }
    }
    let Some(name) = name else {
        return raise("redis.register_function must get a function name argument");
    };
    let Some(callback) = callback else {
        return raise("redis.register_function must get a callback argument");
    };
    Ok(RegisteredFunction {
        name,
        callback,
        flags,
        description,
    })
}

fn read_flags(t: &Table) -> mlua::Result<ScriptFlags> {
    let mut flags = ScriptFlags::default();
    for v in t.sequence_values::<Value>() {
        let ok = match v? {
            Value::String(s) => flags.set_by_name(&s.as_bytes()),
            _ => false,
        };
        if !ok {
            return raise("unknown flag given");
        }
    }
    Ok(flags)
}
