//! Cross-region shipping: unique SETs on the primary (RESP and gRPC), multi-key local reads on
//! every secondary node (RESP `READONLY` + MGET, gRPC MGet LOCAL), and SETs tried on
//! secondaries, which must all be refused.

use std::collections::BTreeMap;
use std::time::Duration;

use meridian_history::Op;
use meridian_proto::v1::Consistency;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use redis::Value;

use super::Session;
use crate::client::{value_int, GrpcClient, Outcome, RespClient};

async fn pause(rng: &mut StdRng, max_ms: u64) {
    tokio::time::sleep(Duration::from_millis(rng.random_range(1..max_ms))).await;
}

/// SETs of unique values over RESP, on a primary node or (expected to be refused) a secondary.
pub async fn resp_writer(mut s: Session, mut c: RespClient, seed: u64, think_ms: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let key = s
            .ctx
            .keys_now()
            .choose(&mut rng)
            .cloned()
            .unwrap_or_default();
        let value = s.ctx.unique_value();
        let op = Op::Write {
            key: key.clone(),
            value,
        };
        s.invoke(&op);
        let out = match c.write(redis::cmd("SET").arg(&key).arg(value)).await {
            Outcome::Done(Value::Okay) => Outcome::Done(()),
            Outcome::Done(v) => Outcome::Unknown(format!("unexpected reply {v:?}")),
            Outcome::Failed(e) => Outcome::Failed(e),
            Outcome::Unknown(e) => Outcome::Unknown(e),
        };
        let done = op.clone();
        s.record(op, out, |()| (done, None));
        pause(&mut rng, think_ms).await;
    }
}

/// SETs of unique values over gRPC (the reply carries the seq).
pub async fn grpc_writer(mut s: Session, mut c: GrpcClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let key = s
            .ctx
            .keys_now()
            .choose(&mut rng)
            .cloned()
            .unwrap_or_default();
        let value = s.ctx.unique_value();
        let op = Op::Write {
            key: key.clone(),
            value,
        };
        s.invoke(&op);
        let out = c.set(&key, value).await;
        let done = op.clone();
        s.record(op, out, |seq| (done, Some(seq)));
        pause(&mut rng, 10).await;
    }
}

/// One multi-key local read over RESP (`READONLY` connection), recorded as a ReadState.
pub async fn resp_read_state(s: &mut Session, c: &mut RespClient) {
    let keys = s.ctx.keys_so_far();
    let op = Op::ReadState {
        value: BTreeMap::new(),
    };
    s.invoke(&op);
    let out = match c.read(redis::cmd("MGET").arg(&keys)).await {
        Outcome::Done(Value::Array(vs)) => {
            match vs.iter().map(value_int).collect::<Result<Vec<_>, _>>() {
                Ok(vals) => Outcome::Done(vals),
                Err(e) => Outcome::Failed(e),
            }
        }
        Outcome::Done(v) => Outcome::Failed(format!("unexpected reply {v:?}")),
        Outcome::Failed(e) | Outcome::Unknown(e) => Outcome::Failed(e),
    };
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
