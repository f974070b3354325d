//! Redis ACL users as replicated state (DESIGN.md §9): a user made on any node of a cluster
//! logs in on every node, with its rules enforced there; deleting it closes its connections;
//! a restarted node still has it; users ship to secondary clusters, which refuse to change
//! them, and a promoted secondary accepts the same users and manages them from then on; gRPC
//! callers are the same users (`authorization: Basic` metadata).

use meridian_testkit::{TestCluster, TestClusterOptions};

use crate::global_datastores::support::*;

/// One connection, commands in order: the first line of each reply (`None` once the node
/// closed the connection).
struct Session {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Session {
    async fn open(addr: SocketAddr) -> Result<Session> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        Ok(Session {
            stream,
            buf: Vec::new(),
        })
    }

    async fn line(&mut self, args: &[&str]) -> Result<Option<String>> {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        if self.stream.write_all(req.as_bytes()).await.is_err() {
            return Ok(None);
        }
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(Some(line));
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .context("no reply")?
                .unwrap_or(0);
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn expect(&mut self, args: &[&str], want: &str) -> Result<()> {
        let got = self.line(args).await?;
        ensure!(
            got.as_deref() == Some(want),
            "{args:?}: got {got:?}, want {want:?}"
        );
        Ok(())
    }
}

/// Waits until `AUTH user pass` on a fresh connection to `addr` answers `want`.
async fn auth_answers(addr: SocketAddr, user: &str, pass: &str, want: &str) -> Result<()> {
    eventually(
        &format!("AUTH {user} on {addr} -> {want}"),
        WAIT,
        || async {
            let line = resp_line(addr, &["AUTH", user, pass]).await?;
            Ok((line == want).then_some(()))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_made_on_any_node_log_in_on_every_node_with_their_rules() -> Result<()> {
    let mut tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(WAIT).await?;
    let follower = tc.follower_of(leader)?;

    phase("a user made on the leader, another through a follower");
    let mut admin = Session::open(tc.resp_addr(leader)?).await?;
    admin
        .expect(
            &["ACL", "SETUSER", "alice", "on", ">pw", "~a:*", "+@string"],
            "+OK",
        )
        .await?;
    let mut via_follower = Session::open(tc.resp_addr(follower)?).await?;
    via_follower
        .expect(
            &["ACL", "SETUSER", "bob", "on", ">pb", "~*", "+@all"],
            "+OK",
        )
        .await?;
    for id in tc.ids() {
        let addr = tc.resp_addr(id)?;
        auth_answers(addr, "alice", "pw", "+OK").await?;
        auth_answers(addr, "bob", "pb", "+OK").await?;
        auth_answers(
            addr,
            "alice",
            "wrong",
            "-WRONGPASS invalid username-password pair or user is disabled.",
        )
        .await?;
    }

    phase("alice's rules hold on a follower, and refusals are in its ACL LOG");
    let mut alice = Session::open(tc.resp_addr(follower)?).await?;
    alice.expect(&["AUTH", "alice", "pw"], "+OK").await?;
    alice.expect(&["SET", "a:1", "v"], "+OK").await?;
    alice
        .expect(
            &["SET", "b:1", "v"],
            "-NOPERM this user has no permissions to access one of the keys used as arguments",
        )
        .await?;
    alice
        .expect(
            &["HSET", "a:h", "f", "v"],
            "-NOPERM this user has no permissions to run the 'hset' command",
        )
        .await?;
    let mut watcher = Session::open(tc.resp_addr(follower)?).await?;
    watcher.expect(&["ACL", "LOG", "1"], "*1").await?;
    ensure!(
        resp_line(tc.resp_addr(leader)?, &["EXISTS", "b:1"]).await? == ":0",
        "a refused write changed nothing"
    );

    phase("deleting alice closes her connection on the follower");
    admin.expect(&["ACL", "DELUSER", "alice"], ":1").await?;
    // Closed once the follower applied the deletion, idle or not; until then her commands
    // may still be answered.
    let deadline = tokio::time::Instant::now() + WAIT;
    while alice.line(&["PING"]).await?.is_some() {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "alice's connection still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for id in tc.ids() {
        let addr = tc.resp_addr(id)?;
        auth_answers(
            addr,
            "alice",
            "pw",
            "-WRONGPASS invalid username-password pair or user is disabled.",
        )
        .await?;
    }

    phase("a restarted node still has bob");
    tc.stop(follower).await?;
    tc.restart(follower).await?;
    auth_answers(tc.resp_addr(follower)?, "bob", "pb", "+OK").await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_ship_to_secondaries_and_a_promoted_secondary_manages_them() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    datastore_with(&d, &["euw1"]).await?;
    let primary = d.cluster_ids("use1")?;
    let secondary = d.cluster_ids("euw1")?;

    phase("a user made on the primary logs in on every secondary node");
    let line = resp_line(
        d.resp_addr(primary[0])?,
        &["ACL", "SETUSER", "carol", "on", ">pc", "~*", "+@all"],
    )
    .await?;
    ensure!(line == "+OK", "SETUSER on the primary: {line}");
    for id in &secondary {
        auth_answers(d.resp_addr(*id)?, "carol", "pc", "+OK").await?;
    }

    phase("a secondary refuses to change users");
    let line = resp_line(
        d.resp_addr(secondary[0])?,
        &["ACL", "SETUSER", "dave", "on", ">pd"],
    )
    .await?;
    ensure!(
        line.starts_with("-READONLY"),
        "SETUSER on a secondary: {line}"
    );

    phase("after a failover, euw1 keeps carol and takes new users");
    datastore(failover(&d, 1, "gds1", "euw1").await).context("failover")?;
    wait_failover_done(&d, 1, "gds1").await?;
    eventually("euw1 takes ACL changes", WAIT, || async {
        let line = resp_line(
            d.resp_addr(secondary[0])?,
            &["ACL", "SETUSER", "erin", "on", ">pe", "~*", "+@all"],
        )
        .await?;
        Ok((line == "+OK").then_some(()))
    })
    .await?;
    for id in secondary.iter().chain(&primary) {
        auth_answers(d.resp_addr(*id)?, "carol", "pc", "+OK").await?;
        auth_answers(d.resp_addr(*id)?, "erin", "pe", "+OK").await?;
    }
    Ok(())
}

/// A `KeyValue.Set` with `authorization: Basic base64(user:pass)` when `creds` is given.
async fn grpc_set(
    tc: &TestCluster,
    id: NodeId,
    creds: Option<&str>,
    key: &str,
) -> std::result::Result<(), tonic::Status> {
    use base64::Engine;
    let mut kv = tc
        .kv(id)
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut req = tonic::Request::new(pb::SetRequest {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::from_static(b"v"),
        ..Default::default()
    });
    if let Some(creds) = creds {
        let encoded = base64::engine::general_purpose::STANDARD.encode(creds);
        let value = format!("Basic {encoded}")
            .parse()
            .map_err(|_| tonic::Status::internal("metadata value"))?;
        req.metadata_mut().insert("authorization", value);
    }
    kv.set(req).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grpc_callers_are_the_same_users_as_resp_clients() -> Result<()> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(WAIT).await?;
    let follower = tc.follower_of(leader)?;

    phase("while default needs no password, a call without credentials runs as default");
    grpc_set(&tc, follower, None, "k0")
        .await
        .map_err(|s| anyhow!("{s}"))?;

    phase("once default has a password, every node wants credentials");
    let mut admin = Session::open(tc.resp_addr(leader)?).await?;
    admin
        .expect(
            &["ACL", "SETUSER", "alice", "on", ">pw", "~a:*", "+@write"],
            "+OK",
        )
        .await?;
    admin
        .expect(
            &["ACL", "SETUSER", "default", "resetpass", ">adminpw"],
            "+OK",
        )
        .await?;
    for id in tc.ids() {
        eventually(&format!("node {id} wants credentials"), WAIT, || async {
            let refused = grpc_set(&tc, id, None, "k1").await.err();
            Ok(refused
                .filter(|s| s.code() == Code::Unauthenticated)
                .map(|_| ()))
        })
        .await?;
    }
    let wrong = grpc_set(&tc, follower, Some("alice:nope"), "a:1").await;
    ensure!(
        wrong.as_ref().err().map(tonic::Status::code) == Some(Code::Unauthenticated),
        "a wrong password: {wrong:?}"
    );

    phase("alice may write her keys and nothing else");
    grpc_set(&tc, follower, Some("alice:pw"), "a:1")
        .await
        .map_err(|s| anyhow!("alice on a:1: {s}"))?;
    let denied = grpc_set(&tc, follower, Some("alice:pw"), "b:1").await;
    let status = denied.err().context("alice wrote b:1")?;
    ensure!(
        status.code() == Code::PermissionDenied
            && status.message()
                == "NOPERM this user has no permissions to access one of the keys used as arguments",
        "alice on b:1: {status:?}"
    );
    grpc_set(&tc, follower, Some("default:adminpw"), "b:1")
        .await
        .map_err(|s| anyhow!("default on b:1: {s}"))?;
    tc.shutdown().await;
    Ok(())
}
