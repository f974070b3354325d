//! Unit tests for the geo searches; expected replies were taken from redis-server 7.0.15 (many
//! are the cases of Redis's own tests/unit/geo.tcl).

use meridian_types::Reply;

use super::tests::{nyc, run, run_args, sicily};
use crate::db::Keyspace;
use crate::test_util::{array, error, exists, int, SYNTAX, WRONGTYPE};

#[test]
fn georadius_sorting_count_and_any() {
    let mut ks = nyc();
    let mut q = |opts: &str| {
        run(
            &mut ks,
            &format!("georadius nyc -73.9798091 40.7598464 {opts}"),
        )
    };
    assert_eq!(
        q("3 km asc"),
        array(&["central park n/q/r", "4545", "union square"])
    );
    assert_eq!(
        q("3 km withdist asc"),
        Reply::Array(vec![
            array(&["central park n/q/r", "0.7750"]),
            array(&["4545", "2.3651"]),
            array(&["union square", "2.7697"]),
        ])
    );
    assert_eq!(
        q("10 km COUNT 3"),
        array(&["central park n/q/r", "4545", "union square"])
    );
    assert_eq!(
        q("10 km COUNT 3 ANY"),
        array(&["wtc one", "union square", "central park n/q/r"])
    );
    assert_eq!(
        q("10 km COUNT 3 ANY ASC"),
        array(&["central park n/q/r", "union square", "wtc one"])
    );
    assert_eq!(q("10 km COUNT 2 DESC"), array(&["wtc one", "q4"]));
}

#[test]
fn searches_around_a_member() {
    let mut ks = nyc();
    let around_wtc = |ks: &mut Keyspace, cmd: &str, rest: &str| {
        let mut parts = vec![cmd, "nyc"];
        parts.extend(
            ["frommember", "wtc one"]
                .iter()
                .skip(usize::from(cmd != "geosearch")),
        );
        parts.extend(rest.split(' '));
        run_args(ks, &parts)
    };
    assert_eq!(
        around_wtc(&mut ks, "georadiusbymember", "7 km withdist"),
        Reply::Array(vec![
            array(&["wtc one", "0.0000"]),
            array(&["union square", "3.2544"]),
            array(&["central park n/q/r", "6.7000"]),
            array(&["4545", "6.1975"]),
            array(&["lic market", "6.8969"]),
        ])
    );
    assert_eq!(
        around_wtc(&mut ks, "geosearch", "bybox 14 14 km"),
        array(&[
            "wtc one",
            "union square",
            "central park n/q/r",
            "4545",
            "lic market",
            "q4"
        ])
    );
}

#[test]
fn geosearch_boxes() {
    let mut ks = sicily();
    run(
        &mut ks,
        "geoadd Sicily 12.758489 38.788135 edge1 17.241510 38.788135 eage2",
    );
    assert_eq!(
        run(&mut ks, "georadius Sicily 15 37 200 km asc"),
        array(&["Catania", "Palermo"])
    );
    assert_eq!(
        run(
            &mut ks,
            "geosearch Sicily fromlonlat 15 37 bybox 400 400 km asc"
        ),
        array(&["Catania", "Palermo", "eage2", "edge1"])
    );

    // phase: a long narrow box
    run(
        &mut ks,
        "geoadd narrow 12.75 36.995 test1 12.75 36.50 test2 13.00 36.50 test3",
    );
    assert_eq!(
        run(&mut ks, "geosearch narrow fromlonlat 15 37 bybox 400 2 km"),
        array(&["test1"])
    );
    run(&mut ks, "geoadd narrow -1 37.00 test3");
    assert_eq!(
        run(
            &mut ks,
            "geosearch narrow fromlonlat 15 37 bybox 3000 2 km asc"
        ),
        array(&["test1", "test3"])
    );

    // phase: a box across the antimeridian
    run(&mut ks, "geoadd points 179.5 36 point1 -179.5 36 point2");
    let mut q = |lon: &str| {
        run(
            &mut ks,
            &format!("geosearch points fromlonlat {lon} 37 bybox 400 400 km asc"),
        )
    };
    assert_eq!(q("179"), array(&["point1", "point2"]));
    assert_eq!(q("-179"), array(&["point2", "point1"]));
}

