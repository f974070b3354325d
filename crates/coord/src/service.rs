//! The public `meridian.v1.GlobalDatastores` gRPC service: any node serves it through a
//! [`CoordHandle`]; protobuf is converted to the control-plane model here, at the edge.

use meridian_proto::v1 as pb;
use meridian_proto::v1::global_datastores_server::GlobalDatastores;
use meridian_types::{AutoFailover, Datastore, FailoverInProgress, FailoverPhase, Lease, Member};
use tonic::{Request, Response, Status};

use crate::CoordHandle;

/// Add to every node's gRPC router: `GlobalDatastoresServer::new(GlobalDatastoresService::new(handle))`.
pub struct GlobalDatastoresService {
    coord: CoordHandle,
}

impl GlobalDatastoresService {
    pub fn new(coord: CoordHandle) -> Self {
        GlobalDatastoresService { coord }
    }
}

fn reply(ds: Datastore) -> Response<pb::GlobalDatastoreResponse> {
    Response::new(pb::GlobalDatastoreResponse {
        datastore: Some(to_pb(&ds)),
    })
}

/// A policy from the wire: absent or disabled is off.
pub fn auto_failover_from_pb(p: Option<&pb::AutoFailoverPolicy>) -> AutoFailover {
    match p {
        Some(p) if p.enabled => AutoFailover::After { ms: p.after_ms },
        _ => AutoFailover::Off,
    }
}

pub fn auto_failover_to_pb(a: AutoFailover) -> pb::AutoFailoverPolicy {
    match a {
        AutoFailover::Off => pb::AutoFailoverPolicy {
            enabled: false,
            after_ms: 0,
        },
        AutoFailover::After { ms } => pb::AutoFailoverPolicy {
            enabled: true,
            after_ms: ms,
        },
    }
}

fn member_to_pb(m: &Member) -> pb::GlobalDatastoreMember {
    pb::GlobalDatastoreMember {
        cluster: m.cluster.clone(),
        region: m.region.clone(),
        role: m.role.to_string(),
        status: m.status.to_string(),
        applied_seq: m.applied_seq,
        lag_seq: m.lag_seq,
        lag_ms: m.lag_ms,
        rejoin_pending: m.rejoin_pending,
        discarded_writes: m.discarded_writes(),
    }
}

fn lease_to_pb(l: &Lease) -> pb::LeaseInfo {
    pb::LeaseInfo {
        cluster: l.cluster.clone(),
        epoch: l.epoch,
        length_ms: l.length_ms,
        granted_by: l.granted_by,
        term: l.term,
        head_seq: l.head_seq,
    }
}

/// The wire form of a datastore.
pub fn to_pb(ds: &Datastore) -> pb::GlobalDatastore {
    pb::GlobalDatastore {
        id: ds.id.clone(),
        description: ds.description.clone(),
        status: ds.status.to_string(),
        primary_cluster: ds.primary.clone(),
        epoch: ds.epoch,
        auto_failover: Some(auto_failover_to_pb(ds.auto_failover)),
        members: ds.members.iter().map(member_to_pb).collect(),
        failover_to: ds
            .failover
            .as_ref()
            .filter(|f| f.under_way())
            .map(|f| f.to.clone())
            .unwrap_or_default(),
        lease: ds.lease.as_ref().map(lease_to_pb),
        failover: ds.failover.as_deref().map(failover_to_pb),
    }
}

fn failover_to_pb(f: &FailoverInProgress) -> pb::FailoverInfo {
    let reason = match &f.phase {
        FailoverPhase::Aborting { reason } | FailoverPhase::Aborted { reason } => reason.clone(),
        _ => String::new(),
    };
    pb::FailoverInfo {
        from_cluster: f.from.clone(),
        to_cluster: f.to.clone(),
        force: f.force,
        phase: f.phase.to_string(),
        final_seq: f.final_seq.unwrap_or(0),
        new_epoch: f.new_epoch.unwrap_or(0),
        reason,
        loss: f.loss.as_ref().map(|l| pb::LossRange {
            epoch: l.epoch,
            after_seq: l.after_seq.unwrap_or(0),
            reported_head: l.reported_head,
            discarded: l.discarded,
        }),
    }
}

#[tonic::async_trait]
impl GlobalDatastores for GlobalDatastoresService {
    async fn create(
        &self,
        request: Request<pb::CreateGlobalDatastoreRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        let auto = auto_failover_from_pb(r.auto_failover.as_ref());
        let ds = self
            .coord
            .create(&r.id, &r.description, &r.primary_cluster, auto)
            .await?;
        Ok(reply(ds))
    }

    async fn describe(
        &self,
        request: Request<pb::DescribeGlobalDatastoresRequest>,
    ) -> Result<Response<pb::DescribeGlobalDatastoresResponse>, Status> {
        let r = request.into_inner();
        let id = (!r.id.is_empty()).then_some(r.id.as_str());
        let all = self.coord.describe(id).await?;
        Ok(Response::new(pb::DescribeGlobalDatastoresResponse {
            datastores: all.iter().map(to_pb).collect(),
        }))
    }

    async fn add_secondary(
        &self,
        request: Request<pb::AddSecondaryRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        Ok(reply(self.coord.add_secondary(&r.id, &r.cluster).await?))
    }

    async fn disassociate(
        &self,
        request: Request<pb::DisassociateRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        Ok(reply(self.coord.disassociate(&r.id, &r.cluster).await?))
    }

    async fn modify(
        &self,
        request: Request<pb::ModifyGlobalDatastoreRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        let auto = r
            .auto_failover
            .as_ref()
            .map(|p| auto_failover_from_pb(Some(p)));
        Ok(reply(self.coord.modify(&r.id, r.description, auto).await?))
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteGlobalDatastoreRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        Ok(reply(self.coord.delete(&r.id).await?))
    }

    async fn failover(
        &self,
        request: Request<pb::FailoverGlobalDatastoreRequest>,
    ) -> Result<Response<pb::GlobalDatastoreResponse>, Status> {
        let r = request.into_inner();
        Ok(reply(
            self.coord.failover(&r.id, &r.to_cluster, r.force).await?,
        ))
    }
}
