use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use meridian_types::BacklogOp;

use super::{touched_by, BlockedKeys, Touched, Waiter};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn op(db: u32, argv: &[&str]) -> BacklogOp {
    BacklogOp {
        seq: 1,
        db,
        now_ms: 0,
        seed: 0,
        argv: argv.iter().map(|a| b(a)).collect(),
    }
}

/// True when `w` has a wake-up waiting (taken if so).
async fn was_woken(w: &Waiter) -> bool {
    tokio::time::timeout(Duration::from_millis(20), w.woken())
        .await
        .is_ok()
}

#[tokio::test]
async fn the_first_in_line_is_woken_and_the_next_when_it_leaves() {
    let keys = Arc::new(BlockedKeys::default());
    let first = keys.register(0, &[b("k")]);
    let second = keys.register(0, &[b("k")]);
    assert_eq!(first.heads(), vec![b("k")]);
    assert!(second.heads().is_empty());
    keys.touched(&[op(0, &["LPUSH", "k", "a"])]);
    assert!(was_woken(&first).await);
    assert!(!was_woken(&second).await, "only the head is woken");
    drop(first);
    assert!(
        was_woken(&second).await,
        "the next in line is woken when the head leaves"
    );
    assert_eq!(second.heads(), vec![b("k")]);
    drop(second);
    assert_eq!(keys.waiting(), 0);
    assert!(keys.lock().queues.is_empty() && keys.lock().by_db.is_empty());
}

#[tokio::test]
async fn a_write_in_another_database_wakes_nobody() {
    let keys = Arc::new(BlockedKeys::default());
    let w = keys.register(3, &[b("k")]);
    keys.touched(&[op(0, &["RPUSH", "k", "a"])]);
    assert!(!was_woken(&w).await);
    keys.touched(&[op(3, &["RPUSH", "k", "a"])]);
    assert!(was_woken(&w).await);
}

#[tokio::test]
async fn a_wake_that_comes_while_busy_is_kept() {
    let keys = Arc::new(BlockedKeys::default());
    let w = keys.register(0, &[b("a"), b("b")]);
    keys.touched(&[op(0, &["SET", "b", "x"])]);
    // Nobody was awaiting `woken` when the write came; the wake-up waits for the next call.
    assert!(was_woken(&w).await);
}

#[tokio::test]
async fn a_key_named_twice_holds_one_place() {
    let keys = Arc::new(BlockedKeys::default());
    let w = keys.register(0, &[b("k"), b("k")]);
    assert_eq!(w.heads(), vec![b("k")]);
    assert_eq!(keys.lock().queues[&(0, b("k"))].len(), 1);
    drop(w);
    assert!(keys.lock().queues.is_empty());
}

#[tokio::test]
async fn swapdb_wakes_both_databases() {
    let keys = Arc::new(BlockedKeys::default());
    let in_one = keys.register(1, &[b("x")]);
    let in_two = keys.register(2, &[b("y")]);
    let in_five = keys.register(5, &[b("z")]);
    keys.touched(&[op(0, &["SWAPDB", "1", "2"])]);
    assert!(was_woken(&in_one).await);
    assert!(was_woken(&in_two).await);
    assert!(!was_woken(&in_five).await);
}

#[test]
fn move_and_copy_touch_their_target_database() {
    let Touched::Keys(moved) = touched_by(&op(0, &["MOVE", "k", "4"])) else {
        panic!("MOVE touches keys");
    };
    assert!(moved.contains(&(4, b("k"))));
    let Touched::Keys(copied) = touched_by(&op(0, &["COPY", "s", "d", "DB", "7"])) else {
        panic!("COPY touches keys");
    };
    assert!(copied.contains(&(7, b("d"))));
    assert!(copied.contains(&(0, b("d"))));
    assert!(matches!(
        touched_by(&op(0, &["swapdb", "0", "9"])),
        Touched::Dbs(0, 9)
    ));
}

#[tokio::test]
async fn nothing_stays_owed_once_woken_waiters_act_or_leave() {
    let keys = Arc::new(BlockedKeys::default());
    let acts = keys.register(0, &[b("a")]);
    let leaves = keys.register(0, &[b("b")]);
    keys.touched(&[op(0, &["RPUSH", "a", "x"]), op(0, &["RPUSH", "b", "x"])]);
    assert!(keys.lock().any_pending());
    assert!(was_woken(&acts).await);
    acts.settled();
    assert!(keys.lock().any_pending(), "the other one has not acted");
    drop(leaves);
    assert!(!keys.lock().any_pending());
    // A writer's wait ends at once when nothing is owed (never the full limit).
    let started = std::time::Instant::now();
    keys.settle_pending(tokio::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert!(started.elapsed() < Duration::from_secs(1));
}
