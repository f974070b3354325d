//! The ACL users through the state machine's handle: `users_version` moves whenever the users
//! change (an ACL write, a snapshot install, a full sync) and only then.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{argv, log_id, temp_store, write_entry, C};
use meridian_acl::{CommandInfo, Users};
use meridian_storage::{SmHandle, StorageOptions};
use meridian_types::{ClusterRole, HistoryMark, RegionRequest, Reply};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{Entry, EntryPayload};

fn opts() -> StorageOptions {
    let get = CommandInfo {
        fullname: "get".to_string(),
        categories: meridian_acl::CategorySet::of(&[meridian_acl::Category::Read]),
        no_auth: false,
        subcommands: vec![],
    };
    StorageOptions {
        acl_commands: Arc::new(vec![get]),
        ..StorageOptions::default()
    }
}

fn request(index: u64, req: RegionRequest) -> Entry<C> {
    Entry {
        log_id: log_id(1, index),
        payload: EntryPayload::Normal(req),
    }
}

fn names(handle: &SmHandle) -> Vec<Bytes> {
    handle.users(Users::usernames)
}

#[tokio::test]
async fn users_version_moves_when_the_users_change_and_only_then() -> anyhow::Result<()> {
    let mut st = temp_store(opts()).await?;
    let v0 = st.handle.users_version();

    // phase: a SETUSER that applies moves it, and the handle shows the user
    let setuser = argv(&["ACL", "SETUSER", "alice", "on", ">pw", "~*", "+get"]);
    let replies = st.sm.apply([write_entry(1, vec![setuser])]).await?;
    assert_eq!(replies[0].results[0].replies, vec![Reply::ok()]);
    let v1 = st.handle.users_version();
    assert_ne!(v1, v0);
    assert_eq!(
        names(&st.handle),
        vec![Bytes::from("alice"), "default".into()]
    );

    // phase: a failing SETUSER, and data writes, leave it where it was
    let bad = argv(&["ACL", "SETUSER", "alice", "off", "+nosuch"]);
    let set = argv(&["SET", "k", "v"]);
    let replies = st.sm.apply([write_entry(2, vec![bad, set])]).await?;
    assert!(replies[0].results[0].replies[0].is_error());
    assert_eq!(st.handle.users_version(), v1);
    assert_eq!(st.handle.seq(), 2, "the SETUSER and the SET");

    // phase: a snapshot installed elsewhere brings the users and moves it there
    let snap = st.sm.get_snapshot_builder().await.build_snapshot().await?;
    let mut follower = temp_store(opts()).await?;
    let before = follower.handle.users_version();
    follower
        .sm
        .install_snapshot(&snap.meta, snap.snapshot)
        .await?;
    assert_ne!(follower.handle.users_version(), before);
    let leader_users = st.handle.users(Users::clone);
    assert_eq!(follower.handle.users(Users::clone), leader_users);
    Ok(())
}

#[tokio::test]
async fn a_full_sync_installs_the_users_and_moves_users_version() -> anyhow::Result<()> {
    let mut primary = temp_store(opts()).await?;
    let setuser = argv(&["ACL", "SETUSER", "bob", "on", "nopass", "~cache:*", "+@all"]);
    let set = argv(&["SET", "cache:1", "v"]);
    primary
        .sm
        .apply([write_entry(1, vec![setuser, set])])
        .await?;
    let (seq, _history, dbs, users) = primary.handle.sync_image();
    assert_eq!(seq, 2);
    let records: Vec<_> = dbs.clone().into_raw_entries().collect();

    let mut secondary = temp_store(opts()).await?;
    let history = vec![HistoryMark {
        epoch: 1,
        start_seq: 0,
    }];
    let role = RegionRequest::SetRole {
        role: ClusterRole::Secondary {
            datastore: "gds1".into(),
            epoch: 1,
            source: "use1".into(),
        },
        wipe: true,
        token: 0,
    };
    secondary.sm.apply([request(1, role)]).await?;
    let before = secondary.handle.users_version();
    let id = 77;
    let sync = [
        RegionRequest::SyncBegin { id, seq, history },
        RegionRequest::SyncChunk {
            id,
            entries: Bytes::from(meridian_keyspace::encode_chunk(&records)?),
        },
        RegionRequest::SyncUsers {
            id,
            users: Bytes::from(bincode::serialize(&users)?),
        },
        RegionRequest::SyncEnd { id },
    ];
    let entries: Vec<_> = sync
        .into_iter()
        .zip(2..)
        .map(|(req, i)| request(i, req))
        .collect();
    secondary.sm.apply(entries).await?;
    assert_eq!(secondary.handle.seq(), 2);
    assert!(secondary.handle.position().is_some(), "the sync took");
    assert_eq!(secondary.handle.read(Clone::clone), dbs);
    assert_ne!(secondary.handle.users_version(), before);
    assert_eq!(secondary.handle.users(Users::clone), users);
    Ok(())
}
