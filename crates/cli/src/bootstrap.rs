//! `meridian up`'s last step: create the global datastores the config declares, one change at
//! a time (the control plane allows one modification in progress per datastore), and wait
//! until each is in place.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use meridian_config::DeploymentConfig;
use meridian_proto::v1 as pb;
use meridian_proto::v1::global_datastores_client::GlobalDatastoresClient;
use tokio::time::Instant;
use tonic::transport::Channel;

/// Waits until the coordination group answers (it elects its leader with WAN timings, so it
/// may come up after the regional groups).
pub async fn wait_for_control_plane(endpoint: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let answer = match crate::global::connect_endpoint(endpoint).await {
            Ok(mut client) => client
                .describe(pb::DescribeGlobalDatastoresRequest { id: String::new() })
                .await
                .map(|_| ())
                .map_err(|s| s.message().to_string()),
            Err(e) => Err(format!("{e:#}")),
        };
        match answer {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                bail!("the coordination group did not answer within {limit:?}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub async fn create_datastores(
    cfg: &DeploymentConfig,
    endpoint: &str,
) -> Result<Vec<pb::GlobalDatastore>> {
    let mut client = crate::global::connect_endpoint(endpoint).await?;
    let mut out = Vec::new();
    for gds in &cfg.global_datastores {
        let existing = describe(&mut client, &gds.id).await?;
        if existing.is_none() {
            client
                .create(pb::CreateGlobalDatastoreRequest {
                    id: gds.id.clone(),
                    description: gds.description.clone().unwrap_or_default(),
                    primary_cluster: gds.primary.clone(),
                    auto_failover: None,
                })
                .await
                .with_context(|| format!("creating global datastore {}", gds.id))?;
        }
        wait(&mut client, &gds.id, "the primary to take its role", |d| {
            d.status != "creating"
        })
        .await?;
        for secondary in &gds.secondaries {
            let present = describe(&mut client, &gds.id)
                .await?
                .is_some_and(|d| d.members.iter().any(|m| &m.cluster == secondary));
            if !present {
                client
                    .add_secondary(pb::AddSecondaryRequest {
                        id: gds.id.clone(),
                        cluster: secondary.clone(),
                    })
                    .await
                    .with_context(|| format!("adding {secondary} to {}", gds.id))?;
            }
            wait(
                &mut client,
                &gds.id,
                &format!("{secondary} to be associated"),
                |d| {
                    d.members
                        .iter()
                        .any(|m| &m.cluster == secondary && m.status == "associated")
                },
            )
            .await?;
        }
        if let Some(d) = describe(&mut client, &gds.id).await? {
            out.push(d);
        }
    }
    Ok(out)
}

async fn describe(
    client: &mut GlobalDatastoresClient<Channel>,
    id: &str,
) -> Result<Option<pb::GlobalDatastore>> {
    match client
        .describe(pb::DescribeGlobalDatastoresRequest { id: id.into() })
        .await
    {
        Ok(r) => Ok(r.into_inner().datastores.into_iter().next()),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(anyhow::anyhow!("describing {id}: {}", s.message())),
    }
}

async fn wait(
    client: &mut GlobalDatastoresClient<Channel>,
    id: &str,
    what: &str,
    done: impl Fn(&pb::GlobalDatastore) -> bool,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if describe(client, id).await?.is_some_and(|d| done(&d)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{id}: waited 60 s for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
