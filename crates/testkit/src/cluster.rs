use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use meridian_coord::CoordOptions;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_region::{RegionGroup, RegionOptions};
use meridian_server::{ClusterSpec, CoordSpec, EdgeLimits, MeridianNode, NodeSpec, RespSettings};
use meridian_types::{Node, NodeId};
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::wait::eventually;

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
}

impl Default for TestClusterOptions {
    fn default() -> Self {
        TestClusterOptions {
            nodes: 3,
            cluster: "test1".into(),
            region: "test-region-1".into(),
            region_options: RegionOptions {
                // Fast elections keep fault tests short.
                heartbeat_interval: Duration::from_millis(50),
                election_timeout_min: Duration::from_millis(200),
                election_timeout_max: Duration::from_millis(400),
                ..RegionOptions::default()
            },
            limits: EdgeLimits::default(),
            resp: RespSettings::default(),
            coord: CoordOptions {
                heartbeat_interval: Duration::from_millis(50),
                election_timeout_min: Duration::from_millis(300),
                election_timeout_max: Duration::from_millis(600),
                lease: Duration::from_millis(1_000),
                lease_margin: Duration::from_millis(200),
                ..CoordOptions::default()
            },
        }
    }
}

/// One cluster of in-process nodes.
pub struct TestCluster {
    specs: BTreeMap<NodeId, NodeSpec>,
    addrs: BTreeMap<NodeId, SocketAddr>,
    resp_addrs: BTreeMap<NodeId, SocketAddr>,
    nodes: BTreeMap<NodeId, MeridianNode>,
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// Starts `opts.nodes` nodes (ids 1..=n) and waits until they have a leader.
    pub async fn start(opts: TestClusterOptions) -> Result<TestCluster> {
        crate::init_tracing();
        let dir = tempfile::tempdir().context("creating temp dir")?;
        let mut listeners = BTreeMap::new();
        let mut members = Vec::new();
        for i in 1..=opts.nodes as NodeId {
            let l = TcpListener::bind("127.0.0.1:0")
                .await
                .context("binding port 0")?;
            let addr = l.local_addr()?;
            let resp = TcpListener::bind("127.0.0.1:0")
                .await
                .context("binding port 0 for RESP")?;
            members.push((
                i,
                Node {
                    grpc_addr: addr.to_string(),
                    resp_addr: resp.local_addr()?.to_string(),
                },
            ));
            listeners.insert(i, (l, resp));
        }
        let cluster = ClusterSpec {
            name: opts.cluster.clone(),
            region: opts.region.clone(),
            nodes: members,
        };
        let mut tc = TestCluster {
            specs: BTreeMap::new(),
            addrs: BTreeMap::new(),
            resp_addrs: BTreeMap::new(),
            nodes: BTreeMap::new(),
            _dir: dir,
        };
        let voters: Vec<NodeId> = listeners.keys().copied().collect();
        for (id, (listener, resp)) in listeners {
            let spec = NodeSpec {
                node_id: id,
                cluster: opts.cluster.clone(),
                region: opts.region.clone(),
                data_dir: tc._dir.path().join(format!("node-{id}")),
                clusters: vec![cluster.clone()],
                region_options: opts.region_options.clone(),
                limits: opts.limits,
                resp: opts.resp.clone(),
                coord: CoordSpec {
                    options: opts.coord.clone(),
                    ..CoordSpec::for_clusters(std::slice::from_ref(&cluster), &voters, 4)
                },
            };
            tc.addrs.insert(id, listener.local_addr()?);
            tc.resp_addrs.insert(id, resp.local_addr()?);
            let node = MeridianNode::start_with(spec.clone(), listener, resp)
                .await
                .with_context(|| format!("starting node {id}"))?;
            tc.specs.insert(id, spec);
            tc.nodes.insert(id, node);
        }
        tc.wait_for_leader(Duration::from_secs(10)).await?;
        Ok(tc)
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.specs.keys().copied().collect()
    }

    /// Nodes currently running.
    pub fn running(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }

