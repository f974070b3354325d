//! lua_cjson's configuration functions (`encode_sparse_array`, `encode_max_depth`, …) and the
//! settings they change, with Redis's defaults.
//!
//! Redis keeps the settings for the life of the Lua state; Meridian resets them before every run
//! so that a script cannot change how later scripts encode (replicas and serving nodes run
//! different sequences of scripts).

use mlua::{Lua, MultiValue, Value};

use super::err;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CjsonConfig {
    pub sparse_convert: bool,
    pub sparse_ratio: i64,
    pub sparse_safe: i64,
    pub encode_max_depth: i64,
    pub decode_max_depth: i64,
    /// 0 off, 1 on, 2 null.
    pub encode_invalid_numbers: usize,
    pub decode_invalid_numbers: bool,
    pub keep_buffer: bool,
    pub precision: usize,
}

impl Default for CjsonConfig {
    fn default() -> Self {
        CjsonConfig {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            keep_buffer: true,
            precision: 14,
        }
    }
}

/// The settings of the current run.
pub(crate) fn current(lua: &Lua) -> CjsonConfig {
    lua.app_data_ref::<CjsonConfig>()
        .map(|c| *c)
        .unwrap_or_default()
}

fn update(lua: &Lua, f: impl FnOnce(&mut CjsonConfig)) {
    if let Some(mut c) = lua.app_data_mut::<CjsonConfig>() {
        f(&mut c);
    }
}

/// json_arg_init: at most `n` arguments.
fn arg_init(args: &MultiValue, n: usize, name: &str) -> mlua::Result<()> {
    if args.len() > n {
        let msg = format!(
            "bad argument #{} to '{name}' (found too many arguments)",
            n + 1
        );
        return Err(err(msg));
    }
    Ok(())
}

/// json_integer_option: `nil` keeps the setting; the answer is the setting.
fn integer_option(
    args: &MultiValue,
    i: usize,
    name: &str,
    range: (i64, i64),
) -> mlua::Result<Option<i64>> {
    let v = match args.get(i) {
        None | Some(Value::Nil) => return Ok(None),
        Some(v) => v,
    };
    let n = crate::api::lua_number(v).ok_or_else(|| {
        err(format!(
            "bad argument #{} to '{name}' (number expected, got {})",
            i + 1,
            crate::overrides::type_name(v)
        ))
    })? as i64;
    if n < range.0 || n > range.1 {
        let (lo, hi) = range;
        return Err(err(format!(
            "bad argument #1 to '{name}' (expected integer between {lo} and {hi})"
        )));
    }
    Ok(Some(n))
}

/// json_enum_option: booleans, or one of `options` by name.
fn enum_option(
    args: &MultiValue,
    i: usize,
    name: &str,
    options: &[&str],
) -> mlua::Result<Option<usize>> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(usize::from(*b))),
        Some(v @ (Value::String(_) | Value::Integer(_) | Value::Number(_))) => {
            let s = String::from_utf8_lossy(&crate::api::lua_bytes_plain(v).unwrap_or_default())
                .into_owned();
            match options.iter().position(|o| *o == s) {
                Some(p) => Ok(Some(p)),
                None => Err(err(format!(
                    "bad argument #{} to '{name}' (invalid option '{s}')",
                    i + 1
                ))),
            }
        }
        Some(v) => Err(err(format!(
            "bad argument #{} to '{name}' (string expected, got {})",
            i + 1,
            crate::overrides::type_name(v)
        ))),
    }
}

fn enum_answer(setting: usize) -> Value {
    Value::Boolean(setting == 1)
}

const ON_OFF: &[&str] = &["off", "on"];

