use openraft::{CommittedLeaderId, LogId, StoredMembership};

use super::*;

fn meta(index: u64) -> SnapshotMeta<NodeId, Node> {
    SnapshotMeta {
        last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 1), index)),
        last_membership: StoredMembership::default(),
        snapshot_id: format!("s{index}"),
    }
}

fn names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names)
}

/// A store in `<tmp>/raft/g/snapshot` holding `meta(10)` with data `data`.
fn saved(data: &[u8]) -> Result<(tempfile::TempDir, PathBuf), StorageError> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("raft/g/snapshot");
    let store = SnapshotStore::open(&dir)?;
    assert!(store.save(&meta(10), data, SaveMode::Replace)?);
    Ok((tmp, dir))
}

fn load(dir: &Path) -> Result<Option<StoredSnapshot>, StorageError> {
    SnapshotStore::open(dir)?.load()
}

/// Rewrites the file's trailing crc32 to match its content.
fn fix_crc(bytes: &mut [u8]) {
    let end = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..end]);
    bytes[end..].copy_from_slice(&crc.to_le_bytes());
}

fn assert_corrupt(r: Result<Option<StoredSnapshot>, StorageError>, id: &str, reason: &str) {
    match r {
        Err(StorageError::SnapshotCorrupt { id: i, reason: r }) => {
            assert_eq!((i.as_str(), r.as_str()), (id, reason));
        }
        other => panic!("expected SnapshotCorrupt({id}, {reason}), got {other:?}"),
    }
}

#[test]
fn multi_megabyte_snapshots_round_trip_and_if_not_older_keeps_newer() -> Result<(), StorageError> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("raft/g/snapshot");
    let store = SnapshotStore::open(&dir)?;
    assert!(store.load()?.is_none());

    // phase: a payload of several MiB (the old chunked layout's multi-chunk case)
    let big: Vec<u8> = (0..((3 << 20) + 17)).map(|i| (i % 251) as u8).collect();
    assert!(store.save(&meta(10), &big, SaveMode::IfNotOlder)?);
    let (m, data) = store.load()?.expect("current");
    assert_eq!((m, data == big), (meta(10), true));

    // phase: an older build does not replace a newer snapshot; an install does
    assert!(!store.save(&meta(5), b"old", SaveMode::IfNotOlder)?);
    assert_eq!(store.load()?.map(|(m, _)| m), Some(meta(10)));
    assert!(store.save(&meta(10), b"same", SaveMode::IfNotOlder)?);
    assert_eq!(store.load()?, Some((meta(10), b"same".to_vec())));
    assert!(store.save(&meta(5), b"installed", SaveMode::Replace)?);
    assert_eq!(store.load()?, Some((meta(5), b"installed".to_vec())));
    assert!(store.save(&meta(6), b"", SaveMode::IfNotOlder)?);
    assert_eq!(store.load()?, Some((meta(6), Vec::new())));
    assert_eq!(names(&dir)?, vec![CURRENT_FILE.to_string()]);
    Ok(())
}

#[test]
fn file_layout_is_magic_version_header_data_crc() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let bytes = fs::read(dir.join(CURRENT_FILE))?;
    let header = encode(
        "test",
        &Header {
            meta: meta(10),
            len: 7,
        },
    )?;
    let mut expected = b"MRDNSNAP\x01".to_vec();
    expected.extend_from_slice(&(header.len() as u32).to_le_bytes());
    expected.extend_from_slice(&header);
    expected.extend_from_slice(b"payload");
    expected.extend_from_slice(&crc32fast::hash(&expected).to_le_bytes());
    assert_eq!(bytes, expected);
    Ok(())
}

#[test]
fn reopen_after_save_loads_the_same_snapshot() -> Result<(), StorageError> {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
    let (_tmp, dir) = saved(&data)?;
    assert_eq!(load(&dir)?, Some((meta(10), data)));
    Ok(())
}

#[test]
fn empty_directory_loads_none_and_open_creates_missing_dirs() -> Result<(), StorageError> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("a/b/c");
    assert_eq!(load(&dir)?, None);
    assert!(dir.is_dir());
    assert_eq!(names(&dir)?, Vec::<String>::new());
    Ok(())
}

#[test]
fn leftover_temp_file_is_removed_on_open_and_current_survives() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"kept")?;
    fs::write(dir.join("current.snap.tmp"), b"half a snapshot")?;
    let store = SnapshotStore::open(&dir)?;
    assert_eq!(names(&dir)?, vec![CURRENT_FILE.to_string()]);
    assert_eq!(store.load()?, Some((meta(10), b"kept".to_vec())));
    // The next save works over a fresh temp file too.
    assert!(store.save(&meta(11), b"next", SaveMode::IfNotOlder)?);
    assert_eq!(load(&dir)?, Some((meta(11), b"next".to_vec())));
    Ok(())
}

