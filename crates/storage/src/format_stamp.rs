//! The regional log's data format, stamped in its directory: entries are bincode, which has no
//! room for a field an older build did not write, so a directory written in another format is
//! refused at start-up with a clear error instead of failing on its first entry.

use std::path::Path;

use crate::error::StorageError;
use crate::fsutil::{create_dir_durable, write_atomically};

/// Bumped whenever a regional log entry or backlog op changes shape (2: numbered databases).
pub(crate) const REGION_FORMAT: u32 = 2;

const STAMP: &str = "format";

/// Checks `dir`'s stamp, or stamps a new (empty) directory.
pub(crate) fn check_or_stamp(dir: &Path) -> Result<(), StorageError> {
    let stamp = dir.join(STAMP);
    let found = match std::fs::read_to_string(&stamp) {
        Ok(text) => Some(text.trim().parse::<u32>().unwrap_or(0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    match found {
        Some(REGION_FORMAT) => Ok(()),
        None if is_empty_dir(dir)? => {
            create_dir_durable(dir)?;
            write_atomically(&stamp, format!("{REGION_FORMAT}\n").as_bytes())?;
            Ok(())
        }
        found => Err(StorageError::DataFormat {
            path: dir.to_path_buf(),
            found: found.unwrap_or(1),
            expected: REGION_FORMAT,
        }),
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool, StorageError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_directory_is_stamped_and_another_format_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("group");
        check_or_stamp(&dir).expect("stamp a new directory");
        check_or_stamp(&dir).expect("the same format opens again");

        std::fs::write(dir.join(STAMP), "1\n").expect("write");
        let refused = check_or_stamp(&dir).expect_err("another format");
        assert!(refused.to_string().contains("format 1"), "{refused}");

        let old = tmp.path().join("old");
        std::fs::create_dir_all(old.join("wal")).expect("mkdir");
        let refused = check_or_stamp(&old).expect_err("an unstamped directory with data");
        assert!(
            refused.to_string().contains("empty data directory"),
            "{refused}"
        );
    }
}
