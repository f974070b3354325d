//! The `meridian.internal.v1.CoordForward` service of a voter: runs calls from other nodes if
//! this voter leads the coordination group, and answers `NotLeader` (with the leader it knows)
//! otherwise. It never forwards further, so calls cannot loop.

use std::sync::Arc;

use meridian_proto::internal::coord_forward_server::CoordForward;
use meridian_proto::internal::RaftMessage;
use meridian_transport::{decode, encode};
use tonic::{Request, Response, Status};

use crate::call::CoordCall;
use crate::CoordGroup;

/// Add to the node's gRPC router on every coordination voter.
pub struct CoordForwardService {
    group: Arc<CoordGroup>,
}

impl CoordForwardService {
    pub fn new(group: Arc<CoordGroup>) -> Self {
        CoordForwardService { group }
    }
}

#[tonic::async_trait]
impl CoordForward for CoordForwardService {
    async fn call(&self, request: Request<RaftMessage>) -> Result<Response<RaftMessage>, Status> {
        let msg = request.into_inner();
        if msg.target != self.group.node_id() {
            return Err(Status::failed_precondition(format!(
                "coordination call for node {} reached node {}",
                msg.target,
                self.group.node_id()
            )));
        }
        let call: CoordCall = decode("coordination call", &msg.payload)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let result = self.group.call_as_leader(call).await;
        let payload =
            encode("coordination reply", &result).map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(RaftMessage {
            group: msg.group,
            target: msg.target,
            payload: payload.into(),
        }))
    }
}
