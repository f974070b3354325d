//! Reading a deployment config from a file or a string, and resolving its paths.

use crate::{ConfigError, DeploymentConfig};
use std::path::{Path, PathBuf};

impl DeploymentConfig {
    /// Reads and parses the TOML file at `path`; relative `data_dir` / `log_dir` resolve
    /// against the file's directory (so do `[tls]` files and `security.cluster_secret_file`). Does not apply env overrides nor validate: see
    /// [`DeploymentConfig::open`] for the usual sequence.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let read_err = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        // An absolute base keeps node data dirs stable whatever directory a child process
        // (e.g. one started by `meridian up`) runs in.
        let file = std::path::absolute(path).map_err(read_err)?;
        let base_dir = file.parent().unwrap_or(Path::new("/"));
        Self::parse(&text, base_dir, &path.display().to_string())
    }

    /// Parses TOML text; relative `data_dir` / `log_dir` resolve against `base_dir`.
    /// Does not apply env overrides nor validate.
    pub fn from_toml_str(text: &str, base_dir: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::parse(text, base_dir.as_ref(), "<inline>")
    }

    /// What a binary wants: [`load`](Self::load), then [`apply_env`](Self::apply_env), then
    /// [`validate`](Self::validate). Command-line flags, if any, go on top of the result and
    /// call `validate` again.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let mut config = Self::load(path)?;
        config.apply_env()?;
        config.validate()?;
        Ok(config)
    }

    fn parse(text: &str, base_dir: &Path, origin: &str) -> Result<Self, ConfigError> {
        let mut config: DeploymentConfig =
            toml::from_str(text).map_err(|source| ConfigError::Parse {
                origin: origin.to_string(),
                source,
            })?;
        config.data_dir = resolve(base_dir, &config.data_dir);
        config.log_dir = config.log_dir.as_deref().map(|p| resolve(base_dir, p));
        if let Some(tls) = &mut config.tls {
            tls.resolve(base_dir);
        }
        config.security.cluster_secret_file = config
            .security
            .cluster_secret_file
            .as_deref()
            .map(|p| resolve(base_dir, p));
        Ok(config)
    }

    /// The log directory: `log_dir` if set, else `<data_dir>/logs`.
    pub fn log_dir(&self) -> PathBuf {
        self.log_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("logs"))
    }
}

