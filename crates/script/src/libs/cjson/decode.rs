//! cjson.decode: lua_cjson's tokenizer and its error texts
//! (`Expected <what> but found <token> at character <n>`).

use mlua::{Lua, Value};

use super::{err, null, CjsonConfig};
use crate::libs::strtod::strtod_prefix;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

fn name(t: &Tok) -> &'static str {
    match t {
        Tok::ObjBegin => "T_OBJ_BEGIN",
        Tok::ObjEnd => "T_OBJ_END",
        Tok::ArrBegin => "T_ARR_BEGIN",
        Tok::ArrEnd => "T_ARR_END",
        Tok::Str(_) => "T_STRING",
        Tok::Num(_) => "T_NUMBER",
        Tok::Bool(_) => "T_BOOLEAN",
        Tok::Null => "T_NULL",
        Tok::Colon => "T_COLON",
        Tok::Comma => "T_COMMA",
        Tok::End => "T_END",
        Tok::Error(e) => e,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    cfg: &'a CjsonConfig,
    /// Where a string token went wrong (lua_cjson reports the byte it stopped at).
    err_at: usize,
}

/// json_is_invalid_number: what strict JSON refuses but strtod reads (`+`, hex, leading zeros,
/// inf, nan).
fn is_invalid_number(s: &[u8]) -> bool {
    let mut p = s;
    if p.first() == Some(&b'+') {
        return true;
    }
    if p.first() == Some(&b'-') {
        p = &p[1..];
    }
    match p.first() {
        Some(b'0') => matches!(p.get(1), Some(b'x' | b'X' | b'0'..=b'9')),
        Some(c) if *c <= b'9' => false,
        _ => {
            let lower: Vec<u8> = p.iter().take(3).map(u8::to_ascii_lowercase).collect();
            lower == b"inf" || lower == b"nan"
        }
    }
}

impl Parser<'_> {
    /// The next token and the index where it starts (json_next_token). The text ends at its
    /// first NUL byte, as a C string does.
    fn next(&mut self) -> (Tok, usize) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let at = self.pos;
        let c = self.s.get(at).copied().unwrap_or(0);
        let single = match c {
            0 => return (Tok::End, at),
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return (tok, at);
        }
        let tok = match c {
            b'"' => {
                self.pos += 1;
                let tok = self.string();
                if matches!(tok, Tok::Error(_)) {
                    return (tok, self.err_at);
                }
                tok
            }
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && is_invalid_number(&self.s[at..]) {
                    Tok::Error("invalid number")
                } else {
                    self.number(at)
                }
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' => self.word(at),
            _ => Tok::Error("invalid token"),
        };
        (tok, at)
    }

    fn word(&mut self, at: usize) -> Tok {
        for (w, t) in [
            (&b"true"[..], Tok::Bool(true)),
            (b"false", Tok::Bool(false)),
            (b"null", Tok::Null),
        ] {
            if self.s[at..].starts_with(w) {
                self.pos = at + w.len();
                return t;
            }
        }
        if self.cfg.decode_invalid_numbers && is_invalid_number(&self.s[at..]) {
            return self.number(at);
        }
        Tok::Error("invalid token")
    }

    fn number(&mut self, at: usize) -> Tok {
        let end = self.s[at..]
            .iter()
            .position(|&b| b == 0)
            .map_or(self.s.len(), |p| at + p);
        match strtod_prefix(&self.s[at..end]) {
            Some((n, len)) => {
                self.pos = at + len;
                Tok::Num(n)
            }
            None => Tok::Error("invalid number"),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    fn unicode(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let mut cp = self.hex4()?;
        if (0xD800..0xDC00).contains(&cp) {
            if self.s.get(self.pos..self.pos + 2)? != b"\\u" {
                return None;
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        let ch = char::from_u32(cp)?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Some(())
    }

    fn string(&mut self) -> Tok {
        let mut out = Vec::new();
        loop {
            self.err_at = self.pos;
            let c = self.s.get(self.pos).copied().unwrap_or(0);
            if c == 0 {
                return Tok::Error("unexpected end of string");
            }
            self.pos += 1;
            if c == b'"' {
                return Tok::Str(out);
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let e = self.s.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
            let simple = match e {
                b'"' | b'\\' | b'/' => e,
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    if self.unicode(&mut out).is_none() {
                        return Tok::Error("invalid unicode escape code");
                    }
                    continue;
                }
                _ => return Tok::Error("invalid escape code"),
            };
            out.push(simple);
        }
    }

    fn expected<T>(what: &str, tok: &Tok, at: usize) -> mlua::Result<T> {
        Err(err(format!(
            "Expected {what} but found {} at character {}",
            name(tok),
            at + 1
        )))
    }

    fn value(&mut self, lua: &Lua, tok: Tok, at: usize, depth: usize) -> mlua::Result<Value> {
        Ok(match tok {
            Tok::Str(s) => Value::String(lua.create_string(s)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => null(),
            Tok::ObjBegin => self.object(lua, depth + 1)?,
            Tok::ArrBegin => self.array(lua, depth + 1)?,
            other => return Self::expected("value", &other, at),
        })
    }

    fn check_depth(&self, depth: usize, at: usize) -> mlua::Result<()> {
        if depth as i64 > self.cfg.decode_max_depth {
            return Err(err(format!(
                "Found too many nested data structures ({depth}) at character {}",
                at + 1
            )));
        }
        Ok(())
    }

    fn object(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        self.check_depth(depth, self.pos - 1)?;
        let t = lua.create_table()?;
        let (mut tok, mut at) = self.next();
        if tok == Tok::ObjEnd {
            return Ok(Value::Table(t));
        }
        loop {
            let Tok::Str(key) = tok else {
                return Self::expected("object key string", &tok, at);
            };
            let (colon, cat) = self.next();
            if colon != Tok::Colon {
                return Self::expected("colon", &colon, cat);
            }
            let (vt, vat) = self.next();
            let v = self.value(lua, vt, vat, depth)?;
            t.raw_set(lua.create_string(key)?, v)?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ObjEnd => return Ok(Value::Table(t)),
                Tok::Comma => (tok, at) = self.next(),
                other => return Self::expected("comma or object end", &other, sat),
            }
        }
    }

    fn array(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        self.check_depth(depth, self.pos - 1)?;
        let t = lua.create_table()?;
        let (mut tok, mut at) = self.next();
        if tok == Tok::ArrEnd {
            return Ok(Value::Table(t));
        }
        for i in 1.. {
            let v = self.value(lua, tok, at, depth)?;
            t.raw_set(i, v)?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ArrEnd => break,
                Tok::Comma => (tok, at) = self.next(),
                other => return Self::expected("comma or array end", &other, sat),
            }
        }
        Ok(Value::Table(t))
    }
}

pub(super) fn decode(lua: &Lua, s: &[u8], cfg: &CjsonConfig) -> mlua::Result<Value> {
    let mut p = Parser {
        s,
        pos: 0,
        cfg,
        err_at: 0,
    };
    let (tok, at) = p.next();
    let v = p.value(lua, tok, at, 0)?;
    let (end, at) = p.next();
    if end != Tok::End {
        return Parser::expected("the end", &end, at);
    }
    Ok(v)
}
