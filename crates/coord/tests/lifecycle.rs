//! Three coordination voters in one process: the Global Datastore lifecycle through gRPC and
//! the client, a leader killed mid-operation, and the lease rule.

mod common;

use std::time::Duration;

use anyhow::Context;
use common::Voters;
use meridian_coord::grpc::GlobalDatastoresClient;
use meridian_coord::{CoordError, CoordHandle};
use meridian_proto::v1 as pb;
use meridian_types::{ControlError, DatastoreStatus, MemberStatus};
use tonic::Code;

async fn grpc(addr: &str) -> anyhow::Result<GlobalDatastoresClient<tonic::transport::Channel>> {
    Ok(GlobalDatastoresClient::connect(format!("http://{addr}")).await?)
}

fn summary(d: &pb::GlobalDatastore) -> (String, Vec<(String, String, String)>) {
    (
        d.status.clone(),
        d.members
            .iter()
            .map(|m| (m.cluster.clone(), m.role.clone(), m.status.clone()))
            .collect(),
    )
}

fn m(c: &str, role: &str, status: &str) -> (String, String, String) {
    (c.into(), role.into(), status.into())
}

type Api = GlobalDatastoresClient<tonic::transport::Channel>;

/// The datastore `g` as the API describes it.
async fn describe(api: &Api) -> anyhow::Result<pb::GlobalDatastore> {
    let r = api
        .clone()
        .describe(pb::DescribeGlobalDatastoresRequest { id: "g".into() })
        .await?
        .into_inner();
    r.datastores.into_iter().next().context("one datastore")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_create_add_modify_disassociate_delete() -> anyhow::Result<()> {
    let voters = Voters::start(3).await?;
    let leader = voters.leader().await?;
    // The operator talks to a follower: it forwards to the leader.
    let follower = voters.followers(leader)[0];
    let mut api = grpc(&voters.get(follower).addr).await?;
    let reconciler = voters.client();

    create_up_to_primary_only(&mut api, &reconciler).await?;
    add_two_secondaries(&mut api, &reconciler).await?;
    modify_description_and_auto_failover(&mut api).await?;
    rules_surface_as_grpc_codes(&mut api).await?;
    disassociate_both_secondaries(&mut api, &reconciler).await?;
    delete_until_gone(&mut api, &reconciler).await?;

    // every voter applied the same history
    let state = voters.converged().await?;
    assert!(state.datastores.is_empty());
    assert_eq!(state.clusters.len(), 3);
    voters.stop_all().await;
    Ok(())
}

/// Phase: create → creating; the primary comes up → primary-only.
async fn create_up_to_primary_only(api: &mut Api, reconciler: &CoordHandle) -> anyhow::Result<()> {
    let created = api
        .create(pb::CreateGlobalDatastoreRequest {
            id: "g".into(),
            description: "orders".into(),
            primary_cluster: "use1".into(),
            auto_failover: None,
        })
        .await?
        .into_inner()
        .datastore
        .context("datastore")?;
    assert_eq!(
        summary(&created),
        ("creating".into(), vec![m("use1", "primary", "associating")])
    );
    assert_eq!(created.epoch, 1);
    reconciler.member_ready("g", "use1", 1).await?;
    let d = describe(api).await?;
    assert_eq!(
        summary(&d),
        (
            "primary-only".into(),
            vec![m("use1", "primary", "associated")]
        )
    );
    Ok(())
}

/// Phase: add two secondaries, each visible as associating (a second modification meanwhile is
/// refused), then associated; then their progress reports show.
async fn add_two_secondaries(api: &mut Api, reconciler: &CoordHandle) -> anyhow::Result<()> {
    for (s, others) in [
        ("euw1", vec![]),
        ("aps1", vec![m("euw1", "secondary", "associated")]),
    ] {
        api.add_secondary(pb::AddSecondaryRequest {
            id: "g".into(),
            cluster: s.into(),
        })
        .await?;
        let d = describe(api).await?;
        let mut want = vec![m("use1", "primary", "associated")];
        want.extend(others.clone());
        want.push(m(s, "secondary", "associating"));
        assert_eq!(summary(&d), ("modifying".into(), want.clone()));
        let busy = api
            .modify(pb::ModifyGlobalDatastoreRequest {
                id: "g".into(),
                description: Some("x".into()),
                auto_failover: None,
            })
            .await
            .err()
            .context("a modification while another runs is refused")?;
        assert_eq!(busy.code(), Code::FailedPrecondition, "{busy:?}");
        reconciler.member_ready("g", s, 1).await?;
        let d = describe(api).await?;
        assert_eq!(d.status, "available");
        assert_eq!(
            d.members.last().map(|m| m.status.as_str()),
            Some("associated")
        );
    }
    reconciler
        .report_applied_seq("g", "euw1", 1, (17, 3, 0, true))
        .await?;
    let d = describe(api).await?;
    let euw1 = d
        .members
        .iter()
        .find(|m| m.cluster == "euw1")
        .context("euw1")?;
    assert_eq!((euw1.applied_seq, euw1.lag_ms, euw1.lag_seq), (17, 3, 0));
    Ok(())
}

/// Phase: modify (description, auto-failover).
async fn modify_description_and_auto_failover(api: &mut Api) -> anyhow::Result<()> {
    let modified = api
        .modify(pb::ModifyGlobalDatastoreRequest {
            id: "g".into(),
            description: Some("orders, global".into()),
            auto_failover: Some(pb::AutoFailoverPolicy {
                enabled: true,
                after_ms: 30_000,
            }),
        })
        .await?
        .into_inner()
        .datastore
        .context("datastore")?;
    assert_eq!(modified.description, "orders, global");
    assert_eq!(
        modified.auto_failover.map(|a| (a.enabled, a.after_ms)),
        Some((true, 30_000))
    );
    Ok(())
}

/// Phase: the control plane's rules surface as gRPC codes.
async fn rules_surface_as_grpc_codes(api: &mut Api) -> anyhow::Result<()> {
    let dup = api
        .create(pb::CreateGlobalDatastoreRequest {
            id: "g".into(),
            primary_cluster: "use1".into(),
            ..Default::default()
        })
        .await
        .err()
        .context("a duplicate is refused")?;
    assert_eq!(dup.code(), Code::AlreadyExists);
    let unknown = api
        .add_secondary(pb::AddSecondaryRequest {
            id: "nope".into(),
            cluster: "euw1".into(),
        })
        .await
        .err()
        .context("an unknown datastore is refused")?;
    assert_eq!(unknown.code(), Code::NotFound);
    let remain = api
        .delete(pb::DeleteGlobalDatastoreRequest { id: "g".into() })
        .await
        .err()
        .context("a delete with secondaries remaining is refused")?;
    assert_eq!(remain.code(), Code::FailedPrecondition);
    assert!(
        remain.message().contains("disassociate"),
        "{}",
        remain.message()
    );
    let fo = api
        .failover(pb::FailoverGlobalDatastoreRequest {
            id: "g".into(),
            to_cluster: String::new(),
            force: false,
        })
        .await
        .err()
        .context("a planned failover names its target")?;
    assert_eq!(fo.code(), Code::InvalidArgument, "{fo:?}");
    Ok(())
}

/// Phase: disassociate both secondaries, each visible as disassociating until removed.
async fn disassociate_both_secondaries(
    api: &mut Api,
    reconciler: &CoordHandle,
) -> anyhow::Result<()> {
    for s in ["euw1", "aps1"] {
        api.disassociate(pb::DisassociateRequest {
            id: "g".into(),
            cluster: s.into(),
        })
        .await?;
        let d = describe(api).await?;
        assert_eq!(d.status, "modifying");
        assert_eq!(
            d.members
                .iter()
                .find(|m| m.cluster == s)
                .map(|m| m.status.as_str()),
            Some("disassociating")
        );
        reconciler.member_removed("g", s).await?;
        let d = describe(api).await?;
        assert!(d.members.iter().all(|m| m.cluster != s));
    }
    let d = describe(api).await?;
    assert_eq!(
        summary(&d),
        (
            "primary-only".into(),
            vec![m("use1", "primary", "associated")]
        )
    );
    Ok(())
}

/// Phase: delete → deleting → gone.
async fn delete_until_gone(api: &mut Api, reconciler: &CoordHandle) -> anyhow::Result<()> {
    let deleting = api
        .delete(pb::DeleteGlobalDatastoreRequest { id: "g".into() })
        .await?
        .into_inner()
        .datastore
        .context("datastore")?;
    assert_eq!(deleting.status, "deleting");
    reconciler.datastore_deleted("g").await?;
    let all = api
        .describe(pb::DescribeGlobalDatastoresRequest::default())
        .await?
        .into_inner();
    assert!(all.datastores.is_empty());
    let gone = api
        .describe(pb::DescribeGlobalDatastoresRequest { id: "g".into() })
        .await
        .err()
        .context("a deleted datastore is gone")?;
    assert_eq!(gone.code(), Code::NotFound);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_mid_operation_leaves_a_consistent_state() -> anyhow::Result<()> {
    let mut voters = Voters::start(3).await?;
    let leader = voters.leader().await?;
    let client = voters.client();
    client
        .create("g", "", "use1", meridian_types::AutoFailover::Off)
        .await?;
    client.member_ready("g", "use1", 1).await?;
    // The old leader grants the primary a lease (stamped after this instant).
    let asked_at = std::time::Instant::now();
    client
        .grant_lease("g", "use1", 1, Duration::from_secs(60), 0)
        .await?;

    // phase: start an add-secondary through a follower and kill the leader meanwhile
    let follower = voters.followers(leader)[0];
    let through: CoordHandle = voters.get(follower).group.clone().into();
    let op = tokio::spawn(async move { through.add_secondary("g", "euw1").await });
    tokio::time::sleep(Duration::from_millis(2)).await;
    voters.kill(leader).await;
    // The next leader is elected after this instant.
    let outcome = op.await?;
    eprintln!("add-secondary while the leader died: {outcome:?}");
    match &outcome {
        Ok(d) => assert_eq!(
            d.member("euw1").map(|m| m.status),
            Some(MemberStatus::Associating)
        ),
        Err(e) => assert!(
            matches!(
                e,
                CoordError::OutcomeUnknown | CoordError::NoLeader | CoordError::Timeout { .. }
            ),
            "unclean failure: {e:?}"
        ),
    }

    // phase: a new leader answers; describe is consistent with the outcome on every survivor
    let new_leader = voters.leader().await?;
    assert_ne!(new_leader, leader);
    let d = client.describe(Some("g")).await?.remove(0);
    let state = voters.converged().await?;
    assert_eq!(state.datastore("g")?, &d);
    match (&outcome, d.member("euw1")) {
        (Ok(_), Some(_)) | (Err(_), _) => {}
        (Ok(_), None) => panic!("an acknowledged add-secondary was lost"),
    }
    if d.member("euw1").is_none() {
        // nothing happened: the operator retries
        assert_eq!(d.status, DatastoreStatus::PrimaryOnly);
        client.add_secondary("g", "euw1").await?;
    } else {
        assert_eq!(d.status, DatastoreStatus::Modifying);
    }
    let d = client.member_ready("g", "euw1", 1).await?;
    assert_eq!(d.status, DatastoreStatus::Available);

    // phase: the new leader refuses promotions until D×(1+ε)+margin after its predecessor's
    // grant, which it knows from its log
    let opts = common::options();
    let allowed = voters.get(new_leader).group.promotion_allowed_at("g")?;
    assert!(
        allowed >= asked_at + opts.promotion_wait(opts.lease),
        "promotion allowed too early: {:?} after the grant was asked for",
        allowed.saturating_duration_since(asked_at)
    );
    let other = voters.followers(new_leader)[0];
    assert!(matches!(
        voters.get(other).group.promotion_allowed_at("g"),
        Err(CoordError::NotLeader { .. })
    ));
    voters.stop_all().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_granted_only_to_the_primary_at_its_epoch() -> anyhow::Result<()> {
    let voters = Voters::start(3).await?;
    let leader = voters.leader().await?;
    let client = voters.client();
    client
        .create("g", "", "use1", meridian_types::AutoFailover::Off)
        .await?;
    client.member_ready("g", "use1", 1).await?;
    client.add_secondary("g", "euw1").await?;
    client.member_ready("g", "euw1", 1).await?;

    // phase: the primary gets a lease, capped at the configured length
    let lease = client
        .grant_lease("g", "use1", 1, Duration::from_secs(60), 0)
        .await?;
    assert_eq!((lease.cluster.as_str(), lease.epoch), ("use1", 1));
    assert_eq!(lease.length_ms, common::options().lease.as_millis() as u64);
    assert_eq!(lease.granted_by, leader);
    let recorded = client.describe(Some("g")).await?.remove(0).lease;
    assert_eq!(recorded.as_ref(), Some(&lease));

    // phase: a secondary, a stale or future epoch, an unknown cluster: refused, nothing recorded
    let refusals = [("euw1", 1), ("use1", 0), ("use1", 2), ("aps1", 1)];
    for (cluster, epoch) in refusals {
        let err = client
            .grant_lease("g", cluster, epoch, Duration::from_secs(1), 0)
            .await
            .expect_err("refused");
        assert!(
            matches!(
                err,
                CoordError::Rule(
                    ControlError::NotPrimary { .. }
                        | ControlError::StaleEpoch { .. }
                        | ControlError::NotAMember { .. }
                )
            ),
            "{cluster}@{epoch}: {err:?}"
        );
        assert!(matches!(
            err.code(),
            Code::FailedPrecondition | Code::NotFound
        ));
    }
    assert_eq!(
        client.describe(Some("g")).await?.remove(0).lease,
        Some(lease.clone())
    );

    // phase: promotion waits D×(1+ε)+margin after the leader's own last grant
    let opts = common::options();
    let allowed = voters.get(leader).group.promotion_allowed_at("g")?;
    let own = opts.clock.instant_at_ms(lease.granted_at_ms)
        + opts.promotion_wait(Duration::from_millis(lease.length_ms));
    assert!(allowed >= own);
    voters.stop_all().await;
    Ok(())
}
