//! Geo commands: GEOADD GEODIST GEOHASH GEOPOS, and the searches GEORADIUS GEORADIUSBYMEMBER
//! (and their _RO forms) GEOSEARCH GEOSEARCHSTORE (in `cmd_geo/search.rs`), ported from Redis
//! 7.0's `geo.c`.
//!
//! A geo key is a sorted set whose scores are 52-bit geohashes (`cmd_geo/geohash.rs`); GEOADD
//! is ZADD with the coordinates turned into scores. Distances are printed with four decimals
//! (`addReplyDoubleDistance`), coordinates as Redis's human long doubles (`%.17Lf`, trailing
//! zeros removed; a double in RESP3, hence [`Reply::HumanDouble`]).

use bytes::Bytes;
use meridian_types::Reply;

use crate::command::{keyed, lookup, CommandDef, CommandKind, CommandResult, RO, W_DENYOOM};
use crate::ctx::{ReadCtx, WriteCtx};
use crate::errors::{err, invalid_lon_lat, NOT_FLOAT, SYNTAX, UNSUPPORTED_UNIT, ZADD_UNAVAILABLE};
use crate::long_double::fmt_incr_float;
use crate::zset::ZSet;
use crate::zset_args::{c_str, parse_score};

mod area;
mod geohash;
mod options;
mod search;
mod sort;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_search;

use area::distance;
use geohash::{align52, decode_score, encode_wgs84, standard_geohash, STEP_MAX};
use search::{
    geo_radius, geo_radius_by_member, geo_radius_by_member_ro, geo_radius_ro, geo_search,
    geo_search_store,
};

/// GEORADIUS and GEORADIUSBYMEMBER: writes (their STORE option), with keys Redis finds by
/// parsing the arguments.
const W_DENYOOM_MOVABLE: &[&str] = &["write", "denyoom", "movablekeys"];

pub(crate) const COMMANDS: &[CommandDef] = &[
    keyed("geoadd", -5, W_DENYOOM, 1, CommandKind::Write(geoadd)),
    keyed("geodist", -4, RO, 1, CommandKind::Read(geodist)),
    keyed("geohash", -2, RO, 1, CommandKind::Read(geohash)),
    keyed("geopos", -2, RO, 1, CommandKind::Read(geopos)),
    keyed(
        "georadius",
        -6,
        W_DENYOOM_MOVABLE,
        1,
        CommandKind::Write(geo_radius),
    ),
    keyed(
        "georadiusbymember",
        -5,
        W_DENYOOM_MOVABLE,
        1,
        CommandKind::Write(geo_radius_by_member),
    ),
    keyed("georadius_ro", -6, RO, 1, CommandKind::Read(geo_radius_ro)),
    keyed(
        "georadiusbymember_ro",
        -5,
        RO,
        1,
        CommandKind::Read(geo_radius_by_member_ro),
    ),
    keyed("geosearch", -7, RO, 1, CommandKind::Read(geo_search)),
    keyed(
        "geosearchstore",
        -8,
        W_DENYOOM,
        2,
        CommandKind::Write(geo_search_store),
    ),
];

/// Option names are compared as C strings (`strcasecmp`), up to a NUL byte.
fn is_opt(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// `extractLongLatOrReply`: a [longitude, latitude] pair inside the range a geohash covers.
fn parse_lon_lat(args: &[Bytes]) -> Result<[f64; 2], Reply> {
    let mut xy = [0.0; 2];
    for (v, a) in xy.iter_mut().zip(args) {
        *v = parse_score(a).ok_or_else(|| err(NOT_FLOAT))?;
    }
    let [lon, lat] = xy;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        return Err(invalid_lon_lat(lon, lat));
    }
    Ok(xy)
}

