//! The Global Datastore control plane across several clusters in one process: the lifecycle
//! through gRPC, every rule violation, secondaries refusing writes, the primary's write lease
//! when it is cut off from the coordination group, and a coordination leader dying mid-change.

pub mod support;

use support::*;

/// A node's gRPC client of the control plane.
type Global = pb::global_datastores_client::GlobalDatastoresClient<tonic::transport::Channel>;

/// The lifecycle through gRPC, every state transition checked in describe.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_through_grpc() -> Result<()> {
    let d = TestDeployment::start(TestDeploymentOptions::default()).await?;
    let mut g = d.global(2).await?;

    create_is_creating_then_primary_only(&d).await?;
    add_secondaries_one_by_one(&d).await?;
    describe_lists_the_primary_first(&d).await?;
    modify_description_and_auto_failover(&d, &mut g).await?;
    disassociate_both_secondaries(&d).await?;

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

async fn create_is_creating_then_primary_only(d: &TestDeployment) -> Result<()> {
    phase("create gds1 (primary use1): creating, then primary-only");
    let ds = datastore(create(d, 2, "gds1", "use1").await)?;
    ensure!(ds.status == "creating", "create answered {}", view(&ds));
    ensure!(
        has_member(&ds, "use1", "primary", "associating"),
        "{}",
        view(&ds)
    );
    ensure!(ds.epoch == 1, "{}", view(&ds));
    wait_describe(d, 5, "gds1", "gds1 primary-only", |ds| {
        ds.is_some_and(|ds| {
            ds.status == "primary-only"
                && ds.primary_cluster == "use1"
                && has_member(ds, "use1", "primary", "associated")
        })
    })
    .await?;
    Ok(())
}

async fn add_secondaries_one_by_one(d: &TestDeployment) -> Result<()> {
    for cluster in ["euw1", "aps1"] {
        phase(&format!(
            "add-secondary {cluster}: associating, then associated"
        ));
        let ds = datastore(add_secondary(d, 2, "gds1", cluster).await)?;
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
        wait_describe(d, 8, "gds1", &format!("{cluster} associated"), |ds| {
            ds.is_some_and(|ds| {
                ds.status == "available" && has_member(ds, cluster, "secondary", "associated")
            })
        })
        .await?;
    }
    Ok(())
}

async fn describe_lists_the_primary_first(d: &TestDeployment) -> Result<()> {
    phase("describe: primary first, then secondaries in the order added");
    let ds = describe(d, 9, "gds1").await?.context("gds1 missing")?;
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
    let all = describe_all(d, 4).await?;
    ensure!(all.len() == 1, "describe all: {all:?}");
    Ok(())
}

async fn modify_description_and_auto_failover(d: &TestDeployment, g: &mut Global) -> Result<()> {
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
    let ds = describe(d, 7, "gds1").await?.context("gds1 missing")?;
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
    Ok(())
}

async fn disassociate_both_secondaries(d: &TestDeployment) -> Result<()> {
    for (cluster, after) in [("euw1", "available"), ("aps1", "primary-only")] {
        phase(&format!(
            "disassociate {cluster}: disassociating, then gone"
        ));
        let ds = datastore(disassociate(d, 2, "gds1", cluster).await)?;
        ensure!(
            has_member(&ds, cluster, "secondary", "disassociating"),
            "{}",
            view(&ds)
        );
        ensure!(ds.status == "modifying", "{}", view(&ds));
        wait_describe(d, 3, "gds1", &format!("{cluster} gone"), |ds| {
            ds.is_some_and(|ds| member(ds, cluster).is_none() && ds.status == after)
        })
        .await?;
    }
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

    unknown_and_taken_names_are_refused(&d).await?;
    broken_rules_are_refused(&d, &mut g).await?;
    a_second_modification_is_refused_while_one_is_in_progress(&d, &mut g).await?;

    phase("heal: the disassociation completes");
    d.heal();
    wait_describe(&d, 1, "gds1", "euw1 gone", |ds| {
        ds.is_some_and(|ds| member(ds, "euw1").is_none() && ds.status == "primary-only")
    })
    .await?;

    d.shutdown().await;
    Ok(())
}

