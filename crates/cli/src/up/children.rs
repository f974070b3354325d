//! The node processes `meridian up` owns: starting them, noticing when one ends, and the
//! faults `meridian local` asks for, carried out on the right node (`process.rs`).

use std::path::Path;

use anyhow::{bail, Result};
use meridian_config::DeploymentConfig;
use tokio::time::Instant;
use tracing::warn;

use super::control::{NodeState, NodeStatus, Reply, Request};
use super::process::{indent, tail, Launcher, Node, STOP_GRACE};

/// Log lines shown when a node ends on its own.
const TAIL_LINES: usize = 5;

/// Every node of the deployment, in config order.
pub struct Children {
    launcher: Launcher,
    nodes: Vec<Node>,
}

impl Children {
    /// Starts every node and witness of `cfg`; on failure stops the ones already started.
    pub async fn start(cfg: &DeploymentConfig, launcher: Launcher) -> Result<Self> {
        let mut all = Children {
            launcher,
            nodes: Vec::new(),
        };
        for c in &cfg.clusters {
            for n in &c.nodes {
                all.add(n.id, &c.name, &c.region, Some(n.resp_addr()), n.grpc_addr());
            }
        }
        for w in &cfg.witnesses {
            all.add(w.id, "witness", &w.region, None, w.grpc_addr());
        }
        let started = all
            .nodes
            .iter_mut()
            .try_for_each(|n| n.start(&all.launcher));
        if let Err(e) = started {
            all.stop_all().await;
            return Err(e);
        }
        Ok(all)
    }

    fn add(&mut self, id: u64, member: &str, region: &str, resp: Option<String>, grpc: String) {
        let node = Node::new(&self.launcher, id, member, region, resp, grpc);
        self.nodes.push(node);
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The log file of node `id`.
    pub fn log_of(&self, id: u64) -> Option<&Path> {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.log.as_path())
    }

    /// During start-up any node that ends is a failed start.
    pub fn check_started(&mut self) -> Result<()> {
        for n in &mut self.nodes {
            if let Some(status) = n.reap()? {
                bail!(
                    "node {} exited during start-up ({status}); last lines of {}:\n{}",
                    n.id,
                    n.log.display(),
                    tail(&n.log, 20)
                );
            }
        }
        Ok(())
    }

    /// Notices nodes that ended on their own, says so once for each, and leaves them down.
    pub fn reap_exits(&mut self) {
        for n in &mut self.nodes {
            match n.reap() {
                Ok(Some(status)) => println!(
                    "node {} ({}) exited unexpectedly ({status}); the other nodes keep running. \
                     Restart it with `meridian local restart {}`. Last lines of {}:\n{}",
                    n.id,
                    n.member,
                    n.id,
                    n.log.display(),
                    indent(&tail(&n.log, TAIL_LINES))
                ),
                Ok(None) => {}
                Err(e) => warn!(node = n.id, error = %format!("{e:#}"), "checking on the node"),
            }
        }
    }

    /// Carries out one `meridian local` request.
    pub async fn handle(&mut self, request: Request) -> Reply {
        self.reap_exits();
        let (ok, message) = match self.act(request).await {
            Ok(m) => (true, m),
            Err(e) => (false, format!("{e:#}")),
        };
        if ok && request != Request::Status {
            println!("{message}");
        }
        Reply {
            ok,
            message,
            up_pid: std::process::id(),
            nodes: self.status(),
        }
    }

    async fn act(&mut self, request: Request) -> Result<String> {
        let summary = format!("{} nodes", self.nodes.len());
        let Some(id) = request.node() else {
            return Ok(summary);
        };
        let Some(node) = self.nodes.iter_mut().find(|n| n.id == id) else {
            let valid = self
                .nodes
                .iter()
                .map(|n| format!("{} ({})", n.id, n.member))
                .collect::<Vec<_>>()
                .join(", ");
            bail!("no node {id} in this deployment; valid node ids: {valid}");
        };
        match request {
            Request::Status => Ok(summary),
            Request::Kill { .. } => node.kill().await,
            Request::Stop { .. } => node.stop().await,
            Request::Pause { .. } => node.pause(),
            Request::Unpause { .. } => node.unpause(),
            Request::Restart { .. } => node.restart(&self.launcher).await,
        }
    }

    /// Every node's state, for `meridian local status`.
    pub fn status(&self) -> Vec<NodeStatus> {
        self.nodes.iter().map(Node::status).collect()
    }

    /// SIGTERM every node (waking paused ones so they can act on it), wait for clean stops,
    /// SIGKILL what is left after [`STOP_GRACE`].
    pub async fn stop_all(&mut self) {
        for n in &self.nodes {
            n.terminate();
        }
        let deadline = Instant::now() + STOP_GRACE;
        for n in &mut self.nodes {
            n.wait_down(deadline, NodeState::Stopped).await;
        }
    }
}
