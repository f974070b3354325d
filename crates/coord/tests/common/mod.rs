//! Three coordination voters in one process: real gRPC on port 0, sled in temp dirs.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use meridian_coord::grpc::{CoordForwardServer, GlobalDatastoresServer};
use meridian_coord::{
    ControlPlane, CoordClient, CoordForwardService, CoordGroup, CoordHandle, CoordOptions,
    GlobalDatastoresService, Registration,
};
use meridian_proto::internal::raft_transport_server::RaftTransportServer;
use meridian_transport::{ChannelPool, GroupRouter, RaftTransportService, TransportLimits};
use meridian_types::{ClusterInfo, ControlLimits, Node, NodeId};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;

pub const CLUSTERS: &[(&str, &str)] = &[
    ("use1", "us-east-1"),
    ("euw1", "eu-west-1"),
    ("aps1", "ap-south-1"),
];

/// Fast LAN timing so tests run in seconds.
pub fn options() -> CoordOptions {
    CoordOptions {
        heartbeat_interval: Duration::from_millis(50),
        election_timeout_min: Duration::from_millis(300),
        election_timeout_max: Duration::from_millis(600),
        lease: Duration::from_millis(800),
        clock_drift_bound: 0.05,
        lease_margin: Duration::from_millis(100),
        request_timeout: Duration::from_secs(5),
        snapshot_logs_since_last: 20,
        install_snapshot_timeout: Duration::from_secs(2),
        clock: meridian_types::Clock::system(),
        failover_catch_up: Duration::from_secs(10),
        failover_hold: Default::default(),
    }
}

pub fn registration() -> Registration {
    Registration {
        clusters: CLUSTERS
            .iter()
            .map(|(name, region)| ClusterInfo {
                name: name.to_string(),
                region: region.to_string(),
                nodes: BTreeMap::new(),
            })
            .collect(),
        limits: ControlLimits::default(),
    }
}

pub struct Voter {
    pub id: NodeId,
    pub group: Arc<CoordGroup>,
    pub addr: String,
    cancel: CancellationToken,
    server: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Voter {
    /// A crash: the listener is aborted and Raft stops.
    pub async fn kill(self) {
        self.cancel.cancel();
        self.server.abort();
        self.group.shutdown().await;
    }
}

pub struct Voters {
    pub voters: HashMap<NodeId, Voter>,
    pub addrs: BTreeMap<NodeId, String>,
}

impl Voters {
    pub async fn start(n: u64) -> anyhow::Result<Voters> {
        let mut listeners = Vec::new();
        let mut members = BTreeMap::new();
        for id in 1..=n {
            let l = TcpListener::bind("127.0.0.1:0").await?;
            let addr = l.local_addr()?.to_string();
            members.insert(
                id,
                Node {
                    grpc_addr: addr,
                    resp_addr: String::new(),
                },
            );
            listeners.push((id, l));
        }
        let mut voters = HashMap::new();
        for (id, listener) in listeners {
            let dir = tempfile::tempdir()?;
            let db = meridian_storage::open_db(dir.path())?;
            let pool = ChannelPool::new(TransportLimits::default());
            let router = GroupRouter::new();
            let group = CoordGroup::start(
                &db,
                id,
                members.clone(),
                registration(),
                options(),
                pool,
                router.clone(),
            )
            .await?;
            let cancel = CancellationToken::new();
            let svc = tonic::transport::Server::builder()
                .add_service(RaftTransportServer::new(RaftTransportService::new(
                    id, router,
                )))
                .add_service(CoordForwardServer::new(CoordForwardService::new(
                    group.clone(),
                )))
                .add_service(GlobalDatastoresServer::new(GlobalDatastoresService::new(
                    CoordHandle::from(group.clone()),
                )));
            let stop = cancel.clone();
            let server = tokio::spawn(async move {
                let _ = svc
                    .serve_with_incoming_shutdown(
                        TcpListenerStream::new(listener),
                        stop.cancelled(),
                    )
                    .await;
            });
            let addr = members[&id].grpc_addr.clone();
            voters.insert(
                id,
                Voter {
                    id,
                    group,
                    addr,
                    cancel,
                    server,
                    _dir: dir,
                },
            );
        }
        let addrs = members
            .iter()
            .map(|(id, n)| (*id, n.grpc_addr.clone()))
            .collect();
        Ok(Voters { voters, addrs })
    }

    /// A client as a non-voter node or the CLI would use.
    pub fn client(&self) -> CoordHandle {
        CoordHandle::from(CoordClient::new(
            self.addrs.clone(),
            ChannelPool::new(TransportLimits::default()),
            Duration::from_secs(10),
        ))
    }

    pub fn get(&self, id: NodeId) -> &Voter {
        &self.voters[&id]
    }

    /// Waits until a live voter leads and the registration is applied; returns the leader.
    pub async fn leader(&self) -> anyhow::Result<NodeId> {
        let what = "a single leader with the registration applied";
        let leader = meridian_wait::until_async(what, Duration::from_secs(15), || async {
            self.registered_leader()
        })
        .await?;
        Ok(leader)
    }

    /// The one live leader if it has applied the registration; else what the voters show.
    fn registered_leader(&self) -> Result<NodeId, String> {
        let leaders: Vec<NodeId> = self
            .voters
            .values()
            .filter(|v| v.group.is_leader())
            .map(|v| v.id)
            .collect();
        let [l] = leaders[..] else {
            return Err(format!("leaders {leaders:?}"));
        };
        let registered = self.voters[&l]
            .group
            .local_state()
            .read(|cp| registration().is_recorded_in(cp));
        if registered {
            Ok(l)
        } else {
            Err(format!("leader {l} has not applied the registration"))
        }
    }

    pub fn followers(&self, leader: NodeId) -> Vec<NodeId> {
        let mut f: Vec<NodeId> = self
            .voters
            .keys()
            .copied()
            .filter(|id| *id != leader)
            .collect();
        f.sort_unstable();
        f
    }

    /// Waits until every live voter has applied the same state; returns it.
    pub async fn converged(&self) -> anyhow::Result<ControlPlane> {
        let what = "every live voter to apply the same state";
        let states = meridian_wait::until_async(what, Duration::from_secs(10), || async {
            let states: Vec<ControlPlane> = self
                .voters
                .values()
                .map(|v| v.group.local_state().read(Clone::clone))
                .collect();
            if states.windows(2).all(|w| w[0] == w[1]) {
                Ok(states)
            } else {
                Err(format!("states {states:#?}"))
            }
        })
        .await?;
        states.into_iter().next().context("no voters")
    }

    pub async fn kill(&mut self, id: NodeId) {
        if let Some(v) = self.voters.remove(&id) {
            v.kill().await;
        }
    }

    pub async fn stop_all(mut self) {
        let ids: Vec<NodeId> = self.voters.keys().copied().collect();
        for id in ids {
            self.kill(id).await;
        }
    }
}
