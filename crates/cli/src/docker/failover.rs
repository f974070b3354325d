//! `meridian docker failover …`: `meridian global failover …` sent to a published node of a
//! region that is not cut off (the node forwards it to the coordination leader), so that a
//! forced failover during `partition` reaches a majority of the coordination group.

use anyhow::{bail, Context, Result};
use clap::Args;
use tokio::process::Command;

use super::project::Project;
use super::status;
use super::tls;
use super::ProjectArgs;

#[derive(Args, Debug)]
pub struct FailoverArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Arguments of `meridian global failover` (see its --help): --id ID [--to CLUSTER]
    /// [--force] [--yes] [--wait]. --endpoint is chosen for you unless given.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<String>,
}

pub async fn run(a: FailoverArgs) -> Result<()> {
    let project = Project::open(&a.project.project)?;
    let mut args = vec!["global".to_string(), "failover".to_string()];
    if !a
        .args
        .iter()
        .any(|x| x == "--endpoint" || x.starts_with("--endpoint="))
    {
        // Prefer the target's region: it is the one that must be reachable to take over.
        let to = value_of(&a.args, "--to");
        let avoid: Vec<String> = project
            .cfg
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| to.as_deref().is_some_and(|t| t != c))
            .collect();
        let endpoint = status::grpc_endpoint(&project, &avoid).await?;
        eprintln!("asking {endpoint}");
        args.extend(["--endpoint".to_string(), endpoint]);
    }
    args.extend(a.args);
    let exe = std::env::current_exe().context("locating the meridian binary")?;
    let mut cmd = Command::new(exe);
    if let Some(ca) = tls::ca_of(&project.containers().await?) {
        cmd.env("MERIDIAN_TLS_CA", ca);
    }
    let status = cmd
        .args(&args)
        .status()
        .await
        .context("running meridian global failover")?;
    if !status.success() {
        bail!("meridian {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The value of `--flag VALUE` or `--flag=VALUE`.
fn value_of(args: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a == flag {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix(&prefix).map(str::to_string)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_in_both_spellings() {
        let args: Vec<String> = ["--id", "gds1", "--to=euw1"].map(String::from).to_vec();
        assert_eq!(value_of(&args, "--to").as_deref(), Some("euw1"));
        assert_eq!(value_of(&args, "--id").as_deref(), Some("gds1"));
        assert_eq!(value_of(&args, "--force"), None);
    }
}
