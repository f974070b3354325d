//! TLS on every port and internal services only the deployment's nodes may call (DESIGN.md
//! §10.7): a three-node cluster whose nodes talk Raft over mutual TLS; `redis-cli --tls` and
//! a gRPC client trusting the CA talk to every node; plaintext clients on TLS ports fail
//! cleanly and the nodes keep serving; an outsider with a client certificate, or without the
//! cluster secret, is refused by every internal service and changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use meridian_proto::internal::raft_transport_client::RaftTransportClient;
use meridian_proto::internal::region_forward_client::RegionForwardClient;
use meridian_proto::internal::RaftMessage;
use meridian_proto::v1::key_value_client::KeyValueClient;
use meridian_server::{NodeSecurity, PeerCredentials};
use meridian_testkit::{TestCluster, TestClusterOptions};
use meridian_tls::devca::DevCa;
use meridian_tls::{ClientAuth, ClusterSecret, PortKind, PortSecurity, Tls, TlsPaths};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

const NODES: u64 = 3;

/// A development CA, a certificate per node, and one client certificate, on disk.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Result<Pki> {
        let dir = tempfile::tempdir()?;
        let ca = DevCa::generate("security test", 30)?;
        write(dir.path(), "ca", &ca.ca().cert_pem, &ca.ca().key_pem)?;
        for id in 1..=NODES {
            let issued = ca.issue_node(id, &["127.0.0.1".into()], 30)?;
            write(
                dir.path(),
                &format!("node-{id}"),
                &issued.cert_pem,
                &issued.key_pem,
            )?;
        }
        let client = ca.issue_client("app", 30)?;
        write(dir.path(), "client", &client.cert_pem, &client.key_pem)?;
        Ok(Pki { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn node_tls(&self, id: u64) -> Result<Tls> {
        let paths = TlsPaths {
            cert: self.path(&format!("node-{id}.pem")),
            key: self.path(&format!("node-{id}-key.pem")),
            ca: self.path("ca.pem"),
        };
        Ok(Tls::load(paths, ClientAuth::Optional)?)
    }

    /// Every port TLS, peers called over mutual TLS, internal services closed.
    fn security(&self) -> Result<BTreeMap<u64, NodeSecurity>> {
        let mut out = BTreeMap::new();
        for id in 1..=NODES {
            let tls = self.node_tls(id)?;
            let security = NodeSecurity {
                grpc: PortSecurity::Tls(tls.clone(), PortKind::Grpc),
                metrics: PortSecurity::Tls(tls.clone(), PortKind::Metrics),
                resp_tls: Some((
                    "127.0.0.1:0".into(),
                    PortSecurity::Tls(tls.clone(), PortKind::Resp),
                )),
                peers: PeerCredentials {
                    tls: Some(tls.clone()),
                    secret: None,
                },
                open_internal_services: false,
                reload: None,
            };
            out.insert(id, security);
        }
        Ok(out)
    }

    /// A gRPC channel to `addr` trusting the CA, presenting `identity` (`"client"`,
    /// `"node-1"`) when given.
    async fn channel(&self, addr: &str, identity: Option<&str>) -> Result<Channel> {
        let ca = std::fs::read_to_string(self.path("ca.pem"))?;
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name("127.0.0.1");
        if let Some(name) = identity {
            let cert = std::fs::read_to_string(self.path(&format!("{name}.pem")))?;
            let key = std::fs::read_to_string(self.path(&format!("{name}-key.pem")))?;
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        let channel = Endpoint::from_shared(format!("https://{addr}"))?
            .tls_config(tls)?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .with_context(|| format!("TLS gRPC connection to {addr}"))?;
        Ok(channel)
    }
}

fn write(dir: &Path, name: &str, cert: &str, key: &str) -> Result<()> {
    std::fs::write(dir.join(format!("{name}.pem")), cert)?;
    std::fs::write(dir.join(format!("{name}-key.pem")), key)?;
    Ok(())
}

/// `redis-cli` against `port`, TLS with the CA when `tls`; its stdout, or an error with its
/// stderr.
fn redis_cli(pki: &Pki, port: u16, tls: bool, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
    if tls {
        cmd.arg("--tls").arg("--cacert").arg(pki.path("ca.pem"));
    }
    let out = cmd
        .args(args)
        .output()
        .context("running redis-cli (install redis-tools)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || stdout.is_empty() {
        bail!(
            "redis-cli failed ({}): {stdout} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

async fn tls_cluster(pki: &Pki) -> Result<TestCluster> {
    TestCluster::start(TestClusterOptions {
        security: pki.security()?,
        ..TestClusterOptions::default()
    })
    .await
}

fn resp_tls_port(cluster: &TestCluster, id: u64) -> Result<u16> {
    let addr = cluster
        .node(id)?
        .resp_tls_addr()
        .context("no RESP TLS port")?;
    Ok(addr.port())
}

/// Raft runs over mutual TLS (the cluster elects a leader and replicates); `redis-cli --tls`
/// writes on the leader and reads on every node; a plaintext client on a TLS port fails and
/// the node keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cli_over_tls_talks_to_every_node() -> Result<()> {
    let pki = Pki::new()?;
    let cluster = tls_cluster(&pki).await?;
    let leader = cluster.wait_for_leader(Duration::from_secs(10)).await?;
    let port = resp_tls_port(&cluster, leader)?;
    ensure!(redis_cli(&pki, port, true, &["SET", "k", "over-tls"])? == "OK");
    for id in cluster.ids() {
        let port = resp_tls_port(&cluster, id)?;
        let got = redis_cli(&pki, port, true, &["GET", "k"])?;
        ensure!(got == "over-tls", "node {id} answered {got:?}");
    }
    let reported = redis_cli(&pki, port, true, &["CONFIG", "GET", "tls-port"])?;
    ensure!(
        reported == format!("tls-port\n{port}"),
        "CONFIG GET tls-port: {reported:?}"
    );
    let refused = redis_cli(&pki, port, false, &["PING"]);
    ensure!(
        refused.is_err(),
        "a plaintext PING on the TLS port answered {refused:?}"
    );
    let plain = cluster.resp_addr(leader)?.port();
    ensure!(redis_cli(&pki, plain, false, &["GET", "k"])? == "over-tls");
    ensure!(
        redis_cli(&pki, port, true, &["PING"])? == "PONG",
        "still serving TLS"
    );
    Ok(())
}

/// A gRPC client trusting the CA talks to every node; a plaintext gRPC client on the TLS
/// port gets a connection error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_clients_with_the_ca_talk_to_every_node() -> Result<()> {
    use meridian_proto::v1::{GetRequest, SetRequest};
    let pki = Pki::new()?;
    let cluster = tls_cluster(&pki).await?;
    let leader = cluster.wait_for_leader(Duration::from_secs(10)).await?;
    let addr = cluster.grpc_addr(leader)?.to_string();
    let mut kv = KeyValueClient::new(pki.channel(&addr, None).await?);
    kv.set(SetRequest {
        key: b"g".to_vec().into(),
        value: b"1".to_vec().into(),
        ..Default::default()
    })
    .await?;
    for id in cluster.ids() {
        let addr = cluster.grpc_addr(id)?.to_string();
        let mut kv = KeyValueClient::new(pki.channel(&addr, None).await?);
        let got = kv
            .get(GetRequest {
                key: b"g".to_vec().into(),
                ..Default::default()
            })
            .await?
            .into_inner();
        ensure!(
            got.found && got.value.as_ref() == b"1",
            "node {id}: {got:?}"
        );
    }
    let plain = Endpoint::from_shared(format!("http://{addr}"))?
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await;
    let plain_call = match plain {
        Err(e) => Err(e.to_string()),
        Ok(ch) => KeyValueClient::new(ch)
            .get(GetRequest::default())
            .await
            .map(|_| ())
            .map_err(|s| s.to_string()),
    };
    ensure!(
        plain_call.is_err(),
        "plaintext gRPC on a TLS port succeeded"
    );
    Ok(())
}

/// An outsider holding a client certificate from the deployment's CA calls each internal
/// service with well-formed requests (a SetRole that would wipe the cluster, a Raft vote):
/// every call is refused with UNAUTHENTICATED and the data stays. A node's certificate gets
/// through the same check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_services_refuse_a_client_certificate_and_change_nothing() -> Result<()> {
    let pki = Pki::new()?;
    let cluster = tls_cluster(&pki).await?;
    let leader = cluster.wait_for_leader(Duration::from_secs(10)).await?;
    let port = resp_tls_port(&cluster, leader)?;
    ensure!(redis_cli(&pki, port, true, &["SET", "keep", "me"])? == "OK");
    let addr = cluster.grpc_addr(leader)?.to_string();
    let outsider = pki.channel(&addr, Some("client")).await?;
    for (what, status) in attack(outsider, leader).await {
        ensure!(
            status.code() == tonic::Code::Unauthenticated,
            "{what}: {status:?}"
        );
    }
    for id in cluster.ids() {
        let port = resp_tls_port(&cluster, id)?;
        ensure!(
            redis_cli(&pki, port, true, &["GET", "keep"])? == "me",
            "node {id} lost data"
        );
    }
    ensure!(cluster.wait_for_leader(Duration::from_secs(5)).await? == leader);
    let node = pki.channel(&addr, Some("node-2")).await?;
    let (_, status) = attack(node, leader).await.remove(1);
    ensure!(
        status.code() != tonic::Code::Unauthenticated,
        "a node certificate must get through the guard: {status:?}"
    );
    Ok(())
}

/// Calls internal services as `channel`'s holder; returns each refusal (a call that succeeds
/// is turned into an OK status).
async fn attack(channel: Channel, target: u64) -> Vec<(&'static str, tonic::Status)> {
    let wipe = bincode::serialize(&(meridian_types::ClusterRole::Standalone, true, 1u64))
        .unwrap_or_default();
    let set_role = RaftMessage {
        group: "region.test1".into(),
        target,
        payload: wipe.into(),
    };
    let vote = RaftMessage {
        group: "region.test1".into(),
        target,
        payload: Vec::new().into(),
    };
    let status = |r: Result<tonic::Response<RaftMessage>, tonic::Status>| {
        r.err().unwrap_or_else(|| tonic::Status::ok(""))
    };
    vec![
        (
            "RegionForward.SetRole",
            status(
                RegionForwardClient::new(channel.clone())
                    .set_role(set_role)
                    .await,
            ),
        ),
        (
            "RaftTransport.Vote",
            status(RaftTransportClient::new(channel).vote(vote).await),
        ),
    ]
}

/// Without TLS, the cluster secret: nodes that share it form the cluster; a caller without
/// it, or with a wrong one, is refused by the internal services.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_internal_calls_need_the_cluster_secret() -> Result<()> {
    let secret = ClusterSecret::generate()?;
    let security = NodeSecurity {
        peers: PeerCredentials {
            tls: None,
            secret: Some(secret.clone()),
        },
        open_internal_services: false,
        ..NodeSecurity::default()
    };
    let cluster = TestCluster::start(TestClusterOptions {
        security: (1..=NODES).map(|id| (id, security.clone())).collect(),
        ..TestClusterOptions::default()
    })
    .await?;
    let leader = cluster.wait_for_leader(Duration::from_secs(10)).await?;
    let addr = cluster.grpc_addr(leader)?.to_string();
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    for (what, status) in attack(channel.clone(), leader).await {
        ensure!(
            status.code() == tonic::Code::Unauthenticated,
            "{what}: {status:?}"
        );
    }
    let wrong = meridian_server::PeerChannel::new(
        channel,
        meridian_server::SecretHeader::new(ClusterSecret::generate().ok().as_ref()),
    );
    let vote = RaftMessage {
        group: "region.test1".into(),
        target: leader,
        payload: Vec::new().into(),
    };
    let status = RaftTransportClient::new(wrong).vote(vote).await.err();
    ensure!(
        status.as_ref().map(|s| s.code()) == Some(tonic::Code::Unauthenticated),
        "a wrong secret: {status:?}"
    );
    let mut kv = cluster.kv(leader).await?;
    kv.set(meridian_proto::v1::SetRequest {
        key: b"s".to_vec().into(),
        value: b"1".to_vec().into(),
        ..Default::default()
    })
    .await
    .context("the cluster still takes writes")?;
    Ok(())
}
