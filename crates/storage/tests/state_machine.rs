//! Apply semantics, the replication backlog, and snapshot consistency under concurrent apply.

mod common;

use bytes::Bytes;
use common::{argv, blank_entry, digest, temp_store, write_entry, TempStore, C};
use meridian_storage::{BacklogOp, StorageOptions};
use meridian_types::Reply;
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::Entry;

#[tokio::test]
async fn apply_assigns_seq_only_to_successful_writes() -> anyhow::Result<()> {
    let mut st = temp_store(StorageOptions::default()).await?;
    let mut seq_rx = st.handle.subscribe_seq();
    apply_a_mixed_batch(&mut st).await?;

    // phase: handle and watch agree
    assert_eq!(st.handle.seq(), 4);
    assert_eq!(st.handle.last_applied().map(|l| l.index), Some(3));
    assert!(seq_rx.has_changed()?);
    assert_eq!(*seq_rx.borrow_and_update(), 4);
    let (applied, _) = st.sm.applied_state().await?;
    assert_eq!(applied.map(|l| l.index), Some(3));

    check_the_backlog_holds_the_seqd_writes(&st)
}

/// Phase: one batch mixing writes, a read and failing commands; only the writes that ran take
/// a seq.
async fn apply_a_mixed_batch(st: &mut TempStore) -> anyhow::Result<()> {
    let replies = st
        .sm
        .apply([
            write_entry(
                1,
                vec![
                    argv(&["SET", "a", "1"]),
                    argv(&["GET", "a"]),
                    argv(&["SET", "b"]),
                    argv(&["BOGUS", "x"]),
                    argv(&["DEL", "a"]),
                ],
            ),
            blank_entry(2),
            write_entry(3, vec![argv(&["DEL", "missing"]), argv(&["set", "c", "3"])]),
        ])
        .await?;
    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0].seq, 2);
    let first = &replies[0].results[0].replies;
    assert_eq!(first[0], Reply::ok());
    assert_eq!(first[1], Reply::bulk(Bytes::from_static(b"1")));
    assert!(first[2].is_error());
    assert!(first[3].is_error());
    assert_eq!(first[4], Reply::Integer(1));
    assert_eq!(replies[0].results[0].seq, 2);
    assert_eq!((replies[1].seq, replies[1].results.len()), (2, 0));
    assert_eq!(
        replies[2].seq, 4,
        "a write that changed nothing still counts"
    );
    Ok(())
}

/// Phase: the backlog holds exactly the seq'd writes, with their per-command seeds.
fn check_the_backlog_holds_the_seqd_writes(st: &TempStore) -> anyhow::Result<()> {
    let expect = backlog_of_the_mixed_batch();
    assert_eq!(st.handle.backlog_range(1, u64::MAX)?, expect);
    assert_eq!(st.handle.backlog_first_seq()?, Some(1));
    assert_eq!(st.handle.backlog_last_seq()?, Some(4));
    assert_eq!(
        st.handle.backlog_range(2, 1)?,
        vec![expect[1].clone()],
        "at least one op"
    );
    assert!(st.handle.backlog_range(5, u64::MAX)?.is_empty());
    Ok(())
}

/// The ops [`apply_a_mixed_batch`] leaves in the backlog: a command's seed is its batch's seed
/// xor its position in the batch times the golden-ratio constant.
fn backlog_of_the_mixed_batch() -> Vec<BacklogOp> {
    let golden = 0x9E37_79B9_7F4A_7C15u64;
    let op = |seq, seed, parts: &[&str]| BacklogOp {
        seq,
        db: 0,
        now_ms: 1_000,
        seed,
        argv: argv(parts),
    };
    vec![
        op(1, 1, &["SET", "a", "1"]),
        op(2, 1 ^ 4u64.wrapping_mul(golden), &["DEL", "a"]),
        op(3, 3, &["DEL", "missing"]),
        op(4, 3 ^ golden, &["set", "c", "3"]),
    ]
}