#[test]
fn searches_near_the_poles_reach_diagonal_cells() {
    let mut ks = Keyspace::new();
    for (add, query, expect) in [
        (
            "-0.15307903289794921875 85 n1 0.3515625 85.00019260486917005437 n2",
            "n1 4891.94",
            ["n1", "n2"],
        ),
        (
            "-4.95211958885192871094 85 n1 11.25 85.0511 n2",
            "n1 156544",
            ["n1", "n2"],
        ),
        (
            "-45 65.50900022111811438208 n1 90 85.0511 n2",
            "n1 5009431",
            ["n1", "n2"],
        ),
        ("45 65 n1 -135 85.05 n2", "n1 5009431", ["n1", "n2"]),
    ] {
        run(&mut ks, "del k1");
        run(&mut ks, &format!("geoadd k1 {add}"));
        assert_eq!(
            run(&mut ks, &format!("georadiusbymember k1 {query} m")),
            array(&expect)
        );
    }
}

#[test]
fn ties_come_out_in_redis_order() {
    let mut ks = Keyspace::new();
    let same: Vec<String> = (0..12).map(|i| format!("10 20 t{i}")).collect();
    run(
        &mut ks,
        &format!("geoadd ties {} 10.001 20 near 10.01 20 far", same.join(" ")),
    );
    let mut q = |opts: &str| run(&mut ks, &format!("georadius ties 10 20 10 km {opts}"));
    // Under COUNT, Redis's partial quicksort reorders members at equal distances.
    assert_eq!(q("COUNT 5 ASC"), array(&["t0", "t1", "t10", "t11", "t2"]));
    assert_eq!(
        q("COUNT 5 DESC"),
        array(&["far", "near", "t10", "t11", "t2"])
    );
    assert_eq!(
        q("COUNT 13 DESC"),
        array(&["far", "near", "t10", "t11", "t2", "t3", "t4", "t0", "t6", "t7", "t8", "t9", "t5"])
    );
    // Without it, glibc's stable merge sort keeps them in sorted-set order.
    let all = [
        "t0", "t1", "t10", "t11", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "near", "far",
    ];
    assert_eq!(q("ASC"), array(&all));
    assert_eq!(q("COUNT 3 ANY"), array(&["t0", "t1", "t10"]));
}

#[test]
fn store_and_storedist_replace_the_destination() {
    let mut ks = sicily();
    run(&mut ks, "set d x");
    assert_eq!(
        run(&mut ks, "georadius Sicily 15 37 200 km STOREDIST d"),
        int(2)
    );
    assert_eq!(
        run(&mut ks, "zscore d Palermo"),
        Reply::Double(190.44242984775784)
    );
    assert_eq!(
        run(&mut ks, "zscore d Catania"),
        Reply::Double(56.441_257_870_158_2)
    );
    assert_eq!(
        run(
            &mut ks,
            "georadius Sicily 15 37 200 km STORE d DESC COUNT 1"
        ),
        int(1)
    );
    assert_eq!(run(&mut ks, "zrange d 0 -1"), array(&["Palermo"]));
    assert_eq!(
        run(&mut ks, "zscore d Palermo"),
        Reply::Double(3479099956230698.0)
    );
    assert_eq!(
        run(
            &mut ks,
            "geosearchstore d Sicily frommember Palermo bybox 400 400 km storedist"
        ),
        int(2)
    );
    assert_eq!(
        run(&mut ks, "zscore d Catania"),
        Reply::Double(166.27415156960032)
    );
    assert_eq!(run(&mut ks, "zscore d Palermo"), Reply::Double(0.0));

    // phase: nothing found, or no source, deletes the destination
    assert_eq!(
        run(
            &mut ks,
            "geosearchstore d Sicily fromlonlat 0 0 byradius 1 km"
        ),
        int(0)
    );
    assert!(!exists(&ks, "d"));
    run(&mut ks, "set d x");
    assert_eq!(
        run(&mut ks, "georadiusbymember none m x km STORE d"),
        int(0)
    );
    assert!(!exists(&ks, "d"));
}

