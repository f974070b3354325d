//! Several clusters in one process, each in a region of its own, sharing one coordination
//! group whose voters are the first node of each cluster (like `cluster-configs/local.toml`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use meridian_coord::grpc::GlobalDatastoresClient;
use meridian_coord::{CoordGroup, CoordOptions};
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_region::{RegionGroup, RegionOptions};
use meridian_server::{
    ClusterSpec, CoordSpec, EdgeLimits, MeridianNode, NodeSpec, RespSettings, ShipOptions,
};
use meridian_transport::FaultNet;
use meridian_types::{Datastore, NodeId};
use tonic::transport::Channel;

use crate::nodes::{fast_coord_options, fast_region_options, Bound, Nodes};
use crate::wait::eventually;

/// One cluster of a [`TestDeployment`].
#[derive(Debug, Clone)]
pub struct TestClusterDef {
    pub name: String,
    pub region: String,
    pub nodes: usize,
}

impl TestClusterDef {
    pub fn new(name: &str, region: &str, nodes: usize) -> TestClusterDef {
        TestClusterDef {
            name: name.into(),
            region: region.into(),
            nodes,
        }
    }
}

/// How to build a [`TestDeployment`].
#[derive(Debug, Clone)]
pub struct TestDeploymentOptions {
    /// Node ids are given in order, from 1: the first cluster gets 1..=n, and so on.
    pub clusters: Vec<TestClusterDef>,
    /// `limits.max_secondaries_per_datastore`.
    pub max_secondaries: u64,
    pub region_options: RegionOptions,
    pub limits: EdgeLimits,
    pub resp: RespSettings,
    pub coord: CoordOptions,
    /// Log shipping settings of every node.
    pub shipping: ShipOptions,
    /// Seeds the fault network's jitter and message loss.
    pub fault_seed: u64,
}

impl Default for TestDeploymentOptions {
    /// use1 (us-east-1), euw1 (eu-west-1), aps1 (ap-south-1), three nodes each.
    fn default() -> Self {
        TestDeploymentOptions {
            clusters: vec![
                TestClusterDef::new("use1", "us-east-1", 3),
                TestClusterDef::new("euw1", "eu-west-1", 3),
                TestClusterDef::new("aps1", "ap-south-1", 3),
            ],
            max_secondaries: 4,
            region_options: fast_region_options(),
            limits: EdgeLimits::default(),
            resp: RespSettings::default(),
            coord: fast_coord_options(),
            shipping: ShipOptions {
                heartbeat: Duration::from_millis(50),
                idle_timeout: Duration::from_millis(1500),
                ..ShipOptions::default()
            },
            fault_seed: 0,
        }
    }
}

/// Several clusters of in-process nodes and their coordination group.
pub struct TestDeployment {
    nodes: Nodes,
    clusters: Vec<ClusterSpec>,
    voters: Vec<NodeId>,
    opts: TestDeploymentOptions,
}

impl TestDeployment {
    /// Starts every node, then waits until every cluster has a leader and the coordination
    /// group answers.
    pub async fn start(opts: TestDeploymentOptions) -> Result<TestDeployment> {
        let mut nodes = Nodes::new(opts.fault_seed)?;
        let mut bound = Vec::new();
        let mut clusters = Vec::new();
        let mut voters = Vec::new();
        let mut next: NodeId = 1;
        for def in &opts.clusters {
            let mut members = Vec::new();
            for _ in 0..def.nodes {
                let b = Bound::loopback().await?;
                b.register(next, &nodes.net)?;
                members.push((next, b.node()?));
                bound.push((next, def.clone(), b));
                next += 1;
            }
            if let Some((first, _)) = members.first() {
                voters.push(*first);
            }
            clusters.push(ClusterSpec {
                name: def.name.clone(),
                region: def.region.clone(),
                nodes: members,
            });
        }
        let coord = CoordSpec {
            options: opts.coord.clone(),
            ..CoordSpec::for_clusters(&clusters, &voters, opts.max_secondaries)
        };
        for (id, def, b) in bound {
            let spec = NodeSpec {
                node_id: id,
                cluster: def.name.clone(),
                region: def.region.clone(),
                data_dir: nodes.data_dir(id),
                clusters: clusters.clone(),
                region_options: opts.region_options.clone(),
                limits: opts.limits,
                resp: opts.resp.clone(),
                metrics_addr: b.metrics_addr()?,
                coord: coord.clone(),
                shipping: opts.shipping.clone(),
                faults: None,
                security: meridian_server::NodeSecurity::default(),
            };
            nodes.start(spec, b).await?;
        }
        let d = TestDeployment {
            nodes,
            clusters,
            voters,
            opts,
        };
        // Generous: on a loaded 2-core machine nine nodes and three voters take a while.
        let startup = Duration::from_secs(30);
        for c in &d.clusters {
            d.wait_for_leader(&c.name, startup).await?;
        }
        d.wait_for_coord_leader(startup).await?;
        d.wait_registered(startup).await?;
        Ok(d)
    }

    pub fn options(&self) -> &TestDeploymentOptions {
        &self.opts
    }

    /// The network between the nodes (and test clients that dial through it): partitions,
    /// delay, pauses, lost and repeated messages.
    pub fn net(&self) -> &FaultNet {
        &self.nodes.net
    }

    /// Node `id`'s clocks: skew, drift or jump them (`meridian_types::Clock`).
    pub fn clock(&self, id: NodeId) -> Result<meridian_types::Clock> {
        self.nodes.clock_of(id)
    }

