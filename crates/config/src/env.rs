//! `MERIDIAN_*` environment overrides of the scalar settings.
//!
//! Mapping rule: take the setting's path in the TOML file, replace `.` with `_`, upper-case
//! it and prefix `MERIDIAN_`:
//!
//! | TOML                         | environment variable                  |
//! |------------------------------|---------------------------------------|
//! | `data_dir`                   | `MERIDIAN_DATA_DIR`                   |
//! | `log_dir`                    | `MERIDIAN_LOG_DIR`                    |
//! | `raft.heartbeat_interval_ms` | `MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS` |
//! | `limits.max_value_bytes`     | `MERIDIAN_LIMITS_MAX_VALUE_BYTES`     |
//! | `coord.lease_ms`             | `MERIDIAN_COORD_LEASE_MS`             |
//!
//! Every field of `[raft]`, `[limits]`, `[replication]`, `[coord]` and `[resp]`, and
//! `security.cluster_secret_file`, has one (see [`env_overrides`]).
//! Clusters, nodes, witnesses and global datastores are structure, not settings, and are
//! only read from the file. An empty variable counts as unset. A relative directory given
//! by env resolves against the current working directory, not the config file's.

use crate::load::resolve;
use crate::{ConfigError, DeploymentConfig};
use std::env::VarError;
use std::path::Path;

type Setter = fn(&mut DeploymentConfig, &str) -> Result<(), String>;

/// `(TOML path, setter)`; the variable name is derived from the path by [`env_var_name`].
const OVERRIDES: &[(&str, Setter)] = &[
    ("data_dir", |c, v| {
        c.data_dir = absolute(v)?;
        Ok(())
    }),
    ("log_dir", |c, v| {
        c.log_dir = Some(absolute(v)?);
        Ok(())
    }),
    ("raft.heartbeat_interval_ms", |c, v| {
        int(v, &mut c.raft.heartbeat_interval_ms)
    }),
    ("raft.election_timeout_min_ms", |c, v| {
        int(v, &mut c.raft.election_timeout_min_ms)
    }),
    ("raft.election_timeout_max_ms", |c, v| {
        int(v, &mut c.raft.election_timeout_max_ms)
    }),
    ("raft.snapshot_logs_since_last", |c, v| {
        int(v, &mut c.raft.snapshot_logs_since_last)
    }),
    ("raft.max_in_snapshot_log_to_keep", |c, v| {
        int(v, &mut c.raft.max_in_snapshot_log_to_keep)
    }),
    ("raft.install_snapshot_timeout_ms", |c, v| {
        int(v, &mut c.raft.install_snapshot_timeout_ms)
    }),
    ("raft.max_payload_entries", |c, v| {
        int(v, &mut c.raft.max_payload_entries)
    }),
    ("limits.max_key_bytes", |c, v| {
        int(v, &mut c.limits.max_key_bytes)
    }),
    ("limits.max_value_bytes", |c, v| {
        int(v, &mut c.limits.max_value_bytes)
    }),
    ("limits.grpc_max_message_bytes", |c, v| {
        int(v, &mut c.limits.grpc_max_message_bytes)
    }),
    ("limits.backlog_max_bytes", |c, v| {
        int(v, &mut c.limits.backlog_max_bytes)
    }),
    ("limits.max_secondaries_per_datastore", |c, v| {
        int(v, &mut c.limits.max_secondaries_per_datastore)
    }),
    ("replication.batch_bytes", |c, v| {
        int(v, &mut c.replication.batch_bytes)
    }),
    ("replication.sync_chunk_bytes", |c, v| {
        int(v, &mut c.replication.sync_chunk_bytes)
    }),
    ("replication.heartbeat_ms", |c, v| {
        int(v, &mut c.replication.heartbeat_ms)
    }),
    ("replication.idle_timeout_ms", |c, v| {
        int(v, &mut c.replication.idle_timeout_ms)
    }),
    ("coord.lease_ms", |c, v| int(v, &mut c.coord.lease_ms)),
    ("resp.requirepass", |c, v| {
        c.resp.requirepass = Some(v.to_string());
        Ok(())
    }),
    ("resp.proto_max_bulk_len", |c, v| {
        int(v, &mut c.resp.proto_max_bulk_len)
    }),
    ("resp.client_query_buffer_limit", |c, v| {
        int(v, &mut c.resp.client_query_buffer_limit)
    }),
    ("resp.maxclients", |c, v| int(v, &mut c.resp.maxclients)),
    ("resp.databases", |c, v| int(v, &mut c.resp.databases)),
    ("coord.clock_drift_bound", |c, v| {
        c.coord.clock_drift_bound = v
            .parse::<f64>()
            .map_err(|_| "expected a number such as 0.05".to_string())?;
        Ok(())
    }),
    ("coord.lease_margin_ms", |c, v| {
        int(v, &mut c.coord.lease_margin_ms)
    }),
    ("coord.heartbeat_interval_ms", |c, v| {
        int(v, &mut c.coord.heartbeat_interval_ms)
    }),
    ("coord.election_timeout_min_ms", |c, v| {
        int(v, &mut c.coord.election_timeout_min_ms)
    }),
    ("coord.election_timeout_max_ms", |c, v| {
        int(v, &mut c.coord.election_timeout_max_ms)
    }),
    ("security.cluster_secret_file", |c, v| {
        c.security.cluster_secret_file = Some(absolute(v)?);
        Ok(())
    }),
];

