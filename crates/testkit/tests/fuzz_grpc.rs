//! Fuzz target (property-based, stable Rust): arbitrary gRPC requests against running nodes
//! (DESIGN.md §10.6, "bad admin requests get a clear error").
//!
//! The server's proto → command conversions (`kv_argv.rs`, `kv_service.rs`,
//! `clusters_service.rs`, the control plane's handlers) are private to `meridian-server`, so
//! this target drives them from outside: a two-cluster deployment (one node each, the
//! coordination group on both) gets random `KeyValue`, `GlobalDatastores` and `Clusters`
//! requests with hostile fields (empty, oversized and odd keys, huge TTLs and deltas, unknown
//! enum values, names that are not clusters), and raw bytes as the protobuf body of every
//! method. Properties:
//! - every request gets OK or a clean status: a code that says what went wrong (never
//!   `Unknown`; `Internal` only where tonic itself refuses an undecodable body) and a message;
//! - after every request the node still answers (`NodeStatus`), and at the end a read does.
//!
//! Requests have a deadline (failovers wait for leases); a deadline hit is counted and
//! reported, not failed, unless every request of a run hits it.
//! Cases default to a CI-sized number; `PROPTEST_CASES=N` runs N (`benches/fuzz.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use meridian_proto::v1 as pb;
use meridian_proto::v1::clusters_client::ClustersClient;
use meridian_proto::v1::global_datastores_client::GlobalDatastoresClient;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_server::EdgeLimits;
use meridian_testkit::{TestClusterDef, TestDeployment, TestDeploymentOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    // Shrinking replays requests against a node whose state has moved on: little use here.
    config.max_shrink_iters = 32;
    config
}

const DEADLINE: Duration = Duration::from_secs(5);
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 256;

// ---- requests -------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Call {
    Get(pb::GetRequest),
    MGet(pb::MGetRequest),
    Set(pb::SetRequest),
    Delete(pb::DeleteRequest),
    Exists(pb::ExistsRequest),
    Scan(pb::ScanRequest),
    Incr(pb::IncrRequest),
    Expire(pb::ExpireRequest),
    Ttl(pb::TtlRequest),
    Persist(pb::PersistRequest),
    Batch(pb::BatchRequest),
    Create(pb::CreateGlobalDatastoreRequest),
    Describe(pb::DescribeGlobalDatastoresRequest),
    AddSecondary(pb::AddSecondaryRequest),
    Disassociate(pb::DisassociateRequest),
    Modify(pb::ModifyGlobalDatastoreRequest),
    DeleteGds(pb::DeleteGlobalDatastoreRequest),
    Failover(pb::FailoverGlobalDatastoreRequest),
    DescribeClusters(pb::DescribeClustersRequest),
    /// Raw bytes as the protobuf body of a method.
    Raw(&'static str, Vec<u8>),
}

impl Call {
    /// The method's name, for the tally.
    fn kind(&self) -> String {
        let debug = format!("{self:?}");
        debug[..debug.find('(').unwrap_or(debug.len())].to_string()
    }
}

fn key() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        prop::sample::select(vec![&b"k"[..], b"", b"counter", b"\0\r\n", b"*"])
            .prop_map(Bytes::from_static),
        Just(Bytes::from(vec![b'x'; MAX_KEY + 1])),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from),
    ]
}

fn value() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from),
        Just(Bytes::from(vec![b'v'; MAX_VALUE + 1])),
        prop::sample::select(vec!["1", "-1", "9223372036854775807", "x"]).prop_map(Bytes::from),
    ]
}

fn keys() -> impl Strategy<Value = Vec<Bytes>> {
    prop::collection::vec(key(), 0..5)
}

fn int64() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(-1),
        Just(i64::MAX),
        Just(i64::MIN),
        -100i64..100,
        any::<i64>()
    ]
}

fn uint64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(u64::MAX),
        Just(i64::MAX as u64 + 1),
        0u64..100_000,
        any::<u64>()
    ]
}

fn enum_value() -> impl Strategy<Value = i32> {
    prop_oneof![0i32..5, Just(-1), Just(i32::MAX)]
}

fn read() -> impl Strategy<Value = Option<pb::ReadOptions>> {
    prop::option::of(
        (enum_value(), uint64()).prop_map(|(consistency, min_seq)| pb::ReadOptions {
            consistency,
            min_seq: min_seq % 4 * (min_seq / 4 % 2), // mostly 0..3: a high min_seq waits
        }),
    )
}

