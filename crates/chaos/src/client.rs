//! Clients that talk to one node through the fault network and say, for every call, whether
//! it happened (`Done`), certainly did not (`Failed`), or may have (`Unknown`).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_transport::{never_sent, FaultConnector, Faults};
use meridian_types::outcome::{NOT_APPLIED, WRITE_OUTCOME};
use meridian_types::NodeId;
use redis::aio::MultiplexedConnection;
use redis::{ErrorKind, RedisError, Value};
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

/// How long a client waits for any one reply before it calls the outcome unknown.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// What became of one call.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// Certainly not applied (refused before anything was written).
    Failed(String),
    /// May or may not have been applied.
    Unknown(String),
}

impl<T> Outcome<T> {
    /// Judges a completed call's result with `f`; failures and unknowns pass through.
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Outcome<U>) -> Outcome<U> {
        match self {
            Outcome::Done(v) => f(v),
            Outcome::Failed(e) => Outcome::Failed(e),
            Outcome::Unknown(e) => Outcome::Unknown(e),
        }
    }
}

/// `+OK` is done; any other reply to a write leaves its outcome unknown.
pub fn expect_ok(v: Value) -> Outcome<()> {
    match v {
        Value::Okay => Outcome::Done(()),
        v => Outcome::Unknown(format!("unexpected reply {v:?}")),
    }
}

/// A node a client talks to.
#[derive(Debug, Clone)]
pub struct Target {
    pub node: NodeId,
    pub cluster: String,
    pub resp: SocketAddr,
    pub grpc: SocketAddr,
}

/// One RESP connection (reopened after it breaks), for one client at a time.
pub struct RespClient {
    faults: Faults,
    pub target: Target,
    conn: Option<MultiplexedConnection>,
    /// `READONLY` is sent on every new connection (local reads on a secondary).
    readonly: bool,
}

impl RespClient {
    pub fn new(faults: Faults, target: Target, readonly: bool) -> RespClient {
        RespClient {
            faults,
            target,
            conn: None,
            readonly,
        }
    }

    async fn connect(&mut self) -> Result<MultiplexedConnection, RedisError> {
        if let Some(c) = &self.conn {
            return Ok(c.clone());
        }
        let addr = self.target.resp.to_string();
        let stream = meridian_transport::faults::dial(&self.faults, &addr).await?;
        let (mut conn, driver) = MultiplexedConnection::new_with_response_timeout(
            &redis::RedisConnectionInfo::default(),
            stream,
            Some(CALL_TIMEOUT),
        )
        .await?;
        tokio::spawn(driver);
        if self.readonly {
            redis::cmd("READONLY").query_async::<()>(&mut conn).await?;
        }
        self.conn = Some(conn.clone());
        Ok(conn)
    }

    /// The open connection, or the failed outcome of a call that could not be sent.
    async fn open(&mut self) -> Result<MultiplexedConnection, Outcome<Value>> {
        // Nothing was sent on a connection that never opened.
        self.connect()
            .await
            .map_err(|e| Outcome::Failed(format!("connect: {e}")))
    }

    /// Judges a call's error (see [`judge_write`]); a broken connection is reopened next time.
    fn failed(&mut self, e: RedisError) -> Outcome<Value> {
        if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
            self.conn = None;
        }
        judge_write(&e)
    }

    /// Sends `cmd`; a write's errors are judged by [`judge_write`].
    pub async fn write(&mut self, cmd: &redis::Cmd) -> Outcome<Value> {
        let mut conn = match self.open().await {
            Ok(c) => c,
            Err(out) => return out,
        };
        match cmd.query_async::<Value>(&mut conn).await {
            Ok(v) => match server_error(&v) {
                Some(text) => judge_text(text),
                None => Outcome::Done(v),
            },
            Err(e) => self.failed(e),
        }
    }

    /// Sends a read: any error means nothing was learnt.
    pub async fn read(&mut self, cmd: &redis::Cmd) -> Outcome<Value> {
        match self.write(cmd).await {
            Outcome::Unknown(e) => Outcome::Failed(e),
            other => other,
        }
    }

    /// A pipeline sent as one (MULTI … EXEC, WATCH …); judged like a write.
    pub async fn pipeline(&mut self, p: &redis::Pipeline) -> Outcome<Value> {
        let mut conn = match self.open().await {
            Ok(c) => c,
            Err(out) => return out,
        };
        match p.query_async::<Value>(&mut conn).await {
            Ok(v) => Outcome::Done(v),
            Err(e) => self.failed(e),
        }
    }
}

fn server_error(v: &Value) -> Option<String> {
    match v {
        Value::ServerError(e) => Some(format!("{} {}", e.code(), e.details().unwrap_or_default())),
        _ => None,
    }
}

/// Meridian's RESP errors: `TRYAGAIN …` and `READONLY …` promise nothing was written; any
/// other error of a write may hide a write that happened.
fn judge_text<T>(text: String) -> Outcome<T> {
    if text.starts_with("TRYAGAIN") || text.starts_with("READONLY") {
        Outcome::Failed(text)
    } else {
        Outcome::Unknown(text)
    }
}

