//! Apply rules of client writes, active expiry and roles, and the snapshot encoding.

use bytes::Bytes;
use meridian_keyspace::{SmallBytes, Value};
use meridian_types::{
    BacklogOp, ClusterRole, HistoryMark, RegionRequest, RegionResponse, RegionTypeConfig, Reply,
    WriteBatch, READONLY_ERROR,
};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};

use super::codec::SNAPSHOT_VERSION;
use super::{ApplyEffects, SmState};
use crate::error::StorageError;

fn expire_entry(index: u64, keys: &[&'static str], now_ms: u64) -> Entry<RegionTypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(RegionRequest::Expire {
            keys: keys
                .iter()
                .map(|k| (0, Bytes::from_static(k.as_bytes())))
                .collect(),
            now_ms,
        }),
    }
}

fn with_ttl(st: &mut SmState, key: &'static str, at_ms: u64) {
    let k = Bytes::from_static(key.as_bytes());
    let db = st.dbs.db_mut(0);
    db.insert(k.clone(), Value::Str(SmallBytes::new(b"v")));
    db.set_expire(&k, Some(at_ms));
}

#[test]
fn expire_deletes_only_due_keys_and_logs_a_del_for_each() {
    let mut st = SmState::default();
    with_ttl(&mut st, "due", 500);
    with_ttl(&mut st, "later", 5_000);
    let mut fx = ApplyEffects::default();
    let resp = st.apply_entry(
        &expire_entry(7, &["due", "later", "missing"], 1_000),
        &mut fx,
    );
    assert_eq!(
        resp,
        RegionResponse {
            results: vec![],
            seq: 1
        }
    );
    assert_eq!(
        fx.ops,
        vec![BacklogOp {
            seq: 1,
            db: 0,
            now_ms: 1_000,
            seed: 0,
            argv: vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"due")],
        }]
    );
    assert_eq!(st.dbs.len(), 1);
    assert_eq!(st.last_applied.map(|l| l.index), Some(7));
}

#[test]
fn a_failed_write_that_expired_the_key_it_looked_up_is_logged_for_secondaries() {
    let mut st = SmState::default();
    with_ttl(&mut st, "gone", 500);
    let lset = vec![
        Bytes::from_static(b"LSET"),
        Bytes::from_static(b"gone"),
        Bytes::from_static(b"0"),
        Bytes::from_static(b"v"),
    ];
    let batch = RegionRequest::Write(vec![WriteBatch {
        db: 0,
        commands: vec![lset.clone(), lset.clone()],
        now_ms: 1_000,
        seed: 1,
        watched: vec![],
    }]);
    let mut fx = ApplyEffects::default();
    let resp = st.apply_entry(&entry(3, batch), &mut fx);
    let replies = &resp.results[0].replies;
    assert!(replies.iter().all(Reply::is_error), "{replies:?}");
    assert!(st.dbs.is_empty(), "the expired key was deleted");
    // The first LSET deleted the key (logged); the second changed nothing (not logged).
    assert_eq!(fx.ops.len(), 1);
    assert_eq!(fx.ops[0].argv, lset);
    assert_eq!(resp.seq, 1);
}

#[test]
fn snapshot_encoding_round_trips_and_checks_its_version() {
    let mut st = SmState {
        seq: 42,
        last_applied: Some(LogId::new(CommittedLeaderId::new(3, 1), 9)),
        ..SmState::default()
    };
    with_ttl(&mut st, "k", 900);
    let bytes = st.encode().expect("encode");
    let back = SmState::decode(&bytes).expect("decode");
    assert_eq!(back.dbs, st.dbs);
    assert_eq!((back.seq, back.last_applied), (42, st.last_applied));

    let mut bad = bytes;
    bad[0] = 99;
    assert!(matches!(
        SmState::decode(&bad),
        Err(StorageError::SnapshotVersion(99, SNAPSHOT_VERSION))
    ));
}

fn entry(index: u64, req: RegionRequest) -> Entry<RegionTypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(req),
    }
}

fn set(key: &'static str) -> RegionRequest {
    RegionRequest::Write(vec![WriteBatch {
        db: 0,
        commands: vec![vec![
            Bytes::from_static(b"SET"),
            Bytes::from_static(key.as_bytes()),
            Bytes::from_static(b"v"),
        ]],
        now_ms: 1,
        seed: 1,
        watched: vec![],
    }])
}