#[test]
fn rejected_if_not_older_save_writes_nothing() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"newer")?;
    let before = fs::read(dir.join(CURRENT_FILE))?;
    let store = SnapshotStore::open(&dir)?;
    assert!(!store.save(&meta(9), b"older", SaveMode::IfNotOlder)?);
    assert_eq!(names(&dir)?, vec![CURRENT_FILE.to_string()]);
    assert_eq!(fs::read(dir.join(CURRENT_FILE))?, before);
    Ok(())
}

#[test]
fn flipped_data_byte_is_a_checksum_mismatch() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let path = dir.join(CURRENT_FILE);
    let mut bytes = fs::read(&path)?;
    let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().expect("4 bytes"));
    let at = bytes.len() - 4 - 3; // the 'l' of "payload"
    bytes[at] ^= 0x20;
    let computed = crc32fast::hash(&bytes[..bytes.len() - 4]);
    fs::write(&path, &bytes)?;
    assert_corrupt(
        load(&dir),
        "s10",
        &format!("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
    );
    Ok(())
}

#[test]
fn truncated_file_is_reported_short() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let path = dir.join(CURRENT_FILE);
    let bytes = fs::read(&path)?;
    fs::write(&path, &bytes[..bytes.len() - 5])?;
    assert_corrupt(
        load(&dir),
        "s10",
        "header says 7 data bytes, the file holds 2",
    );
    fs::write(&path, &bytes[..5])?;
    assert_corrupt(
        load(&dir),
        UNKNOWN_ID,
        "file is 5 bytes, too short for its magic and version",
    );
    fs::write(&path, &bytes[..12])?;
    assert_corrupt(
        load(&dir),
        UNKNOWN_ID,
        "file is 12 bytes, too short for a header length and checksum",
    );
    fs::write(&path, b"")?;
    assert_corrupt(
        load(&dir),
        UNKNOWN_ID,
        "file is 0 bytes, too short for its magic and version",
    );
    Ok(())
}

#[test]
fn wrong_magic_is_corrupt() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let path = dir.join(CURRENT_FILE);
    let mut bytes = fs::read(&path)?;
    bytes[..8].copy_from_slice(b"NOTASNAP");
    fs::write(&path, &bytes)?;
    assert_corrupt(load(&dir), UNKNOWN_ID, "not a snapshot file (bad magic)");
    Ok(())
}

#[test]
fn unknown_version_is_rejected() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let path = dir.join(CURRENT_FILE);
    let mut bytes = fs::read(&path)?;
    bytes[8] = 99;
    fix_crc(&mut bytes);
    fs::write(&path, &bytes)?;
    let store = SnapshotStore::open(&dir)?;
    assert!(matches!(
        store.load(),
        Err(StorageError::SnapshotVersion(99, FORMAT_VERSION))
    ));
    // A build cannot judge a file it cannot read; an install replaces it.
    assert!(matches!(
        store.save(&meta(11), b"x", SaveMode::IfNotOlder),
        Err(StorageError::SnapshotVersion(99, FORMAT_VERSION))
    ));
    assert!(store.save(&meta(11), b"x", SaveMode::Replace)?);
    assert_eq!(store.load()?, Some((meta(11), b"x".to_vec())));
    Ok(())
}

#[test]
fn corrupt_length_fields_are_rejected_without_allocating() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"payload")?;
    let path = dir.join(CURRENT_FILE);
    let good = fs::read(&path)?;

    // phase: a header length far past the end of the file
    let mut bytes = good.clone();
    bytes[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
    fs::write(&path, &bytes)?;
    let room = good.len() as u64 - PREFIX_LEN - CRC_LEN;
    assert_corrupt(
        load(&dir),
        UNKNOWN_ID,
        &format!("header length 4294967295 exceeds the {room} bytes the file has for it"),
    );

    // phase: a well-formed header (valid crc) claiming u64::MAX data bytes
    let header = encode(
        "test",
        &Header {
            meta: meta(10),
            len: u64::MAX,
        },
    )?;
    let mut bytes = b"MRDNSNAP\x01".to_vec();
    bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(b"payload\0\0\0\0");
    fix_crc(&mut bytes);
    fs::write(&path, &bytes)?;
    assert_corrupt(
        load(&dir),
        "s10",
        "header says 18446744073709551615 data bytes, the file holds 7",
    );
    Ok(())
}

#[test]
fn every_byte_flip_and_every_truncation_is_an_error() -> Result<(), StorageError> {
    let (_tmp, dir) = saved(b"a small payload")?;
    let path = dir.join(CURRENT_FILE);
    let good = fs::read(&path)?;
    for at in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bytes = good.clone();
            bytes[at] ^= mask;
            fs::write(&path, &bytes)?;
            match load(&dir) {
                Err(StorageError::SnapshotCorrupt { .. }) => {}
                Err(StorageError::SnapshotVersion(_, FORMAT_VERSION)) if at == 8 => {}
                other => panic!("byte {at} ^ {mask:#x}: {other:?}"),
            }
        }
    }
    for len in 0..good.len() {
        fs::write(&path, &good[..len])?;
        assert!(
            matches!(load(&dir), Err(StorageError::SnapshotCorrupt { .. })),
            "truncated to {len}"
        );
    }
    Ok(())
}
