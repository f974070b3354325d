//! Unit tests for the geo commands; expected replies were taken from redis-server 7.0.15 (many
//! are the cases of Redis's own tests/unit/geo.tcl).

use meridian_types::Reply;

use super::sort::{cmp_dist, pqsort, qsort};
use super::{fmt_distance, COMMANDS};
use crate::db::Keyspace;
use crate::test_util::{argv, array, bulk, error, exists, int, words, SYNTAX, WRONGTYPE};

pub(super) fn run(ks: &mut Keyspace, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), 1_000, 1)
}

/// For arguments with spaces (member names of the nyc set).
pub(super) fn run_args(ks: &mut Keyspace, parts: &[&str]) -> Reply {
    ks.execute_write(&argv(parts), 1_000, 1)
}

fn coords(lon: &str, lat: &str) -> Reply {
    Reply::Array(vec![
        Reply::HumanDouble(lon.into()),
        Reply::HumanDouble(lat.into()),
    ])
}

pub(super) fn sicily() -> Keyspace {
    let mut ks = Keyspace::new();
    run(
        &mut ks,
        "geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    );
    ks
}

pub(super) fn nyc() -> Keyspace {
    let mut ks = Keyspace::new();
    let mut cmd = vec!["geoadd", "nyc", "-73.9454966", "40.747533", "lic market"];
    cmd.extend([
        "-73.9733487",
        "40.7648057",
        "central park n/q/r",
        "-73.9903085",
        "40.7362513",
        "union square",
        "-74.0131604",
        "40.7126674",
        "wtc one",
        "-73.7858139",
        "40.6428986",
        "jfk",
        "-73.9375699",
        "40.7498929",
        "q4",
        "-73.9564142",
        "40.7480973",
        "4545",
    ]);
    assert_eq!(run_args(&mut ks, &cmd), int(7));
    ks
}

#[test]
fn geoadd_stores_the_52_bit_geohash_as_the_score() {
    let mut ks = nyc();
    for (member, score) in [
        ("wtc one", 1791873972053020.0),
        ("lic market", 1791875804419201.0),
        ("jfk", 1791895905559723.0),
        ("4545", 1791875796750882.0),
    ] {
        assert_eq!(
            run_args(&mut ks, &["zscore", "nyc", member]),
            Reply::Double(score)
        );
    }
}

#[test]
fn geoadd_options_are_zadd_options() {
    let mut ks = Keyspace::new();
    let lic = |opts: &[&'static str], lon: &'static str, lat: &'static str| {
        let mut cmd = vec!["geoadd", "nyc"];
        cmd.extend(opts);
        cmd.extend([lon, lat, "lic market"]);
        cmd
    };
    assert_eq!(
        run_args(&mut ks, &lic(&[], "-73.9454966", "40.747533")),
        int(1)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&[], "-73.9454966", "40.747533")),
        int(0)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&["CH"], "40.747533", "-73.9454966")),
        int(1)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&["NX"], "-73.9454966", "40.747533")),
        int(0)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&["XX"], "-83.9454966", "40.747533")),
        int(0)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&["CH", "NX"], "-73.9454966", "40.747533")),
        int(0)
    );
    assert_eq!(
        run_args(&mut ks, &lic(&["CH", "XX"], "-73.9454966", "40.747533")),
        int(1)
    );
    assert_eq!(run(&mut ks, "geoadd new xx 1 2 a"), int(0));
    assert!(!exists(&ks, "new"));
}

