//! The Global Datastore control plane across several clusters in one process: the lifecycle
//! through gRPC, every rule violation, secondaries refusing writes, the primary's write lease
//! when it is cut off from the coordination group, and a coordination leader dying mid-change.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_testkit::{eventually, TestClusterDef, TestDeployment, TestDeploymentOptions};
use meridian_types::NodeId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tonic::Code;

const WAIT: Duration = Duration::from_secs(20);

fn phase(name: &str) {
    eprintln!("--- phase: {name}");
}

/// One datastore, or `None` when describe says it does not exist.
async fn describe(
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
fn view(ds: &pb::GlobalDatastore) -> String {
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
async fn describe_all(d: &TestDeployment, via: NodeId) -> Result<Vec<String>> {
    let mut g = d.global(via).await?;
    let r = g
        .describe(pb::DescribeGlobalDatastoresRequest { id: String::new() })
        .await
        .map_err(|s| anyhow!("describe via node {via}: {:?}: {}", s.code(), s.message()))?;
    let mut all: Vec<String> = r.into_inner().datastores.iter().map(view).collect();
    all.sort();
    Ok(all)
}

fn member<'a>(ds: &'a pb::GlobalDatastore, cluster: &str) -> Option<&'a pb::GlobalDatastoreMember> {
    ds.members.iter().find(|m| m.cluster == cluster)
}

fn has_member(ds: &pb::GlobalDatastore, cluster: &str, role: &str, status: &str) -> bool {
    member(ds, cluster).is_some_and(|m| m.role == role && m.status == status)
}

