//! Databases and the commands that span them; expected replies taken from redis-server 7.0.15.

use bytes::Bytes;
use meridian_types::Reply;

use super::*;
use crate::cmd_db::db_index_error;
use crate::test_util::{argv, bulk, error, int, ok};

const NOW: u64 = 1_000;

/// Runs `cmd` as a committed write in `*db`.
fn run(dbs: &mut Databases, db: &mut u32, cmd: &[&str]) -> Reply {
    dbs.execute_write(db, &argv(cmd), NOW, 7)
}

/// Runs `cmd` in database `db` (which it may not change).
fn at(dbs: &mut Databases, db: u32, cmd: &[&str]) -> Reply {
    run(dbs, &mut { db }, cmd)
}

#[test]
fn each_database_holds_its_own_keys() {
    let mut dbs = Databases::new();
    assert_eq!(at(&mut dbs, 0, &["SET", "k", "zero"]), ok());
    assert_eq!(at(&mut dbs, 5, &["SET", "k", "five"]), ok());
    assert_eq!(at(&mut dbs, 0, &["GET", "k"]), bulk("zero"));
    assert_eq!(
        dbs.execute_read(5, &argv(&["GET", "k"]), NOW, 0),
        bulk("five")
    );
    assert_eq!(
        dbs.execute_read(9, &argv(&["GET", "k"]), NOW, 0),
        Reply::Nil
    );
    assert_eq!(at(&mut dbs, 5, &["DBSIZE"]), int(1));
    assert_eq!(dbs.len(), 2);
    let held: Vec<u32> = dbs.non_empty().map(|(id, _)| id).collect();
    assert_eq!(held, [0, 5]);
    assert_eq!(at(&mut dbs, 5, &["FLUSHDB"]), ok());
    assert_eq!(
        at(&mut dbs, 0, &["GET", "k"]),
        bulk("zero"),
        "FLUSHDB is per database"
    );
    assert_eq!(at(&mut dbs, 3, &["SET", "a", "1"]), ok());
    assert_eq!(at(&mut dbs, 3, &["FLUSHALL"]), ok());
    assert!(dbs.is_empty());
    assert_eq!(
        at(&mut dbs, 0, &["FLUSHALL", "foo"]),
        error("ERR syntax error")
    );
}

