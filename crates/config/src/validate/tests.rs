//! Each rule, broken on its own in an otherwise valid config, is reported with its field.

use crate::{DeploymentConfig, NodeConfig, Problem, WitnessConfig};

const THREE_REGIONS: &str = r#"
[[clusters]]
name = "use1"
region = "us-east-1"
nodes = [
  { id = 1, grpc_port = 7401, resp_port = 6401, metrics_port = 9401, coord = true },
  { id = 2, grpc_port = 7402, resp_port = 6402, metrics_port = 9402 },
]

[[clusters]]
name = "euw1"
region = "eu-west-1"
nodes = [{ id = 4, grpc_port = 7411, resp_port = 6411, metrics_port = 9411, coord = true }]

[[clusters]]
name = "aps1"
region = "ap-south-1"
nodes = [{ id = 7, grpc_port = 7421, resp_port = 6421, metrics_port = 9421, coord = true }]

[[global_datastores]]
id = "gds1"
primary = "use1"
secondaries = ["euw1", "aps1"]
"#;

fn valid() -> DeploymentConfig {
    let c = DeploymentConfig::from_toml_str(THREE_REGIONS, "/tmp/meridian").expect("parses");
    assert_eq!(c.problems(), vec![], "the base config must be valid");
    c
}

/// Validates, expects exactly one problem, and checks its path and a piece of its message.
#[track_caller]
fn refused(c: &DeploymentConfig, path: &str, needle: &str) -> Problem {
    let err = c.validate().expect_err("config should be refused");
    let problems = err.problems().to_vec();
    assert_eq!(problems.len(), 1, "expected one problem, got:\n{err}");
    let p = problems[0].clone();
    assert_eq!(p.path, path, "{err}");
    assert!(p.message.contains(needle), "{p} should contain {needle:?}");
    p
}

fn node(id: u64, base_port: u16) -> NodeConfig {
    NodeConfig {
        id,
        host: "127.0.0.1".into(),
        grpc_port: 7000 + base_port,
        resp_port: 6000 + base_port,
        metrics_port: 9000 + base_port,
        resp_tls_port: None,
        coord: false,
    }
}

#[test]
fn duplicate_port_names_both_nodes() {
    let mut c = valid();
    c.clusters[1].nodes[0].grpc_port = 7401;
    let p = refused(&c, "clusters[1].nodes[0].grpc_port", "");
    assert_eq!(
        p.to_string(),
        "clusters[1].nodes[0].grpc_port: port 7401 on 127.0.0.1 is already used by node 1 \
         (grpc_port)"
    );
}

#[test]
fn same_port_twice_on_one_node_is_refused_but_other_hosts_may_reuse_it() {
    let mut c = valid();
    c.clusters[0].nodes[1].metrics_port = 6402;
    refused(
        &c,
        "clusters[0].nodes[1].metrics_port",
        "already used by node 2 (resp_port)",
    );
    let mut c = valid();
    c.clusters[1].nodes[0].host = "10.0.0.2".into();
    c.clusters[1].nodes[0].grpc_port = 7401;
    assert!(c.validate().is_ok());
}

#[test]
fn port_zero_is_refused() {
    let mut c = valid();
    c.clusters[2].nodes[0].resp_port = 0;
    refused(&c, "clusters[2].nodes[0].resp_port", "port 0");
}

#[test]
fn cluster_without_nodes_is_refused() {
    let mut c = valid();
    c.clusters[2].nodes.clear();
    let p = refused(&c, "clusters[2]", "has no nodes");
    assert!(p
        .to_string()
        .starts_with("clusters[2]: cluster \"aps1\" has no nodes"));
}

#[test]
fn unknown_cluster_lists_the_known_ones() {
    let mut c = valid();
    c.global_datastores[0].secondaries[1] = "zzz".into();
    let p = refused(&c, "global_datastores[0].secondaries[1]", "");
    assert_eq!(
        p.to_string(),
        "global_datastores[0].secondaries[1]: unknown cluster \"zzz\" (known: use1, euw1, aps1)"
    );
    let mut c = valid();
    c.global_datastores[0].primary = "nope".into();
    refused(
        &c,
        "global_datastores[0].primary",
        "unknown cluster \"nope\"",
    );
}

