//! Bad input gets a clear error and changes nothing.

use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_server::EdgeLimits;
use meridian_testkit::{TestCluster, TestClusterOptions};
use tonic::Code;

/// The gRPC client of one node.
type Kv = pb::key_value_client::KeyValueClient<tonic::transport::Channel>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_requests_get_clear_errors_and_change_nothing() -> Result<()> {
    let opts = TestClusterOptions {
        limits: EdgeLimits {
            max_key_bytes: 64,
            max_value_bytes: 1024,
            ..EdgeLimits::default()
        },
        ..TestClusterOptions::default()
    };
    let tc = TestCluster::start(opts).await?;
    let leader = tc.wait_for_leader(Duration::from_secs(10)).await?;
    let mut kv = tc.kv(leader).await?;
    let seq_of = |tc: &TestCluster| tc.group(leader).map(|g| g.sm().seq());

    // A hash and a non-numeric string to misuse.
    tc.group(leader)?
        .write(vec![
            ["HSET", "h", "f", "v"]
                .map(|s| Bytes::from(s.to_string()))
                .to_vec(),
            ["SET", "s", "text"]
                .map(|s| Bytes::from(s.to_string()))
                .to_vec(),
        ])
        .await?;
    let before = seq_of(&tc)?;

    wrong_type_and_not_an_integer(&mut kv).await;
    over_the_limits(&mut kv).await;
    bad_enum_values(&mut kv).await;
    an_expire_without_a_time_and_an_empty_batch(&mut kv).await;
    a_min_seq_never_reached_times_out(&mut kv, before).await;

    // Nothing above changed the data.
    assert_eq!(seq_of(&tc)?, before, "a refused request advanced the seq");
    let s = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"s"),
            read: None,
        })
        .await?
        .into_inner();
    assert_eq!(s.value, Bytes::from_static(b"text"));
    tc.shutdown().await;
    Ok(())
}

/// String operations on a hash; INCR of a non-numeric string.
async fn wrong_type_and_not_an_integer(kv: &mut Kv) {
    let e = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"h"),
            read: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().starts_with("WRONGTYPE"), "{}", e.message());
    let e = kv
        .incr(pb::IncrRequest {
            key: Bytes::from_static(b"h"),
            delta: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    let e = kv
        .incr(pb::IncrRequest {
            key: Bytes::from_static(b"s"),
            delta: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(e.message(), "ERR value is not an integer or out of range");
}

/// A key and a value one byte over their limits.
async fn over_the_limits(kv: &mut Kv) {
    let e = kv
        .set(pb::SetRequest {
            key: Bytes::from(vec![b'k'; 65]),
            value: Bytes::from_static(b"v"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("limits.max_key_bytes"),
        "{}",
        e.message()
    );
    let e = kv
        .set(pb::SetRequest {
            key: Bytes::from_static(b"big"),
            value: Bytes::from(vec![b'v'; 1025]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        e.message().contains("limits.max_value_bytes"),
        "{}",
        e.message()
    );
}

/// An unknown consistency level and an unknown SET condition.
async fn bad_enum_values(kv: &mut Kv) {
    let e = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"s"),
            read: Some(pb::ReadOptions {
                consistency: 42,
                min_seq: 0,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("unknown consistency level 42"));
    let e = kv
        .set(pb::SetRequest {
            key: Bytes::from_static(b"s"),
            value: Bytes::from_static(b"v"),
            condition: 9,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}

async fn an_expire_without_a_time_and_an_empty_batch(kv: &mut Kv) {
    let e = kv
        .expire(pb::ExpireRequest {
            key: Bytes::from_static(b"s"),
            when: None,
            condition: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let e = kv
        .batch(pb::BatchRequest { ops: vec![] })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}

/// A min_seq the cluster never reaches times out with a clear error.
async fn a_min_seq_never_reached_times_out(kv: &mut Kv, seq: u64) {
    let e = kv
        .get(pb::GetRequest {
            key: Bytes::from_static(b"s"),
            read: Some(pb::ReadOptions {
                consistency: pb::Consistency::Local as i32,
                min_seq: seq + 1_000_000,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{}", e.message());
}
