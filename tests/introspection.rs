//! Introspection commands through RESP on a 3-node cluster: SLOWLOG and LATENCY
//! (`latency.rs`); MEMORY, COMMAND GETKEYS, DEBUG, LOLWUT, SAVE / BGSAVE / LASTSAVE
//! (`debug.rs`); INFO's command and error statistics (`stats.rs`). Here: what they share.

mod debug;
mod latency;
mod stats;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use meridian_testkit::{TestCluster, TestClusterOptions};
use redis::aio::MultiplexedConnection;
use redis::Value;

const LIMIT: Duration = Duration::from_secs(10);

async fn connect(addr: SocketAddr) -> Result<MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    Ok(client.get_multiplexed_async_connection().await?)
}

/// Sends `args` as one command.
async fn run(con: &mut MultiplexedConnection, args: &[&str]) -> Result<Value> {
    let mut cmd = redis::cmd(args[0]);
    args[1..].iter().for_each(|a| {
        cmd.arg(*a);
    });
    Ok(cmd.query_async(con).await?)
}

/// A 3-node cluster and the RESP addresses of its leader and of one follower.
async fn start() -> Result<(TestCluster, SocketAddr, SocketAddr)> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let (l, f) = (tc.resp_addr(leader)?, tc.resp_addr(follower)?);
    Ok((tc, l, f))
}

/// A reply as text (a string of any kind, or its debug form).
fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".to_string(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}