#[test]
fn select_inside_an_entry_moves_the_commands_after_it() {
    let mut dbs = Databases::new();
    let mut db = 0;
    assert_eq!(run(&mut dbs, &mut db, &["SET", "k", "a"]), ok());
    assert_eq!(run(&mut dbs, &mut db, &["SELECT", "2"]), ok());
    assert_eq!(db, 2);
    assert_eq!(run(&mut dbs, &mut db, &["SET", "k", "b"]), ok());
    assert_eq!(dbs.db(0).len() + dbs.db(2).len(), 2);
    assert_eq!(
        run(&mut dbs, &mut db, &["SELECT", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(db, 2, "a failed SELECT stays where it was");
    let reads = dbs.execute_reads(
        0,
        &[
            argv(&["GET", "k"]),
            argv(&["SELECT", "2"]),
            argv(&["GET", "k"]),
        ],
        NOW,
    );
    assert_eq!(reads, [bulk("a"), ok(), bulk("b")]);
}

#[test]
fn move_command() {
    let mut dbs = Databases::new();
    at(&mut dbs, 0, &["SET", "a", "1"]);
    at(&mut dbs, 0, &["PEXPIRE", "a", "3000"]);
    at(&mut dbs, 1, &["SET", "b", "x"]);
    at(&mut dbs, 0, &["SET", "b", "y"]);
    assert_eq!(
        at(&mut dbs, 0, &["MOVE", "a", "0"]),
        error("ERR source and destination objects are the same")
    );
    assert_eq!(
        at(&mut dbs, 0, &["MOVE", "a", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        at(&mut dbs, 0, &["MOVE", "a", "2147483648"]),
        error("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(
        at(&mut dbs, 0, &["MOVE", "a", "-1"]),
        error("ERR DB index is out of range")
    );
    assert_eq!(at(&mut dbs, 0, &["MOVE", "nokey", "1"]), int(0));
    assert_eq!(
        at(&mut dbs, 0, &["MOVE", "b", "1"]),
        int(0),
        "the target holds the key"
    );
    assert_eq!(at(&mut dbs, 0, &["MOVE", "a", "1"]), int(1));
    assert_eq!(at(&mut dbs, 0, &["EXISTS", "a"]), int(0));
    assert_eq!(at(&mut dbs, 1, &["GET", "a"]), bulk("1"));
    assert_eq!(
        at(&mut dbs, 1, &["PTTL", "a"]),
        int(3000),
        "the TTL moves with the key"
    );
}

#[test]
fn swapdb_exchanges_contents_and_touches_watched_keys() {
    let mut dbs = Databases::new();
    at(&mut dbs, 0, &["SET", "k", "zero"]);
    at(&mut dbs, 1, &["SET", "k", "one"]);
    at(&mut dbs, 1, &["SET", "only1", "x"]);
    let key = Bytes::from_static(b"k");
    let before = (dbs.digest(0, &key, NOW), dbs.digest(1, &key, NOW));
    assert_eq!(at(&mut dbs, 0, &["SWAPDB", "0", "1"]), ok());
    assert_eq!(at(&mut dbs, 0, &["GET", "k"]), bulk("one"));
    assert_eq!(at(&mut dbs, 1, &["GET", "k"]), bulk("zero"));
    assert_eq!(at(&mut dbs, 0, &["DBSIZE"]), int(2));
    assert_ne!(dbs.digest(0, &key, NOW), before.0);
    assert_ne!(dbs.digest(1, &key, NOW), before.1);
    assert_eq!(at(&mut dbs, 0, &["SWAPDB", "3", "3"]), ok());
    assert_eq!(
        at(&mut dbs, 0, &["SWAPDB", "x", "0"]),
        error("ERR invalid first DB index")
    );
    assert_eq!(
        at(&mut dbs, 0, &["SWAPDB", "0", "2147483648"]),
        error("ERR invalid second DB index")
    );
    assert_eq!(
        at(&mut dbs, 0, &["SWAPDB", "0", "-1"]),
        error("ERR DB index is out of range")
    );
    assert_eq!(
        at(&mut dbs, 0, &["SWAPDB", "0", "70000"]),
        error("ERR DB index is out of range")
    );
}

#[test]
fn copy_command() {
    let mut dbs = Databases::new();
    let ks = &mut dbs;
    at(ks, 0, &["SET", "a", "1"]);
    at(ks, 0, &["SET", "b", "2"]);
    at(ks, 0, &["PEXPIRE", "a", "3000"]);
    assert_eq!(
        at(ks, 0, &["COPY", "a", "a"]),
        error("ERR source and destination objects are the same")
    );
    assert_eq!(at(ks, 0, &["COPY", "nokey", "x"]), int(0));
    assert_eq!(at(ks, 0, &["COPY", "a", "b"]), int(0));
    assert_eq!(at(ks, 0, &["COPY", "a", "b", "REPLACE"]), int(1));
    assert_eq!(at(ks, 0, &["GET", "b"]), bulk("1"));
    assert_eq!(at(ks, 0, &["PTTL", "b"]), int(3000));
    assert_eq!(at(ks, 0, &["COPY", "a", "c", "db", "0"]), int(1));
    assert_eq!(
        at(ks, 0, &["COPY", "a", "a", "db", "1"]),
        int(1),
        "same name, other database"
    );
    assert_eq!(at(ks, 1, &["PTTL", "a"]), int(3000));
    assert_eq!(
        at(ks, 0, &["COPY", "a", "d", "DB", "4294967296"]),
        error("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(
        at(ks, 0, &["COPY", "a", "d", "DB", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        at(ks, 0, &["COPY", "a", "d", "DB", "0", "DB"]),
        error("ERR syntax error")
    );
    assert_eq!(
        at(ks, 0, &["COPY", "a", "d", "replace", "foo"]),
        error("ERR syntax error")
    );
    // A copy of a collection is independent of the source.
    at(ks, 0, &["RPUSH", "l", "x"]);
    assert_eq!(at(ks, 0, &["COPY", "l", "l2"]), int(1));
    at(ks, 0, &["RPUSH", "l", "y"]);
    assert_eq!(at(ks, 0, &["LLEN", "l2"]), int(1));
    assert_eq!(at(ks, 0, &["EXISTS", "d"]), int(0));
}

#[test]
fn the_edge_checks_indexes_against_its_setting_in_redis_order() {
    let check = |cmd: &[&str]| db_index_error(&argv(cmd), 16);
    let range = Some(error("ERR DB index is out of range"));
    assert_eq!(check(&["SELECT", "15"]), None);
    assert_eq!(check(&["SELECT", "16"]), range);
    assert_eq!(check(&["select", "-1"]), range);
    assert_eq!(
        check(&["SELECT", "x"]),
        Some(error("ERR value is not an integer or out of range"))
    );
    assert_eq!(check(&["MOVE", "k", "16"]), range);
    assert_eq!(check(&["MOVE", "k", "3"]), None);
    assert_eq!(
        check(&["SWAPDB", "16", "x"]),
        Some(error("ERR invalid second DB index"))
    );
    assert_eq!(check(&["SWAPDB", "16", "0"]), range);
    assert_eq!(check(&["COPY", "a", "b", "DB", "20"]), range);
    assert_eq!(
        check(&["COPY", "a", "b", "FOO", "DB", "20"]),
        None,
        "the syntax error comes first"
    );
    assert_eq!(check(&["GET", "k"]), None);
}

#[test]
fn snapshots_and_sync_images_keep_every_database() {
    let mut dbs = Databases::new();
    at(&mut dbs, 0, &["SET", "a", "1"]);
    at(&mut dbs, 7, &["HSET", "h", "f", "v"]);
    at(&mut dbs, 7, &["PEXPIRE", "h", "5000"]);
    at(&mut dbs, 9, &["SET", "gone", "x"]);
    at(&mut dbs, 9, &["FLUSHDB"]);
    let mut bytes = Vec::new();
    dbs.write_snapshot(&mut bytes).expect("write");
    let back = Databases::read_snapshot(&bytes[..]).expect("read");
    assert_eq!(back, dbs);
    assert_eq!(
        back.execute_read(7, &argv(&["PTTL", "h"]), NOW, 0),
        int(5000)
    );

    let records: Vec<_> = dbs.clone().into_raw_entries().collect();
    let mut image = Databases::new();
    image
        .import_chunk(&crate::encode_chunk(&records).expect("encode"))
        .expect("import");
    let mut replica = Databases::new();
    at(&mut replica, 3, &["SET", "stale", "x"]);
    at(&mut replica, 7, &["SET", "stale", "x"]);
    replica.adopt(image);
    assert_eq!(replica, dbs, "the image replaces every database");
}

#[test]
fn active_expiry_names_the_database() {
    let mut dbs = Databases::new();
    at(&mut dbs, 2, &["SET", "k", "v", "PX", "10"]);
    at(&mut dbs, 4, &["SET", "k", "v", "PX", "10"]);
    let due = dbs.expired_keys(NOW + 20, 10);
    assert_eq!(
        due,
        [(2, Bytes::from_static(b"k")), (4, Bytes::from_static(b"k"))]
    );
    assert_eq!(dbs.expired_keys(NOW + 20, 1).len(), 1);
    assert!(dbs.expire_if_due(4, &Bytes::from_static(b"k"), NOW + 20));
    assert!(!dbs.expire_if_due(8, &Bytes::from_static(b"k"), NOW + 20));
    assert_eq!(dbs.db(2).len(), 1);
}
