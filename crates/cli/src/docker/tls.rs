//! `meridian docker up --tls`: the files that put TLS on every node container, and reading back
//! whether a running project uses them.
//!
//! ```text
//! <repo>/data/docker/<project>/      (0700: on the host only its owner gets in)
//!   certs/ca.pem, ca-key.pem          the development CA (`meridian certs`); its key stays here
//!   certs/node-N.pem, node-N-key.pem  node N's certificate: its container name, localhost,
//!                                     127.0.0.1 (the host reaches it on published ports)
//!   cluster-secret                    the secret nodes present to each other
//!   docker.toml                       cluster-configs/docker.toml + [tls] + [security] +
//!                                     resp_tls_port, with the paths the containers see
//!   compose.tls.yml                   added to docker/compose.yml: per node, those files
//!                                     mounted read-only and the RESP TLS port published
//! ```
//!
//! A node container gets the CA certificate, its own certificate and key, the secret and the
//! deployment file, never the CA key. Keys and the secret are readable by every user (the
//! containers run as user 10001, not as the file's owner) inside a directory only the owner
//! can enter. The launcher keeps no state: labels on the node containers say where the CA is
//! and which container port speaks RESP over TLS.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use meridian_config::DeploymentConfig;

use super::engine::Inspect;
use super::project::{Project, CONFIG_FILE};
use crate::certs::{self, Issue};
use crate::up::secure;

/// Where the files appear inside a container.
const CERTS_IN: &str = "/etc/meridian/certs";
const SECRET_IN: &str = "/etc/meridian/cluster-secret";
const CONFIG_IN: &str = "/etc/meridian/docker.toml";
/// Node container labels: the CA's path on the host, and the RESP TLS port in the container.
const LABEL_CA: &str = "meridian.tls.ca";
const LABEL_RESP: &str = "meridian.tls.resp_port";

/// A project's TLS files on the host.
pub struct TlsFiles {
    pub dir: PathBuf,
}

impl TlsFiles {
    pub fn of(project: &Project) -> TlsFiles {
        TlsFiles {
            dir: project.root.join("data/docker").join(&project.name),
        }
    }
    pub fn certs(&self) -> PathBuf {
        self.dir.join("certs")
    }
    pub fn ca(&self) -> PathBuf {
        self.certs().join("ca.pem")
    }
    fn secret(&self) -> PathBuf {
        self.dir.join("cluster-secret")
    }
    fn config(&self) -> PathBuf {
        self.dir.join("docker.toml")
    }
    fn compose(&self) -> PathBuf {
        self.dir.join("compose.tls.yml")
    }
}

/// Writes (or refreshes) every file of the project's TLS deployment; returns the compose file
/// to add to `docker/compose.yml`.
pub fn prepare(project: &Project, resp_prefix: u16, offset: u16) -> Result<PathBuf> {
    let files = TlsFiles::of(project);
    private_dir(&files.dir)?;
    // The file as written, without this shell's MERIDIAN_* overrides: the containers apply
    // their own environment.
    let path = project.root.join(CONFIG_FILE);
    let base =
        DeploymentConfig::load(&path).with_context(|| format!("loading {}", path.display()))?;
    certs::write_all(&base, &files.certs(), &Issue::nodes_only())?;
    secure::ensure_secret(&files.secret())?;
    let cfg = deployment(&base, offset)?;
    readable_in_containers(&files, &cfg)?;
    secure::write_deployment(&cfg, &files.config())?;
    let text = compose_override(&cfg, &files, resp_prefix)?;
    std::fs::write(files.compose(), text)
        .with_context(|| format!("writing {}", files.compose().display()))?;
    Ok(files.compose())
}

/// `base` with TLS on every port, the cluster secret and RESP TLS at `resp_port + offset`,
/// naming the files where the containers see them.
fn deployment(base: &DeploymentConfig, offset: u16) -> Result<DeploymentConfig> {
    let mut cfg = base.clone();
    cfg.tls = Some(secure::tls_table(Path::new(CERTS_IN)));
    cfg.security.cluster_secret_file = Some(PathBuf::from(SECRET_IN));
    secure::add_resp_tls_ports(&mut cfg, offset)?;
    Ok(cfg)
}

/// The directory, created if missing, entered by its owner only.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting {}", dir.display()))
}

/// Node keys and the secret: readable by the containers' user (the directory keeps others on
/// the host out).
fn readable_in_containers(files: &TlsFiles, cfg: &DeploymentConfig) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let keys = node_ids(cfg).map(|id| files.certs().join(format!("node-{id}-key.pem")));
    for path in keys.chain([files.secret()]) {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("making {} readable in the containers", path.display()))?;
    }
    Ok(())
}

fn node_ids(cfg: &DeploymentConfig) -> impl Iterator<Item = u64> + '_ {
    cfg.clusters.iter().flat_map(|c| &c.nodes).map(|n| n.id)
}

