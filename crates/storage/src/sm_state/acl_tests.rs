//! `ACL SETUSER` / `ACL DELUSER` as replicated writes: replies, seq and backlog, batches, the
//! snapshot encoding (and reading the version before users), shipped ops and full syncs.

use std::sync::Arc;

use bytes::Bytes;
use meridian_acl::{implicit_categories, Category, CategorySet, CommandFlags, CommandInfo, Users};
use meridian_types::{ClusterRole, HistoryMark, RegionRequest, Reply, WriteBatch, READONLY_ERROR};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};

use super::codec::SNAPSHOT_VERSION_NO_USERS;
use super::{ApplyEffects, SmState};

/// A small command table: `get` (@read @string @fast) and `set` (@write @string @slow).
fn table() -> Arc<Vec<CommandInfo>> {
    let cmd = |name: &str, flags: CommandFlags| CommandInfo {
        fullname: name.to_string(),
        categories: implicit_categories(CategorySet::of(&[Category::String]), flags),
        no_auth: false,
        subcommands: vec![],
    };
    let read = CommandFlags {
        readonly: true,
        fast: true,
        ..CommandFlags::default()
    };
    let write = CommandFlags {
        write: true,
        ..CommandFlags::default()
    };
    Arc::new(vec![cmd("get", read), cmd("set", write)])
}

fn state() -> SmState {
    SmState {
        acl_commands: table(),
        ..SmState::default()
    }
}

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

fn entry(index: u64, req: RegionRequest) -> Entry<meridian_types::RegionTypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(req),
    }
}

fn batch(commands: &[&[&str]]) -> RegionRequest {
    RegionRequest::Write(vec![WriteBatch {
        db: 0,
        commands: commands.iter().map(|c| argv(c)).collect(),
        now_ms: 5_000,
        seed: 3,
        watched: vec![],
    }])
}

/// Applies one batch as entry `index`; its replies.
fn write(st: &mut SmState, fx: &mut ApplyEffects, index: u64, commands: &[&[&str]]) -> Vec<Reply> {
    let resp = st.apply_entry(&entry(index, batch(commands)), fx);
    resp.results
        .into_iter()
        .next()
        .map(|r| r.replies)
        .unwrap_or_default()
}

/// The users a table with `alice` (and `bob`) has after the same rules.
fn users_with(names: &[&str]) -> Users {
    let mut users = Users::default();
    for name in names {
        users
            .setuser(
                &*table(),
                name.as_bytes(),
                &[b"on", b">secret", b"~k*", b"+get"],
            )
            .expect("setuser");
    }
    users
}

fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

#[test]
fn setuser_and_deluser_in_a_batch_are_sequenced_writes_that_ship() {
    let mut st = state();
    let mut fx = ApplyEffects::default();
    let replies = write(
        &mut st,
        &mut fx,
        1,
        &[
            &["acl", "setuser", "alice", "on", ">secret", "~k*", "+get"],
            &["ACL", "SETUSER", "bob", "on", ">secret", "~k*", "+get"],
            &["Acl", "DelUser", "bob", "nobody"],
        ],
    );
    assert_eq!(replies, vec![Reply::ok(), Reply::ok(), Reply::Integer(1)]);
    assert_eq!(st.users, users_with(&["alice"]));
    assert_eq!((st.seq, st.last_op_ms), (3, 5_000));
    assert!(fx.users_changed);
    let shipped: Vec<_> = fx.ops.iter().map(|op| (op.seq, op.argv.clone())).collect();
    assert_eq!(
        shipped,
        vec![
            (
                1,
                argv(&["acl", "setuser", "alice", "on", ">secret", "~k*", "+get"])
            ),
            (
                2,
                argv(&["ACL", "SETUSER", "bob", "on", ">secret", "~k*", "+get"])
            ),
            (3, argv(&["Acl", "DelUser", "bob", "nobody"])),
        ]
    );
    // A DELUSER of no existing user succeeds (a write, as DEL of a missing key) but leaves
    // the users as they were.
    let mut fx = ApplyEffects::default();
    let replies = write(&mut st, &mut fx, 2, &[&["ACL", "DELUSER", "nobody"]]);
    assert_eq!(replies, vec![Reply::Integer(0)]);
    assert_eq!((st.seq, fx.ops.len(), fx.users_changed), (4, 1, false));
}

