//! Stream behaviours that depend on the clock (`now_ms` of the log entry): generated ids,
//! delivery times, idle times, IDLE/TIME of XCLAIM, and the server's blocking interface.
//! Reply shapes were checked against redis-server 7.0.15; the times are the ones `now_ms`
//! makes them.

use bytes::Bytes;
use meridian_types::Reply;

use super::tests::run;
use super::{stream_block_spec, stream_retry_argv, StreamBlockSpec, StreamWake};
use crate::databases::Databases;
use crate::db::Keyspace;
use crate::test_util::{array, bulk, error, int, words};

fn entry(id: &str, fields: &[&str]) -> Reply {
    Reply::Array(vec![bulk(id), array(fields)])
}

fn map(fields: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(fields.into_iter().map(|(k, v)| (bulk(k), v)).collect())
}

#[test]
fn generated_ids_follow_the_entry_clock_and_never_go_back() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, 1000, "xadd s * a 1"), bulk("1000-0"));
    assert_eq!(run(&mut ks, 1000, "xadd s * a 2"), bulk("1000-1"));
    // phase: the clock behind the last id: the sequence moves on
    assert_eq!(run(&mut ks, 900, "xadd s * a 3"), bulk("1000-2"));
    assert_eq!(run(&mut ks, 1001, "xadd s * a 4"), bulk("1001-0"));
    // phase: <ms>-* in the past is refused, in the present continues the sequence
    assert_eq!(
        run(&mut ks, 2000, "xadd s 1000-* a 5"),
        error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(run(&mut ks, 2000, "xadd s 1001-* a 5"), bulk("1001-1"));
    assert_eq!(run(&mut ks, 2000, "xadd s 3000-* a 6"), bulk("3000-0"));
    // phase: the same entries on a replica give the same ids
    let mut replica = Keyspace::new();
    for (now, cmd) in [
        (1000, "xadd s * a 1"),
        (1000, "xadd s * a 2"),
        (900, "xadd s * a 3"),
    ] {
        run(&mut replica, now, cmd);
    }
    assert_eq!(
        run(&mut replica, 0, "xrange s - +"),
        run(&mut ks, 0, "xrange s - 1000")
    );
}

#[test]
fn approximate_trimming_removes_whole_nodes_of_100_entries() {
    let mut ks = Keyspace::new();
    for i in 1..=250 {
        run(&mut ks, 0, &format!("xadd s {i}-1 a 1"));
    }
    // Redis 7.0.15: radix-tree-keys 3 radix-tree-nodes 8 for these 250 entries.
    let info = run(&mut ks, 0, "xinfo stream s");
    let Reply::Map(fields) = info else {
        panic!("{info:?}")
    };
    assert_eq!(fields[1], (bulk("radix-tree-keys"), int(3)));
    assert_eq!(fields[2], (bulk("radix-tree-nodes"), int(8)));
    // phase: ~ keeps a node that is needed to reach the length
    assert_eq!(run(&mut ks, 0, "xtrim s maxlen ~ 120"), int(100));
    assert_eq!(run(&mut ks, 0, "xlen s"), int(150));
    assert_eq!(run(&mut ks, 0, "xtrim s maxlen ~ 120 limit 10"), int(0));
    // phase: = trims exactly, marking entries of the first node deleted
    assert_eq!(run(&mut ks, 0, "xtrim s maxlen = 120"), int(30));
    assert_eq!(
        run(&mut ks, 0, "xrange s - + count 1"),
        Reply::Array(vec![entry("131-1", &["a", "1"])])
    );
    // phase: MINID ~ removes the nodes wholly below the id
    assert_eq!(run(&mut ks, 0, "xtrim s minid ~ 240"), int(70));
    assert_eq!(run(&mut ks, 0, "xlen s"), int(50));
}

