//! A port of Redis 7.0's `geohash_helper.c` and the shape test of `geo.c`: which cells a search
//! visits, the haversine distance, and whether a point lies inside a circle or a box.
//!
//! The arithmetic follows the C code operation by operation (same order, same constants, the
//! same libm functions), because search results at the edge of a radius and printed distances
//! depend on the last bit.

use super::geohash::{decode, decode_score, encode_wgs84, with_neighbours, HashBits};
use super::geohash::{WGS84_LAT, WGS84_LONG};

const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// What a search covers: a circle or an axis-aligned box around `xy` (`GeoShape`), in the
/// unit whose size in meters is `conversion`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub xy: [f64; 2],
    pub conversion: f64,
    pub kind: ShapeKind,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// The centre cell and its eight neighbours, north, south, east, west, north-east, north-west,
/// south-east, south-west, in the order Redis searches them; removed ones are zero.
pub(super) type Cells = [HashBits; 9];

/// `geohashEstimateStepsByRadius`: the cell size for a search of this radius.
fn estimate_steps_by_radius(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// `geohashBoundingBox`: [min lon, min lat, max lon, max lat] of the search area.
fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let (height, width) = match shape.kind {
        ShapeKind::Radius(r) => (shape.conversion * r, shape.conversion * r),
        ShapeKind::Box { width, height } => (
            shape.conversion * (height / 2.0),
            shape.conversion * (width / 2.0),
        ),
    };
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    let long_delta = if latitude < 0.0 {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        longitude - long_delta,
        latitude - lat_delta,
        longitude + long_delta,
        latitude + lat_delta,
    ]
}

/// `geohashCalculateAreasByShapeWGS84`: the cells whose members a search examines.
pub(super) fn areas_by_shape(shape: &Shape) -> Cells {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    let radius_meters = match shape.kind {
        ShapeKind::Radius(r) => r,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps_by_radius(radius_meters, latitude);
    let centre = |steps| {
        let hash = encode_wgs84(longitude, latitude, steps).unwrap_or(HashBits {
            bits: 0,
            step: steps,
        });
        let cells = with_neighbours(hash);
        let area = decode(WGS84_LONG, WGS84_LAT, hash).unwrap_or_default();
        (cells, area)
    };
    let (mut cells, mut area) = centre(steps);

    // The estimated step may leave part of the area outside the nine cells when the centre
    // is near the edge of its cell.
    let side = |i: usize| decode(WGS84_LONG, WGS84_LAT, cells[i]).unwrap_or_default();
    let decrease_step = side(1).latitude.max < max_lat
        || side(2).latitude.min > min_lat
        || side(3).longitude.max < max_lon
        || side(4).longitude.min > min_lon;
    if steps > 1 && decrease_step {
        steps -= 1;
        (cells, area) = centre(steps);
    }

    // Cells that lie wholly outside the bounding box.
    if steps >= 2 {
        let mut remove = |idx: [usize; 3]| idx.iter().for_each(|&i| cells[i] = HashBits::default());
        if area.latitude.min < min_lat {
            remove([2, 8, 7]);
        }
        if area.latitude.max > max_lat {
            remove([1, 5, 6]);
        }
        if area.longitude.min < min_lon {
            remove([4, 8, 6]);
        }
        if area.longitude.max > max_lon {
            remove([3, 7, 5]);
        }
    }
    cells
}

/// `geohashGetLatDistance`.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// `geohashGetDistance`: the haversine great-circle distance in meters.
pub(super) fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// `geoWithinShape`: the decoded position of a score and its distance from the centre when
/// the point lies inside the shape.
pub(super) fn within_shape(shape: &Shape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = decode_score(score);
    let [x1, y1] = shape.xy;
    let [x2, y2] = xy;
    match shape.kind {
        ShapeKind::Radius(r) => {
            let d = distance(x1, y1, x2, y2);
            // Written as C's `d > radius` test, so that a NaN distance counts as inside.
            if d > r * shape.conversion {
                return None;
            }
            Some((xy, d))
        }
        ShapeKind::Box { width, height } => {
            let (width_m, height_m) = (width * shape.conversion, height * shape.conversion);
            if lat_distance(y2, y1) > height_m / 2.0 {
                return None;
            }
            if distance(x2, y2, x1, y2) > width_m / 2.0 {
                return None;
            }
            Some((xy, distance(x1, y1, x2, y2)))
        }
    }
}
