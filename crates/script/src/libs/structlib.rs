//! Roberto Ierusalimschy's `struct` library as Redis ships it (lua_struct.c): `struct.pack`,
//! `struct.unpack`, `struct.size`, on x86-64 sizes (`l`, `L`, `T` 8 bytes, `h` 2, `i` 4, native
//! little endian, maximum alignment 8).

use mlua::{Lua, MultiValue, Value};

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

struct Header {
    little: bool,
    align: usize,
}

fn err(msg: String) -> mlua::Error {
    mlua::Error::runtime(msg)
}

fn argerror(arg: usize, fname: &str, msg: &str) -> mlua::Error {
    err(format!("bad argument #{arg} to '{fname}' ({msg})"))
}

struct Fmt<'a> {
    s: &'a [u8],
    i: usize,
}

impl Fmt<'_> {
    fn getnum(&mut self, df: usize) -> mlua::Result<usize> {
        if !self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            return Ok(df);
        }
        let mut a: usize = 0;
        while let Some(d) = self.s.get(self.i).filter(|c| c.is_ascii_digit()) {
            let d = usize::from(d - b'0');
            if a > (i32::MAX as usize) / 10 || a * 10 > (i32::MAX as usize) - d {
                return Err(err("integral size overflow".into()));
            }
            a = a * 10 + d;
            self.i += 1;
        }
        Ok(a)
    }

    fn optsize(&mut self, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.getnum(1)?,
            b'i' | b'I' => {
                let sz = self.getnum(4)?;
                if sz > MAXINTSIZE {
                    return Err(err(format!(
                        "integral size {sz} is larger than limit of {MAXINTSIZE}"
                    )));
                }
                sz
            }
            _ => 0,
        })
    }

    fn control(&mut self, opt: u8, h: &mut Header, fname: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.getnum(MAXALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(err(format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            _ => {
                let msg = format!("invalid format option '{}'", opt as char);
                return Err(argerror(1, fname, &msg));
            }
        }
        Ok(())
    }
}

fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

fn check_number(args: &MultiValue, arg: usize, fname: &str) -> mlua::Result<f64> {
    let v = args.get(arg - 1);
    v.and_then(crate::api::lua_number).ok_or_else(|| {
        // pack pushes a nil before its buffer: a missing argument reads as nil there.
        let missing = if fname == "pack" { "nil" } else { "no value" };
        let got = v.map_or(missing, crate::overrides::type_name);
        argerror(arg, fname, &format!("number expected, got {got}"))
    })
}

fn check_bytes(args: &MultiValue, arg: usize, fname: &str) -> mlua::Result<Vec<u8>> {
    let v = args.get(arg - 1);
    v.and_then(crate::api::lua_bytes_plain).ok_or_else(|| {
        let missing = if fname == "pack" && arg > 1 {
            "nil"
        } else {
            "no value"
        };
        let got = v.map_or(missing, crate::overrides::type_name);
        argerror(arg, fname, &format!("string expected, got {got}"))
    })
}

fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut value: u64 = if n < 0.0 { (n as i64) as u64 } else { n as u64 };
    let mut buf = vec![0u8; size];
    for i in 0..size {
        let idx = if little { i } else { size - 1 - i };
        buf[idx] = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
    }
    out.extend_from_slice(&buf);
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::LuaString> {
    let fmt = check_bytes(&args, 1, "pack")?;
    let mut f = Fmt { s: &fmt, i: 0 };
    let mut h = Header {
        little: true,
        align: 1,
    };
    let (mut arg, mut total, mut out) = (2usize, 0usize, Vec::new());
    while let Some(&opt) = f.s.get(f.i) {
        f.i += 1;
        let mut size = f.optsize(opt)?;
        let toalign = gettoalign(total, &h, opt, size);
        total += toalign;
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                put_integer(&mut out, check_number(&args, arg, "pack")?, h.little, size);
                arg += 1;
            }
            b'x' => out.push(0),
            b'f' => {
                let v = check_number(&args, arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                });
            }
            b'd' => {
                let v = check_number(&args, arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = check_bytes(&args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(argerror(arg, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => f.control(opt, &mut h, "pack")?,
        }
        total += size;
    }
    lua.create_string(out)
}

fn get_integer(buf: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let bytes: Vec<u8> = if little {
        buf.iter().rev().copied().collect()
    } else {
        buf.to_vec()
    };
    for b in bytes {
        l = (l << 8) | u64::from(b);
    }
    let size = buf.len();
    if !signed {
        return l as f64;
    }
    if size * 8 - 1 < 64 {
        let mask = u64::MAX << (size * 8 - 1);
        if l & mask != 0 {
            l |= mask;
        }
    }
    (l as i64) as f64
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = check_bytes(&args, 1, "unpack")?;
    let data = check_bytes(&args, 2, "unpack")?;
    let pos = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => check_number(&args, 3, "unpack")? as i64,
    };
    if pos <= 0 {
        return Err(argerror(3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = usize::try_from(pos - 1).unwrap_or(0);
    let ld = data.len();
    let mut f = Fmt { s: &fmt, i: 0 };
    let mut h = Header {
        little: true,
        align: 1,
    };
    let mut out: Vec<Value> = Vec::new();
    let short = || argerror(2, "unpack", "data string too short");
    while let Some(&opt) = f.s.get(f.i) {
        f.i += 1;
        let mut size = f.optsize(opt)?;
        pos += gettoalign(pos, &h, opt, size);
        if size > ld || pos > ld - size {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                out.push(Value::Number(get_integer(
                    &data[pos..pos + size],
                    h.little,
                    signed,
                )));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().map_err(|_| short())?;
                let v = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push(Value::Number(f64::from(v)));
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().map_err(|_| short())?;
                let v = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push(Value::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last().and_then(crate::api::lua_number);
                    let Some(n) = prev else {
                        return Err(err("format 'c0' needs a previous size".into()));
                    };
                    out.pop();
                    size = n as usize;
                    if size > ld || pos > ld - size {
                        return Err(short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(err("unfinished string in data".into()));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + e])?));
                size = e + 1;
            }
            _ => f.control(opt, &mut h, "unpack")?,
        }
        pos += size;
    }
    out.push(Value::Integer((pos + 1) as i64));
    Ok(MultiValue::from_iter(out))
}

fn size(_: &Lua, args: MultiValue) -> mlua::Result<i64> {
    let fmt = check_bytes(&args, 1, "size")?;
    let mut f = Fmt { s: &fmt, i: 0 };
    let mut h = Header {
        little: true,
        align: 1,
    };
    let mut pos = 0usize;
    while let Some(&opt) = f.s.get(f.i) {
        f.i += 1;
        let size = f.optsize(opt)?;
        pos += gettoalign(pos, &h, opt, size);
        if opt == b's' {
            return Err(argerror(1, "size", "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(argerror(1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as i64)
}

pub(crate) fn library(lua: &Lua) -> mlua::Result<mlua::Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", lua.create_function(pack)?)?;
    t.raw_set("unpack", lua.create_function(unpack)?)?;
    t.raw_set("size", lua.create_function(size)?)?;
    Ok(t)
}
