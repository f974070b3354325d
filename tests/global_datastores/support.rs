//! Helpers shared by the global datastore end-to-end tests.

pub use std::net::SocketAddr;
pub use std::time::Duration;

pub use anyhow::{anyhow, bail, ensure, Context, Result};
pub use bytes::Bytes;
pub use meridian_proto::v1 as pb;
pub use meridian_testkit::{
    eventually, meridian_bin, TestClusterDef, TestDeployment, TestDeploymentOptions,
};
pub use meridian_types::NodeId;
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub use tonic::Code;

pub const WAIT: Duration = Duration::from_secs(20);

pub fn phase(name: &str) {
    eprintln!("--- phase: {name}");
}

/// One datastore, or `None` when describe says it does not exist.
pub async fn describe(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
) -> Result<Option<pb::GlobalDatastore>> {
    let mut g = d.global(via).await?;
    match g
        .describe(pb::DescribeGlobalDatastoresRequest { id: id.into() })
        .await
    {
        Ok(r) => Ok(r.into_inner().datastores.into_iter().next()),
        Err(s) if s.code() == Code::NotFound => Ok(None),
        Err(s) => bail!(
            "describe {id} via node {via}: {:?}: {}",
            s.code(),
            s.message()
        ),
    }
}

/// What a person compares in describe: everything but the moving numbers (applied seq, lag,
/// lease renewals).
pub fn view(ds: &pb::GlobalDatastore) -> String {
    let members: Vec<String> = ds
        .members
        .iter()
        .map(|m| format!("{}/{}/{}/{}", m.cluster, m.region, m.role, m.status))
        .collect();
    format!(
        "{} status={} primary={} epoch={} description={:?} auto_failover={:?} failover_to={:?} members=[{}]",
        ds.id,
        ds.status,
        ds.primary_cluster,
        ds.epoch,
        ds.description,
        ds.auto_failover,
        ds.failover_to,
        members.join(" ")
    )
}

/// Every datastore, as [`view`]s sorted by id.
pub async fn describe_all(d: &TestDeployment, via: NodeId) -> Result<Vec<String>> {
    let mut g = d.global(via).await?;
    let r = g
        .describe(pb::DescribeGlobalDatastoresRequest { id: String::new() })
        .await
        .map_err(|s| anyhow!("describe via node {via}: {:?}: {}", s.code(), s.message()))?;
    let mut all: Vec<String> = r.into_inner().datastores.iter().map(view).collect();
    all.sort();
    Ok(all)
}

pub fn member<'a>(
    ds: &'a pb::GlobalDatastore,
    cluster: &str,
) -> Option<&'a pb::GlobalDatastoreMember> {
    ds.members.iter().find(|m| m.cluster == cluster)
}

pub fn has_member(ds: &pb::GlobalDatastore, cluster: &str, role: &str, status: &str) -> bool {
    member(ds, cluster).is_some_and(|m| m.role == role && m.status == status)
}

/// Waits until describe of `id` (via `via`) satisfies `pred`; returns what it last saw.
pub async fn wait_describe(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    what: &str,
    pred: impl Fn(Option<&pb::GlobalDatastore>) -> bool,
) -> Result<Option<pb::GlobalDatastore>> {
    eventually(what, WAIT, || async {
        let ds = describe(d, via, id).await?;
        Ok(pred(ds.as_ref()).then_some(ds))
    })
    .await
}

pub fn datastore<T>(
    r: Result<tonic::Response<pb::GlobalDatastoreResponse>, T>,
) -> Result<pb::GlobalDatastore>
where
    T: std::fmt::Debug,
{
    r.map_err(|e| anyhow!("{e:?}"))?
        .into_inner()
        .datastore
        .ok_or_else(|| anyhow!("reply without a datastore"))
}

