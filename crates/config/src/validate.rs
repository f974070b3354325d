//! Rules a deployment config must follow. [`DeploymentConfig::validate`] reports every broken
//! rule at once, each with the field path and a sentence saying what to change.

use crate::{ConfigError, DeploymentConfig, GlobalDatastoreConfig, Problem};
use endpoints::{check_host, Ids, Ports};
use std::collections::HashMap;

/// Longest cluster name, region label or datastore id.
const MAX_NAME_LEN: usize = 32;

impl DeploymentConfig {
    /// Checks every rule; `Err(ConfigError::Invalid)` lists all problems found, in file order.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid { problems })
        }
    }

    /// Every broken rule, in file order; empty when the config is usable.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        self.check_paths(&mut out);
        self.check_raft(&mut out);
        self.check_limits(&mut out);
        self.check_replication(&mut out);
        self.check_coord(&mut out);
        self.check_resp(&mut out);
        self.check_clusters_and_nodes(&mut out);
        self.check_global_datastores(&mut out);
        self.check_security(&mut out);
        out
    }

    fn check_paths(&self, out: &mut Vec<Problem>) {
        if self.data_dir.as_os_str().is_empty() {
            out.push(Problem::new("data_dir", "must not be empty"));
        }
        if self
            .log_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            out.push(Problem::new(
                "log_dir",
                "must not be empty; leave it out to use <data_dir>/logs",
            ));
        }
    }

    fn check_raft(&self, out: &mut Vec<Problem>) {
        let r = &self.raft;
        check_timing(
            out,
            "raft",
            r.heartbeat_interval_ms,
            r.election_timeout_min_ms,
            r.election_timeout_max_ms,
        );
        positive(
            out,
            "raft.snapshot_logs_since_last",
            r.snapshot_logs_since_last,
            "entries",
        );
        positive(
            out,
            "raft.install_snapshot_timeout_ms",
            r.install_snapshot_timeout_ms,
            "ms",
        );
        positive(
            out,
            "raft.max_payload_entries",
            r.max_payload_entries,
            "entries",
        );
    }

    fn check_limits(&self, out: &mut Vec<Problem>) {
        let l = &self.limits;
        positive(out, "limits.max_key_bytes", l.max_key_bytes, "bytes");
        positive(out, "limits.max_value_bytes", l.max_value_bytes, "bytes");
        positive(
            out,
            "limits.grpc_max_message_bytes",
            l.grpc_max_message_bytes,
            "bytes",
        );
        positive(
            out,
            "limits.backlog_max_bytes",
            l.backlog_max_bytes,
            "bytes",
        );
    }

    fn check_replication(&self, out: &mut Vec<Problem>) {
        let r = &self.replication;
        positive(out, "replication.batch_bytes", r.batch_bytes, "bytes");
        positive(
            out,
            "replication.sync_chunk_bytes",
            r.sync_chunk_bytes,
            "bytes",
        );
        positive(out, "replication.heartbeat_ms", r.heartbeat_ms, "ms");
        let limit = self.limits.grpc_max_message_bytes / 2;
        for (field, v) in [
            ("replication.batch_bytes", r.batch_bytes),
            ("replication.sync_chunk_bytes", r.sync_chunk_bytes),
        ] {
            if v > limit {
                out.push(Problem::new(
                    field,
                    format!(
                        "{v} bytes does not fit in half of limits.grpc_max_message_bytes ({limit})"
                    ),
                ));
            }
        }
        if r.idle_timeout_ms <= r.heartbeat_ms {
            out.push(Problem::new(
                "replication.idle_timeout_ms",
                format!(
                    "{} ms must exceed replication.heartbeat_ms ({} ms)",
                    r.idle_timeout_ms, r.heartbeat_ms
                ),
            ));
        }
    }

    fn check_resp(&self, out: &mut Vec<Problem>) {
        let r = &self.resp;
        positive(
            out,
            "resp.proto_max_bulk_len",
            r.proto_max_bulk_len,
            "bytes",
        );
        if r.client_query_buffer_limit < r.proto_max_bulk_len.min(1024 * 1024) {
            out.push(Problem::new(
                "resp.client_query_buffer_limit",
                format!(
                    "{} bytes cannot hold one request; use at least {} bytes (default 1073741824)",
                    r.client_query_buffer_limit,
                    r.proto_max_bulk_len.min(1024 * 1024)
                ),
            ));
        }
        positive(out, "resp.maxclients", r.maxclients, "connections");
        if !(1..=65_536).contains(&r.databases) {
            out.push(Problem::new(
                "resp.databases",
                format!(
                    "{} is out of range; use 1 to 65536 (default 16)",
                    r.databases
                ),
            ));
        }
        if r.requirepass.as_deref().is_some_and(|p| p.is_empty()) {
            out.push(Problem::new(
                "resp.requirepass",
                "must not be empty; leave it out for no password",
            ));
        }
    }

    fn check_coord(&self, out: &mut Vec<Problem>) {
        let c = &self.coord;
        if c.lease_ms == 0 {
            out.push(Problem::new(
                "coord.lease_ms",
                "must be above 0 ms: a primary with a zero-length lease can never accept a \
                 write (default 4000)",
            ));
        }
        let e = c.clock_drift_bound;
        if !e.is_finite() || !(0.0..1.0).contains(&e) {
            out.push(Problem::new(
                "coord.clock_drift_bound",
                format!("{e} is not a fraction in [0, 1); 0.05 means clocks drift at most 5 %"),
            ));
        }
        check_timing(
            out,
            "coord",
            c.heartbeat_interval_ms,
            c.election_timeout_min_ms,
            c.election_timeout_max_ms,
        );
    }

    fn check_clusters_and_nodes(&self, out: &mut Vec<Problem>) {
        if self.clusters.is_empty() {
            out.push(Problem::new(
                "clusters",
                "the deployment has no clusters; add a [[clusters]] table with its \
                 [[clusters.nodes]]",
            ));
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut ids = Ids::default();
        let mut ports = Ports::default();
        for (ci, cluster) in self.clusters.iter().enumerate() {
            let at = format!("clusters[{ci}]");
            check_name(out, &format!("{at}.name"), "cluster name", &cluster.name);
            if let Some(first) = names.insert(&cluster.name, ci) {
                names.insert(&cluster.name, first);
                out.push(Problem::new(
                    format!("{at}.name"),
                    format!(
                        "cluster name {:?} is already used by clusters[{first}]; names must be \
                         unique",
                        cluster.name
                    ),
                ));
            }
            check_name(out, &format!("{at}.region"), "region", &cluster.region);
            if cluster.nodes.is_empty() {
                out.push(Problem::new(
                    at.clone(),
                    format!(
                        "cluster {:?} has no nodes; add at least one [[clusters.nodes]] entry",
                        cluster.name
                    ),
                ));
            }
            for (ni, node) in cluster.nodes.iter().enumerate() {
                let at = format!("{at}.nodes[{ni}]");
                ids.check(out, &at, node.id, format!("cluster {:?}", cluster.name));
                check_host(out, &at, &node.host);
                let endpoints = [
                    ("grpc_port", node.grpc_port),
                    ("resp_port", node.resp_port),
                    ("metrics_port", node.metrics_port),
                ];
                ports.check(out, &at, node.id, &node.host, &endpoints);
                if let Some(port) = node.resp_tls_port {
                    ports.check(out, &at, node.id, &node.host, &[("resp_tls_port", port)]);
                }
            }
        }
        for (wi, w) in self.witnesses.iter().enumerate() {
            let at = format!("witnesses[{wi}]");
            ids.check(out, &at, w.id, "witness".to_string());
            check_name(out, &format!("{at}.region"), "region", &w.region);
            check_host(out, &at, &w.host);
            let endpoints = [("grpc_port", w.grpc_port), ("metrics_port", w.metrics_port)];
            ports.check(out, &at, w.id, &w.host, &endpoints);
        }
        let has_voter = self.witnesses.len()
            + self
                .clusters
                .iter()
                .flat_map(|c| &c.nodes)
                .filter(|n| n.coord)
                .count()
            > 0;
        if !has_voter && !self.clusters.iter().all(|c| c.nodes.is_empty()) {
            out.push(Problem::new(
                "",
                "the deployment has no coordination voter: set `coord = true` on one node per \
                 region (or add a [[witnesses]] entry)",
            ));
        }
    }

    fn check_global_datastores(&self, out: &mut Vec<Problem>) {
        let known = self
            .clusters
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut ids: HashMap<&str, usize> = HashMap::new();
        // Cluster name → id of the global datastore that already holds it.
        let mut owner: HashMap<&str, &str> = HashMap::new();
        let limit = self.limits.max_secondaries_per_datastore;
        for (gi, gds) in self.global_datastores.iter().enumerate() {
            let at = format!("global_datastores[{gi}]");
            check_name(out, &format!("{at}.id"), "global datastore id", &gds.id);
            if let Some(&first) = ids.get(gds.id.as_str()) {
                out.push(Problem::new(
                    format!("{at}.id"),
                    format!(
                        "global datastore id {:?} is already used by global_datastores[{first}]",
                        gds.id
                    ),
                ));
            } else {
                ids.insert(&gds.id, gi);
            }
            if gds.secondaries.len() as u64 > limit {
                out.push(Problem::new(
                    format!("{at}.secondaries"),
                    format!(
                        "{} secondaries exceed limits.max_secondaries_per_datastore ({limit}); \
                         remove some or raise the limit",
                        gds.secondaries.len()
                    ),
                ));
            }
            self.check_members(out, &at, gds, &known, &mut owner);
        }
    }

    /// The members of one global datastore: known clusters, each listed once, each in a region
    /// of its own, none already in another global datastore (`owner`: cluster name → the id of
    /// the global datastore that holds it).
    fn check_members<'a>(
        &'a self,
        out: &mut Vec<Problem>,
        at: &str,
        gds: &'a GlobalDatastoreConfig,
        known: &str,
        owner: &mut HashMap<&'a str, &'a str>,
    ) {
        // (field path, cluster name, region) of members accepted so far.
        let mut members: Vec<(String, &str, &str)> = Vec::new();
        let slots = std::iter::once((format!("{at}.primary"), &gds.primary)).chain(
            gds.secondaries
                .iter()
                .enumerate()
                .map(|(si, s)| (format!("{at}.secondaries[{si}]"), s)),
        );
        for (path, name) in slots {
            let Some(cluster) = self.cluster(name) else {
                out.push(Problem::new(
                    path,
                    format!("unknown cluster {name:?} (known: {known})"),
                ));
                continue;
            };
            if let Some((other, _, _)) = members.iter().find(|(_, n, _)| *n == name) {
                let message = if other == "primary" {
                    format!("cluster {name:?} is the primary; it cannot also be a secondary")
                } else {
                    format!("cluster {name:?} is listed twice (also {other})")
                };
                out.push(Problem::new(path, message));
                continue;
            }
            if let Some((other, n, _)) = members.iter().find(|(_, _, r)| *r == cluster.region) {
                out.push(Problem::new(
                    path,
                    format!(
                        "cluster {name:?} is in region {}, like {n:?} ({other}); each member \
                         of a global datastore needs a region of its own",
                        cluster.region
                    ),
                ));
                continue;
            }
            if let Some(prev) = owner.insert(name, &gds.id) {
                owner.insert(name, prev);
                out.push(Problem::new(
                    path,
                    format!(
                        "cluster {name:?} already belongs to global datastore {prev:?}; a \
                         cluster can be a member of one global datastore only"
                    ),
                ));
                continue;
            }
            members.push((
                path.trim_start_matches(&format!("{at}.")).to_string(),
                name,
                &cluster.region,
            ));
        }
    }
}

