//! `meridian.v1.KeyValue`: typed access to the cluster this node belongs to.

use std::sync::Arc;

use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_proto::v1::key_value_server::KeyValue;
use meridian_region::RegionGroup;
use meridian_types::Reply;
use tonic::{Request, Response, Status};

use crate::kv_argv::*;
use crate::kv_auth::Caller;
use crate::resp::AclState;
use crate::spec::{ClusterSpec, EdgeLimits};
use crate::status::{region_status, region_status_for, reply_ok};

pub(crate) struct KeyValueService {
    group: Arc<RegionGroup>,
    /// The node's ACL users: who may call, and what (`kv_auth`).
    acl: Arc<AclState>,
    limits: EdgeLimits,
    /// The deployment's clusters, to point refused writes at the primary's endpoints.
    clusters: Vec<ClusterSpec>,
}

impl KeyValueService {
    pub(crate) fn new(
        group: Arc<RegionGroup>,
        acl: Arc<AclState>,
        limits: EdgeLimits,
        clusters: Vec<ClusterSpec>,
    ) -> Self {
        KeyValueService {
            group,
            acl,
            limits,
            clusters,
        }
    }

    async fn read(
        &self,
        caller: &Caller,
        opts: Option<&pb::ReadOptions>,
        argv: Vec<Bytes>,
    ) -> Result<(Reply, u64), Status> {
        self.acl.grpc_permit(caller, &argv)?;
        let (level, min_seq) = read_options(opts)?;
        self.group
            .read_barrier(level, min_seq)
            .await
            .map_err(region_status)?;
        let (now, seed) = (self.group.clock().unix_ms(), rand::random());
        let sm = self.group.sm();
        let reply = sm.read(|dbs| dbs.execute_read(0, &argv, now, seed));
        Ok((reply, sm.seq()))
    }

    async fn write(&self, caller: &Caller, argv: Vec<Bytes>) -> Result<(Reply, u64), Status> {
        self.acl.grpc_permit(caller, &argv)?;
        let resp = self
            .group
            .write(vec![argv])
            .await
            .map_err(|e| region_status_for(e, &self.clusters))?;
        let reply = resp
            .replies
            .into_iter()
            .next()
            .ok_or_else(|| Status::internal("write produced no reply"))?;
        Ok((reply, resp.seq))
    }

    fn batch_argv(&self, op: &pb::BatchOp) -> Result<Vec<Bytes>, Status> {
        use pb::batch_op::Op;
        match &op.op {
            Some(Op::Set(r)) => set_argv(&self.limits, r),
            Some(Op::Delete(r)) => delete_argv(&self.limits, r),
            Some(Op::Incr(r)) => incr_argv(&self.limits, r),
            Some(Op::Expire(r)) => expire_argv(&self.limits, r),
            Some(Op::Persist(r)) => {
                check_key(&self.limits, &r.key)?;
                Ok(vec![Bytes::from_static(b"PERSIST"), r.key.clone()])
            }
            Some(Op::Get(r)) => {
                check_key(&self.limits, &r.key)?;
                Ok(vec![Bytes::from_static(b"GET"), r.key.clone()])
            }
            None => Err(Status::invalid_argument("a batch op has no operation set")),
        }
    }
}

fn batch_result(op: &pb::BatchOp, reply: Reply, seq: u64) -> pb::BatchResult {
    use pb::batch_op::Op;
    use pb::batch_result::Result as R;
    let converted: Result<R, Status> = match &op.op {
        Some(Op::Set(r)) => set_response(r, reply, seq).map(R::Set),
        Some(Op::Delete(_)) => integer("DEL", reply).map(|n| {
            R::Delete(pb::DeleteResponse {
                deleted: n.max(0) as u64,
                seq,
            })
        }),
        Some(Op::Incr(_)) => {
            integer("INCRBY", reply).map(|value| R::Incr(pb::IncrResponse { value, seq }))
        }
        Some(Op::Expire(_)) => integer("EXPIRE", reply).map(|n| {
            R::Expire(pb::ExpireResponse {
                applied: n == 1,
                seq,
            })
        }),
        Some(Op::Persist(_)) => integer("PERSIST", reply).map(|n| {
            R::Persist(pb::PersistResponse {
                applied: n == 1,
                seq,
            })
        }),
        Some(Op::Get(_)) => {
            get_value(reply).map(|(found, value)| R::Get(pb::GetResponse { found, value, seq }))
        }
        None => Err(Status::invalid_argument("empty op")),
    };
    let result = converted.unwrap_or_else(|s| {
        R::Error(pb::BatchError {
            code: format!("{:?}", s.code()),
            message: s.message().to_string(),
        })
    });
    pb::BatchResult {
        result: Some(result),
    }
}