fn set() -> impl Strategy<Value = pb::SetRequest> {
    use pb::set_request::Expiry;
    let expiry = prop::option::of(prop_oneof![
        uint64().prop_map(Expiry::ExSeconds),
        uint64().prop_map(Expiry::PxMillis),
        uint64().prop_map(Expiry::ExatUnixSeconds),
        uint64().prop_map(Expiry::PxatUnixMillis),
        any::<bool>().prop_map(Expiry::KeepTtl),
    ]);
    (key(), value(), enum_value(), expiry, any::<bool>()).prop_map(
        |(key, value, condition, expiry, get)| pb::SetRequest {
            key,
            value,
            condition,
            expiry,
            get,
        },
    )
}

fn expire() -> impl Strategy<Value = pb::ExpireRequest> {
    use pb::expire_request::When;
    let when = prop::option::of(prop_oneof![
        int64().prop_map(When::Seconds),
        int64().prop_map(When::Millis),
        int64().prop_map(When::AtUnixSeconds),
        int64().prop_map(When::AtUnixMillis),
    ]);
    (key(), when, enum_value()).prop_map(|(key, when, condition)| pb::ExpireRequest {
        key,
        when,
        condition,
    })
}

fn get() -> impl Strategy<Value = pb::GetRequest> {
    (key(), read()).prop_map(|(key, read)| pb::GetRequest { key, read })
}

fn incr() -> impl Strategy<Value = pb::IncrRequest> {
    (key(), int64()).prop_map(|(key, delta)| pb::IncrRequest { key, delta })
}

fn batch_op() -> impl Strategy<Value = pb::BatchOp> {
    use pb::batch_op::Op;
    prop::option::of(prop_oneof![
        set().prop_map(Op::Set),
        keys().prop_map(|keys| Op::Delete(pb::DeleteRequest { keys })),
        incr().prop_map(Op::Incr),
        expire().prop_map(Op::Expire),
        key().prop_map(|key| Op::Persist(pb::PersistRequest { key })),
        get().prop_map(Op::Get),
    ])
    .prop_map(|op| pb::BatchOp { op })
}

/// Mostly names of this deployment (so datastores get created, joined and failed over), and
/// names that are not.
fn name() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec!["use1", "euw1", "gds1", "gds2"]);
    let hostile = prop::sample::select(vec![
        "nowhere",
        "",
        "UPPER",
        "has space",
        "é",
        "a-name-that-is-much-longer-than-the-thirty-two-allowed",
    ]);
    prop_oneof![3 => known, 1 => hostile].prop_map(String::from)
}

fn policy() -> impl Strategy<Value = Option<pb::AutoFailoverPolicy>> {
    prop::option::of(
        (any::<bool>(), uint64())
            .prop_map(|(enabled, after_ms)| pb::AutoFailoverPolicy { enabled, after_ms }),
    )
}

const METHODS: [&str; 14] = [
    "/meridian.v1.KeyValue/Get",
    "/meridian.v1.KeyValue/MGet",
    "/meridian.v1.KeyValue/Set",
    "/meridian.v1.KeyValue/Delete",
    "/meridian.v1.KeyValue/Scan",
    "/meridian.v1.KeyValue/Incr",
    "/meridian.v1.KeyValue/Expire",
    "/meridian.v1.KeyValue/Batch",
    "/meridian.v1.GlobalDatastores/Create",
    "/meridian.v1.GlobalDatastores/Describe",
    "/meridian.v1.GlobalDatastores/AddSecondary",
    "/meridian.v1.GlobalDatastores/Modify",
    "/meridian.v1.Clusters/Describe",
    "/meridian.v1.Clusters/NodeStatus",
];

