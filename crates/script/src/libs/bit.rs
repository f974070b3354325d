//! LuaBitOp 1.0 (`bit.*`, lua_bit.c): 32-bit operations on Lua numbers, results signed.

use mlua::{Lua, MultiValue, Table};

/// `barg`: the number plus 2^52 + 2^51, whose low 32 mantissa bits are the integer rounded to
/// nearest, modulo 2^32 (exactly the C union trick).
fn barg(args: &MultiValue, i: usize, name: &str) -> mlua::Result<u32> {
    let v = args.get(i);
    let n = v.and_then(crate::api::lua_number).ok_or_else(|| {
        mlua::Error::runtime(format!(
            "bad argument #{} to '{name}' (number expected, got {})",
            i + 1,
            v.map_or("no value", crate::overrides::type_name)
        ))
    })?;
    Ok((n + 6_755_399_441_055_744.0).to_bits() as u32)
}

fn ret(b: u32) -> f64 {
    f64::from(b as i32)
}

fn unary(lua: &Lua, t: &Table, name: &'static str, f: fn(u32) -> u32) -> mlua::Result<()> {
    t.raw_set(
        name,
        lua.create_function(move |_, a: MultiValue| Ok(ret(f(barg(&a, 0, name)?))))?,
    )
}

fn fold(lua: &Lua, t: &Table, name: &'static str, f: fn(u32, u32) -> u32) -> mlua::Result<()> {
    t.raw_set(
        name,
        lua.create_function(move |_, a: MultiValue| {
            let mut b = barg(&a, 0, name)?;
            for i in 1..a.len() {
                b = f(b, barg(&a, i, name)?);
            }
            Ok(ret(b))
        })?,
    )
}

fn shift(lua: &Lua, t: &Table, name: &'static str, f: fn(u32, u32) -> u32) -> mlua::Result<()> {
    t.raw_set(
        name,
        lua.create_function(move |_, a: MultiValue| {
            let b = barg(&a, 0, name)?;
            let n = barg(&a, 1, name)? & 31;
            Ok(ret(f(b, n)))
        })?,
    )
}

fn tohex_text(a: &MultiValue) -> mlua::Result<Vec<u8>> {
    let mut b = barg(a, 0, "tohex")?;
    let mut n: i64 = if a.len() < 2 {
        8
    } else {
        i64::from(barg(a, 1, "tohex")? as i32)
    };
    let mut digits = b"0123456789abcdef";
    if n < 0 {
        n = -n;
        digits = b"0123456789ABCDEF";
    }
    let n = usize::try_from(n.min(8)).unwrap_or(8);
    let mut buf = vec![b'0'; n];
    for slot in buf.iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(buf)
}

pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    unary(lua, &t, "tobit", |b| b)?;
    unary(lua, &t, "bnot", |b| !b)?;
    unary(lua, &t, "bswap", u32::swap_bytes)?;
    fold(lua, &t, "band", |a, b| a & b)?;
    fold(lua, &t, "bor", |a, b| a | b)?;
    fold(lua, &t, "bxor", |a, b| a ^ b)?;
    shift(lua, &t, "lshift", |b, n| b << n)?;
    shift(lua, &t, "rshift", |b, n| b >> n)?;
    shift(lua, &t, "arshift", |b, n| ((b as i32) >> n) as u32)?;
    shift(lua, &t, "rol", u32::rotate_left)?;
    shift(lua, &t, "ror", u32::rotate_right)?;
    t.raw_set(
        "tohex",
        lua.create_function(|lua, a: MultiValue| {
            let s = tohex_text(&a)?;
            lua.create_string(s)
        })?,
    )?;
    Ok(t)
}
