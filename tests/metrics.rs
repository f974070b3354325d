//! Every node serves Prometheus text at `GET /metrics` on its metrics port: the regional
//! group's state labelled with node and cluster, scraped over plain HTTP/1.1. A witness serves
//! the same endpoint with process and coordination series only.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_server::{CoordSpec, WitnessNode, WitnessSpec};
use meridian_testkit::{eventually, fast_coord_options, TestCluster, TestClusterOptions};
use meridian_types::{Node, NodeId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: Duration = Duration::from_secs(10);

struct HttpResponse {
    status: u16,
    /// Header names lower-cased.
    headers: HashMap<String, String>,
    body: String,
}

/// One HTTP/1.1 request on a fresh connection that the server closes after answering.
async fn http(addr: SocketAddr, method: &str, path: &str) -> Result<HttpResponse> {
    let mut stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to the metrics port {addr}"))?;
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .context("sending the request")?;
    let mut raw = String::new();
    tokio::time::timeout(LIMIT, stream.read_to_string(&mut raw))
        .await
        .context("waiting for the response")?
        .context("reading the response")?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .with_context(|| format!("no end of headers in {raw:?}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_string(),
    })
}

/// Scrapes `GET /metrics`, checking the status and content type.
async fn scrape(addr: SocketAddr) -> Result<String> {
    let r = http(addr, "GET", "/metrics").await?;
    ensure!(r.status == 200, "GET /metrics answered {}", r.status);
    let ct = r.headers.get("content-type").map(String::as_str);
    ensure!(
        ct == Some("text/plain; version=0.0.4"),
        "GET /metrics content type {ct:?}"
    );
    Ok(r.body)
}

/// Every sample of `name` in a scrape: its `{…}` label text (without braces) and value.
fn samples(body: &str, name: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => r.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some((labels.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// The value of the one series of `name` in a scrape.
fn single(body: &str, name: &str) -> Result<(String, f64)> {
    let all = samples(body, name);
    match all.len() {
        1 => Ok(all.into_iter().next().context("one sample")?),
        n => bail!("expected one {name} series, found {n} in:\n{body}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_node_serves_its_regional_state_as_prometheus_text() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;

    // Phase 1: a few writes through gRPC.
    const WRITES: u64 = 5;
    let mut kv = tc.kv(leader).await?;
    for i in 0..WRITES {
        let r = kv
            .set(pb::SetRequest {
                key: Bytes::from(format!("metrics:{i}")),
                value: Bytes::from(format!("v{i}")),
                ..Default::default()
            })
            .await?
            .into_inner();
        ensure!(r.applied, "SET {i} not applied");
    }

    // Phase 2: every node reports the writes as applied, with its own labels.
    for id in tc.ids() {
        reports_its_regional_state(&tc, id, WRITES).await?;
    }

    // Phase 3: exactly one node says it leads the regional group.
    eventually(
        "exactly one node reports meridian_is_leader 1",
        LIMIT,
        || async {
            let mut leaders = Vec::new();
            for id in tc.ids() {
                let body = scrape(tc.node(id)?.metrics_addr()).await?;
                if single(&body, "meridian_is_leader")?.1 == 1.0 {
                    leaders.push(id);
                }
            }
            Ok((leaders.len() == 1).then_some(()))
        },
    )
    .await?;

    // Phase 4: only GET /metrics is served.
    let addr = tc.node(leader)?.metrics_addr();
    let missing = http(addr, "GET", "/not-metrics").await?;
    assert_eq!(missing.status, 404);
    let post = http(addr, "POST", "/metrics").await?;
    assert_eq!(post.status, 405);
    assert_eq!(post.headers.get("allow").map(String::as_str), Some("GET"));

    // Phase 5: a killed node frees its metrics port (a restart rebinds it: the testkit's
    // restart path, covered by tests/regional_faults.rs).
    let follower = tc.follower_of(leader)?;
    let addr = tc.node(follower)?.metrics_addr();
    tc.kill(follower).await?;
    ensure!(
        TcpStream::connect(addr).await.is_err(),
        "killed node {follower} still accepts on its metrics port"
    );
    tc.shutdown().await;
    Ok(())
}

/// Node `id`'s scrape: `writes` applied and kept, its labels on every regional series, and
/// the standalone role.
async fn reports_its_regional_state(tc: &TestCluster, id: NodeId, writes: u64) -> Result<()> {
    let addr = tc.node(id)?.metrics_addr();
    let body = eventually(
        &format!("node {id} reports applied seq {writes}"),
        LIMIT,
        || async {
            let body = scrape(addr).await?;
            let (_, seq) = single(&body, "meridian_applied_seq")?;
            Ok((seq == writes as f64).then_some(body))
        },
    )
    .await?;
    let labels = format!("cluster=\"test1\",node=\"{id}\"");
    for name in [
        "meridian_up",
        "meridian_applied_seq",
        "meridian_is_leader",
        "meridian_raft_term",
        "meridian_raft_last_log_index",
        "meridian_raft_last_applied_index",
        "meridian_raft_snapshot_index",
        "meridian_backlog_bytes",
        "meridian_keys",
    ] {
        let (l, _) = single(&body, name)?;
        assert_eq!(l, labels, "labels of {name} on node {id}");
    }
    assert_eq!(single(&body, "meridian_up")?.1, 1.0);
    assert_eq!(single(&body, "meridian_keys")?.1, writes as f64);
    assert!(single(&body, "meridian_raft_term")?.1 >= 1.0);
    assert!(single(&body, "meridian_raft_last_applied_index")?.1 >= writes as f64);
    let roles = samples(&body, "meridian_cluster_role");
    let role = |r: &str| roles.get(&format!("{labels},role=\"{r}\"")).copied();
    assert_eq!(role("standalone"), Some(1.0), "{roles:?}");
    assert_eq!(role("primary"), Some(0.0), "{roles:?}");
    assert_eq!(role("secondary"), Some(0.0), "{roles:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_serves_process_and_coordination_metrics() -> Result<()> {
    meridian_testkit::init_tracing();
    let dir = tempfile::tempdir().context("creating temp dir")?;
    // A single voter: it leads the coordination group without reaching anyone.
    let id = 9;
    let mut coord = CoordSpec::for_clusters(&[], &[], 4);
    coord.voters.insert(
        id,
        Node {
            grpc_addr: "127.0.0.1:1".into(),
            resp_addr: String::new(),
        },
    );
    coord.options = fast_coord_options();
    let witness = WitnessNode::bind_and_start(WitnessSpec {
        node_id: id,
        grpc_addr: "127.0.0.1:0".into(),
        metrics_addr: "127.0.0.1:0".into(),
        data_dir: dir.path().join("witness"),
        coord,
        grpc_max_message_bytes: 4 * 1024 * 1024,
        security: Default::default(),
    })
    .await
    .context("starting the witness")?;
    let addr = witness.metrics_addr();
    let result = eventually(
        "the witness reports leading coordination",
        LIMIT,
        || async {
            let body = scrape(addr).await?;
            let labels = format!("node=\"{id}\"");
            ensure!(single(&body, "meridian_up")? == (labels.clone(), 1.0));
            ensure!(
                samples(&body, "meridian_applied_seq").is_empty(),
                "a witness has no regional group"
            );
            Ok(
                (single(&body, "meridian_coord_is_leader")? == (labels.clone(), 1.0)
                    && single(&body, "meridian_coord_leader")? == (labels, id as f64))
                    .then_some(()),
            )
        },
    )
    .await;
    witness.stop().await;
    result
}