/// Asserts that `r` failed with `code`, and returns the message.
pub fn expect_code<T: std::fmt::Debug>(
    what: &str,
    r: Result<T, tonic::Status>,
    code: Code,
) -> Result<String> {
    match r {
        Ok(v) => bail!("{what}: expected {code:?}, got success {v:?}"),
        Err(s) if s.code() == code => Ok(s.message().to_string()),
        Err(s) => bail!(
            "{what}: expected {code:?}, got {:?}: {}",
            s.code(),
            s.message()
        ),
    }
}

pub async fn create(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    primary: &str,
) -> Result<tonic::Response<pb::GlobalDatastoreResponse>, tonic::Status> {
    let mut g = d
        .global(via)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    g.create(pb::CreateGlobalDatastoreRequest {
        id: id.into(),
        description: format!("{id} test"),
        primary_cluster: primary.into(),
        auto_failover: None,
    })
    .await
}

pub async fn add_secondary(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    cluster: &str,
) -> Result<tonic::Response<pb::GlobalDatastoreResponse>, tonic::Status> {
    let mut g = d
        .global(via)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    g.add_secondary(pb::AddSecondaryRequest {
        id: id.into(),
        cluster: cluster.into(),
    })
    .await
}

pub async fn disassociate(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    cluster: &str,
) -> Result<tonic::Response<pb::GlobalDatastoreResponse>, tonic::Status> {
    let mut g = d
        .global(via)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    g.disassociate(pb::DisassociateRequest {
        id: id.into(),
        cluster: cluster.into(),
    })
    .await
}

/// Asks for a planned failover of `id` to `to`.
pub async fn failover(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    to: &str,
) -> Result<tonic::Response<pb::GlobalDatastoreResponse>, tonic::Status> {
    failover_with(d, via, id, to, false).await
}

/// Asks for a failover of `id` to `to`, forced or planned (a forced one may leave `to` empty).
pub async fn failover_with(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
    to: &str,
    force: bool,
) -> Result<tonic::Response<pb::GlobalDatastoreResponse>, tonic::Status> {
    let mut g = d
        .global(via)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    g.failover(pb::FailoverGlobalDatastoreRequest {
        id: id.into(),
        to_cluster: to.into(),
        force,
    })
    .await
}

/// Waits until the newest failover of `id` is done (describe asked of `via`) and returns the
/// datastore then.
pub async fn wait_failover_done(
    d: &TestDeployment,
    via: NodeId,
    id: &str,
) -> Result<pb::GlobalDatastore> {
    wait_describe(d, via, id, &format!("the failover of {id} done"), |ds| {
        ds.and_then(|ds| ds.failover.as_ref())
            .is_some_and(|f| f.phase == "done")
    })
    .await?
    .context("describe")
}

/// Cuts every node of `cluster` off from every other node of the deployment (test clients
/// still reach it); returns the cluster's node ids.
pub fn cut_off(d: &TestDeployment, cluster: &str) -> Result<Vec<NodeId>> {
    let inside = d.cluster_ids(cluster)?;
    let outside: Vec<NodeId> = d
        .ids()
        .into_iter()
        .filter(|id| !inside.contains(id))
        .collect();
    d.net().partition(&inside, &outside);
    Ok(inside)
}

/// Runs `scenario` once per seed, each with a fresh recorder; a failure names its seed and
/// leaves the history it recorded in a JSON-lines file (the path is in the error).
pub async fn for_seeds<F, Fut>(name: &str, seeds: &[u64], scenario: F) -> Result<()>
where
    F: Fn(u64, std::sync::Arc<meridian_history::Recorder>) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    for &seed in seeds {
        phase(&format!("{name}: seed {seed}"));
        let recorder =
            std::sync::Arc::new(meridian_history::Recorder::new(std::time::Instant::now()));
        if let Err(e) = scenario(seed, recorder.clone()).await {
            let path = std::env::temp_dir().join(format!("meridian-{name}-seed-{seed}.jsonl"));
            let saved = std::fs::File::create(&path)
                .map_err(anyhow::Error::from)
                .and_then(|f| {
                    let w = std::io::BufWriter::new(f);
                    recorder
                        .snapshot()
                        .write_jsonl(w)
                        .map_err(anyhow::Error::from)
                });
            let kept = match saved {
                Ok(()) => format!("history in {}", path.display()),
                Err(w) => format!("the history could not be written: {w}"),
            };
            bail!("{name}, seed {seed}: {e:#} ({kept})");
        }
    }
    Ok(())
}