#[test]
fn geoadd_errors_come_before_the_type_check() {
    let mut ks = sicily();
    run(&mut ks, "set str x");
    assert_eq!(run(&mut ks, "geoadd Sicily xx nx 1 2 a"), error(SYNTAX));
    assert_eq!(run(&mut ks, "geoadd Sicily ch xx foo 1 2 a"), error(SYNTAX));
    assert_eq!(run(&mut ks, "geoadd Sicily ch ch ch"), error(SYNTAX));
    assert_eq!(
        run(&mut ks, "geoadd str 1 2 a foo bar b"),
        error("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut ks, "geoadd str 200 100 x"),
        error("ERR invalid longitude,latitude pair 200.000000,100.000000")
    );
    assert_eq!(
        run(&mut ks, "geoadd Sicily -200.5 1 x"),
        error("ERR invalid longitude,latitude pair -200.500000,1.000000")
    );
    assert_eq!(run(&mut ks, "geoadd str 1 2 a"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "zcard Sicily"), int(2));
}

#[test]
fn geopos_geohash_and_geodist() {
    let mut ks = sicily();
    assert_eq!(
        run(&mut ks, "geopos Sicily Palermo nope Catania"),
        Reply::Array(vec![
            coords("13.36138933897018433", "38.11555639549629859"),
            Reply::NilArray,
            coords("15.08726745843887329", "37.50266842333162032"),
        ])
    );
    assert_eq!(
        run(&mut ks, "geohash Sicily Palermo Catania nope"),
        Reply::Array(vec![bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), Reply::Nil])
    );
    for (unit, d) in [
        ("", "166274.1516"),
        (" km", "166.2742"),
        (" mi", "103.3182"),
        (" FT", "545518.8700"),
    ] {
        assert_eq!(
            run(&mut ks, &format!("geodist Sicily Palermo Catania{unit}")),
            bulk(d)
        );
    }
    assert_eq!(
        run(&mut ks, "geodist Sicily Palermo Palermo"),
        bulk("0.0000")
    );
    assert_eq!(run(&mut ks, "geodist Sicily Palermo nope"), Reply::Nil);
    assert_eq!(run(&mut ks, "geodist none Palermo Catania"), Reply::Nil);
    assert_eq!(
        run(&mut ks, "geopos none a b"),
        Reply::Array(vec![Reply::NilArray; 2])
    );
    assert_eq!(
        run(&mut ks, "geohash none a"),
        Reply::Array(vec![Reply::Nil])
    );

    // phase: the unit and the argument count are checked before the key
    run(&mut ks, "set str x");
    let unit = "ERR unsupported unit provided. please use M, KM, FT, MI";
    assert_eq!(run(&mut ks, "geodist str a b yd"), error(unit));
    assert_eq!(run(&mut ks, "geodist str a b km x"), error(SYNTAX));
    assert_eq!(run(&mut ks, "geodist str a b"), error(WRONGTYPE));
    assert_eq!(run(&mut ks, "geopos str a"), error(WRONGTYPE));
}

#[test]
fn geohash_is_the_standard_one() {
    let mut ks = Keyspace::new();
    run(&mut ks, "geoadd points -5.6 42.6 test");
    assert_eq!(run(&mut ks, "geohash points test"), array(&["ezs42e44yx0"]));
}

#[test]
fn scores_not_written_by_geoadd_decode_as_redis_does() {
    let mut ks = Keyspace::new();
    run(&mut ks, "zadd w -1.5 neg 1e30 big");
    assert_eq!(
        run(&mut ks, "geopos w neg big"),
        Reply::Array(vec![
            coords("180", "85.0511287799999991"),
            coords("-179.99999731779098511", "-85.05112751263942528"),
        ])
    );
    assert_eq!(
        run(&mut ks, "geohash w neg big"),
        array(&["bp05b5048p0", "00bh0hbj200"])
    );
}

#[test]
fn distances_print_with_four_rounded_decimals() {
    assert_eq!(fmt_distance(0.0), "0.0000");
    assert_eq!(fmt_distance(166.27415156960032), "166.2742");
    assert_eq!(fmt_distance(56.441_257_870_158_2), "56.4413");
    let mut ks = Keyspace::new();
    run(
        &mut ks,
        "geoadd sm -122.407107 37.794300 1 -122.227336 37.794300 2",
    );
    assert_eq!(
        run(
            &mut ks,
            "georadius sm -122.407107 37.794300 30 mi ASC WITHDIST"
        ),
        Reply::Array(vec![array(&["1", "0.0001"]), array(&["2", "9.8182"])])
    );
}

#[test]
fn partial_sort_orders_the_wanted_ranks() {
    let cmp = |a: &f64, b: &f64| cmp_dist(*a, *b);
    let data: Vec<f64> = (0..200u64).map(|i| ((i * 7919) % 61) as f64).collect();
    let mut sorted = data.clone();
    qsort(&mut sorted, &cmp);
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    for k in [1, 5, 40, 199] {
        let mut v = data.clone();
        pqsort(&mut v, &cmp, 0, k - 1);
        assert_eq!(v[..k], sorted[..k], "k = {k}");
    }
}

#[test]
fn command_table_matches_command_info() {
    let info: Vec<(&str, i32, &[&str], i32)> = vec![
        ("geoadd", -5, &["write", "denyoom"], 1),
        ("geodist", -4, &["readonly"], 1),
        ("geohash", -2, &["readonly"], 1),
        ("geopos", -2, &["readonly"], 1),
        ("georadius", -6, &["write", "denyoom", "movablekeys"], 1),
        (
            "georadiusbymember",
            -5,
            &["write", "denyoom", "movablekeys"],
            1,
        ),
        ("georadius_ro", -6, &["readonly"], 1),
        ("georadiusbymember_ro", -5, &["readonly"], 1),
        ("geosearch", -7, &["readonly"], 1),
        ("geosearchstore", -8, &["write", "denyoom"], 2),
    ];
    assert_eq!(COMMANDS.len(), info.len());
    for (def, (name, arity, flags, last)) in COMMANDS.iter().zip(info) {
        assert_eq!(
            (def.name, def.arity, def.flags, def.last_key),
            (name, arity, flags, last)
        );
        assert_eq!((def.first_key, def.step), (1, 1));
        assert_eq!(def.is_write(), flags[0] == "write", "{name}");
    }
}