/// `extractUnitOrReply`: meters per unit.
fn parse_unit(arg: &[u8]) -> Result<f64, Reply> {
    match () {
        _ if is_opt(arg, "m") => Ok(1.0),
        _ if is_opt(arg, "km") => Ok(1000.0),
        _ if is_opt(arg, "ft") => Ok(0.3048),
        _ if is_opt(arg, "mi") => Ok(1609.34),
        _ => Err(err(UNSUPPORTED_UNIT)),
    }
}

/// `addReplyDoubleDistance`: `fixedpoint_d2string(d, 4)`, a bulk string in both protocols.
fn distance_reply(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(fmt_distance(d)))
}

fn fmt_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    // llrint: round half to even; a result out of range (or NaN) is LLONG_MIN.
    let scaled = geohash::c_double_to_i64((d * 10000.0).round_ties_even());
    let sign = if scaled < 0 { "-" } else { "" };
    let v = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", v / 10000, v % 10000)
}

/// `addReplyHumanLongDouble` of a coordinate.
fn coord_reply(v: f64) -> Reply {
    Reply::HumanDouble(fmt_incr_float(v))
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD of the members with their
/// geohashes as scores, as Redis does (after checking every pair, before the key's type).
fn geoadd(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut idx = 2;
    while let Some(opt) = argv.get(idx) {
        let flag = match () {
            _ if is_opt(opt, "nx") => &mut nx,
            _ if is_opt(opt, "xx") => &mut xx,
            _ if is_opt(opt, "ch") => &mut ch,
            _ => break,
        };
        *flag = true;
        idx += 1;
    }
    let triples = &argv[idx..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(err(SYNTAX));
    }
    let mut zadd_argv = vec![Bytes::from_static(b"zadd"), argv[1].clone()];
    for (set, name) in [(nx, "nx"), (xx, "xx"), (ch, "ch")] {
        if set {
            zadd_argv.push(Bytes::from_static(name.as_bytes()));
        }
    }
    for t in triples.chunks_exact(3) {
        let [lon, lat] = parse_lon_lat(&t[..2])?;
        let bits = encode_wgs84(lon, lat, STEP_MAX).map_or(0, align52);
        zadd_argv.push(Bytes::from(bits.to_string()));
        zadd_argv.push(t[2].clone());
    }
    match lookup(b"zadd").map(|d| d.kind) {
        Some(CommandKind::Write(zadd)) => zadd(ctx, &zadd_argv),
        _ => Err(err(ZADD_UNAVAILABLE)),
    }
}

/// GEODIST key member1 member2 [unit]: the unit is checked before the key.
fn geodist(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let to_meter = match argv.len() {
        5 => parse_unit(&argv[4])?,
        n if n > 5 => return Err(err(SYNTAX)),
        _ => 1.0,
    };
    let Some(zs) = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let (Some(s1), Some(s2)) = (zs.score(&argv[2]), zs.score(&argv[3])) else {
        return Ok(Reply::Nil);
    };
    let [x1, y1] = decode_score(s1);
    let [x2, y2] = decode_score(s2);
    Ok(distance_reply(distance(x1, y1, x2, y2) / to_meter))
}

/// GEOHASH key [member ...]: a null for each missing member (or a missing key).
fn geohash(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let zs = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|m| match zs.and_then(|z| z.score(m)) {
                None => Reply::Nil,
                Some(s) => Reply::Bulk(Bytes::copy_from_slice(&standard_geohash(s))),
            })
            .collect(),
    ))
}

/// GEOPOS key [member ...]: a null array for each missing member (or a missing key).
fn geopos(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let zs = ctx.db.lookup::<ZSet>(&argv[1], ctx.now_ms)?;
    Ok(Reply::Array(
        argv[2..]
            .iter()
            .map(|m| match zs.and_then(|z| z.score(m)) {
                None => Reply::NilArray,
                Some(s) => {
                    let [lon, lat] = decode_score(s);
                    Reply::Array(vec![coord_reply(lon), coord_reply(lat)])
                }
            })
            .collect(),
    ))
}