/// One recording gRPC writer of unique values per node of each of `clusters` (secondaries
/// refuse them); `seed` picks their keys, values and pauses.
pub fn spawn_writers(
    d: &TestDeployment,
    ctx: &meridian_chaos::workload::Ctx,
    clusters: &[&str],
    seed: u64,
) -> Result<tokio::task::JoinSet<()>> {
    use meridian_chaos::workload::{shipping, Session};
    let mut set = tokio::task::JoinSet::new();
    let mut n = 0;
    for cluster in clusters {
        for t in meridian_chaos::setup::targets(d, cluster)? {
            n += 1;
            let c = meridian_chaos::client::GrpcClient::new(ctx.faults(n), t.clone())?;
            let writer_seed = seed * 1_000 + n;
            set.spawn(shipping::grpc_writer(
                Session::new(ctx.clone(), t),
                c,
                writer_seed,
            ));
        }
    }
    Ok(set)
}

/// Writes `cluster` acknowledged in `history`: (time, seq).
pub fn acks(history: &meridian_history::History, cluster: &str) -> Vec<(u64, Option<u64>)> {
    use meridian_history::{Kind, Op};
    history
        .events
        .iter()
        .filter(|e| e.kind == Kind::Ok && matches!(e.op, Op::Write { .. }))
        .filter(|e| e.cluster.as_deref() == Some(cluster))
        .map(|e| (e.time, e.seq))
        .collect()
}

/// Creates `id` around `primary` and waits until it is primary-only.
pub async fn create_ready(d: &TestDeployment, id: &str, primary: &str) -> Result<()> {
    datastore(create(d, 1, id, primary).await).context("create")?;
    wait_describe(d, 1, id, &format!("{id} primary-only"), |ds| {
        ds.is_some_and(|ds| {
            ds.status == "primary-only" && has_member(ds, primary, "primary", "associated")
        })
    })
    .await?;
    Ok(())
}

/// Adds `cluster` as a secondary of `id` and waits until it is associated.
pub async fn add_ready(d: &TestDeployment, id: &str, cluster: &str) -> Result<()> {
    datastore(add_secondary(d, 1, id, cluster).await).context("add-secondary")?;
    wait_describe(d, 1, id, &format!("{cluster} associated"), |ds| {
        ds.is_some_and(|ds| {
            ds.status == "available" && has_member(ds, cluster, "secondary", "associated")
        })
    })
    .await?;
    Ok(())
}

/// gds1: primary use1 with the given secondaries, each associated (fully synced).
pub async fn datastore_with(d: &TestDeployment, secondaries: &[&str]) -> Result<()> {
    create_ready(d, "gds1", "use1").await?;
    for s in secondaries {
        add_ready(d, "gds1", s).await?;
    }
    Ok(())
}

/// Sends one RESP command over a fresh connection and returns the first line of the reply.
pub async fn resp_line(addr: SocketAddr, args: &[&str]) -> Result<String> {
    let talk = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(2).any(|w| w == b"\r\n") {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                bail!(
                    "connection closed after {:?}",
                    String::from_utf8_lossy(&buf)
                );
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let end = buf
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(buf.len());
        Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(10), talk)
        .await
        .map_err(|_| anyhow!("no RESP reply from {addr} within 10s"))?
}

pub async fn grpc_set(
    d: &TestDeployment,
    via: NodeId,
    key: &str,
    value: &str,
) -> Result<(), tonic::Status> {
    let mut kv = d
        .kv(via)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    kv.set(pb::SetRequest {
        key: Bytes::from(key.to_string()),
        value: Bytes::from(value.to_string()),
        ..Default::default()
    })
    .await
    .map(|_| ())
}