#[test]
fn xreadgroup_records_deliveries_at_the_entry_clock() {
    let mut ks = Keyspace::new();
    run(&mut ks, 0, "xadd s 1-0 a 1");
    run(&mut ks, 0, "xadd s 2-0 b 2");
    run(&mut ks, 0, "xgroup create s g 0");
    let read = run(&mut ks, 5000, "xreadgroup group g alice streams s >");
    let entries = Reply::Array(vec![entry("1-0", &["a", "1"]), entry("2-0", &["b", "2"])]);
    assert_eq!(read, Reply::MapOrPairs(vec![(bulk("s"), entries)]));
    let pending = |id: &str, who: &str, idle: i64, count: i64| {
        Reply::Array(vec![bulk(id), bulk(who), int(idle), int(count)])
    };
    assert_eq!(
        run(&mut ks, 5250, "xpending s g - + 10"),
        Reply::Array(vec![
            pending("1-0", "alice", 250, 1),
            pending("2-0", "alice", 250, 1)
        ])
    );
    // phase: IDLE filters by the time since delivery; history reads count as deliveries
    run(
        &mut ks,
        6000,
        "xreadgroup group g alice count 1 streams s 0",
    );
    assert_eq!(
        run(&mut ks, 6100, "xpending s g idle 500 - + 10"),
        Reply::Array(vec![pending("2-0", "alice", 1100, 1)])
    );
    assert_eq!(
        run(&mut ks, 6100, "xpending s g - + 10 alice"),
        Reply::Array(vec![
            pending("1-0", "alice", 100, 2),
            pending("2-0", "alice", 1100, 1)
        ])
    );
    // phase: consumers' idle is the time since they were last seen
    run(&mut ks, 6500, "xgroup createconsumer s g bob");
    let consumer = |name: &str, pending: i64, idle: i64| {
        map(vec![
            ("name", bulk(name)),
            ("pending", int(pending)),
            ("idle", int(idle)),
        ])
    };
    assert_eq!(
        run(&mut ks, 7000, "xinfo consumers s g"),
        Reply::Array(vec![consumer("alice", 2, 1000), consumer("bob", 0, 500)])
    );
}

#[test]
fn xclaim_moves_entries_by_idle_time_and_sets_times() {
    let mut ks = Keyspace::new();
    run(&mut ks, 0, "xadd s 1-0 a 1");
    run(&mut ks, 0, "xadd s 2-0 b 2");
    run(&mut ks, 0, "xgroup create s g 0");
    run(&mut ks, 1000, "xreadgroup group g alice streams s >");
    // phase: not idle long enough: nothing claimed
    assert_eq!(
        run(&mut ks, 1500, "xclaim s g bob 600 1-0"),
        Reply::Array(vec![])
    );
    assert_eq!(
        run(&mut ks, 1700, "xclaim s g bob 600 1-0"),
        Reply::Array(vec![entry("1-0", &["a", "1"])])
    );
    // phase: IDLE sets the delivery time back, RETRYCOUNT the count, JUSTID keeps the count
    run(&mut ks, 2000, "xclaim s g bob 0 2-0 idle 300 retrycount 7");
    run(&mut ks, 2000, "xclaim s g carol 0 1-0 justid");
    let row = |id: &str, who: &str, idle: i64, count: i64| {
        Reply::Array(vec![bulk(id), bulk(who), int(idle), int(count)])
    };
    assert_eq!(
        run(&mut ks, 2100, "xpending s g - + 10"),
        Reply::Array(vec![row("1-0", "carol", 100, 2), row("2-0", "bob", 400, 7)])
    );
    // phase: TIME in the future or negative means now
    run(&mut ks, 3000, "xclaim s g bob 0 1-0 time 999999");
    assert_eq!(
        run(&mut ks, 3000, "xpending s g - 1-0 1"),
        Reply::Array(vec![row("1-0", "bob", 0, 3)])
    );
    run(&mut ks, 3000, "xclaim s g bob 0 1-0 time 2500");
    assert_eq!(
        run(&mut ks, 3000, "xpending s g - 1-0 1"),
        Reply::Array(vec![row("1-0", "bob", 500, 4)])
    );
}

#[test]
fn xinfo_full_reports_times_and_counts() {
    let mut ks = Keyspace::new();
    run(&mut ks, 0, "xadd s 1-0 a 1");
    run(&mut ks, 0, "xgroup create s g 0");
    run(&mut ks, 4000, "xreadgroup group g alice streams s >");
    let Reply::Map(fields) = run(&mut ks, 9000, "xinfo stream s full") else {
        panic!("not a map")
    };
    let groups = fields.last().map(|(_, v)| v.clone());
    let consumer = map(vec![
        ("name", bulk("alice")),
        ("seen-time", int(4000)),
        ("pel-count", int(1)),
        (
            "pending",
            Reply::Array(vec![Reply::Array(vec![bulk("1-0"), int(4000), int(1)])]),
        ),
    ]);
    let group = map(vec![
        ("name", bulk("g")),
        ("last-delivered-id", bulk("1-0")),
        ("entries-read", int(1)),
        ("lag", int(0)),
        ("pel-count", int(1)),
        (
            "pending",
            Reply::Array(vec![Reply::Array(vec![
                bulk("1-0"),
                bulk("alice"),
                int(4000),
                int(1),
            ])]),
        ),
        ("consumers", Reply::Array(vec![consumer])),
    ]);
    assert_eq!(groups, Some(Reply::Array(vec![group])));
}

