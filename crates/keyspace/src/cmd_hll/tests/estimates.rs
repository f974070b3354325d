//! Hashing and the cardinality estimator against redis-server 7.0.15: which register an
//! element sets, PFCOUNT from 1 to 200000 elements, and hand-made dense registers (including
//! the overflow Redis answers as LLONG_MIN).

use super::{pfadd_range, run, set};
use crate::cmd_hll::repr::{self, DENSE_SIZE, HDR_SIZE, REGISTERS};
use crate::db::Keyspace;
use crate::test_util::int;

#[test]
fn elements_hash_to_the_registers_redis_uses() {
    // (element, register, run length) as PFDEBUG DECODE shows them after PFADD of the element
    // alone: empty, shorter than, equal to and longer than MurmurHash64A's 8-byte blocks.
    let cases: [(&[u8], usize, u8); 7] = [
        (b"a", 12711, 2),
        (b"", 5938, 2),
        (b"12345678", 10579, 3),
        (b"123456789", 9293, 2),
        (b"hello world, 17 b", 14285, 1),
        (b"\x00\xff\x80", 16255, 2),
        (&[b'x'; 64], 1777, 1),
    ];
    for (ele, register, count) in cases {
        assert_eq!(repr::pattern(ele), (register, count), "{ele:?}");
    }
}

#[test]
fn estimates_match_redis_from_1_to_200000_elements() {
    let mut ks = Keyspace::new();
    for i in 0..100 {
        run(&mut ks, &format!("pfadd small s{i}"));
        assert_eq!(run(&mut ks, "pfcount small"), int(i + 1));
    }
    let cumulative = [
        10092, 20016, 29916, 39857, 49929, 59856, 70408, 80667, 90969, 101048, 111786, 122434,
        132385, 142875, 152422, 162847, 172959, 182321, 192097, 202257,
    ];
    for (batch, count) in cumulative.iter().enumerate() {
        pfadd_range(&mut ks, "cum", "c", batch * 10_000, (batch + 1) * 10_000);
        assert_eq!(run(&mut ks, "pfcount cum"), int(*count), "batch {batch}");
    }
}

/// Dense registers drawn by the same LCG as the capture script, packed as Redis packs them.
fn crafted_dense(seed: u64, kind: u32) -> Vec<u8> {
    let mut x = seed;
    let mut hll = vec![0u8; DENSE_SIZE];
    hll[..4].copy_from_slice(b"HYLL");
    hll[15] = 0x80;
    for i in 0..REGISTERS {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = x >> 33;
        let v = match kind {
            0 => r % 64,
            1 => r % 8,
            2 => 51,
            3 => [1, 51][(r % 2) as usize],
            4 if r.is_multiple_of(97) => r % 7 + 1,
            4 => 0,
            5 => 1 + r % 51,
            6 => [51, 50][usize::from(i == 0)],
            7 => 63,
            _ => 52 + r % 12,
        };
        repr::dense_put(&mut hll[HDR_SIZE..], i, v as u8);
    }
    hll
}

#[test]
fn estimates_of_hand_made_registers_match_redis() {
    // Every register at 51 or more overflows Redis's llroundl: it answers LLONG_MIN.
    let min = i64::MIN;
    let expected = [354440, 44782, min, 47320, 174, 607356, min, min, min];
    let mut ks = Keyspace::new();
    for (kind, count) in expected.iter().enumerate() {
        set(&mut ks, "k", &crafted_dense(kind as u64 + 1, kind as u32));
        assert_eq!(run(&mut ks, "pfcount k"), int(*count), "kind {kind}");
        assert_eq!(run(&mut ks, "pfcount k nokey"), int(*count), "kind {kind}");
    }
}