#[tonic::async_trait]
impl KeyValue for KeyValueService {
    async fn get(
        &self,
        request: Request<pb::GetRequest>,
    ) -> Result<Response<pb::GetResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        check_key(&self.limits, &r.key)?;
        let (reply, seq) = self
            .read(
                &caller,
                r.read.as_ref(),
                vec![Bytes::from_static(b"GET"), r.key],
            )
            .await?;
        let (found, value) = get_value(reply)?;
        Ok(Response::new(pb::GetResponse { found, value, seq }))
    }

    async fn m_get(
        &self,
        request: Request<pb::MGetRequest>,
    ) -> Result<Response<pb::MGetResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let argv = keys_argv("MGET", &self.limits, &r.keys)?;
        let (reply, seq) = self.read(&caller, r.read.as_ref(), argv).await?;
        let Reply::Array(items) = reply_ok(reply)? else {
            return Err(Status::internal("MGET did not answer an array"));
        };
        let values = items
            .into_iter()
            .map(|item| match item {
                Reply::Bulk(value) => pb::OptionalValue { found: true, value },
                _ => pb::OptionalValue::default(),
            })
            .collect();
        Ok(Response::new(pb::MGetResponse { values, seq }))
    }

    async fn set(
        &self,
        request: Request<pb::SetRequest>,
    ) -> Result<Response<pb::SetResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let (reply, seq) = self.write(&caller, set_argv(&self.limits, &r)?).await?;
        Ok(Response::new(set_response(&r, reply, seq)?))
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<pb::DeleteResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let (reply, seq) = self.write(&caller, delete_argv(&self.limits, &r)?).await?;
        let deleted = integer("DEL", reply)?.max(0) as u64;
        Ok(Response::new(pb::DeleteResponse { deleted, seq }))
    }

    async fn exists(
        &self,
        request: Request<pb::ExistsRequest>,
    ) -> Result<Response<pb::ExistsResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let argv = keys_argv("EXISTS", &self.limits, &r.keys)?;
        let (reply, seq) = self.read(&caller, r.read.as_ref(), argv).await?;
        let count = integer("EXISTS", reply)?.max(0) as u64;
        Ok(Response::new(pb::ExistsResponse { count, seq }))
    }

    async fn scan(
        &self,
        request: Request<pb::ScanRequest>,
    ) -> Result<Response<pb::ScanResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let (reply, seq) = self.read(&caller, r.read.as_ref(), scan_argv(&r)).await?;
        Ok(Response::new(scan_response(reply, seq)?))
    }

    async fn incr(
        &self,
        request: Request<pb::IncrRequest>,
    ) -> Result<Response<pb::IncrResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let (reply, seq) = self.write(&caller, incr_argv(&self.limits, &r)?).await?;
        let value = integer("INCRBY", reply)?;
        Ok(Response::new(pb::IncrResponse { value, seq }))
    }

    async fn expire(
        &self,
        request: Request<pb::ExpireRequest>,
    ) -> Result<Response<pb::ExpireResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        let (reply, seq) = self.write(&caller, expire_argv(&self.limits, &r)?).await?;
        let applied = integer("EXPIRE", reply)? == 1;
        Ok(Response::new(pb::ExpireResponse { applied, seq }))
    }

    async fn ttl(
        &self,
        request: Request<pb::TtlRequest>,
    ) -> Result<Response<pb::TtlResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        check_key(&self.limits, &r.key)?;
        let (reply, seq) = self
            .read(
                &caller,
                r.read.as_ref(),
                vec![Bytes::from_static(b"PTTL"), r.key],
            )
            .await?;
        let ttl_millis = integer("PTTL", reply)?;
        Ok(Response::new(pb::TtlResponse { ttl_millis, seq }))
    }

    async fn persist(
        &self,
        request: Request<pb::PersistRequest>,
    ) -> Result<Response<pb::PersistResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        check_key(&self.limits, &r.key)?;
        let (reply, seq) = self
            .write(&caller, vec![Bytes::from_static(b"PERSIST"), r.key])
            .await?;
        let applied = integer("PERSIST", reply)? == 1;
        Ok(Response::new(pb::PersistResponse { applied, seq }))
    }

    async fn batch(
        &self,
        request: Request<pb::BatchRequest>,
    ) -> Result<Response<pb::BatchResponse>, Status> {
        let caller = self.acl.grpc_caller(request.metadata())?;
        let r = request.into_inner();
        if r.ops.is_empty() {
            return Err(Status::invalid_argument("a batch needs at least one op"));
        }
        let commands = r
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                self.batch_argv(op)
                    .map_err(|s| Status::new(s.code(), format!("ops[{i}]: {}", s.message())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (i, argv) in commands.iter().enumerate() {
            self.acl
                .grpc_permit(&caller, argv)
                .map_err(|s| Status::new(s.code(), format!("ops[{i}]: {}", s.message())))?;
        }
        let resp = self
            .group
            .write(commands)
            .await
            .map_err(|e| region_status_for(e, &self.clusters))?;
        let seq = resp.seq;
        let results = r
            .ops
            .iter()
            .zip(resp.replies)
            .map(|(op, reply)| batch_result(op, reply, seq))
            .collect();
        Ok(Response::new(pb::BatchResponse { results, seq }))
    }
}
