//! Small durable-file primitives: every file Meridian writes for Raft (log segments, the vote
//! file, snapshots) is made durable with these, with `fsync`/`fdatasync`, never with
//! `sync_file_range` (which leaves the disk's write cache and the file's metadata unsynced).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Makes the directory entries of `dir` (files created, renamed or removed in it) durable.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Syncs `path` when it exists: what a killed process wrote may still be only in the page
/// cache, and must be on disk before the node trusts it.
pub(crate) fn sync_file_if_exists(path: &Path) -> std::io::Result<()> {
    match File::open(path) {
        Ok(f) => f.sync_all(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `dir` and any missing parents, making each new entry durable in its parent.
pub(crate) fn create_dir_durable(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|a| !a.is_dir()).collect();
    for d in missing.into_iter().rev() {
        match fs::create_dir(d) {
            // Another group of the node created it meanwhile: its entry still gets synced.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
        match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => sync_dir(p)?,
            _ => sync_dir(Path::new("."))?,
        }
    }
    Ok(())
}

/// Suffix of a file being written by [`write_atomically`]; such leftovers of a crash are
/// garbage and [`remove_temp_files`] deletes them.
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// Replaces `path` with `bytes` so that a crash at any moment leaves either the old or the new
/// content: writes `<path>.tmp`, syncs it, renames it over `path`, syncs the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other(format!("{} has no parent", path.display())))?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(TEMP_SUFFIX);
    let tmp = Path::new(&tmp_name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(tmp, path)?;
    sync_dir(dir)
}

/// Removes the `*.tmp` files a crashed [`write_atomically`] left in `dir`.
pub(crate) fn remove_temp_files(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomically_replaces_and_leftover_temp_files_are_removed() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let sub = dir.path().join("a/b");
        create_dir_durable(&sub)?;
        let path = sub.join("state");
        write_atomically(&path, b"one")?;
        write_atomically(&path, b"two")?;
        assert_eq!(fs::read(&path)?, b"two");
        fs::write(sub.join("state.tmp"), b"half")?;
        remove_temp_files(&sub)?;
        let names: Vec<String> = fs::read_dir(&sub)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, vec!["state".to_string()]);
        Ok(())
    }
}
