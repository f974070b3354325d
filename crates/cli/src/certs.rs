//! `meridian certs`: a development CA and a certificate per node and witness of a deployment
//! file, so the deployment can run with TLS (`[tls]`) and nodes can prove who they are to each
//! other. Not a production PKI: the CA key stays next to the certificates.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use meridian_config::DeploymentConfig;
use meridian_tls::devca::{DevCa, Issued};

#[derive(Args, Debug)]
pub struct CertsArgs {
    /// Deployment config file (TOML) whose nodes and witnesses get certificates.
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
    /// Directory for the files. Default: `<data_dir>/certs`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Days the node and client certificates are valid (the CA: ten times as long).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// Also make a client certificate with this name (`client-<name>.pem`), for RESP ports that
    /// require client certificates. Repeatable.
    #[arg(long = "client")]
    pub clients: Vec<String>,
    /// Extra host name or address to put in every node certificate (a load balancer's name,
    /// a public address). Repeatable.
    #[arg(long = "host")]
    pub hosts: Vec<String>,
}

pub async fn run(args: CertsArgs) -> Result<()> {
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    let out = args.out.clone().unwrap_or_else(|| default_dir(&cfg));
    let written = write_all(&cfg, &out, &args.issue())?;
    println!("wrote {} files to {}", written.len(), out.display());
    for path in &written {
        println!("  {}", path.display());
    }
    println!("\nTurn TLS on by adding to {}:\n", args.config.display());
    print!("{}", tls_table(&out));
    Ok(())
}

/// Where `meridian certs` and `meridian up --tls` keep the files by default.
pub fn default_dir(cfg: &DeploymentConfig) -> PathBuf {
    cfg.data_dir.join("certs")
}

/// The `[tls]` table naming the files [`write_all`] writes to `dir`.
pub fn tls_table(dir: &Path) -> String {
    format!(
        "[tls]\nca = \"{ca}\"\ncert = \"{dir}/node-{{id}}.pem\"\nkey = \"{dir}/node-{{id}}-key.pem\"\n",
        ca = dir.join("ca.pem").display(),
        dir = dir.display()
    )
}

/// What to issue besides the node certificates.
#[derive(Debug, Clone)]
pub struct Issue {
    pub days: u32,
    pub clients: Vec<String>,
    pub hosts: Vec<String>,
}

impl Issue {
    /// Node and witness certificates for a year, nothing else (`meridian up --tls`,
    /// `meridian docker up --tls`).
    pub fn nodes_only() -> Issue {
        Issue {
            days: 365,
            clients: Vec::new(),
            hosts: Vec::new(),
        }
    }
}

impl CertsArgs {
    fn issue(&self) -> Issue {
        Issue {
            days: self.days,
            clients: self.clients.clone(),
            hosts: self.hosts.clone(),
        }
    }
}

/// Writes (or reuses) the CA in `out`, then a certificate for every node and witness of `cfg`
/// and for each client named in `args`. Returns the paths written.
pub fn write_all(cfg: &DeploymentConfig, out: &Path, args: &Issue) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (ca, mut written) = ca_in(out, args.days)?;
    for (id, host) in node_hosts(cfg) {
        let mut hosts = vec![host, "localhost".into(), "127.0.0.1".into(), "::1".into()];
        hosts.extend(args.hosts.iter().cloned());
        let issued = ca.issue_node(id, &hosts, args.days)?;
        written.extend(write_pair(out, &format!("node-{id}"), &issued)?);
    }
    for name in &args.clients {
        let issued = ca.issue_client(name, args.days)?;
        written.extend(write_pair(out, &format!("client-{name}"), &issued)?);
    }
    Ok(written)
}

/// The CA of `dir` if one is there, else a new one written there.
fn ca_in(dir: &Path, days: u32) -> Result<(DevCa, Vec<PathBuf>)> {
    let (cert, key) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    if cert.exists() && key.exists() {
        let read = |p: &Path| {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        };
        let ca = DevCa::from_pem(&read(&cert)?, &read(&key)?)
            .with_context(|| format!("using the CA in {}", dir.display()))?;
        return Ok((ca, Vec::new()));
    }
    let ca = DevCa::generate("Meridian development CA", days.saturating_mul(10))?;
    let written = write_pair(dir, "ca", ca.ca())?;
    Ok((ca, written))
}

/// Every node and witness id with the host peers dial it at.
fn node_hosts(cfg: &DeploymentConfig) -> Vec<(u64, String)> {
    let nodes = cfg
        .clusters
        .iter()
        .flat_map(|c| &c.nodes)
        .map(|n| (n.id, n.host.clone()));
    let witnesses = cfg.witnesses.iter().map(|w| (w.id, w.host.clone()));
    nodes.chain(witnesses).collect()
}

/// `<name>.pem` and `<name>-key.pem` (readable by the owner only).
fn write_pair(dir: &Path, name: &str, issued: &Issued) -> Result<Vec<PathBuf>> {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert, &issued.cert_pem)
        .with_context(|| format!("writing {}", cert.display()))?;
    write_private(&key, &issued.key_pem)?;
    Ok(vec![cert, key])
}

/// Writes `text` to `path`, readable by the owner only (replacing any older file).
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_tls::{ClientAuth, Tls, TlsPaths};

    fn args() -> Issue {
        Issue {
            days: 30,
            clients: vec!["app".into()],
            hosts: vec!["meridian.example".into()],
        }
    }

    /// Every node and witness of the local deployment gets a certificate that loads, and a
    /// second run keeps the CA (certificates already handed out stay valid).
    #[test]
    fn every_node_gets_a_certificate_from_one_reused_ca() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cluster-configs/local.toml");
        let cfg = DeploymentConfig::open(config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write_all(&cfg, dir.path(), &args()).unwrap();
        let ca_before = std::fs::read(dir.path().join("ca.pem")).unwrap();
        let written = write_all(&cfg, dir.path(), &args()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), ca_before);
        assert!(
            !written.contains(&dir.path().join("ca.pem")),
            "the CA is reused"
        );
        let ids = node_hosts(&cfg);
        assert!(ids.len() >= 3, "{ids:?}");
        for (id, _) in ids {
            let paths = TlsPaths {
                cert: dir.path().join(format!("node-{id}.pem")),
                key: dir.path().join(format!("node-{id}-key.pem")),
                ca: dir.path().join("ca.pem"),
            };
            Tls::load(paths, ClientAuth::Optional).unwrap();
        }
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.path().join("node-1-key.pem"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o077, 0, "private keys are the owner's only");
        assert!(dir.path().join("client-app.pem").exists());
    }
}