/// The compose file laid over docker/compose.yml: for `init`, the deployment file and the CA;
/// for every node, those, its certificate and key, the secret, the labels and its RESP TLS port
/// published at `<resp_prefix>NN + offset` (next to the plaintext `<resp_prefix>NN`).
pub fn compose_override(
    cfg: &DeploymentConfig,
    files: &TlsFiles,
    resp_prefix: u16,
) -> Result<String> {
    let mount = |host: PathBuf, inside: &str| -> Result<String> {
        Ok(format!("      - \"{}:{inside}:ro\"\n", yaml_path(&host)?))
    };
    let ca = mount(files.ca(), &format!("{CERTS_IN}/ca.pem"))?;
    let config = mount(files.config(), CONFIG_IN)?;
    let mut out = format!(
        "# Written by `meridian docker up --tls` (rewritten on every run): TLS on every node.\nversion: \"2.4\"\nservices:\n  init:\n    volumes:\n{config}{ca}"
    );
    for c in &cfg.clusters {
        for n in &c.nodes {
            let tls_port = n.resp_tls_port.context("a RESP TLS port on every node")?;
            let host_port = (resp_prefix * 100 + n.resp_port % 100)
                .checked_add(tls_port - n.resp_port)
                .with_context(|| {
                    format!(
                        "node {}: host RESP port + --tls-resp-offset is past 65535",
                        n.id
                    )
                })?;
            out.push_str(&format!(
                "  {service}:\n    labels:\n      {LABEL_CA}: \"{ca_host}\"\n      {LABEL_RESP}: \"{tls_port}\"\n    ports:\n      - \"127.0.0.1:{host_port}:{tls_port}\"\n    volumes:\n{config}{ca}",
                service = n.host,
                ca_host = yaml_path(&files.ca())?,
            ));
            out.push_str(&mount(files.secret(), SECRET_IN)?);
            for name in [
                format!("node-{}.pem", n.id),
                format!("node-{}-key.pem", n.id),
            ] {
                out.push_str(&mount(
                    files.certs().join(&name),
                    &format!("{CERTS_IN}/{name}"),
                )?);
            }
        }
    }
    Ok(out)
}

/// A host path as it can stand in a quoted compose volume: no `:` (the field separator), no
/// quote or backslash, `$` doubled (compose would substitute it).
fn yaml_path(path: &Path) -> Result<String> {
    let text = path.to_str().context("a project path that is UTF-8")?;
    if text.contains([':', '"', '\\', '\n']) {
        bail!("{text:?}: docker-compose cannot mount a path with : \" \\ or a line break; run from another directory");
    }
    Ok(text.replace('$', "$$"))
}

/// The host path of the CA when the project's node containers run with TLS.
pub fn ca_of(containers: &[Inspect]) -> Option<PathBuf> {
    containers
        .iter()
        .find_map(|c| c.label(LABEL_CA))
        .map(PathBuf::from)
}

/// `127.0.0.1:<host port>` of a node container's RESP TLS port, when it has one.
pub fn resp_tls(container: &Inspect) -> Option<String> {
    let port: u16 = container.label(LABEL_RESP)?.parse().ok()?;
    Some(format!("127.0.0.1:{}", container.host_port(port)?))
}

/// What `meridian up --tls` prints, for the containers: modes, CA, the RESP TLS endpoints and
/// how to connect.
pub fn summary(ca: &Path, resp: &[String]) -> String {
    secure::tls_summary(&secure::tls_table(Path::new(CERTS_IN)), ca, resp)
}

