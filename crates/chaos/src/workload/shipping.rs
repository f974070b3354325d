//! Cross-region shipping: unique SETs on the primary (RESP and gRPC), multi-key local reads on
//! every secondary node (RESP `READONLY` + MGET, gRPC MGet LOCAL), and SETs tried on
//! secondaries, which must all be refused.

use std::collections::BTreeMap;

use meridian_history::Op;
use meridian_proto::v1::Consistency;
use rand::rngs::StdRng;
use rand::SeedableRng;
use redis::Value;

use super::{pause, Session};
use crate::client::{expect_ok, value_int, GrpcClient, Outcome, RespClient};

/// SETs of unique values over RESP, on a primary node or (expected to be refused) a secondary.
pub async fn resp_writer(mut s: Session, mut c: RespClient, seed: u64, think_ms: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let (key, value, op) = unique_write(&mut s, &mut rng);
        let out = c.write(redis::cmd("SET").arg(&key).arg(value)).await;
        s.record(op.clone(), out.and_then(expect_ok), |()| (op, None));
        pause(&mut rng, think_ms).await;
    }
}

/// SETs of unique values over gRPC (the reply carries the seq).
pub async fn grpc_writer(mut s: Session, mut c: GrpcClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let (key, value, op) = unique_write(&mut s, &mut rng);
        let out = c.set(&key, value).await;
        // Seq 0 is no position (a reply that never saw the log, as under the planted
        // `ack_before_commit`): the write is then judged by its value, like a RESP one.
        s.record(op.clone(), out, |seq| (op, (seq > 0).then_some(seq)));
        pause(&mut rng, 10).await;
    }
}

/// A write of a value no other write uses, to a key of the current generation; invoked.
fn unique_write(s: &mut Session, rng: &mut StdRng) -> (String, i64, Op) {
    let key = s.ctx.pick_key(rng);
    let value = s.ctx.unique_value();
    let op = Op::Write {
        key: key.clone(),
        value,
    };
    s.invoke(&op);
    (key, value, op)
}

/// One multi-key local read over RESP (`READONLY` connection), recorded as a ReadState.
pub async fn resp_read_state(s: &mut Session, c: &mut RespClient) {
    let keys = s.ctx.keys_so_far();
    let op = Op::ReadState {
        value: BTreeMap::new(),
    };
    s.invoke(&op);
    let out = c
        .read(redis::cmd("MGET").arg(&keys))
        .await
        .and_then(|v| match v {
            Value::Array(vs) => match vs.iter().map(value_int).collect() {
                Ok(vals) => Outcome::Done(vals),
                Err(e) => Outcome::Failed(e),
            },
            v => Outcome::Failed(format!("unexpected reply {v:?}")),
        });
    s.record(op, out, |vals| (state_of(&keys, vals), None));
}

/// RESP readers on a secondary node until the deadline.
pub async fn resp_reader(mut s: Session, mut c: RespClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        resp_read_state(&mut s, &mut c).await;
        pause(&mut rng, 10).await;
    }
}

/// gRPC MGet LOCAL readers on a secondary node until the deadline.
pub async fn grpc_reader(mut s: Session, mut c: GrpcClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let keys = s.ctx.keys_so_far();
        let op = Op::ReadState {
            value: BTreeMap::new(),
        };
        s.invoke(&op);
        let out = c.mget(&keys, Consistency::Local).await;
        s.record(op, out, |vals| (state_of(&keys, vals), None));
        pause(&mut rng, 10).await;
    }
}

fn state_of(keys: &[String], vals: Vec<Option<i64>>) -> Op {
    Op::ReadState {
        value: keys.iter().cloned().zip(vals).collect(),
    }
}
