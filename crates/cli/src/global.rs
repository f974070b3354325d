//! `meridian global …`: the Global Datastore control plane over gRPC (any node answers; the
//! coordination group decides).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use meridian_proto::v1 as pb;
use meridian_proto::v1::global_datastores_client::GlobalDatastoresClient;
use tonic::transport::Channel;

use crate::cluster::{endpoint_or_first, Output};
use crate::global_render::{loss_line, render_table, to_json};

#[derive(Subcommand, Debug)]
pub enum GlobalCommand {
    /// Create a global datastore around an existing cluster, which becomes its primary.
    Create(CreateArgs),
    /// Create the global datastores a deployment config declares (`[[global_datastores]]`),
    /// once the coordination group answers; those that exist are left as they are. `meridian
    /// up` and `meridian docker up` do this themselves.
    Bootstrap(crate::bootstrap::BootstrapArgs),
    /// Show one global datastore (--id) or all: members with role and status, epoch, status,
    /// each secondary's applied seq and lag.
    Describe(DescribeArgs),
    /// Associate a cluster in a region of its own as a new secondary (its data is replaced by
    /// a full sync from the primary).
    AddSecondary(MemberArgs),
    /// Remove a secondary; it becomes a standalone read/write cluster again.
    Disassociate(MemberArgs),
    /// Change the description and/or the automatic failover policy.
    Modify(ModifyArgs),
    /// Delete a global datastore that has no secondaries left (the primary stays a cluster).
    Delete(DeleteArgs),
    /// Promote a secondary to primary: planned (the primary is fenced, the target catches up
    /// to its last write, then takes over; nothing acknowledged is lost). `describe` shows
    /// the phases.
    Failover(FailoverArgs),
}

/// Where to send the request.
#[derive(Args, Debug)]
pub struct Target {
    /// gRPC address of any node (host:port). Defaults to the first node of --config.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Deployment config used to find an endpoint when --endpoint is not given.
    #[arg(long, default_value = "cluster-configs/local.toml")]
    pub config: PathBuf,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub target: Target,
    /// Datastore id: 1 to 32 of a-z, 0-9, -.
    #[arg(long)]
    pub id: String,
    /// Name of the cluster that takes writes.
    #[arg(long)]
    pub primary: String,
    /// Free text shown by describe.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Automatic forced failover: `off` (default) or the time the primary must be unreachable
    /// first, e.g. `30s`, `2m`, `1500ms`.
    #[arg(long, value_parser = parse_auto_failover)]
    pub auto_failover: Option<AutoFailoverArg>,
}

#[derive(Args, Debug)]
pub struct DescribeArgs {
    #[command(flatten)]
    pub target: Target,
    /// Only this datastore.
    #[arg(long)]
    pub id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Args, Debug)]
pub struct MemberArgs {
    #[command(flatten)]
    pub target: Target,
    /// Datastore id.
    #[arg(long)]
    pub id: String,
    /// The secondary cluster.
    #[arg(long)]
    pub cluster: String,
}

#[derive(Args, Debug)]
pub struct ModifyArgs {
    #[command(flatten)]
    pub target: Target,
    /// Datastore id.
    #[arg(long)]
    pub id: String,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// New automatic failover policy: `off` or a duration such as `30s`.
    #[arg(long, value_parser = parse_auto_failover)]
    pub auto_failover: Option<AutoFailoverArg>,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub target: Target,
    /// Datastore id.
    #[arg(long)]
    pub id: String,
}

#[derive(Args, Debug)]
pub struct FailoverArgs {
    #[command(flatten)]
    pub target: Target,
    /// Datastore id.
    #[arg(long)]
    pub id: String,
    /// The secondary cluster to promote (required unless --force: a forced failover without
    /// it promotes the secondary furthest ahead).
    #[arg(long)]
    pub to: Option<String>,
    /// The primary is unreachable: do not drain it. The coordination group waits until its
    /// lease certainly ran out, then promotes. Writes it acknowledged that the target does not
    /// hold are lost; their range is recorded and counted when it rejoins.
    #[arg(long)]
    pub force: bool,
    /// Do not ask before a forced failover that may lose writes (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Wait until the failover is done or aborted (at most 2 minutes) and print the outcome.
    #[arg(long)]
    pub wait: bool,
}

/// `off`, or forced failover after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoFailoverArg(pub Option<Duration>);

impl AutoFailoverArg {
    fn to_pb(self) -> pb::AutoFailoverPolicy {
        match self.0 {
            None => pb::AutoFailoverPolicy {
                enabled: false,
                after_ms: 0,
            },
            Some(d) => pb::AutoFailoverPolicy {
                enabled: true,
                after_ms: d.as_millis() as u64,
            },
        }
    }
}

/// `off` | `<n>ms` | `<n>s` | `<n>m` | `<n>h`.
pub fn parse_auto_failover(s: &str) -> Result<AutoFailoverArg, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(AutoFailoverArg(None));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected `off` or a duration like 30s, 2m, 1500ms"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("{s:?}: the unit must be ms, s, m or h (e.g. 30s)")),
    };
    if d.is_zero() {
        return Err(format!("{s:?}: use a positive duration, or off"));
    }
    Ok(AutoFailoverArg(Some(d)))
}