fn kv_call() -> impl Strategy<Value = Call> {
    prop_oneof![
        get().prop_map(Call::Get),
        (keys(), read()).prop_map(|(keys, read)| Call::MGet(pb::MGetRequest { keys, read })),
        set().prop_map(Call::Set),
        keys().prop_map(|keys| Call::Delete(pb::DeleteRequest { keys })),
        (keys(), read()).prop_map(|(keys, read)| Call::Exists(pb::ExistsRequest { keys, read })),
        (
            uint64(),
            prop::sample::select(vec!["", "*", "k*", "[", "\\", "[a-"]),
            uint64(),
            read()
        )
            .prop_map(|(cursor, m, count, read)| Call::Scan(pb::ScanRequest {
                cursor,
                r#match: m.to_string(),
                count: count % 2_000,
                read,
            })),
        incr().prop_map(Call::Incr),
        expire().prop_map(Call::Expire),
        (key(), read()).prop_map(|(key, read)| Call::Ttl(pb::TtlRequest { key, read })),
        key().prop_map(|key| Call::Persist(pb::PersistRequest { key })),
        prop::collection::vec(batch_op(), 0..6)
            .prop_map(|ops| Call::Batch(pb::BatchRequest { ops })),
    ]
}

fn admin_call() -> impl Strategy<Value = Call> {
    let description = prop::sample::select(vec![
        String::new(),
        "d".to_string(),
        "\u{0}\n".to_string(),
        "x".repeat(300),
    ]);
    prop_oneof![
        (name(), description.clone(), name(), policy()).prop_map(
            |(id, description, primary_cluster, auto_failover)| {
                Call::Create(pb::CreateGlobalDatastoreRequest {
                    id,
                    description,
                    primary_cluster,
                    auto_failover,
                })
            }
        ),
        name().prop_map(|id| Call::Describe(pb::DescribeGlobalDatastoresRequest { id })),
        (name(), name())
            .prop_map(|(id, cluster)| Call::AddSecondary(pb::AddSecondaryRequest { id, cluster })),
        (name(), name())
            .prop_map(|(id, cluster)| Call::Disassociate(pb::DisassociateRequest { id, cluster })),
        (name(), prop::option::of(description), policy()).prop_map(
            |(id, description, auto_failover)| {
                Call::Modify(pb::ModifyGlobalDatastoreRequest {
                    id,
                    description,
                    auto_failover,
                })
            }
        ),
        name().prop_map(|id| Call::DeleteGds(pb::DeleteGlobalDatastoreRequest { id })),
        (name(), name(), any::<bool>()).prop_map(|(id, to_cluster, force)| {
            Call::Failover(pb::FailoverGlobalDatastoreRequest {
                id,
                to_cluster,
                force,
            })
        }),
        name().prop_map(|cluster| Call::DescribeClusters(pb::DescribeClustersRequest { cluster })),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    let raw = (
        prop::sample::select(METHODS.to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(method, body)| Call::Raw(method, body));
    prop_oneof![5 => kv_call(), 4 => admin_call(), 1 => raw]
}

// ---- sending --------------------------------------------------------------------------------

/// Sends and receives protobuf bodies as raw bytes.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let out = src.chunk().to_vec();
        src.advance(out.len());
        Ok(Some(out))
    }
}

struct Clients {
    channel: Channel,
    kv: KeyValueClient<Channel>,
    global: GlobalDatastoresClient<Channel>,
    clusters: ClustersClient<Channel>,
}

fn req<T>(msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.set_timeout(DEADLINE);
    r
}

async fn send(c: &mut Clients, call: Call) -> Result<(), Status> {
    match call {
        Call::Get(m) => c.kv.get(req(m)).await.map(drop),
        Call::MGet(m) => c.kv.m_get(req(m)).await.map(drop),
        Call::Set(m) => c.kv.set(req(m)).await.map(drop),
        Call::Delete(m) => c.kv.delete(req(m)).await.map(drop),
        Call::Exists(m) => c.kv.exists(req(m)).await.map(drop),
        Call::Scan(m) => c.kv.scan(req(m)).await.map(drop),
        Call::Incr(m) => c.kv.incr(req(m)).await.map(drop),
        Call::Expire(m) => c.kv.expire(req(m)).await.map(drop),
        Call::Ttl(m) => c.kv.ttl(req(m)).await.map(drop),
        Call::Persist(m) => c.kv.persist(req(m)).await.map(drop),
        Call::Batch(m) => c.kv.batch(req(m)).await.map(drop),
        Call::Create(m) => c.global.create(req(m)).await.map(drop),
        Call::Describe(m) => c.global.describe(req(m)).await.map(drop),
        Call::AddSecondary(m) => c.global.add_secondary(req(m)).await.map(drop),
        Call::Disassociate(m) => c.global.disassociate(req(m)).await.map(drop),
        Call::Modify(m) => c.global.modify(req(m)).await.map(drop),
        Call::DeleteGds(m) => c.global.delete(req(m)).await.map(drop),
        Call::Failover(m) => c.global.failover(req(m)).await.map(drop),
        Call::DescribeClusters(m) => c.clusters.describe(req(m)).await.map(drop),
        Call::Raw(method, body) => {
            let mut grpc = tonic::client::Grpc::new(c.channel.clone());
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            let path = tonic::codegen::http::uri::PathAndQuery::from_static(method);
            grpc.unary(req(body), path, RawCodec).await.map(drop)
        }
    }
}