/// Heartbeat and election timeouts of one Raft group (`section` is `raft` or `coord`).
fn check_timing(out: &mut Vec<Problem>, section: &str, heartbeat: u64, min: u64, max: u64) {
    if heartbeat == 0 {
        out.push(Problem::new(
            format!("{section}.heartbeat_interval_ms"),
            "must be above 0 ms",
        ));
    } else if heartbeat >= min {
        out.push(Problem::new(
            format!("{section}.heartbeat_interval_ms"),
            format!(
                "{heartbeat} ms must be below election_timeout_min_ms ({min} ms), or followers \
                 start elections while the leader is healthy"
            ),
        ));
    }
    if min >= max {
        out.push(Problem::new(
            format!("{section}.election_timeout_min_ms"),
            format!(
                "{min} ms must be below election_timeout_max_ms ({max} ms); the timeout is \
                 drawn from [min, max)"
            ),
        ));
    }
}

fn positive(out: &mut Vec<Problem>, path: &str, value: u64, unit: &str) {
    if value == 0 {
        out.push(Problem::new(path, format!("must be above 0 {unit}")));
    }
}

/// Cluster names, region labels and datastore ids: 1 to 32 of `a-z`, `0-9`, `-`.
fn check_name(out: &mut Vec<Problem>, path: &str, what: &str, value: &str) {
    let ok = (1..=MAX_NAME_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        out.push(Problem::new(
            path,
            format!("{what} {value:?} must be 1 to {MAX_NAME_LEN} characters of a-z, 0-9 and '-'"),
        ));
    }
}

mod endpoints;

#[cfg(test)]
mod tests;