#[test]
fn search_errors_in_redis_order() {
    let mut ks = sicily();
    let mut q = |cmd: &str| run(&mut ks, cmd);
    let with = "is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
    let cases = [
        (
            "georadius Sicily 15 37 -1 km",
            "ERR radius cannot be negative".to_string(),
        ),
        (
            "georadius Sicily 15 37 x km",
            "ERR need numeric radius".into(),
        ),
        ("georadius Sicily 15 37 1 km COUNT", SYNTAX.into()),
        (
            "georadius Sicily 15 37 1 km COUNT 0",
            "ERR COUNT must be > 0".into(),
        ),
        (
            "georadius Sicily 15 37 1 km ANY",
            "ERR the ANY argument requires COUNT argument".into(),
        ),
        ("georadius Sicily 15 37 1 km STORE", SYNTAX.into()),
        ("georadius_ro Sicily 15 37 1 km STORE x", SYNTAX.into()),
        (
            "georadius Sicily 15 37 1 km STORE x WITHHASH",
            format!("ERR STORE option in GEORADIUS {with}"),
        ),
        (
            "georadiusbymember Sicily nope x km",
            "ERR could not decode requested zset member".into(),
        ),
        (
            "geosearch Sicily frommember nope bogus x y",
            "ERR could not decode requested zset member".into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 frommember Palermo byradius 1 km",
            SYNTAX.into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 byradius 1 km bybox 1 1 km",
            SYNTAX.into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 bybox 1 -1 km",
            "ERR height or width cannot be negative".into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 bybox 1 x km",
            "ERR need numeric height".into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 byradius 1 km storedist",
            SYNTAX.into(),
        ),
        (
            "GeoSearch Sicily bybox 1 1 km asc",
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch".into(),
        ),
        (
            "geosearch Sicily fromlonlat 15 37 asc desc",
            "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch".into(),
        ),
        (
            "geosearchstore d Sicily fromlonlat 15 37 byradius 1 km withdist",
            format!("ERR GEOSEARCHSTORE {with}"),
        ),
        (
            "geosearch Sicily fromlonlat 181 -86 byradius 1 km",
            "ERR invalid longitude,latitude pair 181.000000,-86.000000".into(),
        ),
    ];
    for (cmd, expected) in cases {
        assert_eq!(q(cmd), error(&expected), "{cmd}");
    }
}

#[test]
fn a_missing_source_gives_an_empty_reply_after_the_option_checks() {
    let mut ks = Keyspace::new();
    run(&mut ks, "set str x");
    assert_eq!(
        run(&mut ks, "georadius none 1 2 3 km"),
        Reply::Array(vec![])
    );
    // Without a source there is no member to look up, and its radius is not even parsed.
    assert_eq!(
        run(&mut ks, "georadiusbymember none m x km"),
        Reply::Array(vec![])
    );
    assert_eq!(
        run(&mut ks, "geosearch none frommember x byradius 1 km"),
        Reply::Array(vec![])
    );
    assert_eq!(
        run(&mut ks, "geosearch none frommember x byradius -1 km"),
        error("ERR radius cannot be negative")
    );
    assert_eq!(
        run(&mut ks, "geosearch str frommember x byradius 1 km"),
        error(WRONGTYPE)
    );
    assert_eq!(run(&mut ks, "georadius none 1 2 3 km STORE str"), int(0));
    assert!(!exists(&ks, "str"));
}