/// Outcomes by status code, for the report at the end of a run.
#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, what: String) {
        *self.0.entry(what).or_default() += 1;
    }
}

/// OK, or a status a client can act on.
fn judge(call: &Call, result: &Result<(), Status>) -> Result<String, TestCaseError> {
    let Err(status) = result else {
        return Ok("ok".into());
    };
    let code = status.code();
    prop_assert!(
        !status.message().trim().is_empty(),
        "{:?} without a message for {:?}",
        code,
        call
    );
    let tonic_refused_body = matches!(call, Call::Raw(..)) && status.message().contains("decode");
    prop_assert!(
        code != Code::Unknown && (code != Code::Internal || tonic_refused_body),
        "unclean status for {:?}: {:?} {}",
        call,
        code,
        status.message()
    );
    Ok(format!("{code:?}"))
}

async fn node_answers(c: &mut Clients) -> Result<(), TestCaseError> {
    let status = c.clusters.node_status(req(pb::NodeStatusRequest {})).await;
    prop_assert!(
        status.is_ok(),
        "the node stopped answering: {:?}",
        status.err()
    );
    Ok(())
}

#[test]
fn arbitrary_requests_get_clean_answers() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (deployment, clients) = rt.block_on(async {
        let opts = TestDeploymentOptions {
            clusters: vec![
                TestClusterDef::new("use1", "us-east-1", 1),
                TestClusterDef::new("euw1", "eu-west-1", 1),
            ],
            limits: EdgeLimits {
                max_key_bytes: MAX_KEY,
                max_value_bytes: MAX_VALUE,
                ..EdgeLimits::default()
            },
            ..TestDeploymentOptions::default()
        };
        let d = TestDeployment::start(opts)
            .await
            .expect("starting the deployment");
        let addr = d.grpc_addr(1).expect("node 1's address");
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("an endpoint")
            .connect()
            .await
            .expect("connecting to node 1");
        let clients = Clients {
            kv: KeyValueClient::new(channel.clone()),
            global: GlobalDatastoresClient::new(channel.clone()),
            clusters: ClustersClient::new(channel.clone()),
            channel,
        };
        (d, clients)
    });
    let clients = tokio::sync::Mutex::new(clients);
    let tally = Mutex::new(Tally::default());

    // phase: random requests, each judged, each followed by a look at the node
    let result = TestRunner::new(config(1000)).run(&call(), |call| {
        rt.block_on(async {
            let mut c = clients.lock().await;
            let result = send(&mut c, call.clone()).await;
            let outcome = judge(&call, &result)?;
            tally
                .lock()
                .expect("tally")
                .add(format!("{} {outcome}", call.kind()));
            node_answers(&mut c).await
        })
    });

    // phase: the node still serves a read, then the report
    rt.block_on(async {
        let mut c = clients.lock().await;
        let read = c.kv.get(req(pb::GetRequest {
            key: Bytes::from_static(b"k"),
            read: Some(pb::ReadOptions {
                consistency: pb::Consistency::Local as i32,
                min_seq: 0,
            }),
        }));
        assert!(read.await.is_ok(), "a local read after the run");
    });
    let tally = tally.into_inner().expect("tally");
    eprintln!("outcomes (method code: count):");
    for (outcome, n) in &tally.0 {
        eprintln!("  {outcome}: {n}");
    }
    rt.block_on(deployment.shutdown());
    result.unwrap();
    let total: usize = tally.0.values().sum();
    let timeouts: usize = tally
        .0
        .iter()
        .filter(|(k, _)| k.ends_with(" Cancelled") || k.ends_with(" DeadlineExceeded"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        timeouts < total.max(1),
        "every request ran into its deadline"
    );
}