    /// Every node id.
    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.specs.keys().copied().collect()
    }

    /// Nodes currently running.
    pub fn running(&self) -> Vec<NodeId> {
        self.nodes.running.keys().copied().collect()
    }

    /// The coordination voters (first node of each cluster).
    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    /// The node ids of cluster `name`.
    pub fn cluster_ids(&self, name: &str) -> Result<Vec<NodeId>> {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.nodes.iter().map(|(id, _)| *id).collect())
            .ok_or_else(|| anyhow!("no cluster {name:?} in the deployment"))
    }

    /// Node `id`'s data directory (kept across restarts).
    pub fn data_dir(&self, id: NodeId) -> std::path::PathBuf {
        self.nodes.data_dir(id)
    }

    pub fn node(&self, id: NodeId) -> Result<&MeridianNode> {
        self.nodes.node(id)
    }

    /// The regional group of node `id`.
    pub fn group(&self, id: NodeId) -> Result<&Arc<RegionGroup>> {
        self.nodes.group(id)
    }

    /// The coordination voter node `id` runs.
    pub fn coord(&self, id: NodeId) -> Result<&Arc<CoordGroup>> {
        self.node(id)?
            .coord()
            .ok_or_else(|| anyhow!("node {id} is not a coordination voter"))
    }

    pub fn grpc_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.nodes.grpc_addr(id)
    }

    /// Where node `id` serves RESP.
    pub fn resp_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.nodes.resp_addr(id)
    }

    /// A KeyValue client connected to node `id`.
    pub async fn kv(&self, id: NodeId) -> Result<KeyValueClient<Channel>> {
        self.nodes.kv(id).await
    }

    /// A GlobalDatastores client connected to node `id` (any node answers).
    pub async fn global(&self, id: NodeId) -> Result<GlobalDatastoresClient<Channel>> {
        Ok(GlobalDatastoresClient::new(self.nodes.channel(id).await?))
    }

    /// The regional leader of cluster `name` that its running nodes agree on.
    pub async fn wait_for_leader(&self, name: &str, limit: Duration) -> Result<NodeId> {
        let members = self.cluster_ids(name)?;
        self.nodes.wait_for_leader(&members, limit).await
    }

    /// The coordination leader every running voter agrees on.
    pub async fn wait_for_coord_leader(&self, limit: Duration) -> Result<NodeId> {
        eventually(
            "a coordination leader the voters agree on",
            limit,
            || async {
                let mut leader = None;
                for id in self
                    .voters
                    .iter()
                    .filter(|id| self.nodes.running.contains_key(id))
                {
                    match (leader, self.coord(*id)?.leader()) {
                        (_, None) => return Ok(None),
                        (None, Some(l)) => leader = Some(l),
                        (Some(a), Some(b)) if a != b => return Ok(None),
                        _ => {}
                    }
                }
                Ok(leader.filter(|l| {
                    self.nodes
                        .running
                        .get(l)
                        .and_then(|n| n.coord())
                        .is_some_and(|g| g.is_leader())
                }))
            },
        )
        .await
    }

    /// Until the coordination leader has recorded every cluster of the deployment (voters
    /// register them at bootstrap; until then a datastore cannot name them).
    pub async fn wait_registered(&self, limit: Duration) -> Result<()> {
        let want = self.clusters.len();
        eventually(
            "every cluster registered with the control plane",
            limit,
            || async {
                let leader = self.wait_for_coord_leader(limit).await?;
                let have = self
                    .coord(leader)?
                    .local_state()
                    .read(|cp| cp.clusters.len());
                Ok((have >= want).then_some(()))
            },
        )
        .await
    }

    /// What voter `id`'s own copy of the control plane says (possibly stale).
    pub fn local_datastores(&self, id: NodeId) -> Result<Vec<Datastore>> {
        Ok(self
            .coord(id)?
            .local_state()
            .read(|cp| cp.datastores.values().cloned().collect()))
    }

    /// Cuts, both ways, every link between the nodes of `cluster` and the coordination voters
    /// outside it. The cluster keeps its own links (and so do the other clusters).
    pub fn isolate_cluster_from_coord(&self, cluster: &str) -> Result<()> {
        let inside = self.cluster_ids(cluster)?;
        let outside: Vec<NodeId> = self
            .voters
            .iter()
            .copied()
            .filter(|v| !inside.contains(v))
            .collect();
        if outside.is_empty() {
            bail!("every coordination voter is in {cluster}; nothing to cut");
        }
        self.nodes.cut(&inside, &outside);
        Ok(())
    }

    /// Cuts, both ways, every link between the nodes of cluster `a` and those of cluster `b`
    /// (Raft, forwarding and log shipping alike).
    pub fn cut_clusters(&self, a: &str, b: &str) -> Result<()> {
        self.nodes.cut(&self.cluster_ids(a)?, &self.cluster_ids(b)?);
        Ok(())
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.nodes.heal();
    }

    /// Stops node `id` abruptly (no graceful drain).
    pub async fn kill(&mut self, id: NodeId) -> Result<()> {
        self.nodes.kill(id).await
    }

    /// Starts node `id` again on its data directory and addresses.
    pub async fn restart(&mut self, id: NodeId) -> Result<()> {
        self.nodes.restart(id).await
    }

    /// Stops every running node gracefully.
    pub async fn shutdown(mut self) {
        self.nodes.shutdown().await;
    }
}