    pub fn node(&self, id: NodeId) -> Result<&MeridianNode> {
        self.nodes
            .get(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))
    }

    pub fn group(&self, id: NodeId) -> Result<&std::sync::Arc<RegionGroup>> {
        Ok(self.node(id)?.group())
    }

    pub fn grpc_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.addrs
            .get(&id)
            .copied()
            .ok_or_else(|| anyhow!("no node {id}"))
    }

    /// Where node `id` serves RESP (Redis clients connect here).
    pub fn resp_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.resp_addrs
            .get(&id)
            .copied()
            .ok_or_else(|| anyhow!("no node {id}"))
    }

    /// A KeyValue client connected to node `id`.
    pub async fn kv(&self, id: NodeId) -> Result<KeyValueClient<Channel>> {
        let addr = self.grpc_addr(id)?;
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .timeout(Duration::from_secs(10))
            .connect()
            .await
            .with_context(|| format!("connecting to node {id} at {addr}"))?;
        Ok(KeyValueClient::new(ch))
    }

    /// The leader that every running node agrees on.
    pub async fn wait_for_leader(&self, limit: Duration) -> Result<NodeId> {
        eventually("a leader all running nodes agree on", limit, || async {
            let mut leader = None;
            for node in self.nodes.values() {
                let l = node.group().raft().metrics().borrow().current_leader;
                match (leader, l) {
                    (_, None) => return Ok(None),
                    (None, Some(l)) => leader = Some(l),
                    (Some(a), Some(b)) if a != b => return Ok(None),
                    _ => {}
                }
            }
            match leader {
                Some(l) if self.nodes.contains_key(&l) && self.nodes[&l].group().is_leader() => {
                    Ok(Some(l))
                }
                _ => Ok(None),
            }
        })
        .await
    }

    /// Waits until every running node has applied log index `index`.
    pub async fn wait_applied(&self, index: u64, limit: Duration) -> Result<()> {
        for (id, node) in &self.nodes {
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
        let node = self
            .nodes
            .remove(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))?;
        node.kill().await;
        Ok(())
    }

    /// Stops node `id` gracefully.
    pub async fn stop(&mut self, id: NodeId) -> Result<()> {
        let node = self
            .nodes
            .remove(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))?;
        node.stop().await;
        Ok(())
    }

    /// Starts node `id` again on its data directory and address.
    pub async fn restart(&mut self, id: NodeId) -> Result<()> {
        if self.nodes.contains_key(&id) {
            bail!("node {id} is still running");
        }
        let spec = self
            .specs
            .get(&id)
            .cloned()
            .ok_or_else(|| anyhow!("no node {id}"))?;
        let addr = self.grpc_addr(id)?;
        let listener = eventually(
            "rebinding the node's port",
            Duration::from_secs(5),
            || async { Ok(TcpListener::bind(addr).await.ok()) },
        )
        .await?;
        let resp_addr = self.resp_addr(id)?;
        let resp = eventually(
            "rebinding the node's RESP port",
            Duration::from_secs(5),
            || async { Ok(TcpListener::bind(resp_addr).await.ok()) },
        )
        .await?;
        let node = MeridianNode::start_with(spec, listener, resp)
            .await
            .with_context(|| format!("restarting node {id}"))?;
        self.nodes.insert(id, node);
        Ok(())
    }

    /// Cuts every link between `id` and the other nodes, both ways.
    pub fn isolate(&self, id: NodeId) {
        for (other, node) in &self.nodes {
            if *other == id {
                for peer in self.specs.keys().filter(|p| **p != id) {
                    node.link_filter().cut(*peer);
                }
            } else {
                node.link_filter().cut(id);
            }
        }
    }

    /// Restores every link.
    pub fn heal(&self) {
        for node in self.nodes.values() {
            node.link_filter().heal_all();
        }
    }

    /// Stops every running node gracefully.
    pub async fn shutdown(mut self) {
        for (_, node) in std::mem::take(&mut self.nodes) {
            node.stop().await;
        }
    }
}
