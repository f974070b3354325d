//! Registers on the primary: GET, SET, INCRBY and compare-and-set (WATCH, GET, MULTI/SET/EXEC)
//! over RESP; GET, SET and INCR over gRPC. Checked for linearizability per key.

use meridian_history::Op;
use meridian_proto::v1::Consistency;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Value;

use super::{pause, Session};
use crate::client::{expect_ok, value_int, GrpcClient, Outcome, RespClient};

/// A RESP client's loop until the deadline.
pub async fn resp_client(mut s: Session, mut c: RespClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let key = s.ctx.pick_key(&mut rng);
        match rng.random_range(0..100) {
            0..40 => {
                resp_read(&mut s, &mut c, &key).await;
            }
            40..65 => resp_write(&mut s, &mut c, &key, rng.random_range(0..100)).await,
            65..85 => resp_incr(&mut s, &mut c, &key, rng.random_range(1..5)).await,
            _ => resp_cas(&mut s, &mut c, &key, rng.random_range(0..100)).await,
        }
        pause(&mut rng, 10).await;
    }
}

async fn resp_read(s: &mut Session, c: &mut RespClient, key: &str) -> Option<Option<i64>> {
    let op = Op::Read {
        key: key.into(),
        value: None,
    };
    s.invoke(&op);
    let out = c.read(redis::cmd("GET").arg(key)).await;
    let out = int_outcome(out, true);
    let read = s.record(op, out, |v| {
        (
            Op::Read {
                key: key.into(),
                value: v,
            },
            None,
        )
    });
    match read {
        Some(Op::Read { value, .. }) => Some(value),
        _ => None,
    }
}

async fn resp_write(s: &mut Session, c: &mut RespClient, key: &str, value: i64) {
    let op = Op::Write {
        key: key.into(),
        value,
    };
    s.invoke(&op);
    let out = c
        .write(redis::cmd("SET").arg(key).arg(value))
        .await
        .and_then(expect_ok);
    let done = op.clone();
    s.record(op, out, |()| (done, None));
}

async fn resp_incr(s: &mut Session, c: &mut RespClient, key: &str, by: i64) {
    let op = Op::Incr {
        key: key.into(),
        by,
        value: None,
    };
    s.invoke(&op);
    let out = int_outcome(c.write(redis::cmd("INCRBY").arg(key).arg(by)).await, false);
    s.record(op, out, |v| {
        (
            Op::Incr {
                key: key.into(),
                by,
                value: v,
            },
            None,
        )
    });
}

/// Reads the key (a recorded read), then swaps it from what was read to `to` under WATCH.
async fn resp_cas(s: &mut Session, c: &mut RespClient, key: &str, to: i64) {
    if matches!(
        c.write(redis::cmd("WATCH").arg(key)).await,
        Outcome::Done(_)
    ) {
        if let Some(Some(from)) = resp_read(s, c, key).await {
            let op = Op::Cas {
                key: key.into(),
                from,
                to,
            };
            s.invoke(&op);
            let out = c.pipeline(redis::pipe().atomic().set(key, to)).await;
            let out = out.and_then(|v| match v {
                Value::Nil => Outcome::Failed("EXEC aborted: the key changed".into()),
                Value::Array(_) => Outcome::Done(()),
                v => Outcome::Unknown(format!("unexpected EXEC reply {v:?}")),
            });
            let done = op.clone();
            s.record(op, out, |()| (done, None));
            return;
        }
    }
    let _ = c.write(&redis::cmd("UNWATCH")).await;
}

/// An integer (or nil) reply; anything else is a failed read or an unknown write.
fn int_outcome(out: Outcome<Value>, read: bool) -> Outcome<Option<i64>> {
    out.and_then(|v| match value_int(&v) {
        Ok(i) => Outcome::Done(i),
        Err(e) if read => Outcome::Failed(e),
        Err(e) => Outcome::Unknown(e),
    })
}

/// A gRPC client's loop until the deadline (linearizable GET, SET, INCR).
pub async fn grpc_client(mut s: Session, mut c: GrpcClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let key = s.ctx.pick_key(&mut rng);
        match rng.random_range(0..100) {
            0..45 => grpc_read(&mut s, &mut c, key).await,
            45..75 => {
                let value = rng.random_range(0..100);
                let op = Op::Write {
                    key: key.clone(),
                    value,
                };
                s.invoke(&op);
                let out = c.set(&key, value).await;
                let done = op.clone();
                s.record(op, out, |seq| (done, Some(seq)));
            }
            _ => {
                let by = rng.random_range(1..5);
                let op = Op::Incr {
                    key: key.clone(),
                    by,
                    value: None,
                };
                s.invoke(&op);
                let out = c.incr(&key, by).await;
                s.record(op, out, |(v, seq)| {
                    (
                        Op::Incr {
                            key,
                            by,
                            value: Some(v),
                        },
                        Some(seq),
                    )
                });
            }
        }
        pause(&mut rng, 10).await;
    }
}

/// One linearizable GET of every key of every generation (after healing).
pub async fn final_reads(s: &mut Session, c: &mut GrpcClient) {
    for key in s.ctx.all_generations() {
        grpc_read(s, c, key).await;
    }
}

/// One recorded linearizable GET over gRPC.
async fn grpc_read(s: &mut Session, c: &mut GrpcClient, key: String) {
    let op = Op::Read {
        key: key.clone(),
        value: None,
    };
    s.invoke(&op);
    let out = c.get(&key, Consistency::Linearizable).await;
    s.record(op, out, |v| (Op::Read { key, value: v }, None));
}
