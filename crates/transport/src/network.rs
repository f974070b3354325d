use std::io::Cursor;
use std::marker::PhantomData;

use bytes::Bytes;
use meridian_proto::internal::raft_transport_client::RaftTransportClient;
use meridian_proto::internal::RaftMessage;
use meridian_types::{GroupId, Node, NodeId};
use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError,
    Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{RaftLogId, RaftTypeConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec::{decode, encode};
use crate::{ChannelPool, Fate};

/// Creates [`GrpcNetwork`] clients for one Raft group.
pub struct GrpcNetworkFactory<C> {
    group: GroupId,
    pool: ChannelPool,
    _config: PhantomData<fn() -> C>,
}

impl<C> GrpcNetworkFactory<C> {
    pub fn new(group: GroupId, pool: ChannelPool) -> Self {
        GrpcNetworkFactory {
            group,
            pool,
            _config: PhantomData,
        }
    }
}

impl<C> RaftNetworkFactory<C> for GrpcNetworkFactory<C>
where
    C: RaftTypeConfig<NodeId = NodeId, Node = Node, SnapshotData = Cursor<Vec<u8>>>,
{
    type Network = GrpcNetwork<C>;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> Self::Network {
        GrpcNetwork {
            group: self.group.as_string(),
            target,
            addr: node.grpc_addr.clone(),
            pool: self.pool.clone(),
            _config: PhantomData,
        }
    }
}

/// Sends one group's Raft RPCs to one peer over a pooled gRPC channel.
pub struct GrpcNetwork<C> {
    group: String,
    target: NodeId,
    addr: String,
    pool: ChannelPool,
    _config: PhantomData<fn() -> C>,
}

/// Most bytes of log entries in one AppendEntries request (a single larger entry still goes
/// alone). Small enough to be written and flushed by a loaded follower well within the
/// heartbeat interval that openraft allows the request.
pub const APPEND_BUDGET_BYTES: u64 = 1024 * 1024;

/// How many of `entries`, from the first, fit in `budget` bytes encoded; at least one.
fn entries_within<E: Serialize>(entries: &[E], budget: u64) -> usize {
    let mut used = 0u64;
    for (i, e) in entries.iter().enumerate() {
        used += bincode::serialized_size(e).unwrap_or(u64::MAX);
        if used > budget {
            return i.max(1);
        }
    }
    entries.len()
}

/// Room for the gRPC message around a bincode payload (group name, target, framing).
const ENVELOPE_BYTES: usize = 1024;

#[derive(Clone, Copy)]
enum Rpc {
    Append,
    Vote,
    Snapshot,
}

impl<C> GrpcNetwork<C>
where
    C: RaftTypeConfig<NodeId = NodeId, Node = Node>,
{
    async fn call<Req, Resp, E>(
        &self,
        rpc: Rpc,
        req: &Req,
        entries: usize,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<NodeId, Node, RaftError<NodeId, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let payload: Bytes = encode("raft request", req)
            .map_err(|e| RPCError::Network(NetworkError::new(&e)))?
            .into();
        let limit = self.pool.limits().max_message_bytes;
        if payload.len() + ENVELOPE_BYTES > limit && entries > 1 {
            // Ask openraft to send fewer entries per request (large values or full-sync
            // chunks): aim at half the limit so the retry fits.
            let fit = (entries as u64 * limit as u64 / 2) / payload.len().max(1) as u64;
            return Err(PayloadTooLarge::new_entries_hint(fit.max(1)).into());
        }
        let fate = self
            .pool
            .faults()
            .map_or(Fate::Deliver, |f| f.fate(self.target));
        let reply = match fate {
            Fate::Drop => {
                return Err(unreachable(format!(
                    "the request to node {} was lost (fault injection)",
                    self.target
                )))
            }
            Fate::Duplicate => {
                let _ = self.send::<E>(rpc, payload.clone(), option).await;
                self.send(rpc, payload, option).await?
            }
            Fate::Deliver => self.send(rpc, payload, option).await?,
        };
        let result: Result<Resp, RaftError<NodeId, E>> =
            decode("raft reply", &reply).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl<C> GrpcNetwork<C> {
    /// One request, as bytes, and its reply payload.
    async fn send<E: std::error::Error>(
        &self,
        rpc: Rpc,
        payload: Bytes,
        option: &RPCOption,
    ) -> Result<Bytes, RPCError<NodeId, Node, E>> {
        let limit = self.pool.limits().max_message_bytes;
        let channel = self
            .pool
            .channel(&self.addr)
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))?;
        let mut client = RaftTransportClient::new(channel)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let mut request = tonic::Request::new(RaftMessage {
            group: self.group.clone(),
            target: self.target,
            payload,
        });
        request.set_timeout(option.hard_ttl());
        let reply = match rpc {
            Rpc::Append => client.append_entries(request).await,
            Rpc::Vote => client.vote(request).await,
            Rpc::Snapshot => client.install_snapshot(request).await,
        }
        .map_err(status_to_rpc_error)?;
        Ok(reply.into_inner().payload)
    }
}

fn unreachable<E>(why: String) -> RPCError<NodeId, Node, E>
where
    E: std::error::Error,
{
    RPCError::Unreachable(Unreachable::new(&std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        why,
    )))
}

