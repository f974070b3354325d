//! Deployment configuration of Meridian: one TOML file (see `cluster-configs/local.toml`)
//! describes every cluster, its region and nodes, the coordination voters, the shared Raft,
//! limit and lease settings, and the global datastores to create at bootstrap.
//!
//! ```text
//!   cluster-configs/x.toml ──load──► DeploymentConfig ──apply_env──► (MERIDIAN_* overrides)
//!                                                      ──validate──► Ok | every Problem
//!   lookups: node(id) / cluster(name) / coord_voters() / node_data_dir(id) / all_node_ids()
//! ```
//!
//! Invariants once [`DeploymentConfig::validate`] has passed:
//! - node ids are ≥ 1 and unique across clusters and witnesses; every `(host, port)` is used
//!   by one listener only, and no port is 0;
//! - cluster names and datastore ids are unique, 1-32 of `a-z0-9-`; every cluster has a node;
//! - at least one coordination voter exists;
//! - every global datastore names known clusters, each in a region of its own, each in at
//!   most one datastore, with at most `limits.max_secondaries_per_datastore` secondaries;
//! - in both Raft groups `0 < heartbeat < election_timeout_min < election_timeout_max`, and
//!   `coord.lease_ms > 0`.
//!
//! Relative `data_dir` and `log_dir` in the file resolve against the file's directory, which
//! [`DeploymentConfig::load`] makes absolute, so every process reading the same file agrees
//! on paths whatever its working directory.
//! This crate depends on no other Meridian crate; node ids are plain `u64`
//! (`meridian_types::NodeId`).

mod env;
mod error;
mod load;
mod lookups;
mod model;
mod security;
mod validate;

pub use env::{env_overrides, env_var_name};
pub use error::{ConfigError, Problem};
pub use lookups::{CoordVoter, Member, NodeRef};
pub use model::{
    ClusterConfig, CoordSettings, DeploymentConfig, GlobalDatastoreConfig, Limits, NodeConfig,
    RaftSettings, ReplicationSettings, RespConfig, WitnessConfig,
};
pub use security::{ClientCerts, SecurityConfig, TlsConfig, TlsMode};
