//! Stream command tests. Replies are compared byte for byte, in RESP2 and RESP3, with what
//! redis-server 7.0.15 answered to the same commands (`tests_captured.rs`); the behaviours that
//! depend on the clock (generated ids, idle times) are checked against `now_ms` here.

use bytes::BytesMut;
use meridian_resp::{encode, Protocol};
use meridian_types::Reply;

use crate::db::Keyspace;
use crate::test_util::words;

/// A command, redis-server's RESP2 reply, and its RESP3 reply when that differs.
pub(super) type Case = (&'static str, &'static [u8], Option<&'static [u8]>);

pub(super) fn run(ks: &mut Keyspace, now: u64, cmd: &str) -> Reply {
    ks.execute_write(&words(cmd), now, 7)
}

fn wire(reply: &Reply, proto: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(reply, proto, &mut out);
    out.to_vec()
}

/// Runs `cases` in order at `now` and compares every reply with redis-server's bytes.
pub(super) fn replay(ks: &mut Keyspace, now: u64, cases: &[Case]) {
    for (step, (cmd, resp2, resp3)) in cases.iter().enumerate() {
        let reply = run(ks, now, cmd);
        for (proto, expected) in [
            (Protocol::Resp2, *resp2),
            (Protocol::Resp3, resp3.unwrap_or(resp2)),
        ] {
            let ours = wire(&reply, proto);
            assert!(
                ours == expected,
                "step {step} `{cmd}` ({proto:?})\n ours:  {}\n redis: {}",
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(expected)
            );
        }
    }
}

#[test]
fn xadd_xrange_xrevrange_xlen_match_redis() {
    replay(
        &mut Keyspace::new(),
        1000,
        super::tests_captured::XADD_AND_RANGES,
    );
}

#[test]
fn xtrim_and_xadd_trimming_match_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::TRIMMING);
}

#[test]
fn xdel_and_xsetid_match_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::XDEL);
}

#[test]
fn consumer_groups_match_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::GROUPS);
}

#[test]
fn xread_matches_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::XREAD);
}

#[test]
fn xautoclaim_matches_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::AUTOCLAIM);
}

#[test]
fn node_boundaries_and_approximate_trimming_match_redis() {
    replay(
        &mut Keyspace::new(),
        1000,
        super::tests_captured_nodes::NODES,
    );
}

#[test]
fn xclaim_and_history_reads_match_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::CLAIMS);
}

#[test]
fn entries_read_and_lag_match_redis() {
    replay(&mut Keyspace::new(), 1000, super::tests_captured::LAG);
}

#[test]
fn dump_matches_redis_payloads() {
    replay(
        &mut Keyspace::new(),
        1000,
        super::tests_captured_dump::DUMPS,
    );
}
