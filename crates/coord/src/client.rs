//! Reaching the coordination leader from anywhere: a voter that is not the leader, a data node
//! that is not a voter, or the CLI. Given the voters' gRPC addresses it finds the leader
//! (following `NotLeader` hints), and retries only what is safe to retry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meridian_config::DeploymentConfig;
use meridian_proto::internal::coord_forward_client::CoordForwardClient;
use meridian_proto::internal::RaftMessage;
use meridian_transport::{decode, encode, never_sent, ChannelPool};
use meridian_types::{GroupId, NodeId};
use tokio::time::Instant;
use tonic::{Code, Request};

use crate::call::{CoordCall, CoordReply};
use crate::CoordError;

/// A client of the coordination group. Cheap to clone; clones share the leader hint.
#[derive(Clone)]
pub struct CoordClient {
    voters: Arc<BTreeMap<NodeId, String>>,
    pool: ChannelPool,
    hint: Arc<Mutex<Option<NodeId>>>,
    timeout: Duration,
}

impl CoordClient {
    /// `voters`: id → `host:port` of each voter's gRPC listener. `timeout` bounds a whole call,
    /// retries included.
    pub fn new(
        voters: BTreeMap<NodeId, String>,
        pool: ChannelPool,
        timeout: Duration,
    ) -> CoordClient {
        CoordClient {
            voters: Arc::new(voters),
            pool,
            hint: Arc::default(),
            timeout,
        }
    }

    /// The voters of a deployment config, with the `[coord]` timing.
    pub fn from_config(cfg: &DeploymentConfig, pool: ChannelPool) -> CoordClient {
        let voters = cfg
            .coord_voters()
            .into_iter()
            .map(|v| (v.id, v.grpc_addr))
            .collect();
        let opts = crate::CoordOptions::from_settings(&cfg.coord);
        CoordClient::new(voters, pool, opts.request_timeout)
    }

    pub fn voters(&self) -> &BTreeMap<NodeId, String> {
        &self.voters
    }

    /// The voter that answered last as leader (or was named leader by another).
    pub fn leader_hint(&self) -> Option<NodeId> {
        *self.hint.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_hint(&self, id: Option<NodeId>) {
        *self.hint.lock().unwrap_or_else(|e| e.into_inner()) = id;
    }

    /// Runs `call` on the leader. `hint`: a leader the caller believes in, tried first.
    pub(crate) async fn call(
        &self,
        call: &CoordCall,
        hint: Option<NodeId>,
    ) -> Result<CoordReply, CoordError> {
        let payload = encode("coordination call", call).map_err(CoordError::fatal)?;
        let deadline = Instant::now() + self.timeout;
        let retry_ambiguous = call.is_idempotent();
        let mut last = CoordError::NoLeader;
        let mut backoff = Duration::from_millis(20);
        loop {
            let mut order: Vec<NodeId> = hint.or(self.leader_hint()).into_iter().collect();
            order.extend(self.voters.keys().copied());
            let mut tried = Vec::new();
            let mut i = 0;
            while i < order.len() {
                let id = order[i];
                i += 1;
                if tried.contains(&id) {
                    continue;
                }
                tried.push(id);
                match self.call_one(id, &payload, deadline).await {
                    Ok(reply) => {
                        self.set_hint(Some(id));
                        return Ok(reply);
                    }
                    Err(CoordError::NotLeader {
                        leader: Some(l), ..
                    }) if self.voters.contains_key(&l) => {
                        self.set_hint(Some(l));
                        // Ask the named leader next.
                        order.insert(i, l);
                        last = CoordError::NoLeader;
                    }
                    Err(e) if e.nothing_written() => last = e,
                    Err(CoordError::OutcomeUnknown) if retry_ambiguous => {
                        last = CoordError::OutcomeUnknown
                    }
                    Err(e) => return Err(e),
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
            self.set_hint(None);
            if Instant::now() + backoff >= deadline {
                return Err(match last {
                    CoordError::NotLeader { .. } => CoordError::NoLeader,
                    other => other,
                });
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
    }

    /// One attempt at one voter.
    async fn call_one(
        &self,
        id: NodeId,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<CoordReply, CoordError> {
        let Some(addr) = self.voters.get(&id) else {
            return Err(CoordError::NoLeader);
        };
        let channel = self.pool.channel(addr).map_err(|_| CoordError::NoLeader)?;
        let limit = self.pool.limits().max_message_bytes;
        let mut client = CoordForwardClient::new(channel)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit);
        let mut req = Request::new(RaftMessage {
            group: GroupId::Coord.as_string(),
            target: id,
            payload: payload.to_vec().into(),
        });
        req.set_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(10)),
        );
        match client.call(req).await {
            Ok(resp) => decode::<Result<CoordReply, CoordError>>(
                "coordination reply",
                &resp.into_inner().payload,
            )
            .map_err(CoordError::fatal)?,
            // Not a voter (no such service or group there), or never connected: nothing ran.
            Err(s)
                if never_sent(&s)
                    || matches!(
                        s.code(),
                        Code::Unimplemented | Code::NotFound | Code::FailedPrecondition
                    ) =>
            {
                Err(CoordError::NoLeader)
            }
            Err(_) => Err(CoordError::OutcomeUnknown),
        }
    }
}
