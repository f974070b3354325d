//! cjson.encode.

use mlua::{Table, Value};

use super::{err, CjsonConfig};
use crate::fmt::fmt_g;

fn escape(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// json_append_number: invalid numbers refused, printed, or `null` as configured.
fn number(n: f64, out: &mut Vec<u8>, cfg: &CjsonConfig) -> mlua::Result<()> {
    if !n.is_finite() {
        match cfg.encode_invalid_numbers {
            0 => return Err(err("Cannot serialise number: must not be NaN or Inf".into())),
            1 if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(fmt_g(n, cfg.precision).as_bytes());
    Ok(())
}

pub(super) fn value(
    v: &Value,
    depth: usize,
    out: &mut Vec<u8>,
    cfg: &CjsonConfig,
) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => number(*i as f64, out, cfg)?,
        Value::Number(n) => number(*n, out, cfg)?,
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => table(t, depth + 1, out, cfg)?,
        other => {
            let ty = crate::overrides::type_name(other);
            return Err(err(format!("Cannot serialise {ty}: type not supported")));
        }
    }
    Ok(())
}

/// lua_array_length: the array length, `None` for an object (or a sparse array converted to
/// one), an error for an excessively sparse array.
fn array_length(t: &Table, cfg: &CjsonConfig) -> mlua::Result<Option<usize>> {
    let (mut max, mut items) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if n < 1.0 || n.floor() != n {
            return Ok(None);
        }
        max = max.max(n as i64);
        items += 1;
    }
    if cfg.sparse_ratio > 0 && max > items * cfg.sparse_ratio && max > cfg.sparse_safe {
        if !cfg.sparse_convert {
            return Err(err(
                "Cannot serialise table: excessively sparse array".into()
            ));
        }
        return Ok(None);
    }
    Ok(usize::try_from(max).ok())
}

fn key(k: &Value, out: &mut Vec<u8>, cfg: &CjsonConfig) -> mlua::Result<()> {
    match k {
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::Integer(_) | Value::Number(_) => {
            out.push(b'"');
            value(k, 0, out, cfg)?;
            out.push(b'"');
        }
        other => {
            let ty = crate::overrides::type_name(other);
            return Err(err(format!(
                "Cannot serialise {ty}: table key must be a number or string"
            )));
        }
    }
    Ok(())
}

fn table(t: &Table, depth: usize, out: &mut Vec<u8>, cfg: &CjsonConfig) -> mlua::Result<()> {
    if depth as i64 > cfg.encode_max_depth {
        return Err(err(format!(
            "Cannot serialise, excessive nesting ({depth})"
        )));
    }
    if let Some(len) = array_length(t, cfg)?.filter(|&l| l > 0) {
        out.push(b'[');
        for i in 1..=len {
            if i > 1 {
                out.push(b',');
            }
            value(&t.raw_get::<Value>(i)?, depth, out, cfg)?;
        }
        out.push(b']');
        return Ok(());
    }
    out.push(b'{');
    for (n, pair) in t.pairs::<Value, Value>().enumerate() {
        let (k, v) = pair?;
        if n > 0 {
            out.push(b',');
        }
        key(&k, out, cfg)?;
        out.push(b':');
        value(&v, depth, out, cfg)?;
    }
    out.push(b'}');
    Ok(())
}
