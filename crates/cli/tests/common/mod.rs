//! What the tests of the binary share.

use std::collections::HashSet;
use std::sync::Mutex;

/// A port free right now for the node processes a test starts, below Linux's ephemeral range
/// (32768–60999): a port from that range (what binding port 0 gives) can be taken, between this
/// check and the node's own bind, as the source port of another process's outgoing connection
/// (the test's other nodes connect to each other as they start). Never the same port twice in
/// one test process.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (0..12_000u16)
        .map(|i| 20_000 + (start - 20_000 + i * 7) % 12_000)
        .find(|p| !given.contains(p) && std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .inspect(|p| {
            given.insert(*p);
        })
        .expect("a free port below the ephemeral range")
}
