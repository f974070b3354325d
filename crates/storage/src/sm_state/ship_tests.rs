//! Apply rules of shipped ops and full syncs on a secondary.

use bytes::Bytes;
use meridian_keyspace::{encode_chunk, Keyspace, SmallBytes, Value};
use meridian_types::{
    BacklogOp, ClusterRole, HistoryMark, RegionRequest, ShipPosition, WriteBatch,
};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};

use super::{ApplyEffects, SmState};

fn entry(index: u64, req: RegionRequest) -> Entry<meridian_types::RegionTypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(req),
    }
}

fn op(seq: u64, key: &str) -> BacklogOp {
    BacklogOp {
        seq,
        db: 0,
        now_ms: 1_000 + seq,
        seed: 7,
        argv: vec![
            Bytes::from_static(b"SET"),
            Bytes::from(key.to_string()),
            Bytes::from(format!("v{seq}")),
        ],
    }
}

fn history() -> Vec<HistoryMark> {
    vec![HistoryMark {
        epoch: 1,
        start_seq: 0,
    }]
}

fn secondary() -> RegionRequest {
    RegionRequest::SetRole {
        role: ClusterRole::Secondary {
            datastore: "gds1".into(),
            epoch: 1,
            source: "use1".into(),
        },
        wipe: true,
        token: 0,
    }
}

/// A secondary that completed an empty full sync at seq `seq`.
fn synced_at(seq: u64, image: &Keyspace) -> SmState {
    let mut st = SmState::default();
    let mut fx = ApplyEffects::default();
    st.apply_entry(&entry(1, secondary()), &mut fx);
    let records: Vec<_> = image
        .clone()
        .into_raw_entries()
        .map(|(k, e)| (0, k, e))
        .collect();
    let reqs = [
        RegionRequest::SyncBegin {
            id: 9,
            seq,
            history: history(),
        },
        RegionRequest::SyncChunk {
            id: 9,
            entries: Bytes::from(encode_chunk(&records).expect("chunk")),
        },
        RegionRequest::SyncEnd { id: 9 },
    ];
    for (i, r) in reqs.into_iter().enumerate() {
        st.apply_entry(&entry(2 + i as u64, r), &mut fx);
    }
    st
}

#[test]
fn a_secondary_without_a_position_ignores_shipped_ops() {
    let mut st = SmState::default();
    let mut fx = ApplyEffects::default();
    st.apply_entry(&entry(1, secondary()), &mut fx);
    assert_eq!(st.position(), None);
    let ship = RegionRequest::Ship {
        ops: vec![op(1, "a")],
        history: history(),
    };
    st.apply_entry(&entry(2, ship), &mut fx);
    assert_eq!((st.seq, st.dbs.len()), (0, 0));
}

#[test]
fn shipped_ops_apply_in_order_once_and_stop_at_a_gap() {
    let mut st = synced_at(0, &Keyspace::new());
    assert_eq!(st.position(), Some(ShipPosition { epoch: 1, seq: 0 }));
    let mut fx = ApplyEffects::default();
    let ship = |ops| RegionRequest::Ship {
        ops,
        history: history(),
    };
    st.apply_entry(&entry(10, ship(vec![op(1, "a"), op(2, "b")])), &mut fx);
    // phase: a repeat of applied ops is skipped; an op past a gap stops the entry
    st.apply_entry(
        &entry(11, ship(vec![op(2, "b"), op(3, "c"), op(5, "e")])),
        &mut fx,
    );
    assert_eq!(st.seq, 3);
    assert_eq!(st.dbs.len(), 3);
    assert_eq!(
        fx.ops.iter().map(|o| o.seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "each op reaches the backlog once"
    );
    assert_eq!(st.last_op_ms, 1_003);
    // phase: client writes are still refused
    let write = RegionRequest::Write(vec![WriteBatch {
        db: 0,
        commands: vec![vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"a")]],
        now_ms: 1,
        seed: 1,
        watched: vec![],
    }]);
    st.apply_entry(&entry(12, write), &mut fx);
    assert_eq!(st.dbs.len(), 3);
}

