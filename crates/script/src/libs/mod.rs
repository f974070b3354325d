//! The libraries Redis adds to Lua (deps/lua/src): cjson, struct, cmsgpack, bit, in Rust.
//! Argument errors are mlua runtime errors; the error handler gives them luaL_error's
//! `user_script:<line>: ` position.

use mlua::{Lua, Table};

mod bit;
mod cjson;
mod cmsgpack;
mod strtod;
mod structlib;

pub(crate) use cjson::CjsonConfig;
pub(crate) use strtod::strtod_prefix;

pub(crate) fn register(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    globals.raw_set("bit", bit::library(lua)?)?;
    globals.raw_set("cjson", cjson::library(lua)?)?;
    globals.raw_set("struct", structlib::library(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::library(lua)?)?;
    Ok(())
}
