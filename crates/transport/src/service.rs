use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use meridian_proto::internal::raft_transport_server::RaftTransport;
use meridian_proto::internal::RaftMessage;
use meridian_types::{Node, NodeId};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use openraft::{Raft, RaftTypeConfig};
use tonic::{Request, Response, Status};

use crate::codec::{decode, encode};

/// The receiving side of one Raft group: decodes a request, hands it to the local `Raft`, and
/// encodes its `Result` (errors travel to the sender as values, not as gRPC failures).
pub trait GroupEndpoint: Send + Sync + 'static {
    fn append_entries(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>>;
    fn vote(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>>;
    fn install_snapshot(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>>;
}

/// [`GroupEndpoint`] for an openraft `Raft<C>`.
pub struct RaftEndpoint<C: RaftTypeConfig> {
    raft: Raft<C>,
}

impl<C: RaftTypeConfig> RaftEndpoint<C> {
    pub fn new(raft: Raft<C>) -> Self {
        RaftEndpoint { raft }
    }
}

fn bad_payload(e: impl std::fmt::Display) -> Status {
    Status::invalid_argument(e.to_string())
}

impl<C> GroupEndpoint for RaftEndpoint<C>
where
    C: RaftTypeConfig<NodeId = NodeId, Node = Node, SnapshotData = Cursor<Vec<u8>>>,
{
    fn append_entries(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>> {
        Box::pin(async move {
            let req: AppendEntriesRequest<C> =
                decode("append-entries request", &payload).map_err(bad_payload)?;
            let res = self.raft.append_entries(req).await;
            encode("append-entries reply", &res).map_err(|e| Status::internal(e.to_string()))
        })
    }

    fn vote(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>> {
        Box::pin(async move {
            let req: VoteRequest<NodeId> = decode("vote request", &payload).map_err(bad_payload)?;
            let res = self.raft.vote(req).await;
            encode("vote reply", &res).map_err(|e| Status::internal(e.to_string()))
        })
    }

    fn install_snapshot(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<Vec<u8>, Status>> {
        Box::pin(async move {
            let req: InstallSnapshotRequest<C> =
                decode("install-snapshot request", &payload).map_err(bad_payload)?;
            let res = self.raft.install_snapshot(req).await;
            encode("install-snapshot reply", &res).map_err(|e| Status::internal(e.to_string()))
        })
    }
}

/// The groups this node hosts, by `GroupId` text form.
#[derive(Clone, Default)]
pub struct GroupRouter {
    groups: Arc<RwLock<HashMap<String, Arc<dyn GroupEndpoint>>>>,
}

impl GroupRouter {
    pub fn new() -> GroupRouter {
        GroupRouter::default()
    }

    pub fn register(&self, group: String, endpoint: Arc<dyn GroupEndpoint>) {
        self.groups
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group, endpoint);
    }

    pub fn unregister(&self, group: &str) {
        self.groups
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(group);
    }

    fn get(&self, group: &str) -> Result<Arc<dyn GroupEndpoint>, Status> {
        self.groups
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("this node hosts no raft group {group:?}")))
    }
}

/// The `meridian.internal.v1.RaftTransport` gRPC service of one node.
pub struct RaftTransportService {
    node_id: NodeId,
    router: GroupRouter,
}

impl RaftTransportService {
    pub fn new(node_id: NodeId, router: GroupRouter) -> Self {
        RaftTransportService { node_id, router }
    }

    fn endpoint(&self, msg: &RaftMessage) -> Result<Arc<dyn GroupEndpoint>, Status> {
        if msg.target != self.node_id {
            return Err(Status::failed_precondition(format!(
                "message for node {} reached node {}",
                msg.target, self.node_id
            )));
        }
        self.router.get(&msg.group)
    }

    fn reply(payload: Vec<u8>, msg: &RaftMessage) -> Response<RaftMessage> {
        Response::new(RaftMessage {
            group: msg.group.clone(),
            target: msg.target,
            payload: payload.into(),
        })
    }
}

#[tonic::async_trait]
impl RaftTransport for RaftTransportService {
    async fn append_entries(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let ep = self.endpoint(&msg)?;
        let out = ep.append_entries(msg.payload.to_vec()).await?;
        Ok(Self::reply(out, &msg))
    }

    async fn vote(&self, request: Request<RaftMessage>) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let ep = self.endpoint(&msg)?;
        let out = ep.vote(msg.payload.to_vec()).await?;
        Ok(Self::reply(out, &msg))
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let ep = self.endpoint(&msg)?;
        let out = ep.install_snapshot(msg.payload.to_vec()).await?;
        Ok(Self::reply(out, &msg))
    }
}