// Multi-threaded: reopening waits for the previous handles' background tasks to let go of the db.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_trims_oldest_ops_by_bytes() -> anyhow::Result<()> {
    let opts = StorageOptions {
        backlog_max_bytes: 2_000,
        ..StorageOptions::default()
    };
    let mut st = temp_store(opts.clone()).await?;
    let value = "v".repeat(50);
    for i in 1..=100u64 {
        st.sm
            .apply([write_entry(
                i,
                vec![argv(&["SET", &format!("k{i}"), &value])],
            )])
            .await?;
    }
    let bytes = st.handle.backlog_bytes();
    assert!(bytes <= 2_000, "backlog holds {bytes} bytes");
    let first = st
        .handle
        .backlog_first_seq()?
        .expect("backlog is not empty");
    assert!(first > 1, "oldest ops were trimmed");
    let ops = st.handle.backlog_range(first, u64::MAX)?;
    let seqs: Vec<u64> = ops.iter().map(|o| o.seq).collect();
    assert_eq!(
        seqs,
        (first..=100).collect::<Vec<_>>(),
        "contiguous up to the newest"
    );

    // phase: the byte total is recomputed on open
    let common::TempStore {
        dir,
        db,
        log,
        sm,
        handle,
    } = st;
    drop((log, sm, handle));
    drop(db);
    let db = meridian_storage::open_db(dir.path())?;
    let (_log, _sm, handle) = meridian_storage::open_group(&db, &common::group(), opts).await?;
    assert_eq!(handle.backlog_bytes(), bytes);
    assert_eq!(handle.backlog_first_seq()?, Some(first));
    Ok(())
}

/// Entry `i` of the concurrent-snapshot workload; entry 1 preloads many keys so a build takes
/// long enough to overlap with apply.
fn workload(i: u64) -> Entry<C> {
    if i == 1 {
        let cmds = (0..5_000)
            .map(|k| argv(&["SET", &format!("pre{k}"), &format!("value-{k}")]))
            .collect();
        return write_entry(1, cmds);
    }
    write_entry(
        i,
        vec![
            argv(&["SET", "counter", &i.to_string()]),
            argv(&["SET", &format!("k{}", i % 64), &i.to_string()]),
            argv(&["DEL", &format!("k{}", (i + 7) % 64)]),
            argv(&["DEL", &format!("pre{}", i * 3)]),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_built_during_apply_holds_exactly_its_last_applied() -> anyhow::Result<()> {
    const N: u64 = 1_200;
    let mut leader = temp_store(StorageOptions::default()).await?;

    // phase: apply one entry at a time, starting a build every 100 entries
    let mut builds = Vec::new();
    for i in 1..=N {
        leader.sm.apply([workload(i)]).await?;
        if i % 100 == 0 {
            let mut b = leader.sm.get_snapshot_builder().await;
            builds.push(tokio::spawn(async move { b.build_snapshot().await }));
        }
    }

    // phase: each snapshot, installed in a fresh store, equals a replay up to its last_applied
    let mut overlapped = 0;
    for build in builds {
        let snap = build.await??;
        let last = snap
            .meta
            .last_log_id
            .expect("snapshot covers entries")
            .index;
        if last % 100 != 0 {
            overlapped += 1;
        }
        let mut follower = temp_store(StorageOptions::default()).await?;
        follower
            .sm
            .install_snapshot(&snap.meta, snap.snapshot)
            .await?;

        let mut reference = temp_store(StorageOptions::default()).await?;
        reference.sm.apply((1..=last).map(workload)).await?;

        assert_eq!(
            follower.handle.last_applied(),
            reference.handle.last_applied()
        );
        assert_eq!(
            follower.handle.seq(),
            reference.handle.seq(),
            "seq at index {last}"
        );
        assert_eq!(
            digest(&follower.handle)?,
            digest(&reference.handle)?,
            "keyspace at index {last}"
        );
        let current = follower
            .sm
            .get_current_snapshot()
            .await?
            .expect("installed");
        assert_eq!(current.meta, snap.meta);
        assert_eq!(
            *follower.handle.subscribe_seq().borrow(),
            reference.handle.seq()
        );
    }
    eprintln!("{overlapped} of {} builds overlapped with apply", N / 100);
    Ok(())
}
