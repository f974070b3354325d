use std::fs;
use std::path::Path;
use std::sync::mpsc;

use super::segment::segment_path;
use super::*;

const SMALL: u64 = 256;

fn open(dir: &Path, purged: Option<u64>) -> Result<Wal, StorageError> {
    Wal::open_with(dir, purged, "test", SMALL).map(|(w, _)| w)
}

fn append(wal: &Wal, indexes: impl IntoIterator<Item = u64>) -> Result<(), StorageError> {
    let mut batch = Batch::default();
    for i in indexes {
        batch
            .push::<()>(i, |b| {
                b.extend_from_slice(format!("entry-{i}-{}", "x".repeat(40)).as_bytes());
                Ok(())
            })
            .ok();
    }
    let file = wal.append(&batch)?;
    let (tx, rx) = mpsc::channel();
    wal.sync_then(
        file,
        Box::new(move |r| {
            let _ = tx.send(r.map_err(|e| e.to_string()));
        }),
    );
    rx.recv()
        .map_err(|_| StorageError::Options("sync thread gone".into()))?
        .map_err(StorageError::Options)
}

fn read(wal: &Wal, start: u64, end: u64) -> Result<Vec<u64>, StorageError> {
    let mut out = Vec::new();
    wal.read(start, end, |i, payload| {
        assert!(payload.starts_with(format!("entry-{i}-").as_bytes()));
        out.push(i);
        Ok(())
    })?;
    Ok(out)
}

fn segments(dir: &Path) -> usize {
    fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn entries_survive_reopen_across_segments() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let wal = open(dir.path(), None)?;
    assert_eq!(wal.bounds(), None);
    for i in 0..20 {
        append(&wal, [i])?;
    }
    append(&wal, 20..25)?;
    assert!(segments(dir.path()) > 3, "small segments roll over");
    assert_eq!(wal.bounds(), Some((0, 24)));
    assert_eq!(read(&wal, 3, 9)?, (3..9).collect::<Vec<_>>());
    drop(wal);
    let wal = open(dir.path(), None)?;
    assert_eq!(wal.bounds(), Some((0, 24)));
    assert_eq!(read(&wal, 0, u64::MAX)?, (0..25).collect::<Vec<_>>());
    // phase: an append at an index already held replaces it and everything after it
    append(&wal, [20, 21])?;
    assert_eq!(wal.bounds(), Some((0, 21)));
    // phase: an append that would leave a hole is refused
    let err = append(&wal, [24]).err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("hole after 21")),
        "{err:?}"
    );
    drop(wal);
    let wal = open(dir.path(), None)?;
    assert_eq!(read(&wal, 0, u64::MAX)?, (0..22).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_torn_tail_is_cut_and_damage_elsewhere_is_refused() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let wal = open(dir.path(), None)?;
    append(&wal, 1..4)?;
    drop(wal);
    let seg = segment_path(dir.path(), 1);
    let good_len = fs::metadata(&seg)?.len();
    // phase: half a record at the end (a crash mid-write) is cut off on open
    let mut bytes = fs::read(&seg)?;
    bytes.extend_from_slice(&[9, 0, 0, 0, 1, 2, 3]);
    fs::write(&seg, &bytes)?;
    let wal = open(dir.path(), None)?;
    assert_eq!(fs::metadata(&seg)?.len(), good_len);
    assert_eq!(read(&wal, 1, 4)?, vec![1, 2, 3]);
    // phase: the log goes on after the cut
    for i in 4..12 {
        append(&wal, [i])?;
    }
    drop(wal);
    // phase: a damaged byte in a segment that is not the last is refused, not skipped
    let mut first = fs::read(&seg)?;
    first[20] ^= 0xff;
    fs::write(&seg, &first)?;
    let err = open(dir.path(), None).err().map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("damaged") && e.contains("checksum")),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn truncate_cuts_across_segments_durably() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let wal = open(dir.path(), None)?;
    for i in 1..=20 {
        append(&wal, [i])?;
    }
    let before = segments(dir.path());
    wal.truncate(6)?;
    assert_eq!(wal.bounds(), Some((1, 5)));
    assert!(segments(dir.path()) < before, "later segments removed");
    wal.truncate(30)?; // nothing there: no-op
    append(&wal, [6, 7])?;
    drop(wal);
    let wal = open(dir.path(), None)?;
    assert_eq!(read(&wal, 0, 100)?, (1..=7).collect::<Vec<_>>());
    // phase: truncating everything leaves an empty log that takes any next index
    wal.truncate(1)?;
    assert_eq!(wal.bounds(), None);
    append(&wal, [1])?;
    assert_eq!(wal.bounds(), Some((1, 1)));
    Ok(())
}

#[test]
fn purge_drops_dead_segments_and_reopen_skips_dead_entries() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let wal = open(dir.path(), None)?;
    for i in 1..=20 {
        append(&wal, [i])?;
    }
    let before = segments(dir.path());
    wal.purge(12)?;
    assert_eq!(wal.bounds(), Some((13, 20)));
    assert!(segments(dir.path()) < before, "dead segments removed");
    assert_eq!(read(&wal, 0, 100)?, (13..=20).collect::<Vec<_>>());
    drop(wal);
    let wal = open(dir.path(), Some(12))?;
    assert_eq!(wal.bounds(), Some((13, 20)));
    // phase: a purge past the end (a snapshot install) empties the log; it goes on after it
    wal.purge(40)?;
    assert_eq!(wal.bounds(), None);
    append(&wal, [39, 40])?;
    assert_eq!(
        wal.bounds(),
        None,
        "entries at or below the purge point are dead on arrival"
    );
    let err = append(&wal, [45, 44]).err().map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|e| e.contains("increasing")),
        "{err:?}"
    );
    append(&wal, [41, 42])?;
    drop(wal);
    let wal = open(dir.path(), Some(40))?;
    assert_eq!(read(&wal, 0, 100)?, vec![41, 42]);
    Ok(())
}

#[test]
fn the_newest_committed_record_is_recovered() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let wal = open(dir.path(), None)?;
    append(&wal, [1, 2])?;
    wal.save_committed(b"first")?;
    append(&wal, [3])?;
    wal.save_committed(b"second")?;
    append(&wal, [4])?;
    assert_eq!(
        read(&wal, 1, 5)?,
        vec![1, 2, 3, 4],
        "reads skip committed records"
    );
    drop(wal);
    let (wal, recovered) = Wal::open_with(dir.path(), None, "test", SMALL)?;
    assert_eq!(recovered.committed.as_deref(), Some(&b"second"[..]));
    assert_eq!(wal.bounds(), Some((1, 4)));
    Ok(())
}
