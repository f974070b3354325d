//! Replies to Lua values (redisProtocolToLuaType) and Lua values to replies
//! (luaReplyToRedisReply), for scripts in RESP2 and RESP3.
//!
//! A command's `Reply` keeps the RESP3 shape; for a RESP2 script it is first flattened as the
//! RESP2 encoder would (maps and pairs to flat arrays, doubles to bulk strings, booleans to 1/0,
//! every null to `false`).

use bytes::Bytes;
use meridian_types::Reply;
use mlua::{Lua, Table, Value};

use crate::error::push_error_text;
use crate::fmt::fmt_g;

/// A command's reply as Lua sees it. `Err` carries an error reply as its `{err=…}` text.
pub(crate) fn reply_to_lua(lua: &Lua, reply: &Reply, resp: u8) -> mlua::Result<Value> {
    let resp3 = resp == 3;
    Ok(match reply {
        Reply::Status(s) => Value::Table(single_field(lua, "ok", lua.create_string(s)?)?),
        Reply::Error(e) => Value::Table(error_table(lua, e)?),
        Reply::Integer(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray => {
            if resp3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Reply::Array(items) => Value::Table(array(lua, items.iter(), resp)?),
        Reply::Set(items) if resp3 => Value::Table(set(lua, items, resp)?),
        Reply::Set(items) => Value::Table(array(lua, items.iter(), resp)?),
        Reply::Map(pairs) | Reply::MapOrPairs(pairs) if resp3 => {
            Value::Table(map(lua, pairs, resp)?)
        }
        Reply::Map(pairs) | Reply::Pairs(pairs) if !resp3 => {
            Value::Table(array(lua, pairs.iter().flat_map(|(k, v)| [k, v]), resp)?)
        }
        Reply::Pairs(pairs) | Reply::MapOrPairs(pairs) => {
            let t = lua.create_table()?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                let pair = array(lua, [k, v].into_iter(), resp)?;
                t.raw_set(i + 1, pair)?;
            }
            Value::Table(t)
        }
        Reply::Map(_) => Value::Nil,
        Reply::Double(d) if resp3 => Value::Table(single_field(lua, "double", *d)?),
        Reply::Double(d) => Value::String(lua.create_string(double_text(*d))?),
        Reply::Boolean(b) if resp3 => Value::Boolean(*b),
        Reply::Boolean(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Reply::HumanDouble(s) if resp3 => {
            let d: f64 = s.parse().unwrap_or(0.0);
            Value::Table(single_field(lua, "double", d)?)
        }
        Reply::HumanDouble(s) => Value::String(lua.create_string(s)?),
    })
}

/// addReplyDouble's text in RESP2 (`%.17g`, `inf`, `-inf`).
pub(crate) fn double_text(d: f64) -> String {
    fmt_g(d, 17)
}

fn single_field(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(key, v)?;
    Ok(t)
}

/// The table redis.pcall answers for an error reply (with the stats marker Redis adds).
pub(crate) fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let t = single_field(lua, "err", push_error_text(&format!("-{text}")))?;
    t.raw_set("ignore_error_stats_update", true)?;
    Ok(t)
}

fn array<'a>(lua: &Lua, items: impl Iterator<Item = &'a Reply>, resp: u8) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    for (i, item) in items.enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, resp)?)?;
    }
    Ok(t)
}

fn set(lua: &Lua, items: &[Reply], resp: u8) -> mlua::Result<Table> {
    let inner = lua.create_table()?;
    for item in items {
        let k = reply_to_lua(lua, item, resp)?;
        if !k.is_nil() {
            inner.raw_set(k, true)?;
        }
    }
    single_field(lua, "set", inner)
}

fn map(lua: &Lua, pairs: &[(Reply, Reply)], resp: u8) -> mlua::Result<Table> {
    let inner = lua.create_table()?;
    for (k, v) in pairs {
        let k = reply_to_lua(lua, k, resp)?;
        if !k.is_nil() {
            inner.raw_set(k, reply_to_lua(lua, v, resp)?)?;
        }
    }
    single_field(lua, "map", inner)
}

/// A script's result as a reply (luaReplyToRedisReply). `resp` is the script's protocol
/// (booleans are 1/nil in RESP2, booleans in RESP3).
pub(crate) fn lua_to_reply(v: &Value, resp: u8, depth: usize) -> Reply {
    if depth > 1000 {
        return Reply::Error("ERR reached lua stack limit".to_string());
    }
    match v {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp == 3 => Reply::Boolean(*b),
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(i) => Reply::Integer(*i),
        Value::Number(n) => Reply::Integer(c_long_long(*n)),
        Value::Table(t) => table_to_reply(t, resp, depth),
        _ => Reply::Nil,
    }
}

/// C's `(long long)d` on x86-64: truncation, and `INT64_MIN` for NaN and out-of-range values.
pub(crate) fn c_long_long(d: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

fn raw_field(t: &Table, key: &str) -> Value {
    t.raw_get::<Value>(key).unwrap_or(Value::Nil)
}

fn one_line(s: &mlua::LuaString) -> String {
    s.to_string_lossy().replace(['\r', '\n'], " ")
}

fn table_to_reply(t: &Table, resp: u8, depth: usize) -> Reply {
    if let Value::String(e) = raw_field(t, "err") {
        return Reply::Error(crate::errors::sanitize(&e.to_string_lossy()));
    }
    if let Value::String(s) = raw_field(t, "ok") {
        return Reply::Status(one_line(&s));
    }
    match raw_field(t, "double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(i) => return Reply::Double(i as f64),
        _ => {}
    }
    if let Value::String(s) = raw_field(t, "big_number") {
        // Meridian's Reply has no big-number variant: RESP2's bulk string for every client.
        return Reply::Bulk(Bytes::from(one_line(&s)));
    }
    if let Value::Table(vt) = raw_field(t, "verbatim_string") {
        if let (Value::String(_), Value::String(s)) =
            (raw_field(&vt, "format"), raw_field(&vt, "string"))
        {
            return Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes()));
        }
    }
    if let Value::Table(m) = raw_field(t, "map") {
        let pairs = m
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                (
                    lua_to_reply(&k, resp, depth + 1),
                    lua_to_reply(&v, resp, depth + 1),
                )
            })
            .collect();
        return Reply::Map(pairs);
    }
    if let Value::Table(s) = raw_field(t, "set") {
        let items = s
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| lua_to_reply(&k, resp, depth + 1))
            .collect();
        return Reply::Set(items);
    }
    let mut items = Vec::new();
    for i in 1.. {
        let v = t.raw_get::<Value>(i).unwrap_or(Value::Nil);
        if v.is_nil() {
            break;
        }
        items.push(lua_to_reply(&v, resp, depth + 1));
    }
    Reply::Array(items)
}