/// Removes the project's TLS files (with its data, on `down --volumes`).
pub fn remove(project: &Project) -> Result<()> {
    let files = TlsFiles::of(project);
    match std::fs::remove_dir_all(&files.dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", files.dir.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_tls::{ClientAuth, Tls, TlsPaths};

    /// A project whose repository is a temporary directory holding docker.toml.
    fn project(root: &Path) -> Project {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::create_dir_all(root.join("cluster-configs")).unwrap();
        std::fs::copy(repo.join(CONFIG_FILE), root.join(CONFIG_FILE)).unwrap();
        let cfg = DeploymentConfig::open(root.join(CONFIG_FILE)).unwrap();
        Project {
            name: "tls-test".into(),
            root: root.to_path_buf(),
            cfg,
        }
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The lines of one service in the generated compose file.
    fn block(text: &str, service: &str) -> String {
        let header = format!("  {service}:");
        let mut lines = text.lines().skip_while(|l| *l != header);
        let first = lines
            .next()
            .unwrap_or_else(|| panic!("no {service} in {text}"));
        let rest = lines.take_while(|l| l.starts_with("   "));
        std::iter::once(first)
            .chain(rest)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_deployment_names_container_paths_and_a_resp_tls_port_per_node() {
        let dir = tempfile::tempdir().unwrap();
        let p = project(dir.path());
        let cfg = deployment(&p.cfg, 100).unwrap();
        cfg.validate().unwrap();
        let tls = cfg.tls.as_ref().unwrap();
        assert_eq!(tls.ca, Path::new("/etc/meridian/certs/ca.pem"));
        assert_eq!(
            tls.cert_path(4),
            Path::new("/etc/meridian/certs/node-4.pem")
        );
        assert_eq!(
            tls.key_path(4),
            Path::new("/etc/meridian/certs/node-4-key.pem")
        );
        assert!(tls.grpc.accepts_tls() && cfg.internal_tls());
        assert_eq!(
            cfg.security.cluster_secret_file.as_deref(),
            Some(Path::new(SECRET_IN))
        );
        assert_eq!(cfg.node(1).unwrap().node.resp_tls_port, Some(6501));
        assert_eq!(cfg.node(9).unwrap().node.resp_tls_port, Some(6523));
        assert!(deployment(&p.cfg, 65000).is_err(), "a port past 65535");
    }

    /// Every node gets its own certificate and key, the CA certificate, the secret and the
    /// deployment file, read-only; no container gets the CA key or another node's key; the
    /// RESP TLS port is published next to the plaintext one.
    #[test]
    fn the_compose_file_mounts_each_node_its_own_files_and_publishes_its_tls_port() {
        let files = TlsFiles {
            dir: PathBuf::from("/repo/data/docker/p$1"),
        };
        let dir = tempfile::tempdir().unwrap();
        let cfg = deployment(&project(dir.path()).cfg, 200).unwrap();
        let text = compose_override(&cfg, &files, 20).unwrap();
        assert!(!text.contains("ca-key"), "{text}");
        let init = block(&text, "init");
        assert!(
            init.contains("/repo/data/docker/p$$1/docker.toml:/etc/meridian/docker.toml:ro"),
            "{init}"
        );
        assert!(
            init.contains("certs/ca.pem:/etc/meridian/certs/ca.pem:ro"),
            "{init}"
        );
        assert!(!init.contains("node-"), "{init}");
        for n in cfg.clusters.iter().flat_map(|c| &c.nodes) {
            let b = block(&text, &n.host);
            let host = 2000 + n.resp_port % 100 + 200;
            assert!(
                b.contains(&format!("\"127.0.0.1:{host}:{}\"", n.resp_port + 200)),
                "{b}"
            );
            assert!(
                b.contains(&format!("{LABEL_RESP}: \"{}\"", n.resp_port + 200)),
                "{b}"
            );
            assert!(
                b.contains(&format!(
                    "{LABEL_CA}: \"/repo/data/docker/p$$1/certs/ca.pem\""
                )),
                "{b}"
            );
            assert!(
                b.contains(&format!(
                    "certs/node-{0}-key.pem:/etc/meridian/certs/node-{0}-key.pem:ro",
                    n.id
                )),
                "{b}"
            );
            assert!(
                b.contains("cluster-secret:/etc/meridian/cluster-secret:ro"),
                "{b}"
            );
            assert_eq!(b.matches("-key.pem").count(), 2, "only its own key: {b}");
            assert_eq!(b.matches(":ro\"").count(), 5, "{b}");
        }
        assert!(yaml_path(Path::new("/a:b")).is_err());
    }

    /// The files `up --tls` writes: certificates that load for every node, the secret and keys
    /// readable inside the containers but the directory closed to other users, a deployment
    /// file that loads with the [tls] table; a second run keeps the CA and the secret.
    #[test]
    fn prepare_writes_files_the_containers_can_use_and_keeps_the_ca() {
        let dir = tempfile::tempdir().unwrap();
        let p = project(dir.path());
        let compose = prepare(&p, 64, 100).unwrap();
        let files = TlsFiles::of(&p);
        assert_eq!(compose, files.compose());
        assert_eq!(mode(&files.dir), 0o700);
        assert_eq!(mode(&files.secret()), 0o644);
        assert_eq!(mode(&files.certs().join("ca-key.pem")) & 0o077, 0);
        for id in 1..=9u64 {
            let paths = TlsPaths {
                cert: files.certs().join(format!("node-{id}.pem")),
                key: files.certs().join(format!("node-{id}-key.pem")),
                ca: files.ca(),
            };
            assert_eq!(mode(&paths.key), 0o644);
            Tls::load(paths, ClientAuth::Optional).unwrap();
        }
        let written = DeploymentConfig::load(files.config()).unwrap();
        assert_eq!(
            written.tls.unwrap().ca,
            Path::new("/etc/meridian/certs/ca.pem")
        );
        let (ca, secret) = (
            std::fs::read(files.ca()).unwrap(),
            std::fs::read(files.secret()).unwrap(),
        );
        prepare(&p, 64, 100).unwrap();
        assert_eq!(std::fs::read(files.ca()).unwrap(), ca);
        assert_eq!(std::fs::read(files.secret()).unwrap(), secret);
        remove(&p).unwrap();
        assert!(!files.dir.exists());
        remove(&p).unwrap();
    }
}
