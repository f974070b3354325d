use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use meridian_coord::CoordOptions;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_region::{RegionGroup, RegionOptions};
use meridian_server::{ClusterSpec, CoordSpec, EdgeLimits, MeridianNode, NodeSpec, RespSettings};
use meridian_transport::FaultNet;
use meridian_types::NodeId;
use tonic::transport::Channel;

use crate::nodes::{fast_coord_options, fast_region_options, Bound, Nodes};

/// How to build a [`TestCluster`].
#[derive(Debug, Clone)]
pub struct TestClusterOptions {
    pub nodes: usize,
    pub cluster: String,
    pub region: String,
    pub region_options: RegionOptions,
    pub limits: EdgeLimits,
    /// Settings of every node's RESP listener.
    pub resp: RespSettings,
    /// Timing of the coordination group (every node of the test cluster is a voter).
    pub coord: CoordOptions,
    /// TLS and credentials per node; a node not named here runs plaintext with open internal
    /// services.
    pub security: std::collections::BTreeMap<NodeId, meridian_server::NodeSecurity>,
}

impl Default for TestClusterOptions {
    fn default() -> Self {
        TestClusterOptions {
            nodes: 3,
            cluster: "test1".into(),
            region: "test-region-1".into(),
            region_options: fast_region_options(),
            limits: EdgeLimits::default(),
            resp: RespSettings::default(),
            coord: fast_coord_options(),
            security: Default::default(),
        }
    }
}

/// One cluster of in-process nodes.
pub struct TestCluster {
    nodes: Nodes,
}

impl TestCluster {
    /// Starts `opts.nodes` nodes (ids 1..=n) and waits until they have a leader.
    pub async fn start(opts: TestClusterOptions) -> Result<TestCluster> {
        let mut nodes = Nodes::new(0)?;
        let mut bound = Vec::new();
        let mut members = Vec::new();
        for i in 1..=opts.nodes as NodeId {
            let b = Bound::loopback().await?;
            b.register(i, &nodes.net)?;
            members.push((i, b.node()?));
            bound.push((i, b));
        }
        let cluster = ClusterSpec {
            name: opts.cluster.clone(),
            region: opts.region.clone(),
            nodes: members,
        };
        let voters: Vec<NodeId> = bound.iter().map(|(id, _)| *id).collect();
        for (id, b) in bound {
            let spec = NodeSpec {
                node_id: id,
                cluster: opts.cluster.clone(),
                region: opts.region.clone(),
                data_dir: nodes.data_dir(id),
                clusters: vec![cluster.clone()],
                region_options: opts.region_options.clone(),
                limits: opts.limits,
                resp: opts.resp.clone(),
                shipping: meridian_server::ShipOptions::default(),
                metrics_addr: b.metrics_addr()?,
                coord: CoordSpec {
                    options: opts.coord.clone(),
                    ..CoordSpec::for_clusters(std::slice::from_ref(&cluster), &voters, 4)
                },
                faults: None,
                security: opts.security.get(&id).cloned().unwrap_or_default(),
            };
            nodes.start(spec, b).await?;
        }
        let tc = TestCluster { nodes };
        tc.wait_for_leader(Duration::from_secs(10)).await?;
        Ok(tc)
    }

    /// The network between the nodes (and test clients that dial through it).
    pub fn net(&self) -> &FaultNet {
        &self.nodes.net
    }

    /// Node `id`'s clocks: skew, drift or jump them (`meridian_types::Clock`).
    pub fn clock(&self, id: NodeId) -> Result<meridian_types::Clock> {
        self.nodes.clock_of(id)
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.nodes.specs.keys().copied().collect()
    }

    /// Nodes currently running.
    pub fn running(&self) -> Vec<NodeId> {
        self.nodes.running.keys().copied().collect()
    }

    pub fn node(&self, id: NodeId) -> Result<&MeridianNode> {
        self.nodes.node(id)
    }

    pub fn group(&self, id: NodeId) -> Result<&Arc<RegionGroup>> {
        self.nodes.group(id)
    }

    pub fn grpc_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.nodes.grpc_addr(id)
    }

    /// Where node `id` serves RESP (Redis clients connect here).
    pub fn resp_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.nodes.resp_addr(id)
    }

    /// A KeyValue client connected to node `id`.
    pub async fn kv(&self, id: NodeId) -> Result<KeyValueClient<Channel>> {
        self.nodes.kv(id).await
    }

    /// A node of the cluster other than `leader`.
    pub fn follower_of(&self, leader: NodeId) -> Result<NodeId> {
        self.ids()
            .into_iter()
            .find(|id| *id != leader)
            .ok_or_else(|| anyhow!("the cluster has no node but {leader}"))
    }

    /// The leader that every running node agrees on.
    pub async fn wait_for_leader(&self, limit: Duration) -> Result<NodeId> {
        self.nodes.wait_for_leader(&self.ids(), limit).await
    }

    /// Waits until every running node has applied log index `index`.
    pub async fn wait_applied(&self, index: u64, limit: Duration) -> Result<()> {
        for (id, node) in &self.nodes.running {
            node.group()
                .raft()
                .wait(Some(limit))
                .applied_index_at_least(Some(index), "test wait")
                .await
                .map_err(|e| anyhow!("node {id} did not apply index {index}: {e}"))?;
        }
        Ok(())
    }

    /// Stops node `id` abruptly: listeners and Raft stop, no final flush. What it
    /// acknowledged was already flushed by the log store.
    pub async fn kill(&mut self, id: NodeId) -> Result<()> {
        self.nodes.kill(id).await
    }

    /// Stops node `id` gracefully.
    pub async fn stop(&mut self, id: NodeId) -> Result<()> {
        self.nodes.stop(id).await
    }

    /// Starts node `id` again on its data directory and address.
    pub async fn restart(&mut self, id: NodeId) -> Result<()> {
        self.nodes.restart(id).await
    }

    /// Cuts every link between `id` and the other nodes, both ways.
    pub fn isolate(&self, id: NodeId) {
        let others: Vec<NodeId> = self.ids().into_iter().filter(|p| *p != id).collect();
        self.nodes.cut(&[id], &others);
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.nodes.heal();
    }

    /// Stops every running node gracefully.
    pub async fn shutdown(mut self) {
        self.nodes.shutdown().await;
    }
}