#[test]
fn streams_survive_a_snapshot_round_trip_and_copy() {
    let mut ks = Keyspace::new();
    run(&mut ks, 0, "xadd s 1-0 a 1");
    run(&mut ks, 0, "xgroup create s g 0");
    run(&mut ks, 10, "xreadgroup group g alice streams s >");
    let value = ks.get_value(&Bytes::from_static(b"s"), 0).cloned();
    let encoded = bincode::serialize(&value).expect("encode");
    let decoded: Option<crate::value::Value> = bincode::deserialize(&encoded).expect("decode");
    assert_eq!(decoded, value);
    // phase: COPY clones the whole stream, groups included
    let mut dbs = Databases::new();
    *dbs.db_mut(0) = ks;
    let mut db = 0;
    assert_eq!(dbs.execute_write(&mut db, &words("copy s t"), 0, 1), int(1));
    run(dbs.db_mut(0), 20, "xack s g 1-0");
    let pending = |dbs: &Databases, key: &str| {
        dbs.db(0)
            .execute_read(&words(&format!("xpending {key} g")), 0, 1)
    };
    assert_eq!(
        pending(&dbs, "t").clone(),
        run(&mut ks_with_pending(), 0, "xpending s g")
    );
    assert_eq!(
        pending(&dbs, "s"),
        Reply::Array(vec![int(0), Reply::Nil, Reply::Nil, Reply::NilArray])
    );
}

/// A stream `s` with entry 1-0 pending for alice in group g.
fn ks_with_pending() -> Keyspace {
    let mut ks = Keyspace::new();
    run(&mut ks, 0, "xadd s 1-0 a 1");
    run(&mut ks, 0, "xgroup create s g 0");
    run(&mut ks, 10, "xreadgroup group g alice streams s >");
    ks
}

