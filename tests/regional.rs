//! A three-node regional cluster commits writes and serves them back through gRPC, with every
//! consistency level, and expires keys the same way on every node.

use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_testkit::{eventually, TestCluster, TestClusterOptions};

fn key(i: usize) -> Bytes {
    Bytes::from(format!("key:{i}"))
}

fn read(consistency: pb::Consistency, min_seq: u64) -> Option<pb::ReadOptions> {
    Some(pb::ReadOptions {
        consistency: consistency as i32,
        min_seq,
    })
}

/// The gRPC client of one node.
type Kv = pb::key_value_client::KeyValueClient<tonic::transport::Channel>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_commit_writes_and_read_them_back_on_every_node() -> Result<()> {
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let follower = *tc
        .ids()
        .iter()
        .find(|id| **id != leader)
        .context("a follower")?;

    // Phase 1: writes through the leader and through a follower (forwarded, no redirect).
    let mut last_seq = 0;
    for i in 0..50 {
        let via = if i % 2 == 0 { leader } else { follower };
        let r = tc
            .kv(via)
            .await?
            .set(pb::SetRequest {
                key: key(i),
                value: Bytes::from(format!("value-{i}")),
                ..Default::default()
            })
            .await?
            .into_inner();
        assert!(r.applied, "SET {i} via node {via} not applied");
        assert!(
            r.seq > last_seq,
            "seq must grow: {} after {last_seq}",
            r.seq
        );
        last_seq = r.seq;
    }

    // Phase 2: linearizable reads on every node see every acknowledged write.
    for id in tc.ids() {
        let mut kv = tc.kv(id).await?;
        for i in 0..50 {
            let r = kv
                .get(pb::GetRequest {
                    key: key(i),
                    read: read(pb::Consistency::Linearizable, 0),
                })
                .await?
                .into_inner();
            assert!(r.found, "node {id} lost key {i}");
            assert_eq!(r.value, Bytes::from(format!("value-{i}")));
        }
    }

    // Phase 3: a local read with min_seq on a follower waits until it has applied that seq.
    let r = tc
        .kv(follower)
        .await?
        .get(pb::GetRequest {
            key: key(49),
            read: read(pb::Consistency::Local, last_seq),
        })
        .await?
        .into_inner();
    assert!(r.found && r.seq >= last_seq);

    let mut kv = tc.kv(follower).await?;
    the_other_typed_operations(&mut kv).await?;
    scan_visits_every_key_once(&mut kv).await?;
    a_batch_is_atomic_and_ordered(&mut kv).await?;
    tc.shutdown().await;
    Ok(())
}

