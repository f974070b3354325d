//! What [`crate::TestCluster`] and [`crate::TestDeployment`] share: fast test timings, binding
//! port 0, and a set of in-process nodes that can be killed, restarted, cut off and healed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use meridian_coord::CoordOptions;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_region::{RegionGroup, RegionOptions};
use meridian_server::{MeridianNode, NodeSpec};
use meridian_transport::FaultNet;
use meridian_types::{Clock, Node, NodeId};
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::wait::eventually;

/// Regional timings that keep fault tests short (fast elections).
pub fn fast_region_options() -> RegionOptions {
    RegionOptions {
        heartbeat_interval: Duration::from_millis(50),
        election_timeout_min: Duration::from_millis(200),
        election_timeout_max: Duration::from_millis(400),
        ..RegionOptions::default()
    }
}

/// Coordination timings for tests: 1 s write leases.
pub fn fast_coord_options() -> CoordOptions {
    CoordOptions {
        heartbeat_interval: Duration::from_millis(50),
        election_timeout_min: Duration::from_millis(300),
        election_timeout_max: Duration::from_millis(600),
        lease: Duration::from_millis(1_000),
        lease_margin: Duration::from_millis(200),
        ..CoordOptions::default()
    }
}

/// A node's listeners, bound on port 0 before its spec is written.
pub(crate) struct Bound {
    pub(crate) grpc: TcpListener,
    pub(crate) resp: TcpListener,
    pub(crate) metrics: TcpListener,
}

impl Bound {
    pub(crate) async fn loopback() -> Result<Bound> {
        let grpc = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding port 0")?;
        let resp = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding port 0 for RESP")?;
        let metrics = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding port 0 for metrics")?;
        Ok(Bound {
            grpc,
            resp,
            metrics,
        })
    }

    /// Where the metrics listener is bound, for [`NodeSpec::metrics_addr`].
    pub(crate) fn metrics_addr(&self) -> Result<String> {
        Ok(self.metrics.local_addr()?.to_string())
    }

    /// Registers this node's gRPC and RESP addresses as `id`'s on `net`. Done for every node
    /// before any starts: a connection opened to an unregistered address escapes the faults.
    pub(crate) fn register(&self, id: NodeId, net: &FaultNet) -> Result<()> {
        net.register(id, &self.grpc.local_addr()?.to_string());
        net.register(id, &self.resp.local_addr()?.to_string());
        Ok(())
    }

    pub(crate) fn node(&self) -> Result<Node> {
        Ok(Node {
            grpc_addr: self.grpc.local_addr()?.to_string(),
            resp_addr: self.resp.local_addr()?.to_string(),
        })
    }
}

/// In-process nodes, their specs and addresses; data in a temp dir removed on drop.
pub(crate) struct Nodes {
    pub(crate) specs: BTreeMap<NodeId, NodeSpec>,
    addrs: BTreeMap<NodeId, SocketAddr>,
    resp_addrs: BTreeMap<NodeId, SocketAddr>,
    pub(crate) running: BTreeMap<NodeId, MeridianNode>,
    /// The network every node's outgoing connections go through.
    pub(crate) net: FaultNet,
    /// Each node's adjustable clocks, kept across restarts.
    clocks: BTreeMap<NodeId, Clock>,
    dir: tempfile::TempDir,
}

impl Nodes {
    /// `seed` drives the fault network's jitter and message loss.
    pub(crate) fn new(seed: u64) -> Result<Nodes> {
        crate::init_tracing();
        Ok(Nodes {
            specs: BTreeMap::new(),
            addrs: BTreeMap::new(),
            resp_addrs: BTreeMap::new(),
            running: BTreeMap::new(),
            net: FaultNet::new(seed),
            clocks: BTreeMap::new(),
            dir: tempfile::tempdir().context("creating temp dir")?,
        })
    }

    pub(crate) fn data_dir(&self, id: NodeId) -> std::path::PathBuf {
        self.dir.path().join(format!("node-{id}"))
    }

    /// Starts a node on listeners bound earlier and remembers it for restarts. The node
    /// joins this set's fault network and runs on its own adjustable clock, whatever its
    /// spec said.
    pub(crate) async fn start(&mut self, mut spec: NodeSpec, bound: Bound) -> Result<()> {
        let id = spec.node_id;
        spec.faults = Some(self.net.clone());
        let clock = self.clock(id);
        spec.region_options.clock = clock.clone();
        spec.coord.options.clock = clock;
        bound.register(id, &self.net)?;
        let (grpc, resp) = (bound.grpc.local_addr()?, bound.resp.local_addr()?);
        self.addrs.insert(id, grpc);
        self.resp_addrs.insert(id, resp);
        let node = MeridianNode::start_with(spec.clone(), bound.grpc, bound.resp, bound.metrics)
            .await
            .with_context(|| format!("starting node {id}"))?;
        self.specs.insert(id, spec);
        self.running.insert(id, node);
        Ok(())
    }

