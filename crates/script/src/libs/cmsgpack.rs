//! lua-cmsgpack 0.4.0 as Redis ships it (lua_cmsgpack.c): `cmsgpack.pack`, `unpack`,
//! `unpack_one`, `unpack_limit`; tables nest at most 16 deep (deeper ones encode as nil).

use mlua::{Lua, MultiValue, Table, Value};

const MAX_NESTING: usize = 16;

fn err(msg: String) -> mlua::Error {
    mlua::Error::runtime(msg)
}

fn encode_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, codes: [u8; 3]) {
    if n <= fix_max {
        out.push(fix | (n as u8));
    } else if codes[0] != 0 && n <= 0xff {
        out.extend_from_slice(&[codes[0], n as u8]);
    } else if n <= 0xffff {
        out.push(codes[1]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(codes[2]);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        -32..=-1 => out.push(n as i8 as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ if n > 0 => {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn encode_number(out: &mut Vec<u8>, d: f64) {
    // (int64_t)d == d: 2^63 does not convert (x86 answers INT64_MIN), so it stays a float.
    let two63 = 9_223_372_036_854_775_808.0;
    if (-two63..two63).contains(&d) && d.trunc() == d {
        return encode_int(out, d as i64);
    }
    let f = d as f32;
    if f64::from(f) == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

/// table_is_an_array: keys exactly 1..n.
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || !n.is_finite() || (n as i32) as f64 != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

fn encode(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            encode_len(out, b.len(), 0xa0, 31, [0xd9, 0xda, 0xdb]);
            out.extend_from_slice(&b);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(out, *i),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t)? {
                let len = t.raw_len();
                encode_len(out, len, 0x90, 15, [0, 0xdc, 0xdd]);
                for i in 1..=len {
                    encode(out, &t.get::<Value>(i)?, level + 1)?;
                }
            } else {
                let pairs: Vec<(Value, Value)> = t.pairs().collect::<mlua::Result<_>>()?;
                encode_len(out, pairs.len(), 0x80, 15, [0, 0xde, 0xdf]);
                for (k, v) in pairs {
                    encode(out, &k, level + 1)?;
                    encode(out, &v, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::LuaString> {
    if args.is_empty() {
        return Err(err(
            "bad argument #0 to 'pack' (MessagePack pack needs input.)".into(),
        ));
    }
    let mut out = Vec::new();
    for v in &args {
        encode(&mut out, v, 0)?;
    }
    lua.create_string(out)
}

#[derive(Debug)]
enum DecodeError {
    Eof,
    BadFormat,
    /// lua_settable's own error (a nil or NaN map key), raised without a position.
    Index(&'static str),
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.s.len())
            .ok_or(DecodeError::Eof)?;
        let b = &self.s[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }

    fn value(&mut self, lua: &Lua) -> Result<Value, DecodeError> {
        let c = self.take(1)?[0];
        let num = |n: f64| Ok(Value::Number(n));
        match c {
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            0xcf => num(self.uint(8)? as f64),
            0xd0 => num(f64::from(self.uint(1)? as u8 as i8)),
            0xd1 => num(f64::from(self.uint(2)? as u16 as i16)),
            0xd2 => num(f64::from(self.uint(4)? as u32 as i32)),
            0xd3 => num(self.uint(8)? as i64 as f64),
            0xc0 => Ok(Value::Nil),
            0xc3 => Ok(Value::Boolean(true)),
            0xc2 => Ok(Value::Boolean(false)),
            0xca => num(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => num(f64::from_bits(self.uint(8)?)),
            0xd9..=0xdb => {
                let n = self.uint(1 << (c - 0xd9))? as usize;
                self.string(lua, n)
            }
            0xdc | 0xdd => {
                let n = self.uint(if c == 0xdc { 2 } else { 4 })? as usize;
                self.array(lua, n)
            }
            0xde | 0xdf => {
                let n = self.uint(if c == 0xde { 2 } else { 4 })? as usize;
                self.map(lua, n)
            }
            _ if c & 0x80 == 0 => num(f64::from(c)),
            _ if c & 0xe0 == 0xe0 => num(f64::from(c as i8)),
            _ if c & 0xe0 == 0xa0 => self.string(lua, usize::from(c & 0x1f)),
            _ if c & 0xf0 == 0x90 => self.array(lua, usize::from(c & 0xf)),
            _ if c & 0xf0 == 0x80 => self.map(lua, usize::from(c & 0xf)),
            _ => Err(DecodeError::BadFormat),
        }
    }

    fn string(&mut self, lua: &Lua, n: usize) -> Result<Value, DecodeError> {
        let b = self.take(n)?;
        lua.create_string(b)
            .map(Value::String)
            .map_err(|_| DecodeError::BadFormat)
    }

    fn array(&mut self, lua: &Lua, n: usize) -> Result<Value, DecodeError> {
        let t = lua.create_table().map_err(|_| DecodeError::BadFormat)?;
        for i in 1..=n {
            let v = self.value(lua)?;
            t.raw_set(i, v).map_err(|_| DecodeError::BadFormat)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize) -> Result<Value, DecodeError> {
        let t = lua.create_table().map_err(|_| DecodeError::BadFormat)?;
        for _ in 0..n {
            let k = self.value(lua)?;
            let v = self.value(lua)?;
            match k {
                Value::Nil => return Err(DecodeError::Index("table index is nil")),
                Value::Number(n) if n.is_nan() => {
                    return Err(DecodeError::Index("table index is NaN"))
                }
                _ => t.raw_set(k, v).map_err(|_| DecodeError::BadFormat)?,
            }
        }
        Ok(Value::Table(t))
    }
}

/// mp_unpack_full: `limit` 0 with `offset` 0 decodes everything and answers only the values.
fn unpack_full(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(err(format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            s.len()
        )));
    }
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    if offset > s.len() {
        return Err(err(format!(
            "Start offset {offset} greater than input length {}.",
            s.len()
        )));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut c = Cursor { s, pos: offset };
    let mut out = Vec::new();
    while c.pos < s.len() && (out.len() as i64) < limit {
        match c.value(lua) {
            Ok(v) => out.push(v),
            Err(DecodeError::Eof) => return Err(err("Missing bytes in input.".into())),
            Err(DecodeError::BadFormat) => return Err(err("Bad data format in input.".into())),
            Err(DecodeError::Index(msg)) => {
                return Err(crate::error::LuaRedisError::new(msg).into_lua())
            }
        }
    }
    if !decode_all {
        let next = if c.pos == s.len() { -1 } else { c.pos as i64 };
        out.insert(0, Value::Integer(next));
    }
    Ok(MultiValue::from_iter(out))
}

fn arg_bytes(args: &MultiValue, fname: &str) -> mlua::Result<Vec<u8>> {
    let v = args.front();
    v.and_then(crate::api::lua_bytes_plain).ok_or_else(|| {
        let got = v.map_or("no value", crate::overrides::type_name);
        err(format!(
            "bad argument #1 to '{fname}' (string expected, got {got})"
        ))
    })
}

fn opt_int(args: &MultiValue, i: usize, fname: &str) -> mlua::Result<i64> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(0),
        Some(v) => crate::api::lua_number(v).map(|n| n as i64).ok_or_else(|| {
            err(format!(
                "bad argument #{} to '{fname}' (number expected, got {})",
                i + 1,
                crate::overrides::type_name(v)
            ))
        }),
    }
}

pub(crate) fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", lua.create_function(pack)?)?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, a: MultiValue| {
            unpack_full(lua, &arg_bytes(&a, "unpack")?, 0, 0)
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, a: MultiValue| {
            let offset = opt_int(&a, 1, "unpack_one")?;
            unpack_full(lua, &arg_bytes(&a, "unpack_one")?, 1, offset)
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(|lua, a: MultiValue| {
            if matches!(a.get(1), None | Some(Value::Nil)) {
                let got = a.get(1).map_or("no value", crate::overrides::type_name);
                return Err(err(format!(
                    "bad argument #2 to 'unpack_limit' (number expected, got {got})"
                )));
            }
            let limit = opt_int(&a, 1, "unpack_limit")?;
            let offset = opt_int(&a, 2, "unpack_limit")?;
            unpack_full(lua, &arg_bytes(&a, "unpack_limit")?, limit, offset)
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}
