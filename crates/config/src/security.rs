//! `[tls]` and `[security]`: TLS on the node's ports, and the shared secret nodes present to
//! each other's internal services where a connection is not TLS.

use crate::{DeploymentConfig, Problem};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// TLS on every node and witness of the deployment (`[tls]`). Certificates are reloaded from
/// disk while nodes run (see [`TlsConfig::reload_interval_ms`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The deployment's CA certificate(s), PEM: nodes accept peers and client certificates
    /// issued by it. Relative paths resolve against the config file's directory. Required.
    pub ca: PathBuf,
    /// The node's certificate chain, PEM; `{id}` in the path is replaced by the node id
    /// (`certs/node-{id}.pem`). Resolved like `ca`. Required.
    pub cert: PathBuf,
    /// The certificate's private key, PEM; `{id}` as in `cert`. Required.
    pub key: PathBuf,
    /// The gRPC port (client API and internal RPCs): `"on"` (TLS only), `"both"` (TLS and
    /// plaintext on the same port, to move a running deployment to TLS one node at a time),
    /// or `"off"`. Nodes call each other with TLS unless this is `"off"`. Default: `"on"`.
    #[serde(default = "on")]
    pub grpc: TlsMode,
    /// Whether nodes call each other's gRPC ports with TLS (presenting their certificate).
    /// Default: unset, meaning yes unless `grpc` is `"off"`. To move a running deployment to
    /// TLS one node at a time: restart each node with `grpc = "both"` and `internal = false`
    /// (needs a cluster secret), then each with `internal = true`, then each with
    /// `grpc = "on"`; every step can talk to nodes at the step before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    /// The metrics port, as `grpc`. Default: `"on"`.
    #[serde(default = "on")]
    pub metrics: TlsMode,
    /// Whether clients of the RESP TLS port (`resp_tls_port`) must present a certificate from
    /// the CA, as Redis's `tls-auth-clients`: `"no"`, `"optional"` or `"required"`.
    /// Default: `"optional"` (`redis-cli --tls --cacert ca.pem` works).
    #[serde(default)]
    pub resp_client_certs: ClientCerts,
    /// How often nodes look for changed certificate files, in milliseconds; above 0.
    /// Default: 5000.
    #[serde(default = "default_reload_ms")]
    pub reload_interval_ms: u64,
}

/// Whether a port speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS only.
    On,
    /// TLS and plaintext on the same port, told apart by the first byte a client sends.
    Both,
    /// Plaintext only.
    Off,
}

impl TlsMode {
    /// Whether the port accepts TLS connections.
    pub fn accepts_tls(self) -> bool {
        self != TlsMode::Off
    }

    /// Whether the port accepts plaintext connections.
    pub fn accepts_plaintext(self) -> bool {
        self != TlsMode::On
    }
}

/// Client certificates on the RESP TLS port (Redis's `tls-auth-clients no|optional|yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientCerts {
    No,
    #[default]
    Optional,
    Required,
}

/// `[security]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// A file holding the cluster secret (its first line, at least 16 bytes): nodes send it
    /// with every internal call that does not travel over TLS, and refuse internal calls
    /// without it. Resolved like `data_dir`. `meridian up` creates one (in
    /// `<data_dir>/cluster-secret`) when it is unset. Default: unset (internal services of a plaintext gRPC port are
    /// open to anyone who can reach it, and nodes warn at start).
    /// Env: `MERIDIAN_SECURITY_CLUSTER_SECRET_FILE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_secret_file: Option<PathBuf>,
}

fn on() -> TlsMode {
    TlsMode::On
}

fn default_reload_ms() -> u64 {
    5000
}

impl TlsConfig {
    /// The certificate path of node `id`.
    pub fn cert_path(&self, id: u64) -> PathBuf {
        for_node(&self.cert, id)
    }

    /// The private key path of node `id`.
    pub fn key_path(&self, id: u64) -> PathBuf {
        for_node(&self.key, id)
    }

    pub fn reload_interval(&self) -> Duration {
        Duration::from_millis(self.reload_interval_ms)
    }

    pub(crate) fn resolve(&mut self, base: &Path) {
        self.ca = crate::load::resolve(base, &self.ca);
        self.cert = crate::load::resolve(base, &self.cert);
        self.key = crate::load::resolve(base, &self.key);
    }
}

fn for_node(template: &Path, id: u64) -> PathBuf {
    PathBuf::from(template.to_string_lossy().replace("{id}", &id.to_string()))
}

