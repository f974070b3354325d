//! The last step of `meridian up`, `meridian docker up` and `meridian global bootstrap`: create
//! the global datastores the config declares, one change at a time (the control plane allows
//! one modification in progress per datastore), and wait until each is in place. A datastore
//! that exists is left as it is (a failover or `modify` may have changed it since), so running
//! it again is harmless.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use meridian_config::{DeploymentConfig, GlobalDatastoreConfig};
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

#[derive(Args, Debug)]
pub struct BootstrapArgs {
    /// Deployment config whose `[[global_datastores]]` to create.
    #[arg(
        long,
        env = "MERIDIAN_CONFIG",
        default_value = "cluster-configs/local.toml"
    )]
    pub config: PathBuf,
    /// gRPC address of any node (host:port). Defaults to the first node of --config.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Seconds to wait for the coordination group to answer.
    #[arg(long, default_value_t = 120)]
    pub wait_secs: u64,
}

/// `meridian global bootstrap`: waits for the control plane, creates the config's datastores
/// that do not exist, and prints them all.
pub async fn run(args: BootstrapArgs) -> Result<()> {
    let cfg = DeploymentConfig::open(&args.config)
        .with_context(|| format!("loading config {}", args.config.display()))?;
    let endpoint = crate::cluster::endpoint_or_first(args.endpoint, &args.config)?;
    wait_for_control_plane(&endpoint, Duration::from_secs(args.wait_secs)).await?;
    let all = create_datastores(&cfg, &endpoint).await?;
    println!("{}", crate::global_render::render_table(&all));
    Ok(())
}

/// Creates the datastores of `cfg` that do not exist yet, adds the secondaries they lack, and
/// returns every one of them as it is now.
pub async fn create_datastores(
    cfg: &DeploymentConfig,
    endpoint: &str,
) -> Result<Vec<pb::GlobalDatastore>> {
    let mut client = crate::global::connect_endpoint(endpoint).await?;
    let mut out = Vec::new();
    for gds in &cfg.global_datastores {
        ensure_datastore(&mut client, gds).await?;
        if let Some(d) = describe(&mut client, &gds.id).await? {
            out.push(d);
        }
    }
    Ok(out)
}

/// `gds` exists and every cluster it names is a member. A cluster that is a member already is
/// left in whatever role it has (a failover may have made a configured secondary the primary).
async fn ensure_datastore(
    client: &mut GlobalDatastoresClient<Channel>,
    gds: &GlobalDatastoreConfig,
) -> Result<()> {
    if describe(client, &gds.id).await?.is_none() {
        client
            .create(pb::CreateGlobalDatastoreRequest {
                id: gds.id.clone(),
                description: gds.description.clone().unwrap_or_default(),
                primary_cluster: gds.primary.clone(),
                auto_failover: None,
            })
            .await
            .with_context(|| format!("creating global datastore {}", gds.id))?;
        wait(client, &gds.id, "the primary to take its role", |d| {
            d.status != "creating"
        })
        .await?;
    }
    for secondary in &gds.secondaries {
        let member = describe(client, &gds.id)
            .await?
            .is_some_and(|d| d.members.iter().any(|m| &m.cluster == secondary));
        if member {
            continue;
        }
        client
            .add_secondary(pb::AddSecondaryRequest {
                id: gds.id.clone(),
                cluster: secondary.clone(),
            })
            .await
            .with_context(|| format!("adding {secondary} to {}", gds.id))?;
        wait(
            client,
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
    Ok(())
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