#[test]
fn secondary_in_the_region_of_another_member_is_refused() {
    let mut c = valid();
    c.clusters[2].region = "us-east-1".into();
    refused(
        &c,
        "global_datastores[0].secondaries[1]",
        "is in region us-east-1, like \"use1\" (primary)",
    );
    let mut c = valid();
    c.clusters[2].region = "eu-west-1".into();
    refused(
        &c,
        "global_datastores[0].secondaries[1]",
        "like \"euw1\" (secondaries[0])",
    );
}

#[test]
fn primary_as_its_own_secondary_and_repeated_secondaries_are_refused() {
    let mut c = valid();
    c.global_datastores[0].secondaries[0] = "use1".into();
    refused(&c, "global_datastores[0].secondaries[0]", "is the primary");
    let mut c = valid();
    c.global_datastores[0].secondaries[1] = "euw1".into();
    refused(
        &c,
        "global_datastores[0].secondaries[1]",
        "listed twice (also secondaries[0])",
    );
}

#[test]
fn a_cluster_belongs_to_one_global_datastore_and_ids_are_unique() {
    let mut c = valid();
    let mut second = c.global_datastores[0].clone();
    second.id = "gds2".into();
    second.primary = "euw1".into();
    second.secondaries.clear();
    c.global_datastores.push(second.clone());
    refused(
        &c,
        "global_datastores[1].primary",
        "already belongs to global datastore \"gds1\"",
    );
    let mut c = valid();
    second.id = "gds1".into();
    second.primary = "aps1".into();
    c.global_datastores[0].secondaries.pop();
    c.global_datastores.push(second);
    refused(
        &c,
        "global_datastores[1].id",
        "already used by global_datastores[0]",
    );
}

#[test]
fn duplicate_cluster_names_are_refused() {
    let mut c = valid();
    c.clusters[2].name = "euw1".into();
    c.global_datastores.clear();
    refused(&c, "clusters[2].name", "already used by clusters[1]");
}

#[test]
fn bad_names_are_refused() {
    let mut c = valid();
    c.clusters[0].name = "US_East".into();
    c.global_datastores.clear();
    refused(&c, "clusters[0].name", "a-z, 0-9 and '-'");
    let mut c = valid();
    c.clusters[0].region = String::new();
    refused(&c, "clusters[0].region", "region");
    let mut c = valid();
    c.global_datastores[0].id = "x".repeat(33);
    refused(&c, "global_datastores[0].id", "1 to 32");
}

#[test]
fn duplicate_node_ids_are_refused_across_clusters_and_witnesses() {
    let mut c = valid();
    c.clusters[2].nodes.push(node(4, 500));
    refused(
        &c,
        "clusters[2].nodes[1].id",
        "node id 4 is already used by clusters[1].nodes[0]",
    );
    let mut c = valid();
    c.witnesses.push(WitnessConfig {
        id: 7,
        region: "us-west-2".into(),
        host: "127.0.0.1".into(),
        grpc_port: 7431,
        metrics_port: 9431,
    });
    refused(
        &c,
        "witnesses[0].id",
        "already used by clusters[2].nodes[0] (cluster \"aps1\")",
    );
    let mut c = valid();
    c.clusters[0].nodes[1].id = 0;
    refused(&c, "clusters[0].nodes[1].id", "start at 1");
}

#[test]
fn a_deployment_needs_a_coordination_voter() {
    let mut c = valid();
    for n in c.clusters.iter_mut().flat_map(|c| &mut c.nodes) {
        n.coord = false;
    }
    refused(&c, "", "no coordination voter");
    c.witnesses.push(WitnessConfig {
        id: 10,
        region: "us-west-2".into(),
        host: "127.0.0.1".into(),
        grpc_port: 7431,
        metrics_port: 9431,
    });
    assert!(c.validate().is_ok(), "a witness is a voter");
}