/// INCR, SET NX, MGET, EXISTS and DELETE on the keys the test wrote.
async fn the_other_typed_operations(kv: &mut Kv) -> Result<()> {
    let incr = kv
        .incr(pb::IncrRequest {
            key: Bytes::from_static(b"counter"),
            delta: 5,
        })
        .await?
        .into_inner();
    assert_eq!(incr.value, 5);
    let nx = kv
        .set(pb::SetRequest {
            key: key(0),
            value: Bytes::from_static(b"other"),
            condition: pb::SetCondition::IfAbsent as i32,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(!nx.applied, "SET NX on an existing key must not apply");
    let m = kv
        .m_get(pb::MGetRequest {
            keys: vec![key(0), Bytes::from_static(b"missing")],
            read: None,
        })
        .await?
        .into_inner();
    assert!(m.values[0].found && !m.values[1].found);
    let ex = kv
        .exists(pb::ExistsRequest {
            keys: vec![key(1), key(2), Bytes::from_static(b"missing")],
            read: None,
        })
        .await?
        .into_inner();
    assert_eq!(ex.count, 2);
    let del = kv
        .delete(pb::DeleteRequest {
            keys: vec![key(1), Bytes::from_static(b"missing")],
        })
        .await?
        .into_inner();
    assert_eq!(del.deleted, 1);
    Ok(())
}

/// The 49 keys left, each exactly once.
async fn scan_visits_every_key_once(kv: &mut Kv) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = 0;
    loop {
        let r = kv
            .scan(pb::ScanRequest {
                cursor,
                r#match: "key:*".into(),
                count: 7,
                read: None,
            })
            .await?
            .into_inner();
        for k in r.keys {
            assert!(seen.insert(k), "scan returned a key twice");
        }
        if r.next_cursor == 0 {
            break;
        }
        cursor = r.next_cursor;
    }
    assert_eq!(seen.len(), 49);
    Ok(())
}

/// A batch's reads see its earlier writes.
async fn a_batch_is_atomic_and_ordered(kv: &mut Kv) -> Result<()> {
    let b = kv
        .batch(pb::BatchRequest {
            ops: vec![
                op_set("batch:a", "1"),
                pb::BatchOp {
                    op: Some(pb::batch_op::Op::Incr(pb::IncrRequest {
                        key: Bytes::from_static(b"batch:a"),
                        delta: 41,
                    })),
                },
                pb::BatchOp {
                    op: Some(pb::batch_op::Op::Get(pb::GetRequest {
                        key: Bytes::from_static(b"batch:a"),
                        read: None,
                    })),
                },
            ],
        })
        .await?
        .into_inner();
    match &b.results[2].result {
        Some(pb::batch_result::Result::Get(g)) => assert_eq!(g.value, Bytes::from_static(b"42")),
        other => panic!("unexpected batch result {other:?}"),
    }
    Ok(())
}

fn op_set(k: &str, v: &str) -> pb::BatchOp {
    pb::BatchOp {
        op: Some(pb::batch_op::Op::Set(pb::SetRequest {
            key: Bytes::from(k.to_string()),
            value: Bytes::from(v.to_string()),
            ..Default::default()
        })),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ttls_expire_the_same_way_on_every_node_and_expired_keys_are_never_returned() -> Result<()>
{
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let mut kv = tc.kv(leader).await?;
    let set = kv
        .set(pb::SetRequest {
            key: Bytes::from_static(b"short"),
            value: Bytes::from_static(b"v"),
            expiry: Some(pb::set_request::Expiry::PxMillis(400)),
            ..Default::default()
        })
        .await?
        .into_inner();
    kv.set(pb::SetRequest {
        key: Bytes::from_static(b"forever"),
        value: Bytes::from_static(b"v"),
        ..Default::default()
    })
    .await?;
    let ttl = kv
        .ttl(pb::TtlRequest {
            key: Bytes::from_static(b"short"),
            read: None,
        })
        .await?
        .into_inner();
    assert!(
        ttl.ttl_millis > 0 && ttl.ttl_millis <= 400,
        "ttl {}",
        ttl.ttl_millis
    );
    let written_at = std::time::Instant::now();

    // Every node hides the key once its TTL passed, even before the leader's deletion reaches
    // it; and every node eventually deletes it physically, at the same log position.
    eventually(
        "the key to be deleted on every node",
        Duration::from_secs(10),
        || async {
            let mut all_deleted = true;
            for id in tc.ids() {
                let r = tc
                    .kv(id)
                    .await?
                    .get(pb::GetRequest {
                        key: Bytes::from_static(b"short"),
                        read: read(pb::Consistency::Local, set.seq),
                    })
                    .await?
                    .into_inner();
                if written_at.elapsed() > Duration::from_millis(450) {
                    assert!(!r.found, "node {id} returned a key past its TTL");
                }
                let stored = tc.group(id)?.sm().read(|ks| ks.len());
                all_deleted &= stored == 1;
            }
            Ok(all_deleted.then_some(()))
        },
    )
    .await?;
    let seqs: Vec<u64> = tc
        .ids()
        .iter()
        .map(|id| tc.group(*id).map(|g| g.sm().seq()))
        .collect::<Result<_>>()?;
    assert!(
        seqs.windows(2).all(|w| w[0] == w[1]),
        "nodes disagree on seq after expiry: {seqs:?}"
    );
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secondary_cluster_refuses_writes_on_every_node_and_still_serves_reads() -> Result<()> {
    use meridian_types::ClusterRole;
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let follower = *tc
        .ids()
        .iter()
        .find(|id| **id != leader)
        .context("a follower")?;
    tc.kv(leader)
        .await?
        .set(pb::SetRequest {
            key: key(1),
            value: Bytes::from_static(b"before"),
            ..Default::default()
        })
        .await?;

    // The role change goes through a follower (forwarded) and lands on every node.
    let secondary = ClusterRole::Secondary {
        datastore: "gds1".into(),
        epoch: 1,
        source: "use1".into(),
    };
    let seq = tc
        .group(follower)?
        .set_role(secondary.clone(), false, 0)
        .await?;
    for id in tc.ids() {
        let g = tc.group(id)?;
        eventually("the role to be applied", Duration::from_secs(5), || async {
            Ok((g.sm().seq() >= seq && g.role() == secondary).then_some(()))
        })
        .await?;
        let e = tc
            .kv(id)
            .await?
            .set(pb::SetRequest {
                key: key(2),
                value: Bytes::from_static(b"refused"),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            tonic::Code::FailedPrecondition,
            "node {id}: {e:?}"
        );
        assert!(
            e.message().contains("primary cluster use1"),
            "{}",
            e.message()
        );
        let r = tc
            .kv(id)
            .await?
            .get(pb::GetRequest {
                key: key(1),
                read: read(pb::Consistency::Local, 0),
            })
            .await?
            .into_inner();
        assert_eq!(
            r.value,
            Bytes::from_static(b"before"),
            "node {id} must still serve reads"
        );
    }

    // Back to standalone: writes are accepted again.
    tc.group(leader)?
        .set_role(ClusterRole::Standalone, false, 0)
        .await?;
    tc.kv(follower)
        .await?
        .set(pb::SetRequest {
            key: key(2),
            value: Bytes::from_static(b"accepted"),
            ..Default::default()
        })
        .await?;
    tc.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_answers_grpc_health_checks() -> Result<()> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    for id in tc.ids() {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{}", tc.grpc_addr(id)?))?
            .connect()
            .await?;
        let status = HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: "meridian.v1.KeyValue".into(),
            })
            .await?
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "node {id}");
    }
    tc.shutdown().await;
    Ok(())
}