#[test]
fn a_failing_acl_command_changes_nothing_and_takes_no_seq() {
    let mut st = state();
    let mut fx = ApplyEffects::default();
    write(
        &mut st,
        &mut fx,
        1,
        &[&["ACL", "SETUSER", "alice", "on", ">secret", "~k*", "+get"]],
    );
    let before = st.users.clone();
    let mut fx = ApplyEffects::default();
    let replies = write(
        &mut st,
        &mut fx,
        2,
        &[
            &["ACL", "SETUSER", "alice", "off", "+nosuchcommand"],
            &["ACL", "SETUSER", "bad name"],
            &["ACL", "SETUSER"],
            &["acl", "deluser"],
            &["ACL", "DELUSER", "alice", "default"],
            &["ACL", "LIST"],
            &["ACL"],
        ],
    );
    assert_eq!(
        replies,
        vec![
            err("ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL"),
            err("ERR Usernames can't contain spaces or null characters"),
            err("ERR wrong number of arguments for 'acl|setuser' command"),
            err("ERR wrong number of arguments for 'acl|deluser' command"),
            err("ERR The 'default' user cannot be removed"),
            err("ERR unknown subcommand 'LIST'. Try ACL HELP."),
            err("ERR wrong number of arguments for 'acl' command"),
        ]
    );
    assert_eq!(st.users, before, "alice is still on, and still there");
    assert_eq!((st.seq, fx.ops.len(), fx.users_changed), (1, 0, false));
}

#[test]
fn acl_commands_keep_the_batch_semantics_of_exec() {
    let mut st = state();
    let mut fx = ApplyEffects::default();
    // As in EXEC: each command runs, an error does not stop the rest, each write takes a seq.
    let replies = write(
        &mut st,
        &mut fx,
        1,
        &[
            &["SET", "k", "v"],
            &["ACL", "SETUSER", "alice", "on", ">secret", "~k*", "+get"],
            &["INCR", "k"],
            &["ACL", "SETUSER", "carol", "+bogus"],
            &["SET", "k2", "v"],
        ],
    );
    assert_eq!(replies[0], Reply::ok());
    assert_eq!(replies[1], Reply::ok());
    assert!(replies[2].is_error() && replies[3].is_error());
    assert_eq!(replies[4], Reply::ok());
    let seqs: Vec<_> = fx
        .ops
        .iter()
        .map(|op| (op.seq, op.argv[0].clone()))
        .collect();
    assert_eq!(
        seqs,
        vec![
            (1, Bytes::from_static(b"SET")),
            (2, Bytes::from_static(b"ACL")),
            (3, Bytes::from_static(b"SET")),
        ]
    );
    assert_eq!((st.dbs.len(), st.users.usernames().len()), (2, 2));

    // A secondary refuses ACL writes like any other write.
    st.set_role(&secondary_role(), false, 0, &mut fx);
    let mut fx = ApplyEffects::default();
    let replies = write(&mut st, &mut fx, 2, &[&["ACL", "DELUSER", "alice"]]);
    assert_eq!(replies, vec![Reply::error(READONLY_ERROR)]);
    assert_eq!((st.users.usernames().len(), fx.ops.len()), (2, 0));
}

#[test]
fn snapshots_keep_the_users_and_a_version_5_snapshot_still_opens() {
    let mut st = state();
    let mut fx = ApplyEffects::default();
    write(
        &mut st,
        &mut fx,
        1,
        &[
            &["SET", "k", "v"],
            &["ACL", "SETUSER", "alice", "on", ">secret", "~k*", "+get"],
        ],
    );
    let bytes = st.encode().expect("encode");
    let back = SmState::decode(&bytes).expect("decode");
    assert_eq!(back.users, st.users);
    assert_eq!((back.dbs, back.seq), (st.dbs.clone(), 2));

    // Version 5 is version 6 without the users part at the end.
    let users_part = bincode::serialized_size(&(st.users.clone(), None::<Users>)).expect("size");
    let mut v5 = bytes[..bytes.len() - users_part as usize].to_vec();
    v5[0] = SNAPSHOT_VERSION_NO_USERS;
    let old = SmState::decode(&v5).expect("decode version 5");
    assert_eq!(old.users, Users::default(), "the users Redis starts with");
    assert_eq!((old.dbs, old.seq), (st.dbs.clone(), 2));
}