#[test]
fn block_spec_names_keys_timeout_and_group() {
    let spec = |keys: &str, timeout_ms, group: Option<(&str, &str)>| StreamBlockSpec {
        keys: words(keys),
        timeout_ms,
        group: group.map(|(g, c)| {
            (
                Bytes::copy_from_slice(g.as_bytes()),
                Bytes::copy_from_slice(c.as_bytes()),
            )
        }),
    };
    assert_eq!(
        stream_block_spec(&words("xread block 1500 count 2 streams a b $ 0")),
        Some(Ok(spec("a b", 1500, None)))
    );
    assert_eq!(
        stream_block_spec(&words("XREADGROUP GROUP g c BLOCK 0 NOACK STREAMS a >")),
        Some(Ok(spec("a", 0, Some(("g", "c")))))
    );
    assert_eq!(stream_block_spec(&words("xread streams a 0")), None);
    assert_eq!(stream_block_spec(&words("blpop a 0")), None);
    for (cmd, text) in [
        ("xread block -1 streams a 0", "ERR timeout is negative"),
        ("xread block x streams a 0", "ERR timeout is not an integer or out of range"),
        ("xread block 1", "ERR wrong number of arguments for 'xread' command"),
        ("xread block 1 streams a b 0", "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
        ("xreadgroup block 1 streams a >", "ERR wrong number of arguments for 'xreadgroup' command"),
        ("xreadgroup block 1 count 1 streams a >", "ERR Missing GROUP option for XREADGROUP"),
    ] {
        assert_eq!(stream_block_spec(&words(cmd)), Some(Err(error(text))), "{cmd}");
    }
}

#[test]
fn a_blocked_xread_resolves_dollar_when_it_blocks_and_is_served_by_one_key() {
    let mut dbs = Databases::new();
    let w = |dbs: &mut Databases, cmd: &str| dbs.db_mut(0).execute_write(&words(cmd), 0, 1);
    w(&mut dbs, "xadd a 1-0 f 1");
    let argv = words("xread block 0 streams a b $ $");
    assert_eq!(dbs.db(0).execute_read(&argv, 0, 1), Reply::NilArray);
    let blocked = dbs.stream_block_argv(0, &argv, 0);
    assert_eq!(blocked, words("xread block 0 streams a b 1-0 0-0"));
    assert_eq!(
        dbs.stream_block_wake(0, &blocked, b"a", 0),
        StreamWake::Wait
    );
    // phase: a new entry on b makes b ready; the retry serves b alone, COUNT 1000
    w(&mut dbs, "xadd b 5-0 g 5");
    assert_eq!(
        dbs.stream_block_wake(0, &blocked, b"b", 0),
        StreamWake::Serve
    );
    assert_eq!(
        dbs.stream_block_wake(0, &blocked, b"a", 0),
        StreamWake::Wait
    );
    let retry = stream_retry_argv(&blocked, b"b");
    assert_eq!(retry, words("xread COUNT 1000 STREAMS b 0-0"));
    assert_eq!(
        dbs.db(0).execute_read(&retry, 0, 1),
        Reply::MapOrPairs(vec![(
            bulk("b"),
            Reply::Array(vec![entry("5-0", &["g", "5"])])
        )])
    );
    // phase: a deleted key keeps an XREAD client waiting
    w(&mut dbs, "del b");
    assert_eq!(
        dbs.stream_block_wake(0, &blocked, b"b", 0),
        StreamWake::Wait
    );
}

#[test]
fn a_blocked_xreadgroup_waits_for_new_entries_or_its_group_to_vanish() {
    let mut dbs = Databases::new();
    let w = |dbs: &mut Databases, cmd: &str| dbs.db_mut(0).execute_write(&words(cmd), 0, 1);
    w(&mut dbs, "xgroup create s g $ mkstream");
    let argv = words("xreadgroup group g c block 10 count 5 noack streams s >");
    assert_eq!(
        w(
            &mut dbs,
            "xreadgroup group g c block 10 count 5 noack streams s >"
        ),
        Reply::NilArray
    );
    let blocked = dbs.stream_block_argv(0, &argv, 0);
    assert_eq!(blocked, argv);
    let wake = |dbs: &Databases| dbs.stream_block_wake(0, &blocked, b"s", 0);
    assert_eq!(wake(&dbs), StreamWake::Wait);
    w(&mut dbs, "xadd s 1-0 f 1");
    assert_eq!(wake(&dbs), StreamWake::Serve);
    let retry = stream_retry_argv(&blocked, b"s");
    assert_eq!(
        retry,
        words("xreadgroup GROUP g c COUNT 5 NOACK STREAMS s >")
    );
    let served = dbs.db_mut(0).execute_write(&retry, 0, 1);
    assert_eq!(
        served,
        Reply::MapOrPairs(vec![(
            bulk("s"),
            Reply::Array(vec![entry("1-0", &["f", "1"])])
        )])
    );
    assert_eq!(wake(&dbs), StreamWake::Wait);
    // phase: the group destroyed, then the key deleted: the client fails as in Redis 7.0
    w(&mut dbs, "xgroup destroy s g");
    let no_group = "NOGROUP the consumer group this client was blocked on no longer exists";
    assert_eq!(wake(&dbs), StreamWake::Fail(error(no_group)));
    w(&mut dbs, "set s x");
    let no_key = "UNBLOCKED the stream key no longer exists";
    assert_eq!(wake(&dbs), StreamWake::Fail(error(no_key)));
}

#[test]
fn watch_sees_the_writes_redis_signals_and_only_those() {
    let mut ks = ks_with_pending();
    let key = Bytes::from_static(b"s");
    // Redis signals XADD, XDEL and XTRIM that delete, and XGROUP CREATE … MKSTREAM.
    for (cmd, modifies) in [
        ("xadd s 2-0 b 2", true),
        ("xadd s 1-0 x y", false),
        ("xdel s 9-0", false),
        ("xdel s 2-0", true),
        ("xtrim s maxlen 5", false),
        ("xtrim s maxlen 0", true),
        ("xsetid s 10-0", false),
        ("xgroup create s g2 0", false),
        ("xgroup createconsumer s g bob", false),
        ("xreadgroup group g bob streams s 0", false),
        ("xclaim s g bob 0 1-0", false),
        ("xack s g 1-0", false),
    ] {
        let before = ks.digest(&key, 0);
        run(&mut ks, 0, cmd);
        assert_eq!(ks.digest(&key, 0) != before, modifies, "{cmd}");
    }
}
