//! lua_cjson 2.1.0 as Redis configures it: `cjson.encode`, `cjson.decode`, `cjson.null`,
//! `cjson.new` and the configuration functions; by default numbers as `%.14g`, sparse arrays
//! (ratio 2, safe 10) refused, NaN and Inf refused when encoding and accepted when decoding,
//! depth 1000.

use mlua::{LightUserData, Lua, Table, Value};

mod config;
mod decode;
mod encode;

pub(crate) use config::CjsonConfig;

/// `cjson.null`: a NULL light userdata, as in C.
pub(crate) fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn err(msg: String) -> mlua::Error {
    mlua::Error::runtime(msg)
}

pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "encode",
        lua.create_function(|lua, v: mlua::MultiValue| {
            if v.len() != 1 {
                return Err(err(
                    "bad argument #1 to 'encode' (expected 1 argument)".into()
                ));
            }
            let mut out = Vec::new();
            encode::value(&v[0], 0, &mut out, &config::current(lua))?;
            lua.create_string(out)
        })?,
    )?;
    t.raw_set(
        "decode",
        lua.create_function(|lua, v: mlua::MultiValue| {
            if v.len() != 1 {
                return Err(err(
                    "bad argument #1 to 'decode' (expected 1 argument)".into()
                ));
            }
            let Some(s) = crate::api::lua_bytes_plain(&v[0]) else {
                let got = crate::overrides::type_name(&v[0]);
                return Err(err(format!(
                    "bad argument #1 to 'decode' (string expected, got {got})"
                )));
            };
            decode::decode(lua, &s, &config::current(lua))
        })?,
    )?;
    t.raw_set("null", null())?;
    t.raw_set("new", lua.create_function(|lua, ()| library(lua))?)?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    config::register(lua, &t)?;
    Ok(t)
}
