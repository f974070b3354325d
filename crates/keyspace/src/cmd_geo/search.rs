//! The geo searches, Redis 7.0's `georadiusGeneric`: GEORADIUS GEORADIUSBYMEMBER (STORE and
//! STOREDIST make them writes), GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH GEOSEARCHSTORE.
//!
//! Options are parsed in Redis's order, and a failing option answers at once (an unknown
//! member before a later syntax error). A search visits the nine cells of
//! [`areas_by_shape`] in their order, each in sorted-set order, so unsorted results, COUNT ANY
//! and ties under ASC/DESC come out as Redis gives them.

use std::ops::Bound;

use bytes::Bytes;
use meridian_types::Reply;

use super::area::{areas_by_shape, within_shape, Cells, Shape, ShapeKind};
use super::geohash::{align52, c_double_to_i64, HashBits};
use super::options::{check_options, member_xy, parse_distance, parse_options};
use super::options::{Centre, Flavor, Options, Sort};
use super::sort::{cmp_dist, pqsort, qsort};
use super::{coord_reply, distance_reply, parse_lon_lat};
use crate::command::CommandResult;
use crate::ctx::{ReadCtx, WriteCtx};
use crate::db::Keyspace;
use crate::errors::{err, SYNTAX};
use crate::events::EventClass;
use crate::value::Value;
use crate::zset::ZSet;

/// A member found inside the shape (`geoPoint`).
#[derive(Clone)]
struct Point {
    xy: [f64; 2],
    dist: f64,
    score: f64,
    member: Bytes,
}

enum Outcome {
    Reply(Reply),
    /// Replace `key` with these members and scores (delete it when there are none).
    Store(Bytes, Vec<(Bytes, f64)>),
}

pub(crate) fn geo_radius(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    write_search(ctx, argv, flavor(Centre::Coords, false))
}

pub(crate) fn geo_radius_by_member(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    write_search(ctx, argv, flavor(Centre::Member, false))
}

pub(crate) fn geo_radius_ro(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_search(ctx, argv, flavor(Centre::Coords, true))
}

pub(crate) fn geo_radius_by_member_ro(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_search(ctx, argv, flavor(Centre::Member, true))
}

pub(crate) fn geo_search(ctx: &ReadCtx<'_>, argv: &[Bytes]) -> CommandResult {
    read_search(ctx, argv, flavor(Centre::Search, false))
}

pub(crate) fn geo_search_store(ctx: &mut WriteCtx<'_>, argv: &[Bytes]) -> CommandResult {
    let f = Flavor {
        search_store: true,
        ..flavor(Centre::Search, false)
    };
    write_search(ctx, argv, f)
}

fn flavor(centre: Centre, nostore: bool) -> Flavor {
    Flavor {
        centre,
        nostore,
        search_store: false,
    }
}

fn read_search(ctx: &ReadCtx<'_>, argv: &[Bytes], f: Flavor) -> CommandResult {
    match run(ctx.db, ctx.now_ms, argv, f)? {
        Outcome::Reply(r) => Ok(r),
        // Unreachable: these forms reject STORE while parsing.
        Outcome::Store(..) => Err(err(SYNTAX)),
    }
}

fn write_search(ctx: &mut WriteCtx<'_>, argv: &[Bytes], f: Flavor) -> CommandResult {
    match run(ctx.db, ctx.now_ms, argv, f)? {
        Outcome::Reply(r) => Ok(r),
        Outcome::Store(key, items) => {
            let n = items.len() as i64;
            if items.is_empty() {
                if ctx.db.remove(&key, ctx.now_ms).is_some() {
                    ctx.notify(EventClass::Generic, "del", &key);
                }
            } else {
                let mut zs = ZSet::new();
                for (m, s) in items {
                    zs.insert(m, s);
                }
                ctx.db.insert(key.clone(), Value::ZSet(Box::new(zs)));
                let event = if f.search_store {
                    "geosearchstore"
                } else {
                    "georadiusstore"
                };
                ctx.notify(EventClass::Zset, event, &key);
            }
            Ok(Reply::Integer(n))
        }
    }
}

