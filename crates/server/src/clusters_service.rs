//! `meridian.v1.Clusters`: what each cluster's nodes say about their regional group.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::clusters_server::Clusters;
use meridian_region::RegionGroup;
use meridian_transport::ChannelPool;
use meridian_types::{Node, NodeId};
use openraft::ServerState;
use tonic::{Request, Response, Status};

use crate::spec::NodeSpec;

pub(crate) struct ClustersService {
    spec: NodeSpec,
    group: Arc<RegionGroup>,
    pool: ChannelPool,
}

impl ClustersService {
    pub(crate) fn new(spec: NodeSpec, group: Arc<RegionGroup>, pool: ChannelPool) -> Self {
        ClustersService { spec, group, pool }
    }

    fn local_status(&self) -> pb::NodeStatusResponse {
        let m = self.group.raft().metrics().borrow().clone();
        let state = match m.state {
            ServerState::Leader => "leader",
            ServerState::Follower => "follower",
            ServerState::Candidate => "candidate",
            ServerState::Learner => "learner",
            ServerState::Shutdown => "shutdown",
        };
        let me = self.spec.me().unwrap_or_default();
        let sm = self.group.sm();
        pb::NodeStatusResponse {
            node_id: self.spec.node_id,
            cluster: self.spec.cluster.clone(),
            region: self.spec.region.clone(),
            state: state.to_string(),
            current_term: m.current_term,
            leader_id: m.current_leader.unwrap_or(0),
            last_log_index: m.last_log_index.unwrap_or(0),
            last_applied_index: m.last_applied.map(|l| l.index).unwrap_or(0),
            applied_seq: sm.seq(),
            key_count: sm.read(|ks| ks.len() as u64),
            grpc_addr: me.grpc_addr,
            resp_addr: me.resp_addr,
            voters: m.membership_config.membership().voter_ids().collect(),
        }
    }

    async fn view_of(&self, id: NodeId, node: &Node) -> pb::NodeView {
        let mut view = pb::NodeView {
            node_id: id,
            grpc_addr: node.grpc_addr.clone(),
            resp_addr: node.resp_addr.clone(),
            ..Default::default()
        };
        if id == self.spec.node_id {
            view.reachable = true;
            view.status = Some(self.local_status());
            return view;
        }
        let asked = async {
            let channel = self
                .pool
                .channel(&node.grpc_addr)
                .map_err(|e| e.to_string())?;
            let mut req = Request::new(pb::NodeStatusRequest {});
            req.set_timeout(Duration::from_secs(1));
            ClustersClient::new(channel)
                .node_status(req)
                .await
                .map(|r| r.into_inner())
                .map_err(|s| format!("{:?}: {}", s.code(), s.message()))
        };
        match asked.await {
            Ok(status) => {
                view.reachable = true;
                view.status = Some(status);
            }
            Err(e) => view.error = e,
        }
        view
    }
}

#[tonic::async_trait]
impl Clusters for ClustersService {
    async fn describe(
        &self,
        request: Request<pb::DescribeClustersRequest>,
    ) -> Result<Response<pb::DescribeClustersResponse>, Status> {
        let want = request.into_inner().cluster;
        let chosen: Vec<_> = self
            .spec
            .clusters
            .iter()
            .filter(|c| want.is_empty() || c.name == want)
            .collect();
        if chosen.is_empty() {
            let known: Vec<_> = self.spec.clusters.iter().map(|c| c.name.as_str()).collect();
            return Err(Status::not_found(format!(
                "unknown cluster {want:?} (known: {})",
                known.join(", ")
            )));
        }
        let mut clusters = Vec::new();
        for c in chosen {
            let nodes = join_all(c.nodes.iter().map(|(id, n)| self.view_of(*id, n))).await;
            // The leader is the one a reachable node with the highest term reports.
            let best = nodes
                .iter()
                .filter_map(|n| n.status.as_ref())
                .max_by_key(|s| (s.current_term, s.leader_id != 0));
            clusters.push(pb::ClusterView {
                name: c.name.clone(),
                region: c.region.clone(),
                leader_id: best.map(|s| s.leader_id).unwrap_or(0),
                term: best.map(|s| s.current_term).unwrap_or(0),
                nodes,
            });
        }
        Ok(Response::new(pb::DescribeClustersResponse { clusters }))
    }

    async fn node_status(
        &self,
        _request: Request<pb::NodeStatusRequest>,
    ) -> Result<Response<pb::NodeStatusResponse>, Status> {
        Ok(Response::new(self.local_status()))
    }
}