#[test]
fn a_full_sync_swaps_in_only_a_complete_image_and_survives_a_snapshot() {
    let mut image = Keyspace::new();
    image.insert(Bytes::from_static(b"x"), Value::Str(SmallBytes::new(b"1")));
    let mut st = synced_at(40, &image);
    assert_eq!((st.seq, st.dbs.len()), (40, 1));

    // phase: a second sync in progress leaves the data readable and is captured by snapshots
    let mut fx = ApplyEffects::default();
    let begin = RegionRequest::SyncBegin {
        id: 10,
        seq: 90,
        history: history(),
    };
    st.apply_entry(&entry(20, begin), &mut fx);
    let mut bigger = image.clone();
    bigger.insert(Bytes::from_static(b"y"), Value::Str(SmallBytes::new(b"2")));
    let records: Vec<_> = bigger
        .clone()
        .into_raw_entries()
        .map(|(k, e)| (0, k, e))
        .collect();
    let chunk = RegionRequest::SyncChunk {
        id: 10,
        entries: Bytes::from(encode_chunk(&records).expect("chunk")),
    };
    st.apply_entry(&entry(21, chunk), &mut fx);
    assert_eq!((st.seq, st.dbs.len()), (40, 1), "old data until the end");
    let mut back = SmState::decode(&st.encode().expect("encode")).expect("decode");
    assert_eq!(
        back.staging.as_ref().map(|s| s.dbs.len()),
        Some(2),
        "the staged image is in the snapshot"
    );

    // phase: the end of another sync is ignored; the right end swaps in
    back.apply_entry(&entry(22, RegionRequest::SyncEnd { id: 3 }), &mut fx);
    assert_eq!(back.seq, 40);
    let mut st = SmState::decode(&st.encode().expect("encode")).expect("decode");
    st.apply_entry(&entry(22, RegionRequest::SyncEnd { id: 10 }), &mut fx);
    assert_eq!((st.seq, st.dbs.len()), (90, 2));
    assert!(fx.reset_backlog);

    // phase: a corrupt chunk poisons its sync
    let mut fx = ApplyEffects::default();
    for (i, r) in [
        RegionRequest::SyncBegin {
            id: 11,
            seq: 120,
            history: history(),
        },
        RegionRequest::SyncChunk {
            id: 11,
            entries: Bytes::from_static(b"\xff\xff\xff"),
        },
        RegionRequest::SyncEnd { id: 11 },
    ]
    .into_iter()
    .enumerate()
    {
        st.apply_entry(&entry(30 + i as u64, r), &mut fx);
    }
    assert_eq!((st.seq, st.dbs.len()), (90, 2));
}

#[test]
fn re_recording_a_role_changes_nothing() {
    let mut st = synced_at(5, &Keyspace::new());
    let mut fx = ApplyEffects::default();
    st.apply_entry(&entry(50, secondary()), &mut fx);
    assert_eq!(st.seq, 5, "the same secondary role is not wiped again");
    assert!(!fx.reset_backlog);
}

#[test]
fn a_full_sync_onto_a_newer_history_records_the_run_it_discards_and_keeps_it_in_snapshots() {
    let marks = |v: &[(u64, u64)]| -> Vec<HistoryMark> {
        v.iter()
            .map(|&(epoch, start_seq)| HistoryMark { epoch, start_seq })
            .collect()
    };
    let sync = |st: &mut SmState, id: u64, seq: u64, history: Vec<HistoryMark>| {
        let mut fx = ApplyEffects::default();
        for (i, r) in [
            RegionRequest::SyncBegin { id, seq, history },
            RegionRequest::SyncEnd { id },
        ]
        .into_iter()
        .enumerate()
        {
            st.apply_entry(&entry(100 + id * 10 + i as u64, r), &mut fx);
        }
        fx.discarded
    };
    // A secondary merely behind the new primary's history discards nothing.
    let mut behind = synced_at(30, &Keyspace::new());
    assert!(sync(&mut behind, 20, 50, marks(&[(1, 0), (2, 40)])).is_empty());
    assert!(behind.discarded.is_empty());

    // A deposed primary at seq 100 of epoch 1; the new primary's epoch 2 started at 80.
    let mut old = synced_at(100, &Keyspace::new());
    let run = sync(&mut old, 21, 120, marks(&[(1, 0), (2, 80)]));
    let want = meridian_types::DiscardedRange {
        epoch: 1,
        first_seq: 81,
        last_seq: 100,
    };
    assert_eq!(run, vec![want]);
    assert_eq!(want.count(), 20);
    assert_eq!(old.seq, 120);
    let back = SmState::decode(&old.encode().expect("encode")).expect("decode");
    assert_eq!(back.discarded, vec![want], "kept across snapshots");

    // A cluster whose epoch the new history never saw gives up everything after the last seq
    // both place in the same epoch.
    let mut forked = synced_at(70, &Keyspace::new());
    forked.history = marks(&[(1, 0), (3, 50)]);
    let run = sync(&mut forked, 22, 90, marks(&[(1, 0), (2, 40)]));
    assert_eq!(
        run.first().map(|r| (r.epoch, r.first_seq, r.last_seq)),
        Some((3, 41, 70))
    );
}
