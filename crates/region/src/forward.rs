//! Follower → leader forwarding of writes and read-index requests, and the leader's lease
//! probes and confirms to its followers (`meridian.internal.v1.RegionForward`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use meridian_proto::internal::region_forward_client::RegionForwardClient;
use meridian_proto::internal::region_forward_server::RegionForward;
use meridian_proto::internal::RaftMessage;
use meridian_transport::{decode, encode, never_sent};
use meridian_types::{ClusterRole, Epoch, Node, NodeId, WatchedKey, WriteResult};
use tonic::{Request, Response, Status};
use tracing::debug;

use crate::lease_share::{Confirmed, ProbeId};
use crate::{ErrorCause, RegionError, RegionGroup};

/// A forwarded write: the commands and the WATCHed keys with their digests.
/// A forwarded client write: its database, commands and watched keys.
type ForwardedWrite = (u32, Vec<Vec<Bytes>>, Vec<WatchedKey>);

/// A lease confirm: the probe the follower answered, and the lease granted after it.
type LeaseConfirm = (ProbeId, Epoch, Duration);

/// The regional groups this node hosts, by `GroupId` text form.
#[derive(Clone, Default)]
pub struct ForwardRegistry {
    groups: Arc<RwLock<HashMap<String, Arc<RegionGroup>>>>,
}

impl ForwardRegistry {
    pub fn new() -> ForwardRegistry {
        ForwardRegistry::default()
    }

    pub(crate) fn register(&self, group: String, g: Arc<RegionGroup>) {
        self.groups
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(group, g);
    }

    pub(crate) fn unregister(&self, group: &str) {
        self.groups
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(group);
    }

    fn get(&self, group: &str) -> Result<Arc<RegionGroup>, Status> {
        self.groups
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(group)
            .cloned()
            .ok_or_else(|| {
                Status::not_found(format!("this node hosts no regional group {group:?}"))
            })
    }
}

/// Server side: runs forwarded requests on this node if it leads the group.
pub struct RegionForwardService {
    node_id: NodeId,
    registry: ForwardRegistry,
}

impl RegionForwardService {
    pub fn new(node_id: NodeId, registry: ForwardRegistry) -> Self {
        RegionForwardService { node_id, registry }
    }

    fn group(&self, msg: &RaftMessage) -> Result<Arc<RegionGroup>, Status> {
        if msg.target != self.node_id {
            return Err(Status::failed_precondition(format!(
                "request for node {} reached node {}",
                msg.target, self.node_id
            )));
        }
        self.registry.get(&msg.group)
    }
}

fn reply<T: serde::Serialize>(
    msg: &RaftMessage,
    value: &T,
) -> Result<Response<RaftMessage>, Status> {
    let payload = encode("forward reply", value).map_err(|e| Status::internal(e.to_string()))?;
    Ok(Response::new(RaftMessage {
        group: msg.group.clone(),
        target: msg.target,
        payload: payload.into(),
    }))
}

#[tonic::async_trait]
impl RegionForward for RegionForwardService {
    async fn write(&self, request: Request<RaftMessage>) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let group = self.group(&msg)?;
        let (db, commands, watched): ForwardedWrite = decode("forwarded write", &msg.payload)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let result = group.write_as_leader(db, commands, watched).await;
        reply(&msg, &result)
    }

    async fn set_role(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let group = self.group(&msg)?;
        let (role, wipe, token): (ClusterRole, bool, u64) =
            decode("forwarded role change", &msg.payload)
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let result = group.set_role_as_leader(role, wipe, token).await;
        reply(&msg, &result)
    }

    async fn read_index(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let group = self.group(&msg)?;
        // One byte 1: a linearizable read, which needs the primary's lease.
        let leased = msg.payload.first() == Some(&1);
        let result = group.read_index_for(leased).await;
        reply(&msg, &result)
    }

    async fn lease_probe(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let group = self.group(&msg)?;
        // Noted before the answer leaves, so before the leader's t0 (see lease.rs).
        let probe = group.inherited_lease().answer(group.clock().now());
        reply(&msg, &probe)
    }

    async fn lease_confirm(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        let group = self.group(&msg)?;
        let (probe, epoch, length): LeaseConfirm = decode("lease confirm", &msg.payload)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let confirmed = group.inherited_lease().confirm(probe, epoch, length);
        if let Confirmed::Inherited { until, .. } = confirmed {
            let left = until.saturating_duration_since(group.clock().now());
            debug!(
                cluster = group.cluster(),
                epoch,
                ?left,
                "lease inherited from the leader"
            );
        }
        reply(&msg, &matches!(confirmed, Confirmed::Inherited { .. }))
    }
}

fn client(
    group: &RegionGroup,
    node: &Node,
) -> Result<RegionForwardClient<meridian_transport::PeerChannel>, Status> {
    let channel = group
        .pool()
        .channel(&node.grpc_addr)
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let limit = group.pool().limits().max_message_bytes;
    Ok(RegionForwardClient::new(channel)
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit))
}

fn unreachable(leader: NodeId, node: &Node, s: &Status, group: &RegionGroup) -> RegionError {
    if never_sent(s) {
        RegionError::NoLeader {
            cluster: group.cluster().to_string(),
        }
    } else {
        RegionError::Unreachable {
            node: leader,
            addr: node.grpc_addr.clone(),
            reason: ErrorCause::new(CallFailed(s.clone())),
        }
    }
}