/// Runs `call`, which must fail with `code`, and checks that describe did not change;
/// returns the error message.
async fn refused<T: std::fmt::Debug>(
    d: &TestDeployment,
    what: &str,
    code: Code,
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> Result<String> {
    phase(&format!("refused: {what}"));
    let before = describe_all(d, 1).await?;
    let msg = expect_code(what, call.await, code)?;
    eprintln!("    {code:?}: {msg}");
    let after = describe_all(d, 1).await?;
    ensure!(
        before == after,
        "{what} changed describe:\n{before:?}\n{after:?}"
    );
    Ok(msg)
}

/// Requests naming what does not exist, or a cluster another datastore holds.
async fn unknown_and_taken_names_are_refused(d: &TestDeployment) -> Result<()> {
    use Code::{AlreadyExists, FailedPrecondition, NotFound};
    refused(
        d,
        "duplicate id",
        AlreadyExists,
        create(d, 2, "gds1", "aps1"),
    )
    .await?;
    refused(
        d,
        "create around an unknown cluster",
        NotFound,
        create(d, 2, "gds2", "nope"),
    )
    .await?;
    refused(
        d,
        "add an unknown cluster",
        NotFound,
        add_secondary(d, 2, "gds1", "nope"),
    )
    .await?;
    refused(
        d,
        "create around a cluster already in a datastore",
        FailedPrecondition,
        create(d, 2, "gds2", "euw1"),
    )
    .await?;
    refused(
        d,
        "add a cluster already in a datastore (other datastore)",
        FailedPrecondition,
        add_secondary(d, 2, "gds1", "euw1"),
    )
    .await?;
    Ok(())
}

/// Requests that break a rule about regions, limits or roles.
async fn broken_rules_are_refused(d: &TestDeployment, g: &mut Global) -> Result<()> {
    use Code::{FailedPrecondition, NotFound};
    let msg = refused(
        d,
        "secondary in the primary's region",
        FailedPrecondition,
        add_secondary(d, 2, "gds1", "use1b"),
    )
    .await?;
    ensure!(msg.contains("region"), "{msg}");
    let msg = refused(
        d,
        "too many secondaries (limit 1)",
        FailedPrecondition,
        add_secondary(d, 2, "gds1", "aps1"),
    )
    .await?;
    ensure!(msg.contains("secondaries"), "{msg}");
    refused(
        d,
        "delete with secondaries",
        FailedPrecondition,
        g.delete(pb::DeleteGlobalDatastoreRequest { id: "gds1".into() }),
    )
    .await?;
    refused(
        d,
        "disassociate the primary",
        FailedPrecondition,
        disassociate(d, 2, "gds1", "use1"),
    )
    .await?;
    refused(
        d,
        "unknown datastore",
        NotFound,
        add_secondary(d, 2, "nope", "aps1"),
    )
    .await?;
    Ok(())
}

async fn a_second_modification_is_refused_while_one_is_in_progress(
    d: &TestDeployment,
    g: &mut Global,
) -> Result<()> {
    phase("a disassociation that cannot finish (euw1 cut off from the coordination group)");
    d.isolate_cluster_from_coord("euw1")?;
    let ds = eventually("disassociate euw1 accepted", WAIT, || async {
        match disassociate(d, 1, "gds1", "euw1").await {
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
    let msg = refused(
        d,
        "second modification in progress",
        Code::FailedPrecondition,
        g.modify(pb::ModifyGlobalDatastoreRequest {
            id: "gds1".into(),
            description: Some("changed".into()),
            auto_failover: None,
        }),
    )
    .await?;
    ensure!(msg.contains("busy"), "{msg}");
    Ok(())
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