#[test]
fn a_secondary_refuses_writes_and_its_role_survives_a_snapshot() {
    let mut st = SmState::default();
    let mut fx = ApplyEffects::default();
    st.apply_entry(&entry(1, set("a")), &mut fx);
    let secondary = ClusterRole::Secondary {
        datastore: "gds1".into(),
        epoch: 1,
        source: "use1".into(),
    };
    let wipe = RegionRequest::SetRole {
        role: secondary.clone(),
        wipe: true,
        token: 0,
    };
    st.apply_entry(&entry(2, wipe), &mut fx);
    assert_eq!(st.dbs.len(), 0, "joining as a secondary wipes the data");

    let resp = st.apply_entry(&entry(3, set("b")), &mut fx);
    assert_eq!(resp.results[0].replies, vec![Reply::error(READONLY_ERROR)]);
    assert_eq!(
        (st.dbs.len(), st.seq, fx.ops.len(), fx.reset_backlog),
        (0, 0, 0, true),
        "the wipe reset seq and backlog; the refused write changed nothing"
    );

    let back = SmState::decode(&st.encode().expect("encode")).expect("decode");
    assert_eq!(back.role, secondary);

    // Promotion records the seq it started from.
    let promote = RegionRequest::SetRole {
        role: ClusterRole::Primary {
            datastore: "gds1".into(),
            epoch: 2,
            base_seq: 0,
        },
        wipe: false,
        token: 0,
    };
    st.apply_entry(&entry(4, promote), &mut fx);
    assert!(matches!(
        st.role,
        ClusterRole::Primary {
            epoch: 2,
            base_seq: 0,
            ..
        }
    ));
    assert_eq!(
        st.history,
        vec![HistoryMark {
            epoch: 2,
            start_seq: 0
        }]
    );
    let resp = st.apply_entry(&entry(5, set("c")), &mut fx);
    assert_eq!(resp.results[0].replies, vec![Reply::ok()]);
}

#[test]
fn a_role_from_an_older_epoch_of_the_same_datastore_is_refused() {
    let mut st = SmState::default();
    let mut fx = ApplyEffects::default();
    let primary = |epoch| ClusterRole::Primary {
        datastore: "gds1".into(),
        epoch,
        base_seq: 0,
    };
    let secondary = |epoch| ClusterRole::Secondary {
        datastore: "gds1".into(),
        epoch,
        source: "use1".into(),
    };
    st.set_role(&secondary(3), false, 0, &mut fx);
    st.set_role(&primary(2), false, 0, &mut fx);
    assert_eq!(
        st.role,
        secondary(3),
        "an older epoch's role changes nothing"
    );
    st.set_role(&primary(4), false, 0, &mut fx);
    assert!(matches!(st.role, ClusterRole::Primary { epoch: 4, .. }));
    // Another datastore's epochs are not comparable: its role is recorded.
    let other = ClusterRole::Primary {
        datastore: "gds2".into(),
        epoch: 1,
        base_seq: 0,
    };
    st.set_role(&other, false, 0, &mut fx);
    assert!(matches!(&st.role, ClusterRole::Primary { datastore, .. } if datastore == "gds2"));
}

#[test]
fn a_role_decided_from_an_older_coordination_state_is_refused_even_a_standalone() {
    let mut st = SmState::default();
    let mut fx = ApplyEffects::default();
    let secondary = ClusterRole::Secondary {
        datastore: "gds1".into(),
        epoch: 5,
        source: "use1".into(),
    };
    st.set_role(&secondary, false, 40, &mut fx);
    // A Standalone from a disassociation decided before (token 30) arrives late.
    st.set_role(&ClusterRole::Standalone, false, 30, &mut fx);
    assert_eq!(st.role, secondary, "a delayed Standalone changes nothing");
    st.set_role(&ClusterRole::Standalone, false, 41, &mut fx);
    assert_eq!(st.role, ClusterRole::Standalone);
    // The token survives snapshots.
    let back = SmState::decode(&st.encode().expect("encode")).expect("decode");
    assert_eq!(back.role_token, 41);
}