/// A forwarded call that failed, shown as `code: message`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", .0.code(), .0.message())]
struct CallFailed(#[source] Status);

#[derive(Clone, Copy)]
enum Rpc {
    Write,
    ReadIndex,
    SetRole,
    LeaseProbe,
    LeaseConfirm,
}

/// Calls `rpc` on node `leader` within the request timeout.
async fn call(
    group: &RegionGroup,
    leader: NodeId,
    node: &Node,
    payload: Vec<u8>,
    rpc: Rpc,
) -> Result<Vec<u8>, RegionError> {
    call_within(
        group,
        leader,
        node,
        payload,
        rpc,
        group.options().request_timeout,
    )
    .await
}

/// Calls `rpc` on node `leader` (for the lease RPCs: a follower) within `timeout`.
async fn call_within(
    group: &RegionGroup,
    leader: NodeId,
    node: &Node,
    payload: Vec<u8>,
    rpc: Rpc,
    timeout: Duration,
) -> Result<Vec<u8>, RegionError> {
    let mut c = client(group, node).map_err(|s| unreachable(leader, node, &s, group))?;
    let mut req = Request::new(RaftMessage {
        group: group.group_id().as_string(),
        target: leader,
        payload: payload.into(),
    });
    req.set_timeout(timeout);
    let res = match rpc {
        Rpc::Write => c.write(req).await,
        Rpc::ReadIndex => c.read_index(req).await,
        Rpc::SetRole => c.set_role(req).await,
        Rpc::LeaseProbe => c.lease_probe(req).await,
        Rpc::LeaseConfirm => c.lease_confirm(req).await,
    };
    res.map(|r| r.into_inner().payload.to_vec())
        .map_err(|s| unreachable(leader, node, &s, group))
}

pub(crate) async fn forward_write(
    group: &RegionGroup,
    leader: NodeId,
    node: &Node,
    db: u32,
    commands: &[Vec<Bytes>],
    watched: &[WatchedKey],
) -> Result<WriteResult, RegionError> {
    let payload =
        encode("forwarded write", &(db, commands, watched)).map_err(|e| RegionError::Fatal {
            cluster: group.cluster().to_string(),
            reason: ErrorCause::new(e),
        })?;
    let out = call(group, leader, node, payload, Rpc::Write).await?;
    decode::<Result<WriteResult, RegionError>>("forward reply", &out).map_err(|e| {
        RegionError::Unreachable {
            node: leader,
            addr: node.grpc_addr.clone(),
            reason: ErrorCause::new(e),
        }
    })?
}

pub(crate) async fn forward_read_index(
    group: &RegionGroup,
    leader: NodeId,
    node: &Node,
    leased: bool,
) -> Result<u64, RegionError> {
    let payload = if leased { vec![1] } else { Vec::new() };
    let out = call(group, leader, node, payload, Rpc::ReadIndex).await?;
    decode::<Result<u64, RegionError>>("read-index reply", &out).map_err(|e| {
        RegionError::Unreachable {
            node: leader,
            addr: node.grpc_addr.clone(),
            reason: ErrorCause::new(e),
        }
    })?
}

pub(crate) async fn forward_set_role(
    group: &RegionGroup,
    leader: NodeId,
    node: &Node,
    role: &ClusterRole,
    (wipe, token): (bool, u64),
) -> Result<u64, RegionError> {
    let payload =
        encode("forwarded role change", &(role, wipe, token)).map_err(|e| RegionError::Fatal {
            cluster: group.cluster().to_string(),
            reason: ErrorCause::new(e),
        })?;
    let out = call(group, leader, node, payload, Rpc::SetRole).await?;
    decode::<Result<u64, RegionError>>("role change reply", &out).map_err(|e| {
        RegionError::Unreachable {
            node: leader,
            addr: node.grpc_addr.clone(),
            reason: ErrorCause::new(e),
        }
    })?
}

/// Asks follower `id` to note the time under a new probe id (see `lease_share`).
pub(crate) async fn send_lease_probe(
    group: &RegionGroup,
    id: NodeId,
    node: &Node,
    timeout: Duration,
) -> Result<ProbeId, RegionError> {
    let out = call_within(group, id, node, Vec::new(), Rpc::LeaseProbe, timeout).await?;
    decode::<ProbeId>("lease probe reply", &out).map_err(|e| RegionError::Unreachable {
        node: id,
        addr: node.grpc_addr.clone(),
        reason: ErrorCause::new(e),
    })
}

/// Tells follower `id` the lease (`epoch`, `length`) granted after it answered `probe`.
pub(crate) async fn send_lease_confirm(
    group: &RegionGroup,
    id: NodeId,
    node: &Node,
    probe: ProbeId,
    epoch: Epoch,
    length: Duration,
    timeout: Duration,
) -> Result<(), RegionError> {
    let payload: LeaseConfirm = (probe, epoch, length);
    let payload = encode("lease confirm", &payload).map_err(|e| RegionError::Fatal {
        cluster: group.cluster().to_string(),
        reason: ErrorCause::new(e),
    })?;
    call_within(group, id, node, payload, Rpc::LeaseConfirm, timeout)
        .await
        .map(|_| ())
}
