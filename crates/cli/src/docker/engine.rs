//! Running `docker` and `docker-compose`: one place that knows their command lines, turns a
//! missing engine into one line that says so, and reads `docker inspect` output.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tokio::process::Command;

/// Fails with one line when docker is not installed, the daemon does not answer, or
/// docker-compose is missing.
pub async fn check() -> Result<()> {
    let out = match Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .output()
        .await
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("the docker engine is missing: `docker` is not on PATH (install Docker Engine to use `meridian docker`)")
        }
        Err(e) => bail!("the docker engine could not be run: {e}"),
    };
    if !out.status.success() {
        bail!("the docker engine does not answer: {}", reason(&out.stderr));
    }
    match Command::new("docker-compose")
        .arg("version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
    {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => bail!("docker-compose does not work ({s})"),
        Err(_) => {
            bail!("docker-compose is missing: `docker-compose` (1.29) is not on PATH")
        }
    }
}

/// `docker ARGS…`, its stdout on success, an error with its stderr otherwise.
pub async fn docker<I, S>(args: I) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    docker_env(args, &[]).await
}

/// [`docker`] with extra environment variables.
pub async fn docker_env<I, S>(args: I, env: &[(&str, &str)]) -> Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown = show(&args);
    let out = Command::new("docker")
        .args(&args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", reason(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `docker ARGS…` with this process's stdout and stderr (logs, builds).
pub async fn docker_inherit<I, S>(args: I, env: &[(&str, &str)]) -> Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown = show(&args);
    let status = Command::new("docker")
        .args(&args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .status()
        .await
        .with_context(|| format!("running {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// `docker-compose ARGS…` with the given environment, output shown on stderr.
pub async fn compose(args: &[&str], env: &[(String, String)]) -> Result<()> {
    let shown = format!("docker-compose {}", args.join(" "));
    let status = Command::new("docker-compose")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .await
        .with_context(|| format!("running {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// What `docker inspect` says about one container (the parts the launcher uses).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inspect {
    pub id: String,
    pub name: String,
    pub state: State,
    pub config: Config,
    pub network_settings: NetworkSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    /// created, running, paused, restarting, removing, exited, dead.
    pub status: String,
    #[serde(default)]
    pub health: Option<Health>,
    #[serde(default)]
    pub exit_code: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    /// starting, healthy, unhealthy.
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettings {
    /// `"6401/tcp"` → bindings on the host.
    #[serde(default)]
    pub ports: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    /// Network name → this container's endpoint on it.
    #[serde(default)]
    pub networks: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    pub host_port: String,
}

impl Inspect {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.config.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// The host port a container port (tcp) is published on.
    pub fn host_port(&self, container_port: u16) -> Option<u16> {
        let ports = self.network_settings.ports.as_ref()?;
        let bindings = ports.get(&format!("{container_port}/tcp"))?.as_ref()?;
        bindings.iter().find_map(|b| b.host_port.parse().ok())
    }

    /// Names of the networks the container is attached to.
    pub fn networks(&self) -> Vec<String> {
        self.network_settings
            .networks
            .as_ref()
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// `running`, `paused`, `exited (137)`, … with the health when there is one.
    pub fn state_line(&self) -> String {
        let mut s = self.state.status.clone();
        if s == "exited" {
            s = format!("exited ({})", self.state.exit_code);
        }
        match &self.state.health {
            Some(h) if self.state.status == "running" => format!("{s}, {}", h.status),
            _ => s,
        }
    }

    pub fn healthy(&self) -> bool {
        self.state.status == "running"
            && self
                .state
                .health
                .as_ref()
                .is_none_or(|h| h.status == "healthy")
    }
}

/// Every container (running or not) of a compose project.
pub async fn project_containers(project: &str) -> Result<Vec<Inspect>> {
    let ids = docker([
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ])
    .await?;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec!["inspect"];
    args.extend(ids);
    let json = docker(args).await?;
    serde_json::from_str(&json).context("reading `docker inspect` output")
}

fn show(args: &[std::ffi::OsString]) -> String {
    let parts: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    format!("docker {}", parts.join(" "))
}

/// The last non-empty line of a command's stderr: docker puts the error there, after any
/// notices (such as the legacy builder's deprecation).
fn reason(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no output");
    line.trim_start_matches("Error response from daemon: ")
        .to_string()
}
