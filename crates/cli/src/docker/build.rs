//! The static binary and the image. The binary is built with glibc statically linked
//! (`-C target-feature=+crt-static`) into its own target directory, target/static, so the flag
//! does not invalidate the normal build; cargo decides whether it is stale. The image carries
//! a label with a fingerprint of the binary and the Dockerfile, and is rebuilt only when that
//! changes.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use clap::Args;
use tokio::process::Command;

use super::engine;
use super::project::{Project, DOCKERFILE};
use super::ProjectArgs;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";
const FINGERPRINT_LABEL: &str = "meridian.fingerprint";

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Image to build (and to run).
    #[arg(long, env = "MERIDIAN_DOCKER_IMAGE", default_value = "meridian:local")]
    pub image: String,
    /// Use the static binary as it is (do not run cargo); it must exist.
    #[arg(long, env = "MERIDIAN_DOCKER_NO_BUILD")]
    pub no_build: bool,
}

pub async fn run(args: BuildArgs) -> Result<()> {
    let project = Project::open(&args.project.project)?;
    ensure_image(&project, &args).await
}

/// The static binary (built unless --no-build) and an image of it, rebuilt only when stale.
pub async fn ensure_image(project: &Project, args: &BuildArgs) -> Result<()> {
    let binary = static_binary(&project.root);
    if !args.no_build {
        build_binary(&project.root).await?;
    }
    if !binary.is_file() {
        bail!(
            "the static binary {} is missing: run `meridian docker build` (without --no-build)",
            binary.display()
        );
    }
    let fingerprint = fingerprint(&[&binary, &project.root.join(DOCKERFILE)])?;
    if image_fingerprint(&args.image).await.as_deref() == Some(fingerprint.as_str()) {
        eprintln!("image {} is up to date", args.image);
        return Ok(());
    }
    let previous = engine::docker(["image", "inspect", "--format", "{{.Id}}", &args.image])
        .await
        .ok();
    let context = stage_context(&project.root, &binary)?;
    eprintln!("building image {} from {}", args.image, binary.display());
    let dockerfile = project.root.join(DOCKERFILE).display().to_string();
    let label = format!("{FINGERPRINT_LABEL}={fingerprint}");
    let context = context.display().to_string();
    engine::docker_env(
        [
            "build",
            "-q",
            "-f",
            &dockerfile,
            "--label",
            &label,
            "-t",
            &args.image,
            &context,
        ],
        &[("DOCKER_BUILDKIT", "0")],
    )
    .await
    .context("building the image (the classic builder: DOCKER_BUILDKIT=0)")?;
    // The image it replaces, now untagged, is only disk space (if a container still uses it,
    // docker refuses and it stays).
    if let Some(old) = previous {
        let _ = engine::docker(["image", "rm", old.trim()]).await;
    }
    Ok(())
}

/// target/static/x86_64-unknown-linux-gnu/release/meridian under the repository.
pub fn static_binary(root: &Path) -> PathBuf {
    static_target_dir(root)
        .join(TARGET)
        .join("release")
        .join("meridian")
}

fn static_target_dir(root: &Path) -> PathBuf {
    root.join("target").join("static")
}

async fn build_binary(root: &Path) -> Result<()> {
    eprintln!(
        "building the static binary (cargo build --release --target {TARGET} -p meridian-cli, RUSTFLAGS=\"-C target-feature=+crt-static --cfg tokio_unstable\", CARGO_TARGET_DIR=target/static)"
    );
    let status = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "-p",
            "meridian-cli",
        ])
        .env(
            "RUSTFLAGS",
            "-C target-feature=+crt-static --cfg tokio_unstable",
        )
        .env("CARGO_TARGET_DIR", static_target_dir(root))
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .await;
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => bail!("building the static binary failed ({s})"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("cargo is not on PATH: build the static binary elsewhere and pass --no-build")
        }
        Err(e) => Err(e).context("running cargo"),
    }
}

/// A hash of the files' contents (the binary and the Dockerfile), hex.
fn fingerprint(files: &[&Path]) -> Result<String> {
    let mut h = DefaultHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    for path in files {
        let mut f =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.write(&buf[..n]);
        }
        h.write_u8(0xff);
    }
    Ok(format!("{:016x}", h.finish()))
}

async fn image_fingerprint(image: &str) -> Option<String> {
    let format = format!("{{{{index .Config.Labels \"{FINGERPRINT_LABEL}\"}}}}");
    let out = engine::docker(["image", "inspect", "--format", &format, image])
        .await
        .ok()?;
    Some(out.trim().to_string()).filter(|s| !s.is_empty())
}

/// target/static/docker-context with the binary and an empty data/ (the whole target
/// directory would be a multi-gigabyte build context).
fn stage_context(root: &Path, binary: &Path) -> Result<PathBuf> {
    let dir = static_target_dir(root).join("docker-context");
    std::fs::create_dir_all(dir.join("data"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let dest = dir.join("meridian");
    let _ = std::fs::remove_file(&dest);
    if std::fs::hard_link(binary, &dest).is_err() {
        std::fs::copy(binary, &dest)
            .with_context(|| format!("copying {} to {}", binary.display(), dest.display()))?;
    }
    Ok(dir)
}
