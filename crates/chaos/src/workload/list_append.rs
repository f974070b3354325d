//! List-append transactions (Elle's workload): `MULTI`, a few `RPUSH key v` and
//! `LRANGE key 0 -1`, `EXEC`, over RESP on the primary. Every value appended to a key is
//! unique, so each read reveals the order of the appends before it; checked for lost,
//! duplicated and reordered appends and dependency cycles.

use meridian_history::{Micro, Op};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use redis::Value;

use super::{pause, Session};
use crate::client::{value_int, Outcome, RespClient};

/// A client's loop until the deadline.
pub async fn client(mut s: Session, mut c: RespClient, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    while s.ctx.running() {
        let micros = draw(&s, &mut rng);
        transact(&mut s, &mut c, micros).await;
        pause(&mut rng, 10).await;
    }
}

/// One to four micro-ops on the current generation's keys.
fn draw(s: &Session, rng: &mut StdRng) -> Vec<Micro> {
    let keys = s.ctx.keys_now();
    (0..rng.random_range(1..=4))
        .map(|_| {
            let key = keys.choose(rng).cloned().unwrap_or_default();
            if rng.random_bool(0.5) {
                Micro::Append {
                    key,
                    value: s.ctx.unique_value(),
                }
            } else {
                Micro::Read { key, value: None }
            }
        })
        .collect()
}

fn pipeline(micros: &[Micro]) -> redis::Pipeline {
    let mut p = redis::pipe();
    p.atomic();
    for m in micros {
        match m {
            Micro::Append { key, value } => p.cmd("RPUSH").arg(key).arg(*value),
            Micro::Read { key, .. } => p.cmd("LRANGE").arg(key).arg(0).arg(-1),
        };
    }
    p
}

/// The micro-ops with their reads filled from EXEC's replies (one per micro-op).
fn completed(micros: &[Micro], replies: &[Value]) -> Outcome<Vec<Micro>> {
    if replies.len() != micros.len() {
        return Outcome::Unknown(format!(
            "EXEC returned {} replies for {} commands",
            replies.len(),
            micros.len()
        ));
    }
    let mut out = Vec::with_capacity(micros.len());
    for (m, r) in micros.iter().zip(replies) {
        out.push(match (m, r) {
            (Micro::Append { .. }, Value::Int(_)) => m.clone(),
            (Micro::Read { key, .. }, Value::Array(items)) => {
                match items.iter().map(value_int).collect::<Result<Vec<_>, _>>() {
                    Ok(vals) => Micro::Read {
                        key: key.clone(),
                        value: Some(vals.into_iter().flatten().collect()),
                    },
                    Err(e) => return Outcome::Unknown(e),
                }
            }
            (_, other) => return Outcome::Unknown(format!("unexpected reply {other:?} to {m:?}")),
        });
    }
    Outcome::Done(out)
}

/// After healing: one read-only transaction per key of every generation.
pub async fn final_reads(s: &mut Session, c: &mut RespClient) {
    for key in s.ctx.all_generations() {
        transact(s, c, vec![Micro::Read { key, value: None }]).await;
    }
}

/// Sends `micros` as one MULTI / EXEC and records it.
async fn transact(s: &mut Session, c: &mut RespClient, micros: Vec<Micro>) {
    let op = Op::Txn {
        value: micros.clone(),
    };
    s.invoke(&op);
    let out = c.pipeline(&pipeline(&micros)).await.and_then(|v| match v {
        Value::Array(replies) => completed(&micros, &replies),
        v => Outcome::Unknown(format!("unexpected EXEC reply {v:?}")),
    });
    s.record(op, out, |micros| (Op::Txn { value: micros }, None));
}