fn judge_write<T>(e: &RedisError) -> Outcome<T> {
    match e.kind() {
        ErrorKind::TryAgain | ErrorKind::ReadOnly => Outcome::Failed(e.to_string()),
        _ => match e.code() {
            Some("TRYAGAIN") | Some("READONLY") => Outcome::Failed(e.to_string()),
            _ => Outcome::Unknown(e.to_string()),
        },
    }
}

/// One gRPC channel to a node through the fault network.
pub struct GrpcClient {
    pub target: Target,
    kv: KeyValueClient<Channel>,
}

impl GrpcClient {
    pub fn new(faults: Faults, target: Target) -> anyhow::Result<GrpcClient> {
        let channel = Endpoint::from_shared(format!("http://{}", target.grpc))?
            .timeout(CALL_TIMEOUT)
            .connect_with_connector_lazy(FaultConnector::new(faults));
        Ok(GrpcClient {
            target,
            kv: KeyValueClient::new(channel),
        })
    }

    /// SET; the reply's seq on success.
    pub async fn set(&mut self, key: &str, value: i64) -> Outcome<u64> {
        let req = pb::SetRequest {
            key: Bytes::from(key.to_string()),
            value: Bytes::from(value.to_string()),
            ..Default::default()
        };
        judge_status(self.kv.set(req).await.map(|r| r.into_inner().seq))
    }

    /// INCRBY; the new value and the seq.
    pub async fn incr(&mut self, key: &str, by: i64) -> Outcome<(i64, u64)> {
        let req = pb::IncrRequest {
            key: Bytes::from(key.to_string()),
            delta: by,
        };
        judge_status(self.kv.incr(req).await.map(|r| {
            let r = r.into_inner();
            (r.value, r.seq)
        }))
    }

    /// GET at `consistency`; any error means nothing was learnt.
    pub async fn get(&mut self, key: &str, consistency: pb::Consistency) -> Outcome<Option<i64>> {
        let req = pb::GetRequest {
            key: Bytes::from(key.to_string()),
            read: Some(pb::ReadOptions {
                consistency: consistency as i32,
                min_seq: 0,
            }),
        };
        match self.kv.get(req).await {
            Ok(r) => {
                let r = r.into_inner();
                match r.found.then(|| parse_int(&r.value)) {
                    None => Outcome::Done(None),
                    Some(Some(v)) => Outcome::Done(Some(v)),
                    Some(None) => Outcome::Failed(format!("not an integer: {:?}", r.value)),
                }
            }
            Err(s) => Outcome::Failed(format!("{:?}: {}", s.code(), s.message())),
        }
    }

    /// MGET of `keys` at `consistency`.
    pub async fn mget(
        &mut self,
        keys: &[String],
        consistency: pb::Consistency,
    ) -> Outcome<Vec<Option<i64>>> {
        let req = pb::MGetRequest {
            keys: keys.iter().map(|k| Bytes::from(k.clone())).collect(),
            read: Some(pb::ReadOptions {
                consistency: consistency as i32,
                min_seq: 0,
            }),
        };
        match self.kv.m_get(req).await {
            Ok(r) => {
                let values = r.into_inner().values;
                let parsed: Option<Vec<Option<i64>>> = values
                    .iter()
                    .map(|v| {
                        if v.found {
                            parse_int(&v.value).map(Some)
                        } else {
                            Some(None)
                        }
                    })
                    .collect();
                match parsed {
                    Some(p) => Outcome::Done(p),
                    None => Outcome::Failed("a value is not an integer".into()),
                }
            }
            Err(s) => Outcome::Failed(format!("{:?}: {}", s.code(), s.message())),
        }
    }
}

/// gRPC write errors: refused before sending, marked `not-applied` by the server, a
/// secondary's refusal and bad arguments are certain; everything else is not.
fn judge_status<T>(r: Result<T, tonic::Status>) -> Outcome<T> {
    match r {
        Ok(v) => Outcome::Done(v),
        Err(s) if never_sent(&s) => Outcome::Failed(format!("not sent: {}", s.message())),
        Err(s)
            if s.metadata()
                .get(WRITE_OUTCOME)
                .is_some_and(|v| v == NOT_APPLIED) =>
        {
            Outcome::Failed(format!("{:?}: {}", s.code(), s.message()))
        }
        Err(s) if matches!(s.code(), Code::FailedPrecondition | Code::InvalidArgument) => {
            Outcome::Failed(format!("{:?}: {}", s.code(), s.message()))
        }
        Err(s) => Outcome::Unknown(format!("{:?}: {}", s.code(), s.message())),
    }
}

/// An integer value as Redis stores it.
pub fn parse_int(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// A RESP reply as an optional integer (nil is None); Err for anything else.
pub fn value_int(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Nil => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        Value::BulkString(b) => parse_int(b)
            .map(Some)
            .ok_or_else(|| format!("not an integer: {b:?}")),
        other => Err(format!("unexpected reply {other:?}")),
    }
}
