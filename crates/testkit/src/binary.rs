//! The `meridian` binary that end-to-end tests run as a user would.

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};

/// The `meridian` binary next to the running test binary (`target/<profile>/meridian`); an
/// error saying how to build it when it is missing.
pub fn meridian_bin() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("meridian"))
        .context("locating the target directory of the test binary")?;
    let len = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    ensure!(
        len > 0,
        "the meridian binary is missing or empty at {}: run `cargo build -p meridian-cli --bin meridian` first",
        bin.display()
    );
    Ok(bin)
}