fn sparse_array(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, i64, i64)> {
    arg_init(&args, 3, "encode_sparse_array")?;
    let convert = enum_option(&args, 0, "encode_sparse_array", ON_OFF)?;
    let ratio = integer_option(&args, 1, "encode_sparse_array", (0, i64::from(i32::MAX)))?;
    let safe = integer_option(&args, 2, "encode_sparse_array", (0, i64::from(i32::MAX)))?;
    update(lua, |c| {
        c.sparse_convert = convert.map_or(c.sparse_convert, |v| v == 1);
        c.sparse_ratio = ratio.unwrap_or(c.sparse_ratio);
        c.sparse_safe = safe.unwrap_or(c.sparse_safe);
    });
    let c = current(lua);
    Ok((c.sparse_convert, c.sparse_ratio, c.sparse_safe))
}

fn int_setting(
    lua: &Lua,
    name: &'static str,
    range: (i64, i64),
    args: MultiValue,
    field: fn(&mut CjsonConfig) -> &mut i64,
) -> mlua::Result<i64> {
    arg_init(&args, 1, name)?;
    let v = integer_option(&args, 0, name, range)?;
    let mut out = 0;
    update(lua, |c| {
        let slot = field(c);
        if let Some(v) = v {
            *slot = v;
        }
        out = *slot;
    });
    Ok(out)
}

fn invalid_numbers(lua: &Lua, args: MultiValue, encode: bool) -> mlua::Result<Value> {
    let name = if encode {
        "encode_invalid_numbers"
    } else {
        "decode_invalid_numbers"
    };
    arg_init(&args, 1, name)?;
    let options: &[&str] = if encode {
        &["off", "on", "null"]
    } else {
        ON_OFF
    };
    let v = enum_option(&args, 0, name, options)?;
    let mut setting = 0;
    update(lua, |c| {
        if encode {
            c.encode_invalid_numbers = v.unwrap_or(c.encode_invalid_numbers);
            setting = c.encode_invalid_numbers;
        } else {
            c.decode_invalid_numbers = v.map_or(c.decode_invalid_numbers, |v| v == 1);
            setting = usize::from(c.decode_invalid_numbers);
        }
    });
    if setting == 2 {
        return Ok(Value::String(lua.create_string("null")?));
    }
    Ok(enum_answer(setting))
}

fn keep_buffer(lua: &Lua, args: MultiValue) -> mlua::Result<bool> {
    arg_init(&args, 1, "encode_keep_buffer")?;
    let v = enum_option(&args, 0, "encode_keep_buffer", ON_OFF)?;
    update(lua, |c| c.keep_buffer = v.map_or(c.keep_buffer, |v| v == 1));
    Ok(current(lua).keep_buffer)
}

pub(crate) fn register(lua: &Lua, t: &mlua::Table) -> mlua::Result<()> {
    t.raw_set("encode_sparse_array", lua.create_function(sparse_array)?)?;
    let max = i64::from(i32::MAX);
    t.raw_set(
        "encode_max_depth",
        lua.create_function(move |lua, a| {
            int_setting(lua, "encode_max_depth", (1, max), a, |c| {
                &mut c.encode_max_depth
            })
        })?,
    )?;
    t.raw_set(
        "decode_max_depth",
        lua.create_function(move |lua, a| {
            int_setting(lua, "decode_max_depth", (1, max), a, |c| {
                &mut c.decode_max_depth
            })
        })?,
    )?;
    t.raw_set(
        "encode_number_precision",
        lua.create_function(|lua, a: MultiValue| {
            arg_init(&a, 1, "encode_number_precision")?;
            let v = integer_option(&a, 0, "encode_number_precision", (1, 14))?;
            update(lua, |c| c.precision = v.map_or(c.precision, |v| v as usize));
            Ok(current(lua).precision as i64)
        })?,
    )?;
    t.raw_set("encode_keep_buffer", lua.create_function(keep_buffer)?)?;
    t.raw_set(
        "encode_invalid_numbers",
        lua.create_function(|lua, a| invalid_numbers(lua, a, true))?,
    )?;
    t.raw_set(
        "decode_invalid_numbers",
        lua.create_function(|lua, a| invalid_numbers(lua, a, false))?,
    )?;
    Ok(())
}