#[test]
fn any_node_count_is_allowed() {
    let mut c = valid();
    c.clusters[1].nodes.push(node(5, 412));
    c.clusters[1].nodes.push(node(6, 413));
    c.clusters[1].nodes.push(node(50, 414));
    assert!(c.validate().is_ok());
}

#[test]
fn raft_timing_rules() {
    let mut c = valid();
    c.raft.election_timeout_min_ms = 600;
    refused(
        &c,
        "raft.election_timeout_min_ms",
        "must be below election_timeout_max_ms",
    );
    let mut c = valid();
    c.raft.heartbeat_interval_ms = 300;
    refused(
        &c,
        "raft.heartbeat_interval_ms",
        "must be below election_timeout_min_ms",
    );
    let mut c = valid();
    c.raft.heartbeat_interval_ms = 0;
    refused(&c, "raft.heartbeat_interval_ms", "above 0");
    let mut c = valid();
    c.raft.max_payload_entries = 0;
    refused(&c, "raft.max_payload_entries", "above 0");
}

#[test]
fn coord_rules() {
    let mut c = valid();
    c.coord.lease_ms = 0;
    refused(&c, "coord.lease_ms", "above 0");
    let mut c = valid();
    c.coord.election_timeout_max_ms = 700;
    refused(&c, "coord.election_timeout_min_ms", "750 ms must be below");
    let mut c = valid();
    c.coord.heartbeat_interval_ms = 800;
    refused(
        &c,
        "coord.heartbeat_interval_ms",
        "must be below election_timeout_min_ms",
    );
    let mut c = valid();
    c.coord.clock_drift_bound = 1.5;
    refused(&c, "coord.clock_drift_bound", "[0, 1)");
}

#[test]
fn more_secondaries_than_the_limit_are_refused() {
    let mut c = valid();
    c.limits.max_secondaries_per_datastore = 1;
    refused(
        &c,
        "global_datastores[0].secondaries",
        "2 secondaries exceed limits.max_secondaries_per_datastore (1)",
    );
}

#[test]
fn every_problem_is_reported_one_per_line() {
    let mut c = valid();
    c.coord.lease_ms = 0;
    c.clusters[1].nodes[0].grpc_port = 7401;
    c.global_datastores[0].secondaries[1] = "zzz".into();
    let err = c.validate().expect_err("three problems");
    assert_eq!(err.problems().len(), 3);
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "invalid deployment config (3 problems):");
    assert!(lines[1].starts_with("  coord.lease_ms: "));
    assert!(lines[2].starts_with("  clusters[1].nodes[0].grpc_port: "));
    assert!(lines[3].starts_with("  global_datastores[0].secondaries[1]: "));
}

#[test]
fn an_empty_deployment_is_refused() {
    let c = DeploymentConfig::from_toml_str("", "/tmp").expect("parses");
    refused(&c, "clusters", "no clusters");
}

#[test]
fn resp_settings_are_checked() {
    let mut c = valid();
    c.resp.maxclients = 0;
    refused(&c, "resp.maxclients", "above 0");
    let mut c = valid();
    c.resp.requirepass = Some(String::new());
    refused(&c, "resp.requirepass", "must not be empty");
    let mut c = valid();
    c.resp.client_query_buffer_limit = 10;
    refused(
        &c,
        "resp.client_query_buffer_limit",
        "cannot hold one request",
    );
    let c = DeploymentConfig::from_toml_str(
        &format!("[resp]\nrequirepass = \"pw\"\nproto_max_bulk_len = 2048\n{THREE_REGIONS}"),
        "/tmp",
    )
    .expect("a [resp] section parses");
    assert_eq!(c.resp.requirepass.as_deref(), Some("pw"));
    assert_eq!(c.resp.proto_max_bulk_len, 2048);
    assert_eq!(c.resp.maxclients, 10_000);
    assert!(c.problems().is_empty(), "{:?}", c.problems());
}