impl DeploymentConfig {
    /// Whether nodes call each other's gRPC ports with TLS.
    pub fn internal_tls(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|t| t.internal.unwrap_or(t.grpc.accepts_tls()))
    }

    /// Whether a node's internal services are open to any caller: no TLS identity and no
    /// cluster secret to check. Nodes warn about it at start.
    pub fn internal_services_open(&self) -> bool {
        let tls_port = self.tls.as_ref().is_some_and(|t| t.grpc.accepts_tls());
        !tls_port && self.security.cluster_secret_file.is_none()
    }

    pub(crate) fn check_security(&self, out: &mut Vec<Problem>) {
        if let Some(tls) = &self.tls {
            for (field, path) in [("ca", &tls.ca), ("cert", &tls.cert), ("key", &tls.key)] {
                if path.as_os_str().is_empty() {
                    out.push(Problem::new(format!("tls.{field}"), "must name a PEM file"));
                }
            }
            if tls.reload_interval_ms == 0 {
                out.push(Problem::new(
                    "tls.reload_interval_ms",
                    "must be above 0 (milliseconds between looks at the certificate files)",
                ));
            }
        }
        if self
            .security
            .cluster_secret_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            out.push(Problem::new(
                "security.cluster_secret_file",
                "must not be empty; leave it out to run without a cluster secret",
            ));
        }
        if self.tls.is_none() {
            for (c, cluster) in self.clusters.iter().enumerate() {
                for (n, node) in cluster.nodes.iter().enumerate() {
                    if node.resp_tls_port.is_some() {
                        out.push(Problem::new(
                            format!("clusters[{c}].nodes[{n}].resp_tls_port"),
                            "needs a [tls] table with the certificate to serve",
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ClientCerts, DeploymentConfig, TlsMode};
    use std::path::Path;

    const BASE: &str = r#"
data_dir = "data"
[[clusters]]
name = "use1"
region = "us-east-1"
[[clusters.nodes]]
id = 1
grpc_port = 7401
resp_port = 6401
metrics_port = 9401
coord = true
"#;

    fn parse(extra: &str) -> DeploymentConfig {
        DeploymentConfig::from_toml_str(&format!("{BASE}{extra}"), "/etc/meridian").unwrap()
    }

    #[test]
    fn tls_paths_resolve_against_the_file_and_name_each_node() {
        let c = parse(
            "resp_tls_port = 6411\n[tls]\nca = \"certs/ca.pem\"\ncert = \"certs/node-{id}.pem\"\nkey = \"/k/node-{id}-key.pem\"\n",
        );
        assert_eq!(c.problems(), vec![]);
        let tls = c.tls.as_ref().unwrap();
        assert_eq!(tls.ca, Path::new("/etc/meridian/certs/ca.pem"));
        assert_eq!(
            tls.cert_path(3),
            Path::new("/etc/meridian/certs/node-3.pem")
        );
        assert_eq!(tls.key_path(3), Path::new("/k/node-3-key.pem"));
        assert_eq!((tls.grpc, tls.metrics), (TlsMode::On, TlsMode::On));
        assert_eq!(tls.resp_client_certs, ClientCerts::Optional);
        assert!(c.internal_tls());
        assert_eq!(
            c.clusters[0].nodes[0].resp_tls_addr().as_deref(),
            Some("127.0.0.1:6411")
        );
    }

    #[test]
    fn bad_tls_and_security_settings_are_refused_with_their_path() {
        let c = parse("resp_tls_port = 6411\n");
        let problems = c.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "clusters[0].nodes[0].resp_tls_port");

        let c = parse("resp_tls_port = 6401\n[tls]\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\nreload_interval_ms = 0\n");
        let paths: Vec<_> = c.problems().into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "clusters[0].nodes[0].resp_tls_port",
                "tls.reload_interval_ms"
            ]
        );

        let err = DeploymentConfig::from_toml_str(
            &format!("{BASE}[tls]\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\ngrpc = \"maybe\"\n"),
            "/",
        )
        .unwrap_err();
        assert!(err.to_string().contains("maybe"), "{err}");

        let c = parse("[security]\ncluster_secret_file = \"\"\n");
        assert_eq!(c.problems()[0].path, "security.cluster_secret_file");
        let c = parse("[security]\ncluster_secret_file = \"secret\"\n");
        assert_eq!(
            c.security.cluster_secret_file.as_deref(),
            Some(Path::new("/etc/meridian/secret"))
        );
        assert!(!c.internal_tls());
    }
}