/// Waits until describe of `id` (via `via`) satisfies `pred`; returns what it last saw.
async fn wait_describe(
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

fn datastore<T>(
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
fn expect_code<T: std::fmt::Debug>(
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

async fn create(
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

async fn add_secondary(
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

async fn disassociate(
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

/// Creates `id` around `primary` and waits until it is primary-only.
async fn create_ready(d: &TestDeployment, id: &str, primary: &str) -> Result<()> {
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
async fn add_ready(d: &TestDeployment, id: &str, cluster: &str) -> Result<()> {
    datastore(add_secondary(d, 1, id, cluster).await).context("add-secondary")?;
    wait_describe(d, 1, id, &format!("{cluster} associated"), |ds| {
        ds.is_some_and(|ds| {
            ds.status == "available" && has_member(ds, cluster, "secondary", "associated")
        })
    })
    .await?;
    Ok(())
}

/// Sends one RESP command over a fresh connection and returns the first line of the reply.
async fn resp_line(addr: SocketAddr, args: &[&str]) -> Result<String> {
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

async fn grpc_set(
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

/// The lifecycle through gRPC, every state transition checked in describe.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_through_grpc() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let mut g = d.global(2).await?;

    phase("create gds1 (primary use1): creating, then primary-only");
    let ds = datastore(create(&d, 2, "gds1", "use1").await)?;
    ensure!(ds.status == "creating", "create answered {}", view(&ds));
    ensure!(
        has_member(&ds, "use1", "primary", "associating"),
        "{}",
        view(&ds)
    );
    ensure!(ds.epoch == 1, "{}", view(&ds));
    wait_describe(&d, 5, "gds1", "gds1 primary-only", |ds| {
        ds.is_some_and(|ds| {
            ds.status == "primary-only"
                && ds.primary_cluster == "use1"
                && has_member(ds, "use1", "primary", "associated")
        })
    })
    .await?;

    for cluster in ["euw1", "aps1"] {
        phase(&format!(
            "add-secondary {cluster}: associating, then associated"
        ));
        let ds = datastore(add_secondary(&d, 2, "gds1", cluster).await)?;
        ensure!(
            ds.status == "modifying",
            "add-secondary answered {}",
            view(&ds)
        );
        ensure!(
            has_member(&ds, cluster, "secondary", "associating"),
            "{}",
            view(&ds)
        );
        wait_describe(&d, 8, "gds1", &format!("{cluster} associated"), |ds| {
            ds.is_some_and(|ds| {
                ds.status == "available" && has_member(ds, cluster, "secondary", "associated")
            })
        })
        .await?;
    }

    phase("describe: primary first, then secondaries in the order added");
    let ds = describe(&d, 9, "gds1").await?.context("gds1 missing")?;
    let order: Vec<(&str, &str, &str)> = ds
        .members
        .iter()
        .map(|m| (m.cluster.as_str(), m.region.as_str(), m.role.as_str()))
        .collect();
    ensure!(
        order
            == vec![
                ("use1", "us-east-1", "primary"),
                ("euw1", "eu-west-1", "secondary"),
                ("aps1", "ap-south-1", "secondary")
            ],
        "members: {order:?}"
    );
    let all = describe_all(&d, 4).await?;
    ensure!(all.len() == 1, "describe all: {all:?}");

    phase("modify description and auto-failover");
    let ds = datastore(
        g.modify(pb::ModifyGlobalDatastoreRequest {
            id: "gds1".into(),
            description: Some("orders, three regions".into()),
            auto_failover: Some(pb::AutoFailoverPolicy {
                enabled: true,
                after_ms: 30_000,
            }),
        })
        .await,
    )?;
    ensure!(ds.description == "orders, three regions", "{}", view(&ds));
    let ds = describe(&d, 7, "gds1").await?.context("gds1 missing")?;
    ensure!(ds.description == "orders, three regions", "{}", view(&ds));
    ensure!(
        ds.auto_failover
            == Some(pb::AutoFailoverPolicy {
                enabled: true,
                after_ms: 30_000
            }),
        "{}",
        view(&ds)
    );
    ensure!(ds.status == "available", "{}", view(&ds));

    for (cluster, after) in [("euw1", "available"), ("aps1", "primary-only")] {
        phase(&format!(
            "disassociate {cluster}: disassociating, then gone"
        ));
        let ds = datastore(disassociate(&d, 2, "gds1", cluster).await)?;
        ensure!(
            has_member(&ds, cluster, "secondary", "disassociating"),
            "{}",
            view(&ds)
        );
        ensure!(ds.status == "modifying", "{}", view(&ds));
        wait_describe(&d, 3, "gds1", &format!("{cluster} gone"), |ds| {
            ds.is_some_and(|ds| member(ds, cluster).is_none() && ds.status == after)
        })
        .await?;
    }

    phase("delete: deleting, then gone");
    let ds = datastore(
        g.delete(pb::DeleteGlobalDatastoreRequest { id: "gds1".into() })
            .await,
    )?;
    ensure!(ds.status == "deleting", "delete answered {}", view(&ds));
    wait_describe(&d, 6, "gds1", "gds1 gone", |ds| ds.is_none()).await?;
    ensure!(describe_all(&d, 1).await?.is_empty());

    d.shutdown().await;
    Ok(())
}

/// Every broken rule gets its own code and leaves describe as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rule_violations_change_nothing() -> Result<()> {
    let mut opts = TestDeploymentOptions::default();
    opts.clusters
        .push(TestClusterDef::new("use1b", "us-east-1", 3));
    opts.max_secondaries = 1;
    let d = TestDeployment::start(opts).await?;
    let mut g = d.global(2).await?;

    phase("setup: gds1 with primary use1, euw1 secondary");
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;

    // Runs a request that must fail with `code`, and checks describe did not change.
    macro_rules! refused {
        ($what:expr, $code:expr, $call:expr) => {{
            phase(&format!("refused: {}", $what));
            let before = describe_all(&d, 1).await?;
            let msg = expect_code($what, $call.await, $code)?;
            eprintln!("    {:?}: {msg}", $code);
            let after = describe_all(&d, 1).await?;
            ensure!(
                before == after,
                "{} changed describe:\n{before:?}\n{after:?}",
                $what
            );
            msg
        }};
    }

    refused!(
        "duplicate id",
        Code::AlreadyExists,
        create(&d, 2, "gds1", "aps1")
    );
    refused!(
        "create around an unknown cluster",
        Code::NotFound,
        create(&d, 2, "gds2", "nope")
    );
    refused!(
        "add an unknown cluster",
        Code::NotFound,
        add_secondary(&d, 2, "gds1", "nope")
    );
    refused!(
        "create around a cluster already in a datastore",
        Code::FailedPrecondition,
        create(&d, 2, "gds2", "euw1")
    );
    refused!(
        "add a cluster already in a datastore (other datastore)",
        Code::FailedPrecondition,
        add_secondary(&d, 2, "gds1", "euw1")
    );
    let msg = refused!(
        "secondary in the primary's region",
        Code::FailedPrecondition,
        add_secondary(&d, 2, "gds1", "use1b")
    );
    ensure!(msg.contains("region"), "{msg}");
    let msg = refused!(
        "too many secondaries (limit 1)",
        Code::FailedPrecondition,
        add_secondary(&d, 2, "gds1", "aps1")
    );
    ensure!(msg.contains("secondaries"), "{msg}");
    refused!(
        "delete with secondaries",
        Code::FailedPrecondition,
        g.delete(pb::DeleteGlobalDatastoreRequest { id: "gds1".into() })
    );
    refused!(
        "disassociate the primary",
        Code::FailedPrecondition,
        disassociate(&d, 2, "gds1", "use1")
    );
    refused!(
        "unknown datastore",
        Code::NotFound,
        add_secondary(&d, 2, "nope", "aps1")
    );

    phase("a disassociation that cannot finish (euw1 cut off from the coordination group)");
    d.isolate_cluster_from_coord("euw1")?;
    let ds = eventually("disassociate euw1 accepted", WAIT, || async {
        match disassociate(&d, 1, "gds1", "euw1").await {
            Ok(r) => Ok(r.into_inner().datastore),
            // Nothing written: the voters may be electing a leader after the cut.
            Err(s) if s.code() == Code::Unavailable => Ok(None),
            Err(s) => bail!("disassociate: {:?}: {}", s.code(), s.message()),
        }
    })
    .await?;
    ensure!(
        has_member(&ds, "euw1", "secondary", "disassociating"),
        "{}",
        view(&ds)
    );
    let msg = refused!(
        "second modification in progress",
        Code::FailedPrecondition,
        g.modify(pb::ModifyGlobalDatastoreRequest {
            id: "gds1".into(),
            description: Some("changed".into()),
            auto_failover: None,
        })
    );
    ensure!(msg.contains("busy"), "{msg}");

    phase("heal: the disassociation completes");
    d.heal();
    wait_describe(&d, 1, "gds1", "euw1 gone", |ds| {
        ds.is_some_and(|ds| member(ds, "euw1").is_none() && ds.status == "primary-only")
    })
    .await?;

    d.shutdown().await;
    Ok(())
}

/// A secondary refuses writes on every node (RESP READONLY, gRPC FAILED_PRECONDITION), serves
/// reads, and takes writes again once disassociated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secondary_refuses_writes_until_disassociated() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    create_ready(&d, "gds1", "use1").await?;
    add_ready(&d, "gds1", "euw1").await?;
    let euw1 = d.cluster_ids("euw1")?;

    phase("writes to every euw1 node are refused; reads are served");
    for id in &euw1 {
        let addr = d.resp_addr(*id)?;
        // The role reaches followers through the cluster's log; wait until this node has it.
        let line = eventually(&format!("node {id} refuses a RESP write"), WAIT, || async {
            let line = resp_line(addr, &["SET", "k", "v"]).await?;
            Ok(line.starts_with('-').then_some(line))
        })
        .await?;
        ensure!(
            line == "-READONLY You can't write against a read only replica.",
            "node {id} answered {line:?}"
        );
        let st = grpc_set(&d, *id, "k", "v").await;
        let msg = expect_code(
            &format!("gRPC SET on node {id}"),
            st,
            Code::FailedPrecondition,
        )?;
        ensure!(msg.contains("use1"), "the refusal names the primary: {msg}");
        let got = resp_line(addr, &["GET", "k"]).await?;
        ensure!(!got.starts_with('-'), "RESP GET on node {id}: {got:?}");
        let mut kv = d.kv(*id).await?;
        kv.get(pb::GetRequest {
            key: Bytes::from_static(b"k"),
            read: None,
        })
        .await
        .map_err(|s| anyhow!("gRPC GET on node {id}: {:?}: {}", s.code(), s.message()))?;
    }

    phase("disassociate euw1: it takes writes again");
    datastore(disassociate(&d, 1, "gds1", "euw1").await)?;
    wait_describe(&d, 1, "gds1", "euw1 gone", |ds| {
        ds.is_some_and(|ds| member(ds, "euw1").is_none())
    })
    .await?;
    for id in &euw1 {
        let addr = d.resp_addr(*id)?;
        eventually(&format!("node {id} takes a RESP write"), WAIT, || async {
            Ok((resp_line(addr, &["SET", "k", "v2"]).await? == "+OK").then_some(()))
        })
        .await?;
        grpc_set(&d, *id, "k", "v3")
            .await
            .map_err(|s| anyhow!("gRPC SET on node {id}: {:?}: {}", s.code(), s.message()))?;
    }

    d.shutdown().await;
    Ok(())
}

/// A primary cut off from the coordination group stops acknowledging writes within one lease
/// length, says why, and resumes after the cut heals.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn isolated_primary_stops_within_one_lease() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let lease = d.options().coord.lease;
    let margin = Duration::from_millis(500);
    create_ready(&d, "gds1", "use1").await?;

    phase("the primary takes writes once its lease is granted");
    let leader = d.wait_for_leader("use1", WAIT).await?;
    eventually("a write acknowledged by use1", WAIT, || async {
        Ok(grpc_set(&d, leader, "warm", "up").await.ok())
    })
    .await?;

    phase("isolate use1 from the coordination group while writing");
    let isolated_at = Instant::now();
    d.isolate_cluster_from_coord("use1")?;
    let mut last_ack: Option<Instant> = None;
    let mut last_err: Option<tonic::Status> = None;
    let mut i = 0u64;
    while isolated_at.elapsed() < lease * 3 {
        i += 1;
        let w = tokio::time::timeout(
            Duration::from_secs(3),
            grpc_set(&d, leader, &format!("k{i}"), "v"),
        )
        .await;
        match w {
            Ok(Ok(())) => last_ack = Some(Instant::now()),
            Ok(Err(s)) => last_err = Some(s),
            Err(_) => {}
        }
    }
    let acked_for = last_ack.map(|t| t.saturating_duration_since(isolated_at));
    eprintln!("    last write acknowledged {acked_for:?} after the cut ({i} writes tried)");
    if let Some(after) = acked_for {
        ensure!(
            after < lease + margin,
            "use1 acknowledged a write {after:?} after it was cut off (lease {lease:?})"
        );
    }
    let err = last_err.context("no write was refused while use1 was cut off")?;
    ensure!(
        err.code() == Code::Unavailable && err.message().contains("lease"),
        "refusal: {:?}: {}",
        err.code(),
        err.message()
    );
    let line = resp_line(d.resp_addr(leader)?, &["SET", "r", "v"]).await?;
    ensure!(
        line.starts_with("-TRYAGAIN") && line.contains("no valid write lease"),
        "RESP refusal: {line:?}"
    );

    phase("heal: writes resume");
    d.heal();
    eventually(
        "a write acknowledged by use1 after healing",
        WAIT,
        || async {
            for id in d.cluster_ids("use1")? {
                if grpc_set(&d, id, "after", "heal").await.is_ok() {
                    return Ok(Some(()));
                }
            }
            Ok(None)
        },
    )
    .await?;

    d.shutdown().await;
    Ok(())
}

/// Killing the coordination leader during add-secondary: the change completes or fails
/// cleanly, and every voter ends up describing the same thing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coord_leader_dies_during_add_secondary() -> Result<()> {
    let mut d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    create_ready(&d, "gds1", "use1").await?;

    phase("add-secondary euw1 through a follower voter, killing the coordination leader");
    let leader = d.wait_for_coord_leader(WAIT).await?;
    let via = *d
        .voters()
        .iter()
        .find(|v| **v != leader)
        .context("no follower voter")?;
    let mut g = d.global(via).await?;
    let call = tokio::spawn(async move {
        g.add_secondary(pb::AddSecondaryRequest {
            id: "gds1".into(),
            cluster: "euw1".into(),
        })
        .await
    });
    d.kill(leader).await?;
    let outcome = call.await?;
    eprintln!(
        "    killed voter {leader}; add-secondary via {via}: {:?}",
        outcome.as_ref().map(|r| view(
            r.get_ref()
                .datastore
                .as_ref()
                .unwrap_or(&Default::default())
        ))
    );

    phase("the change completes or is absent; describe agrees");
    let new_leader = d.wait_for_coord_leader(WAIT).await?;
    ensure!(new_leader != leader);
    let done = wait_describe(&d, via, "gds1", "add-secondary settled", |ds| {
        ds.is_some_and(|ds| match member(ds, "euw1") {
            Some(m) => m.status == "associated" && ds.status == "available",
            None => ds.status == "primary-only",
        })
    })
    .await?
    .context("gds1 missing")?;
    match &outcome {
        Ok(_) => ensure!(
            has_member(&done, "euw1", "secondary", "associated"),
            "acknowledged add-secondary lost: {}",
            view(&done)
        ),
        Err(s) if s.code() == Code::Unavailable => ensure!(
            member(&done, "euw1").is_none(),
            "add-secondary refused as not done, yet applied: {}",
            view(&done)
        ),
        Err(s) => ensure!(
            s.code() == Code::Unknown || s.code() == Code::DeadlineExceeded,
            "unexpected failure {:?}: {}",
            s.code(),
            s.message()
        ),
    }

    phase("every voter, the killed one restarted, holds the same datastore");
    d.restart(leader).await?;
    let want = view(&done);
    eventually("every voter's copy agrees", WAIT, || async {
        for v in d.voters() {
            let local = d.local_datastores(*v)?;
            let got: Vec<String> = local
                .iter()
                .map(|ds| view(&meridian_coord::to_pb(ds)))
                .collect();
            if got != vec![want.clone()] {
                return Ok(None);
            }
            if describe(&d, *v, "gds1").await?.map(|ds| view(&ds)) != Some(want.clone()) {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await?;

    d.shutdown().await;
    Ok(())
}

/// The `meridian` binary next to the test binaries (`target/debug/meridian`).
fn meridian_bin() -> Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|debug| debug.join("meridian"))
        .context("locating target/debug")?;
    let len = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    ensure!(
        len > 0,
        "the meridian binary is missing or empty at {}: run `cargo build -p meridian-cli --bin meridian` first",
        bin.display()
    );
    Ok(bin)
}

/// Runs `meridian global <args> --endpoint <node>`; returns (success, stdout, stderr).
async fn cli(
    bin: &std::path::Path,
    endpoint: SocketAddr,
    args: &[&str],
) -> Result<(bool, String, String)> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("global")
        .args(args)
        .arg("--endpoint")
        .arg(endpoint.to_string());
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .map_err(|_| anyhow!("meridian global {args:?} did not finish within 30s"))??;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The first steps of the lifecycle through the `meridian` CLI, as a process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_first_steps_through_the_cli() -> Result<()> {
    let bin = meridian_bin()?;
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let ep = d.grpc_addr(5)?;
    let table_says = |out: &str, cluster: &str, status: &str| {
        out.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.first() == Some(&cluster) && f.get(3) == Some(&status)
        })
    };

    phase("cli: create gds1 (primary use1)");
    let (ok, out, err) = cli(&bin, ep, &["create", "--id", "gds1", "--primary", "use1"]).await?;
    ensure!(ok, "create failed: {err}");
    ensure!(out.contains("status: creating"), "create printed {out}");
    eventually("cli describe shows primary-only", WAIT, || async {
        let (ok, out, _) = cli(&bin, ep, &["describe", "--id", "gds1"]).await?;
        Ok(
            (ok && out.contains("status: primary-only") && table_says(&out, "use1", "associated"))
                .then_some(()),
        )
    })
    .await?;

    phase("cli: add-secondary euw1");
    let (ok, out, err) = cli(
        &bin,
        ep,
        &["add-secondary", "--id", "gds1", "--cluster", "euw1"],
    )
    .await?;
    ensure!(ok, "add-secondary failed: {err}");
    ensure!(
        table_says(&out, "euw1", "associating"),
        "add-secondary printed {out}"
    );
    eventually("cli describe shows euw1 associated", WAIT, || async {
        let (ok, out, _) = cli(&bin, ep, &["describe", "--id", "gds1"]).await?;
        Ok(
            (ok && out.contains("status: available") && table_says(&out, "euw1", "associated"))
                .then_some(()),
        )
    })
    .await?;

    phase("cli: a refused request exits non-zero and says why");
    let (ok, _, err) = cli(&bin, ep, &["create", "--id", "gds1", "--primary", "aps1"]).await?;
    ensure!(!ok, "duplicate create succeeded");
    ensure!(err.contains("already exists"), "stderr: {err}");

    d.shutdown().await;
    Ok(())
}