pub async fn run(cmd: GlobalCommand) -> Result<()> {
    match cmd {
        GlobalCommand::Bootstrap(a) => crate::bootstrap::run(a).await,
        GlobalCommand::Create(a) => create(a).await,
        GlobalCommand::Describe(a) => describe(a).await,
        GlobalCommand::AddSecondary(a) => add_secondary(a).await,
        GlobalCommand::Disassociate(a) => disassociate(a).await,
        GlobalCommand::Modify(a) => modify(a).await,
        GlobalCommand::Delete(a) => delete(a).await,
        GlobalCommand::Failover(a) => failover(a).await,
    }
}

async fn create(a: CreateArgs) -> Result<()> {
    let mut c = connect(&a.target).await?;
    let r = c
        .create(pb::CreateGlobalDatastoreRequest {
            id: a.id.clone(),
            description: a.description,
            primary_cluster: a.primary,
            auto_failover: a.auto_failover.map(AutoFailoverArg::to_pb),
        })
        .await
        .with_context(|| format!("creating global datastore {:?}", a.id))?;
    print_one(r.into_inner())
}

async fn describe(a: DescribeArgs) -> Result<()> {
    let mut c = connect(&a.target).await?;
    let r = c
        .describe(pb::DescribeGlobalDatastoresRequest {
            id: a.id.clone().unwrap_or_default(),
        })
        .await
        .context("describing global datastores")?
        .into_inner();
    match a.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&to_json(&r))?),
        Output::Table if r.datastores.is_empty() => println!("no global datastores"),
        Output::Table => print!("{}", render_table(&r.datastores)),
    }
    Ok(())
}

async fn add_secondary(a: MemberArgs) -> Result<()> {
    let mut c = connect(&a.target).await?;
    let r = c
        .add_secondary(pb::AddSecondaryRequest {
            id: a.id.clone(),
            cluster: a.cluster.clone(),
        })
        .await
        .with_context(|| format!("adding {:?} to {:?} as a secondary", a.cluster, a.id))?;
    print_one(r.into_inner())
}

async fn disassociate(a: MemberArgs) -> Result<()> {
    let mut c = connect(&a.target).await?;
    let r = c
        .disassociate(pb::DisassociateRequest {
            id: a.id.clone(),
            cluster: a.cluster.clone(),
        })
        .await
        .with_context(|| format!("disassociating {:?} from {:?}", a.cluster, a.id))?;
    print_one(r.into_inner())
}

async fn modify(a: ModifyArgs) -> Result<()> {
    if a.description.is_none() && a.auto_failover.is_none() {
        bail!("nothing to modify: give --description and/or --auto-failover");
    }
    let mut c = connect(&a.target).await?;
    let r = c
        .modify(pb::ModifyGlobalDatastoreRequest {
            id: a.id.clone(),
            description: a.description,
            auto_failover: a.auto_failover.map(AutoFailoverArg::to_pb),
        })
        .await
        .with_context(|| format!("modifying global datastore {:?}", a.id))?;
    print_one(r.into_inner())
}

async fn delete(a: DeleteArgs) -> Result<()> {
    let mut c = connect(&a.target).await?;
    let r = c
        .delete(pb::DeleteGlobalDatastoreRequest { id: a.id.clone() })
        .await
        .with_context(|| format!("deleting global datastore {:?}", a.id))?;
    print_one(r.into_inner())
}

async fn failover(a: FailoverArgs) -> Result<()> {
    let to = match (&a.to, a.force) {
        (Some(to), _) => to.clone(),
        (None, true) => String::new(),
        (None, false) => bail!("give --to CLUSTER (only a forced failover may leave the target to the coordination group)"),
    };
    let mut c = connect(&a.target).await?;
    if a.force && !a.yes {
        confirm_forced(&mut c, &a.id, &to).await?;
    }
    let r = c
        .failover(pb::FailoverGlobalDatastoreRequest {
            id: a.id.clone(),
            to_cluster: to.clone(),
            force: a.force,
        })
        .await
        .with_context(|| format!("failing {:?} over to {to:?}", a.id))?;
    if a.wait {
        return wait_failover(&mut c, &a.id).await;
    }
    print_one(r.into_inner())
}

