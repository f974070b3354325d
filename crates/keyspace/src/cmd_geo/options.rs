//! The arguments of the geo searches, parsed as Redis 7.0's `georadiusGeneric` parses them:
//! options in the order given, each failing at once (an unknown FROMMEMBER member answers
//! before a later syntax error), then the checks that need all of them.

use bytes::Bytes;
use meridian_types::Reply;

use super::area::{Shape, ShapeKind};
use super::{is_opt, parse_lon_lat, parse_unit};
use crate::args::parse_i64;
use crate::errors::{
    err, geo_no_by, geo_no_from, store_with_fields, ANY_NEEDS_COUNT, GEO_COUNT_NOT_POSITIVE,
    GEO_NO_MEMBER, NEED_NUMERIC_HEIGHT, NEED_NUMERIC_RADIUS, NEED_NUMERIC_WIDTH, NEGATIVE_BOX,
    NEGATIVE_RADIUS, NOT_INTEGER, SYNTAX,
};
use crate::zset::ZSet;
use crate::zset_args::{c_str, parse_score};

/// Where the centre of a search comes from (Redis's RADIUS_COORDS, RADIUS_MEMBER, GEOSEARCH).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Centre {
    Coords,
    Member,
    Search,
}

#[derive(Clone, Copy)]
pub(super) struct Flavor {
    pub centre: Centre,
    /// The _RO forms: no STORE / STOREDIST.
    pub nostore: bool,
    /// GEOSEARCHSTORE: the destination is argv[1], the source argv[2].
    pub search_store: bool,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Sort {
    None,
    Asc,
    Desc,
}

/// The options after the fixed arguments.
pub(super) struct Options {
    pub withdist: bool,
    pub withhash: bool,
    pub withcoord: bool,
    pub sort: Sort,
    pub any: bool,
    pub count: i64,
    pub store: Option<Bytes>,
    pub storedist: bool,
    /// GEOSEARCH: whether FROMMEMBER / FROMLONLAT and BYRADIUS / BYBOX were given.
    pub from: bool,
    pub by: bool,
}

/// `longLatFromMember`.
pub(super) fn member_xy(zs: &ZSet, member: &[u8]) -> Result<[f64; 2], Reply> {
    zs.score(member)
        .map(super::geohash::decode_score)
        .ok_or_else(|| err(GEO_NO_MEMBER))
}

/// `extractDistanceOrReply`: (meters per unit, radius).
pub(super) fn parse_distance(args: &[Bytes]) -> Result<(f64, f64), Reply> {
    let radius = parse_score(&args[0]).ok_or_else(|| err(NEED_NUMERIC_RADIUS))?;
    if radius < 0.0 {
        return Err(err(NEGATIVE_RADIUS));
    }
    Ok((parse_unit(&args[1])?, radius))
}

/// `extractBoxOrReply`: (meters per unit, width, height).
pub(super) fn parse_box(args: &[Bytes]) -> Result<(f64, f64, f64), Reply> {
    let width = parse_score(&args[0]).ok_or_else(|| err(NEED_NUMERIC_WIDTH))?;
    let height = parse_score(&args[1]).ok_or_else(|| err(NEED_NUMERIC_HEIGHT))?;
    if height < 0.0 || width < 0.0 {
        return Err(err(NEGATIVE_BOX));
    }
    Ok((parse_unit(&args[2])?, width, height))
}

/// The option loop of `georadiusGeneric`. FROMMEMBER, FROMLONLAT, BYRADIUS and BYBOX fill
/// `shape`.
pub(super) fn parse_options(
    rest: &[Bytes],
    zs: Option<&ZSet>,
    f: Flavor,
    shape: &mut Shape,
) -> Result<Options, Reply> {
    let search = f.centre == Centre::Search;
    let store_ok = !f.nostore && !search;
    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: None,
        storedist: false,
        from: false,
        by: false,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        // How many arguments follow this one.
        let left = rest.len() - i - 1;
        if is_opt(arg, "withdist") {
            o.withdist = true;
        } else if is_opt(arg, "withhash") {
            o.withhash = true;
        } else if is_opt(arg, "withcoord") {
            o.withcoord = true;
        } else if is_opt(arg, "any") {
            o.any = true;
        } else if is_opt(arg, "asc") {
            o.sort = Sort::Asc;
        } else if is_opt(arg, "desc") {
            o.sort = Sort::Desc;
        } else if is_opt(arg, "count") && left >= 1 {
            o.count = parse_i64(&rest[i + 1]).ok_or_else(|| err(NOT_INTEGER))?;
            if o.count <= 0 {
                return Err(err(GEO_COUNT_NOT_POSITIVE));
            }
            i += 1;
        } else if (is_opt(arg, "store") || is_opt(arg, "storedist")) && left >= 1 && store_ok {
            o.store = Some(rest[i + 1].clone());
            o.storedist = is_opt(arg, "storedist");
            i += 1;
        } else if is_opt(arg, "storedist") && search && f.search_store {
            o.storedist = true;
        } else if is_opt(arg, "frommember") && left >= 1 && search && !fromloc {
            // Without a source key the member is not looked up; the reply is empty anyway.
            if let Some(zs) = zs {
                shape.xy = member_xy(zs, &rest[i + 1])?;
            }
            frommember = true;
            i += 1;
        } else if is_opt(arg, "fromlonlat") && left >= 2 && search && !frommember {
            shape.xy = parse_lon_lat(&rest[i + 1..i + 3])?;
            fromloc = true;
            i += 2;
        } else if is_opt(arg, "byradius") && left >= 2 && search && !bybox {
            let (conversion, radius) = parse_distance(&rest[i + 1..i + 3])?;
            (shape.conversion, shape.kind) = (conversion, ShapeKind::Radius(radius));
            byradius = true;
            i += 2;
        } else if is_opt(arg, "bybox") && left >= 3 && search && !byradius {
            let (conversion, width, height) = parse_box(&rest[i + 1..i + 4])?;
            (shape.conversion, shape.kind) = (conversion, ShapeKind::Box { width, height });
            bybox = true;
            i += 3;
        } else {
            return Err(err(SYNTAX));
        }
        i += 1;
    }
    o.from = frommember || fromloc;
    o.by = byradius || bybox;
    Ok(o)
}

/// The checks after the option loop, in Redis's order.
pub(super) fn check_options(o: &Options, argv: &[Bytes], f: Flavor) -> Result<(), Reply> {
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let what = if f.search_store {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(store_with_fields(what));
    }
    // Redis names the command as the client spelled it.
    let name = String::from_utf8_lossy(c_str(&argv[0]));
    if f.centre == Centre::Search && !o.from {
        return Err(geo_no_from(&name));
    }
    if f.centre == Centre::Search && !o.by {
        return Err(geo_no_by(&name));
    }
    if o.any && o.count == 0 {
        return Err(err(ANY_NEEDS_COUNT));
    }
    Ok(())
}