/// `path` if absolute (or empty, left for validation to refuse), else `base/path`.
pub(crate) fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() || path.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local_toml() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cluster-configs/local.toml")
    }

    /// Every deployment file shipped in cluster-configs/ (the benches start them) is valid.
    #[test]
    fn every_shipped_config_loads_and_validates() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cluster-configs");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("cluster-configs/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let c = DeploymentConfig::load(&path)
                    .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
                if let Err(e) = c.validate() {
                    panic!("{} is invalid:\n{e}", path.display());
                }
                seen.push(path.file_name().expect("a file name").to_owned());
            }
        }
        seen.sort();
        assert_eq!(seen, ["docker.toml", "local.toml", "one-cluster.toml"]);
    }

    #[test]
    fn local_toml_loads_and_validates() {
        let path = local_toml();
        let c = DeploymentConfig::load(&path).expect("local.toml loads");
        if let Err(e) = c.validate() {
            panic!("local.toml is invalid:\n{e}");
        }
        // "../data" resolves against cluster-configs/, i.e. the repository root.
        let root = std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .expect("absolute repo root");
        assert_eq!(c.data_dir, root.join("cluster-configs/../data"));
        assert_eq!(c.log_dir(), c.data_dir.join("logs"));
        assert_eq!(c.all_node_ids(), (1..=9).collect::<Vec<u64>>());
        let names: Vec<_> = c.clusters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["use1", "euw1", "aps1"]);
        let gds = c.global_datastore("gds1").expect("gds1");
        assert_eq!(gds.members().collect::<Vec<_>>(), ["use1", "euw1", "aps1"]);
        assert!(gds.description.is_some());
        // The file spells out the defaults; keep them in sync.
        assert_eq!(c.raft, crate::RaftSettings::default());
        assert_eq!(c.limits, crate::Limits::default());
        assert_eq!(c.coord, crate::CoordSettings::default());
    }

    #[test]
    fn a_loaded_config_round_trips_through_toml() {
        let c = DeploymentConfig::load(local_toml()).expect("local.toml loads");
        let text = toml::to_string(&c).expect("serializes");
        let again = DeploymentConfig::from_toml_str(&text, "/unused").expect("re-parses");
        assert_eq!(again, c);
    }

    #[test]
    fn defaults_fill_a_minimal_file() {
        let text = r#"
            [[clusters]]
            name = "solo"
            region = "local"
            [[clusters.nodes]]
            id = 1
            grpc_port = 7001
            resp_port = 6001
            metrics_port = 9001
            coord = true
        "#;
        let c = DeploymentConfig::from_toml_str(text, "/opt/m").expect("parses");
        c.validate().expect("valid");
        assert_eq!(c.data_dir, PathBuf::from("/opt/m/data"));
        assert_eq!(c.log_dir(), PathBuf::from("/opt/m/data/logs"));
        assert_eq!(c.clusters[0].nodes[0].host, "127.0.0.1");
        assert_eq!(c.raft.heartbeat_interval_ms, 50);
        assert_eq!(c.limits.max_value_bytes, 512 * 1024 * 1024);
        assert_eq!(c.coord.lease_ms, 4000);
        assert!(c.witnesses.is_empty() && c.global_datastores.is_empty());
    }

    #[test]
    fn absolute_paths_stay_and_log_dir_resolves_like_data_dir() {
        let text = "data_dir = \"/var/lib/meridian\"\nlog_dir = \"logs\"\n";
        let c = DeploymentConfig::from_toml_str(text, "/etc/meridian").expect("parses");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/meridian"));
        assert_eq!(c.log_dir(), PathBuf::from("/etc/meridian/logs"));
    }

    #[test]
    fn unknown_fields_are_named_with_their_line() {
        for (text, field) in [
            ("data_dri = \"x\"\n", "data_dri"),
            ("[raft]\nheartbeat_ms = 5\n", "heartbeat_ms"),
            (
                "[[clusters]]\nname = \"a\"\nregion = \"r\"\nzone = \"z\"\n",
                "zone",
            ),
            (
                "[[clusters]]\nname = \"a\"\nregion = \"r\"\n[[clusters.nodes]]\nid = 1\n\
                 grpc_port = 1\nresp_port = 2\nmetrics_port = 3\nvoter = true\n",
                "voter",
            ),
        ] {
            let err = DeploymentConfig::from_toml_str(text, "/").expect_err(field);
            let msg = err.to_string();
            assert!(msg.contains(&format!("unknown field `{field}`")), "{msg}");
            assert!(msg.contains("line"), "{msg}");
        }
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("broken.toml");
        std::fs::write(
            &path,
            "data_dir = \"x\"\n[raft\nheartbeat_interval_ms = 1\n",
        )
        .expect("write");
        let msg = DeploymentConfig::load(&path)
            .expect_err("syntax error")
            .to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn wrong_types_and_out_of_range_ports_are_parse_errors() {
        let text = "[[clusters]]\nname = \"a\"\nregion = \"r\"\n[[clusters.nodes]]\nid = 1\n\
                    grpc_port = 70000\nresp_port = 2\nmetrics_port = 3\n";
        let msg = DeploymentConfig::from_toml_str(text, "/")
            .expect_err("port too large")
            .to_string();
        assert!(msg.contains("line 6"), "{msg}");
        let msg = DeploymentConfig::from_toml_str("[coord]\nlease_ms = \"4s\"\n", "/")
            .expect_err("string lease")
            .to_string();
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let msg = DeploymentConfig::load("/nonexistent/meridian.toml")
            .expect_err("missing")
            .to_string();
        assert!(msg.contains("/nonexistent/meridian.toml"), "{msg}");
    }
}