/// Shows what a forced failover of `id` may lose and asks to go on; without a terminal to
/// ask on, refuses (scripts pass `--yes`).
async fn confirm_forced(c: &mut GlobalDatastoresClient<Channel>, id: &str, to: &str) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    let r = c
        .describe(pb::DescribeGlobalDatastoresRequest { id: id.into() })
        .await
        .with_context(|| format!("describing {id:?}"))?;
    let ds = r
        .into_inner()
        .datastores
        .into_iter()
        .next()
        .with_context(|| format!("no global datastore {id:?}"))?;
    let head = ds.lease.as_ref().map_or(0, |l| l.head_seq);
    let mut text = format!(
        "A forced failover of {id:?} promotes {} without draining {}. Writes {} acknowledged that the new primary does not hold are lost; it last reported head seq {head}. Secondaries last reported:\n",
        if to.is_empty() { "the secondary furthest ahead" } else { to },
        ds.primary_cluster,
        ds.primary_cluster,
    );
    for m in ds.members.iter().filter(|m| m.role == "secondary") {
        text.push_str(&format!(
            "  {:<16} applied seq {} ({} behind)\n",
            m.cluster,
            m.applied_seq,
            head.saturating_sub(m.applied_seq)
        ));
    }
    eprint!("{text}");
    if !std::io::stdin().is_terminal() {
        bail!("a forced failover may lose writes; run it again with --yes to confirm");
    }
    eprint!("Type yes to fail over: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("forced failover not confirmed; nothing was changed");
    }
    Ok(())
}

/// Polls describe until the failover of `id` is done or aborted; an abort is an error.
async fn wait_failover(c: &mut GlobalDatastoresClient<Channel>, id: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let r = c
            .describe(pb::DescribeGlobalDatastoresRequest { id: id.into() })
            .await
            .with_context(|| format!("describing {id:?}"))?;
        let ds = r.into_inner().datastores.into_iter().next();
        let phase = ds
            .as_ref()
            .and_then(|d| d.failover.as_ref())
            .map(|f| (f.phase.clone(), f.reason.clone()));
        match phase {
            Some((p, _)) if p == "done" => {
                let all: Vec<_> = ds.into_iter().collect();
                print!("{}", render_table(&all));
                if let Some(l) = all
                    .iter()
                    .filter_map(|d| d.failover.as_ref()?.loss.as_ref())
                    .next()
                {
                    eprintln!("{}", loss_line(l));
                }
                return Ok(());
            }
            Some((p, reason)) if p == "aborted" => {
                bail!("the failover of {id:?} aborted: {reason}")
            }
            _ if tokio::time::Instant::now() > deadline => {
                bail!("the failover of {id:?} did not finish within 2 minutes; `meridian global describe` shows where it is")
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn connect(target: &Target) -> Result<GlobalDatastoresClient<Channel>> {
    let endpoint = endpoint_or_first(target.endpoint.clone(), &target.config)?;
    connect_endpoint(&endpoint).await
}

/// A GlobalDatastores client for the node at `endpoint` (`host:port`).
pub async fn connect_endpoint(endpoint: &str) -> Result<GlobalDatastoresClient<Channel>> {
    let channel = crate::grpc_client::endpoint(endpoint)?
        .connect_timeout(Duration::from_secs(2))
        // Long enough for a coordination election and a few WAN round trips.
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    Ok(GlobalDatastoresClient::new(channel))
}

fn print_one(r: pb::GlobalDatastoreResponse) -> Result<()> {
    let ds = r
        .datastore
        .context("the node answered without a datastore")?;
    print!("{}", render_table(std::slice::from_ref(&ds)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_failover_parses_off_and_durations() {
        assert_eq!(parse_auto_failover("off"), Ok(AutoFailoverArg(None)));
        assert_eq!(
            parse_auto_failover("30s"),
            Ok(AutoFailoverArg(Some(Duration::from_secs(30))))
        );
        assert_eq!(
            parse_auto_failover("1500ms"),
            Ok(AutoFailoverArg(Some(Duration::from_millis(1500))))
        );
        assert_eq!(
            parse_auto_failover("2m"),
            Ok(AutoFailoverArg(Some(Duration::from_secs(120))))
        );
        for bad in ["", "0s", "30", "3x", "s", "-1s"] {
            assert!(parse_auto_failover(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn table_shows_members_with_role_status_and_lag() {
        let d = pb::GlobalDatastore {
            id: "g".into(),
            description: "orders".into(),
            status: "available".into(),
            primary_cluster: "use1".into(),
            epoch: 1,
            auto_failover: Some(AutoFailoverArg(Some(Duration::from_secs(30))).to_pb()),
            members: vec![
                pb::GlobalDatastoreMember {
                    cluster: "use1".into(),
                    region: "us-east-1".into(),
                    role: "primary".into(),
                    status: "associated".into(),
                    ..Default::default()
                },
                pb::GlobalDatastoreMember {
                    cluster: "euw1".into(),
                    region: "eu-west-1".into(),
                    role: "secondary".into(),
                    status: "associating".into(),
                    applied_seq: 42,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let t = render_table(std::slice::from_ref(&d));
        assert!(t.starts_with(
            "global datastore g  status: available  primary: use1  epoch: 1  auto-failover: after 30000ms\n"
        ));
        assert!(t.contains("euw1") && t.contains("associating") && t.contains("42"));
        let j = to_json(&pb::DescribeGlobalDatastoresResponse {
            datastores: vec![d],
        });
        assert_eq!(j["global_datastores"][0]["members"][1]["applied_seq"], 42);
    }
}