fn int<T: std::str::FromStr>(v: &str, slot: &mut T) -> Result<(), String> {
    *slot = v
        .parse::<T>()
        .map_err(|_| "expected a whole number ≥ 0".to_string())?;
    Ok(())
}

fn absolute(v: &str) -> Result<std::path::PathBuf, String> {
    let cwd = std::env::current_dir()
        .map_err(|e| format!("cannot resolve a relative path: current directory: {e}"))?;
    Ok(resolve(&cwd, Path::new(v)))
}

/// The environment variable that overrides the TOML setting at `toml_path`
/// (`coord.lease_ms` → `MERIDIAN_COORD_LEASE_MS`).
pub fn env_var_name(toml_path: &str) -> String {
    format!("MERIDIAN_{}", toml_path.replace('.', "_").to_uppercase())
}

/// Every override as `(environment variable, TOML path)`, for help texts and docs.
pub fn env_overrides() -> Vec<(String, &'static str)> {
    OVERRIDES
        .iter()
        .map(|(path, _)| (env_var_name(path), *path))
        .collect()
}

impl DeploymentConfig {
    /// Applies `MERIDIAN_*` overrides from the process environment. Stops at the first
    /// unusable value.
    ///
    /// Mapping rule: the setting's TOML path with `.` replaced by `_`, upper-cased, prefixed
    /// `MERIDIAN_`: `data_dir` → `MERIDIAN_DATA_DIR`, `log_dir` → `MERIDIAN_LOG_DIR`,
    /// `raft.heartbeat_interval_ms` → `MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS`,
    /// `coord.lease_ms` → `MERIDIAN_COORD_LEASE_MS`. Every field of `[raft]`, `[limits]`
    /// and `[coord]` has one ([`env_overrides`] lists them); clusters, nodes, witnesses and
    /// global datastores come from the file only. An empty variable counts as unset; a
    /// relative directory resolves against the current working directory.
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_overrides(|var| match std::env::var(var) {
            Ok(v) => Ok(Some(v)),
            Err(VarError::NotPresent) => Ok(None),
            Err(VarError::NotUnicode(raw)) => Err(ConfigError::Env {
                var: var.to_string(),
                value: raw.to_string_lossy().into_owned(),
                reason: "not valid UTF-8".to_string(),
            }),
        })
    }

    /// Like [`apply_env`](Self::apply_env) but reads variables through `lookup`, so tests
    /// and embedders need not touch the process environment.
    pub fn apply_env_from(
        &mut self,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        self.apply_overrides(|var| Ok(lookup(var)))
    }

    fn apply_overrides(
        &mut self,
        mut lookup: impl FnMut(&str) -> Result<Option<String>, ConfigError>,
    ) -> Result<(), ConfigError> {
        for (path, set) in OVERRIDES {
            let var = env_var_name(path);
            let Some(value) = lookup(&var)? else { continue };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            set(self, value).map_err(|reason| ConfigError::Env {
                var,
                value: value.to_string(),
                reason,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn base() -> DeploymentConfig {
        DeploymentConfig::from_toml_str("", "/etc/meridian").expect("empty config parses")
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn variable_names_follow_the_toml_path() {
        assert_eq!(env_var_name("data_dir"), "MERIDIAN_DATA_DIR");
        assert_eq!(
            env_var_name("raft.heartbeat_interval_ms"),
            "MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS"
        );
        assert_eq!(env_var_name("coord.lease_ms"), "MERIDIAN_COORD_LEASE_MS");
        let names: Vec<_> = env_overrides().into_iter().map(|(v, _)| v).collect();
        for expected in [
            "MERIDIAN_DATA_DIR",
            "MERIDIAN_LOG_DIR",
            "MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS",
            "MERIDIAN_COORD_LEASE_MS",
            "MERIDIAN_LIMITS_MAX_SECONDARIES_PER_DATASTORE",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
    }

    #[test]
    fn overrides_apply_and_log_dir_follows_data_dir() {
        let mut c = base();
        let vars = env(&[
            ("MERIDIAN_DATA_DIR", "/srv/meridian"),
            ("MERIDIAN_RAFT_HEARTBEAT_INTERVAL_MS", "50"),
            ("MERIDIAN_COORD_LEASE_MS", " 8000 "),
            ("MERIDIAN_COORD_CLOCK_DRIFT_BOUND", "0.1"),
            ("MERIDIAN_LIMITS_MAX_VALUE_BYTES", "1024"),
            ("MERIDIAN_UNRELATED", "ignored"),
        ]);
        c.apply_env_from(|k| vars.get(k).cloned())
            .expect("overrides apply");
        assert_eq!(c.data_dir, PathBuf::from("/srv/meridian"));
        assert_eq!(c.log_dir(), PathBuf::from("/srv/meridian/logs"));
        assert_eq!(c.raft.heartbeat_interval_ms, 50);
        assert_eq!(c.coord.lease_ms, 8000);
        assert_eq!(c.coord.clock_drift_bound, 0.1);
        assert_eq!(c.limits.max_value_bytes, 1024);
        // Untouched settings keep their file/default values.
        assert_eq!(c.raft.election_timeout_min_ms, 200);
    }

    #[test]
    fn log_dir_override_and_relative_paths_use_the_working_directory() {
        let mut c = base();
        let vars = env(&[("MERIDIAN_LOG_DIR", "logs-here"), ("MERIDIAN_DATA_DIR", "")]);
        c.apply_env_from(|k| vars.get(k).cloned())
            .expect("overrides apply");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(c.log_dir(), cwd.join("logs-here"));
        // Empty means unset: data_dir keeps the file default resolved against the file dir.
        assert_eq!(c.data_dir, PathBuf::from("/etc/meridian/data"));
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let mut c = base();
        let vars = env(&[("MERIDIAN_COORD_LEASE_MS", "4s")]);
        let err = c
            .apply_env_from(|k| vars.get(k).cloned())
            .expect_err("4s is not a number");
        let text = err.to_string();
        assert!(text.contains("MERIDIAN_COORD_LEASE_MS"), "{text}");
        assert!(text.contains("\"4s\""), "{text}");
    }
}