    /// Node `id`'s clock (created at its first start, then the same across restarts).
    fn clock(&mut self, id: NodeId) -> Clock {
        self.clocks
            .entry(id)
            .or_insert_with(Clock::adjustable)
            .clone()
    }

    pub(crate) fn clock_of(&self, id: NodeId) -> Result<Clock> {
        self.clocks
            .get(&id)
            .cloned()
            .ok_or_else(|| anyhow!("no node {id}"))
    }

    pub(crate) fn node(&self, id: NodeId) -> Result<&MeridianNode> {
        self.running
            .get(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))
    }

    pub(crate) fn group(&self, id: NodeId) -> Result<&Arc<RegionGroup>> {
        Ok(self.node(id)?.group())
    }

    pub(crate) fn grpc_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.addrs
            .get(&id)
            .copied()
            .ok_or_else(|| anyhow!("no node {id}"))
    }

    pub(crate) fn resp_addr(&self, id: NodeId) -> Result<SocketAddr> {
        self.resp_addrs
            .get(&id)
            .copied()
            .ok_or_else(|| anyhow!("no node {id}"))
    }

    pub(crate) async fn channel(&self, id: NodeId) -> Result<Channel> {
        let addr = self.grpc_addr(id)?;
        tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .timeout(Duration::from_secs(10))
            .connect()
            .await
            .with_context(|| format!("connecting to node {id} at {addr}"))
    }

    pub(crate) async fn kv(&self, id: NodeId) -> Result<KeyValueClient<Channel>> {
        Ok(KeyValueClient::new(self.channel(id).await?))
    }

    /// The regional leader every running node of `members` agrees on.
    pub(crate) async fn wait_for_leader(
        &self,
        members: &[NodeId],
        limit: Duration,
    ) -> Result<NodeId> {
        eventually("a leader all running nodes agree on", limit, || async {
            let mut leader = None;
            for node in members.iter().filter_map(|id| self.running.get(id)) {
                let l = node.group().raft().metrics().borrow().current_leader;
                match (leader, l) {
                    (_, None) => return Ok(None),
                    (None, Some(l)) => leader = Some(l),
                    (Some(a), Some(b)) if a != b => return Ok(None),
                    _ => {}
                }
            }
            match leader {
                Some(l) if self.running.get(&l).is_some_and(|n| n.group().is_leader()) => {
                    Ok(Some(l))
                }
                _ => Ok(None),
            }
        })
        .await
    }

    pub(crate) async fn kill(&mut self, id: NodeId) -> Result<()> {
        let node = self
            .running
            .remove(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))?;
        node.kill().await;
        Ok(())
    }

    pub(crate) async fn stop(&mut self, id: NodeId) -> Result<()> {
        let node = self
            .running
            .remove(&id)
            .ok_or_else(|| anyhow!("node {id} is not running"))?;
        node.stop().await;
        Ok(())
    }

    pub(crate) async fn restart(&mut self, id: NodeId) -> Result<()> {
        if self.running.contains_key(&id) {
            bail!("node {id} is still running");
        }
        let spec = self
            .specs
            .get(&id)
            .cloned()
            .ok_or_else(|| anyhow!("no node {id}"))?;
        let addr = self.grpc_addr(id)?;
        let grpc = eventually(
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
        // The spec holds the port bound at the first start.
        let metrics_addr = spec.metrics_addr.clone();
        let metrics = eventually(
            "rebinding the node's metrics port",
            Duration::from_secs(5),
            || async { Ok(TcpListener::bind(metrics_addr.as_str()).await.ok()) },
        )
        .await?;
        let node = MeridianNode::start_with(spec, grpc, resp, metrics)
            .await
            .with_context(|| format!("restarting node {id}"))?;
        self.running.insert(id, node);
        Ok(())
    }

    /// Cuts the links between every node of `a` and every node of `b`, both ways.
    pub(crate) fn cut(&self, a: &[NodeId], b: &[NodeId]) {
        self.net.partition(a, b);
    }

    /// Removes every network fault.
    pub(crate) fn heal(&self) {
        self.net.heal();
    }

    pub(crate) async fn shutdown(&mut self) {
        for (_, node) in std::mem::take(&mut self.running) {
            node.stop().await;
        }
    }
}