/// The whole command up to its reply or the store it asks for.
fn run(db: &Keyspace, now: u64, argv: &[Bytes], f: Flavor) -> Result<Outcome, Reply> {
    let src = if f.search_store { &argv[2] } else { &argv[1] };
    let zs = db.lookup::<ZSet>(src, now)?;
    let mut shape = Shape {
        xy: [0.0; 2],
        conversion: 0.0,
        kind: ShapeKind::Radius(0.0),
    };
    let base = match f.centre {
        Centre::Coords => {
            shape.xy = parse_lon_lat(&argv[2..4])?;
            let (conversion, radius) = parse_distance(&argv[4..6])?;
            (shape.conversion, shape.kind) = (conversion, ShapeKind::Radius(radius));
            6
        }
        Centre::Member => {
            if let Some(zs) = zs {
                shape.xy = member_xy(zs, &argv[2])?;
                let (conversion, radius) = parse_distance(&argv[3..5])?;
                (shape.conversion, shape.kind) = (conversion, ShapeKind::Radius(radius));
            }
            5
        }
        Centre::Search if f.search_store => 3,
        Centre::Search => 2,
    };
    let mut opts = parse_options(&argv[base..], zs, f, &mut shape)?;
    if f.search_store {
        opts.store = Some(argv[1].clone());
    }
    check_options(&opts, argv, f)?;
    let Some(zs) = zs else {
        return Ok(match opts.store {
            Some(key) => Outcome::Store(key, Vec::new()),
            None => Outcome::Reply(Reply::Array(Vec::new())),
        });
    };
    Ok(search(zs, &shape, &opts))
}

/// Finds, sorts and answers (or hands over for storing) the members inside `shape`.
fn search(zs: &ZSet, shape: &Shape, o: &Options) -> Outcome {
    // COUNT without ANY means the closest ones: sort even if not asked to.
    let sort = match o.sort {
        Sort::None if o.count != 0 && !o.any => Sort::Asc,
        s => s,
    };
    let limit = if o.any { o.count as usize } else { 0 };
    let mut points = members_of_all_neighbours(zs, &areas_by_shape(shape), shape, limit);
    if points.is_empty() && o.store.is_none() {
        return Outcome::Reply(Reply::Array(Vec::new()));
    }
    let returned = match usize::try_from(o.count) {
        Ok(c) if c > 0 && c < points.len() => c,
        _ => points.len(),
    };
    let cmp = |a: &Point, b: &Point| match sort {
        Sort::Desc => -cmp_dist(a.dist, b.dist),
        _ => cmp_dist(a.dist, b.dist),
    };
    if sort != Sort::None {
        if returned == points.len() {
            qsort(&mut points, &cmp);
        } else {
            pqsort(&mut points, &cmp, 0, returned - 1);
        }
    }
    points.truncate(returned);
    if let Some(key) = &o.store {
        let items = points
            .into_iter()
            .map(|p| {
                let dist = p.dist / shape.conversion;
                (p.member, if o.storedist { dist } else { p.score })
            })
            .collect();
        return Outcome::Store(key.clone(), items);
    }
    Outcome::Reply(Reply::Array(
        points
            .into_iter()
            .map(|p| point_reply(p, shape, o))
            .collect(),
    ))
}

/// One result: the member alone, or an array of the member and what WITH* asked for.
fn point_reply(p: Point, shape: &Shape, o: &Options) -> Reply {
    if !(o.withdist || o.withhash || o.withcoord) {
        return Reply::Bulk(p.member);
    }
    let mut item = vec![Reply::Bulk(p.member)];
    if o.withdist {
        item.push(distance_reply(p.dist / shape.conversion));
    }
    if o.withhash {
        item.push(Reply::Integer(c_double_to_i64(p.score)));
    }
    if o.withcoord {
        item.push(Reply::Array(vec![
            coord_reply(p.xy[0]),
            coord_reply(p.xy[1]),
        ]));
    }
    Reply::Array(item)
}

/// `membersOfAllNeighbors`: the centre cell and its neighbours, skipping a cell equal to the
/// one searched just before (Redis's `last_processed`, where 0, the centre, means none).
fn members_of_all_neighbours(zs: &ZSet, cells: &Cells, shape: &Shape, limit: usize) -> Vec<Point> {
    let mut out = Vec::new();
    let mut last_processed = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last_processed != 0 && *cell == cells[last_processed] {
            continue;
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
        points_in_cell(zs, *cell, shape, &mut out, limit);
        last_processed = i;
    }
    out
}

/// `membersOfGeoHashBox`: the members whose score lies in the cell's range of 52-bit hashes
/// and whose position is inside the shape, stopping once `limit` points were found.
fn points_in_cell(zs: &ZSet, cell: HashBits, shape: &Shape, out: &mut Vec<Point>, limit: usize) {
    let min = align52(cell) as f64;
    let max = align52(HashBits {
        bits: cell.bits.wrapping_add(1),
        step: cell.step,
    }) as f64;
    for (member, score) in zs.range_by_score(Bound::Included(min), Bound::Excluded(max)) {
        if let Some((xy, dist)) = within_shape(shape, score) {
            out.push(Point {
                xy,
                dist,
                score,
                member: member.clone(),
            });
        }
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
}