fn secondary_role() -> ClusterRole {
    ClusterRole::Secondary {
        datastore: "gds1".into(),
        epoch: 1,
        source: "use1".into(),
    }
}

fn history() -> Vec<HistoryMark> {
    vec![HistoryMark {
        epoch: 1,
        start_seq: 0,
    }]
}

/// A secondary that completed an empty full sync at seq 0 (so it holds a position).
fn secondary() -> SmState {
    let mut st = state();
    let mut fx = ApplyEffects::default();
    st.set_role(&secondary_role(), true, 0, &mut fx);
    st.begin_sync(1, 0, &history());
    st.finish_sync(1, &mut fx);
    assert!(st.position().is_some());
    st
}

#[test]
fn a_secondary_applying_shipped_acl_ops_ends_with_the_primarys_users() {
    let mut primary = state();
    let mut fx = ApplyEffects::default();
    write(
        &mut primary,
        &mut fx,
        1,
        &[
            &["ACL", "SETUSER", "alice", "on", ">secret", "~k*", "+get"],
            &["SET", "k", "v"],
            &["ACL", "SETUSER", "bob", "on", "nopass", "+@all", "~*"],
            &["ACL", "SETUSER", "alice", "+set"],
            &["ACL", "DELUSER", "bob"],
        ],
    );
    let mut sec = secondary();
    let mut sfx = ApplyEffects::default();
    let ship = RegionRequest::Ship {
        ops: fx.ops.clone(),
        history: history(),
    };
    sec.apply_entry(&entry(10, ship), &mut sfx);
    assert_eq!(sec.users, primary.users);
    assert_eq!((sec.seq, sec.dbs.clone()), (5, primary.dbs.clone()));
    assert!(sfx.users_changed);
    assert_eq!(
        sfx.ops, fx.ops,
        "the secondary's backlog holds the same ops"
    );
}

/// The requests of a full sync of `image` (its users sent as `users` bytes, if any).
fn full_sync(id: u64, users: Option<Bytes>) -> Vec<RegionRequest> {
    let mut reqs = vec![RegionRequest::SyncBegin {
        id,
        seq: 7,
        history: history(),
    }];
    if let Some(users) = users {
        reqs.push(RegionRequest::SyncUsers { id, users });
    }
    reqs.push(RegionRequest::SyncEnd { id });
    reqs
}

#[test]
fn a_full_sync_swaps_in_its_users_and_bad_users_spoil_it() {
    let primary_users = users_with(&["alice", "bob"]);
    let encoded = Bytes::from(bincode::serialize(&primary_users).expect("encode users"));

    // phase: users that fail to decode (or leave bytes over) spoil the image
    let mut sec = secondary();
    let mut fx = ApplyEffects::default();
    let mut trailing = encoded.to_vec();
    trailing.push(0);
    for bad in [encoded.slice(..encoded.len() - 1), Bytes::from(trailing)] {
        for (i, req) in full_sync(2, Some(bad)).into_iter().enumerate() {
            sec.apply_entry(&entry(20 + i as u64, req), &mut fx);
        }
        assert_eq!((sec.seq, &sec.users), (0, &Users::default()));
        assert!(!fx.users_changed);
    }

    // phase: staged users survive a snapshot taken mid-sync, and SyncEnd swaps them in
    let mut reqs = full_sync(3, Some(encoded));
    let end = reqs.pop().expect("SyncEnd");
    for (i, req) in reqs.into_iter().enumerate() {
        sec.apply_entry(&entry(30 + i as u64, req), &mut fx);
    }
    let mut sec = SmState::decode(&sec.encode().expect("encode")).expect("decode");
    assert_eq!(sec.users, Users::default(), "staged aside until the end");
    sec.apply_entry(&entry(40, end), &mut fx);
    assert_eq!((sec.seq, &sec.users), (7, &primary_users));
    assert!(fx.users_changed);

    // phase: a sync that carries no users leaves the default users
    let mut fx = ApplyEffects::default();
    for (i, req) in full_sync(4, None).into_iter().enumerate() {
        sec.apply_entry(&entry(50 + i as u64, req), &mut fx);
    }
    assert_eq!(sec.users, Users::default());
    assert!(fx.users_changed);
}
