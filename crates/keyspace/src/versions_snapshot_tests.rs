//! Versions across snapshots, full-sync images and equality.

use super::{digest, key, key_in_another_slot, run, NOW};
use crate::db::Keyspace;

/// A keyspace with a history: overwrites, TTLs, deletions, collections.
fn busy() -> Keyspace {
    let mut ks = Keyspace::new();
    for i in 0..200 {
        let k = format!("k{}", i % 37);
        run(&mut ks, &["SET", &k, "v"]);
        if i % 3 == 0 {
            run(&mut ks, &["PEXPIRE", &k, &(1_000 + i).to_string()]);
        }
        if i % 5 == 0 {
            run(&mut ks, &["DEL", &format!("k{}", (i * 7) % 37)]);
        }
        run(&mut ks, &["SADD", &format!("s{}", i % 11), &i.to_string()]);
    }
    ks
}

fn digests(ks: &Keyspace) -> Vec<u64> {
    (0..60)
        .flat_map(|i| [format!("k{i}"), format!("s{i}")])
        .map(|k| digest(ks, &k))
        .collect()
}

#[test]
fn a_snapshot_keeps_versions_counter_and_creation_slots() {
    let ks = busy();
    let mut bytes = Vec::new();
    ks.write_snapshot(&mut bytes).expect("write");
    let mut back = Keyspace::read_snapshot(&bytes[..]).expect("read");
    assert_eq!(back, ks);
    assert_eq!(digests(&back), digests(&ks));
    let mut again = Vec::new();
    back.write_snapshot(&mut again).expect("write");
    assert_eq!(again, bytes, "a restored keyspace writes the same snapshot");

    // phase: the same writes after the restore hand out the same versions
    let mut original = ks;
    for ks in [&mut original, &mut back] {
        run(ks, &["SET", "k1", "v"]);
        run(ks, &["SET", "new", "v"]);
        run(ks, &["DEL", "new"]);
    }
    assert_eq!(digests(&back), digests(&original));
    assert_eq!(digest(&back, "new"), digest(&original, "new"));
}

#[test]
fn a_snapshot_of_another_format_or_slot_count_is_refused() {
    let mut bytes = Vec::new();
    Keyspace::new().write_snapshot(&mut bytes).expect("write");
    let mut old = bytes.clone();
    old[0] = 1;
    assert!(matches!(
        Keyspace::read_snapshot(&old[..]),
        Err(crate::SnapshotError::Version(1))
    ));
    let mut short = vec![bytes[0]];
    bincode::serialize_into(&mut short, &(5u64, vec![0u64; 3], 0u64)).expect("encode");
    assert!(matches!(
        Keyspace::read_snapshot(&short[..]),
        Err(crate::SnapshotError::CreationSlots(3))
    ));
}

#[test]
fn an_adopted_image_is_a_modification_of_every_key_it_holds() {
    let other = key_in_another_slot("gone");
    let mut ks = Keyspace::new();
    run(&mut ks, &["SET", "same", "v"]);
    run(&mut ks, &["SET", "gone", "v"]);
    let watched: Vec<u64> = ["same", "gone", &other]
        .iter()
        .map(|k| digest(&ks, k))
        .collect();
    // The image numbers its entries from 1, as the current keyspace did.
    let mut image = Keyspace::new();
    run(&mut image, &["SET", "same", "v"]);
    assert_eq!(
        digest(&image, "same"),
        watched[0],
        "the collision adopt avoids"
    );
    ks.adopt(image);
    assert_ne!(digest(&ks, "same"), watched[0], "present before and after");
    assert_ne!(digest(&ks, "gone"), watched[1], "present before only");
    assert_eq!(digest(&ks, &other), watched[2], "missing before and after");
    assert!(ks.contains(&key("same"), NOW) && !ks.contains(&key("gone"), NOW));
}

#[test]
fn keyspaces_with_the_same_data_are_equal_whatever_their_versions() {
    let mut a = Keyspace::new();
    run(&mut a, &["SET", "k", "v"]);
    let mut b = Keyspace::new();
    run(&mut b, &["SET", "k", "x"]);
    run(&mut b, &["SET", "k", "v"]);
    assert_eq!(a, b);
    assert_ne!(digest(&a, "k"), digest(&b, "k"));
}
