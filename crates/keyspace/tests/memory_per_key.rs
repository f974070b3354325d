//! Heap bytes the keyspace holds per key, counted by an instrumented global allocator (this
//! test binary only). Keys and values are built as the state machine gets them: each argument
//! its own exact-size buffer, as bincode decodes a log entry.
//!
//! The bound is the memory goal's (issue 3): Redis holds a 16-byte key with a 16-byte value in
//! about 90 bytes (plus allocator rounding); the keyspace measured 224 bytes before keys and
//! short strings were stored inline, 97 after. It should stay near Redis, not at twice it.

use std::alloc::System;

use bytes::Bytes;
use meridian_keyspace::Keyspace;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap bytes gained since `region` started.
fn live(region: &Region<'_, System>) -> isize {
    let s = region.change();
    // `realloc` is already counted in both (its `bytes_reallocated` is the same change again).
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

/// One argument as the state machine gets it: its own exact-size buffer.
fn arg(s: &[u8]) -> Bytes {
    Bytes::from(s.to_vec())
}

/// Live heap bytes per key after `n` SETs of `key:%012d` → 16 bytes, then after a GET of each.
fn bytes_per_key(n: usize) -> (f64, f64) {
    let region = Region::new(GLOBAL);
    let mut ks = Keyspace::new();
    for i in 0..n {
        let argv = [
            arg(b"SET"),
            arg(format!("key:{i:012}").as_bytes()),
            arg(b"vvvvvvvvvvvvvvvv"),
        ];
        ks.execute_write(&argv, 0, 0);
    }
    let after_set = live(&region);
    for i in 0..n {
        let argv = [arg(b"GET"), arg(format!("key:{i:012}").as_bytes())];
        ks.execute_read(&argv, 0, 0);
    }
    let after_get = live(&region);
    assert_eq!(ks.len(), n);
    (after_set as f64 / n as f64, after_get as f64 / n as f64)
}

#[test]
fn a_small_string_key_costs_about_what_redis_pays() {
    let (set, get) = bytes_per_key(200_000);
    println!(
        "sizes: Entry {} B, Value {} B",
        std::mem::size_of::<meridian_keyspace::Entry>(),
        std::mem::size_of::<meridian_keyspace::Value>()
    );
    println!("heap bytes per key: {set:.1} after SET, {get:.1} after GET of every key");
    // Requested bytes; malloc adds up to 16 per allocation on top.
    assert!(set < 110.0, "{set:.1} bytes per key after SET");
    assert!(
        get <= set + 1.0,
        "reads grew the keyspace: {set:.1} -> {get:.1}"
    );
}