fn status_to_rpc_error<E: std::error::Error>(s: tonic::Status) -> RPCError<NodeId, Node, E> {
    match s.code() {
        tonic::Code::Unavailable => unreachable(describe(&s)),
        _ => RPCError::Network(NetworkError::new(&std::io::Error::other(describe(&s)))),
    }
}

fn describe(s: &tonic::Status) -> String {
    format!("{:?}: {}", s.code(), s.message())
}

impl<C> RaftNetwork<C> for GrpcNetwork<C>
where
    C: RaftTypeConfig<NodeId = NodeId, Node = Node, SnapshotData = Cursor<Vec<u8>>>,
{
    /// Sends at most [`APPEND_BUDGET_BYTES`] of entries (at least one) and reports a partial
    /// success when it sent fewer than asked. openraft gives an AppendEntries only the
    /// heartbeat interval to complete and retries the same range after a timeout, so a
    /// follower far behind (after a bulk load or a full sync) would otherwise be sent the
    /// same huge request forever; in bounded steps it catches up.
    async fn append_entries(
        &mut self,
        mut rpc: AppendEntriesRequest<C>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        let asked = rpc.entries.len();
        // The usual append (one gathered entry, or a heartbeat) needs no sizing.
        let keep = if asked > 1 {
            entries_within(&rpc.entries, APPEND_BUDGET_BYTES)
        } else {
            asked
        };
        rpc.entries.truncate(keep);
        let last_sent = rpc.entries.last().map(|e| *e.get_log_id());
        let resp = self.call(Rpc::Append, &rpc, keep, &option).await?;
        Ok(match resp {
            AppendEntriesResponse::Success if keep < asked => {
                AppendEntriesResponse::PartialSuccess(last_sent)
            }
            other => other,
        })
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<C>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, Node, RaftError<NodeId, InstallSnapshotError>>,
    > {
        self.call(Rpc::Snapshot, &rpc, 1, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, Node, RaftError<NodeId>>> {
        self.call(Rpc::Vote, &rpc, 1, &option).await
    }
}

#[cfg(test)]
mod tests {
    use super::entries_within;

    #[test]
    fn entries_are_cut_at_the_byte_budget_but_at_least_one_goes() {
        let kib = vec![0u8; 1024];
        let entries = vec![kib.clone(); 10];
        // Each encodes to 1024 bytes plus an 8-byte length.
        assert_eq!(entries_within(&entries, 3 * 1032), 3);
        assert_eq!(entries_within(&entries, 3 * 1032 - 1), 2);
        assert_eq!(entries_within(&entries, 100 * 1032), 10);
        assert_eq!(
            entries_within(&entries, 10),
            1,
            "one entry over budget still goes"
        );
        assert_eq!(entries_within::<Vec<u8>>(&[], 10), 0);
    }
}
