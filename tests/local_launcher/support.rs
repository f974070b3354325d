//! The pieces of `tests/local_launcher.rs`: its deployment file, the `meridian up` child and
//! its guard, `meridian local` calls, and Redis and process helpers.

use std::collections::HashMap;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;

use anyhow::{anyhow, bail, ensure, Context, Result};
use meridian_testkit::eventually;
use tempfile::TempDir;

use super::{NODES, REDIS_TIMEOUT, WAIT};

/// A one-cluster deployment config on free ports, its data in a temp dir.
pub struct Deployment {
    pub dir: TempDir,
    pub config: PathBuf,
    pub data: PathBuf,
    pub resp: HashMap<u64, SocketAddr>,
}

impl Deployment {
    pub fn write() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        // Every listener held until all are chosen, so the ports are distinct.
        let listeners = (0..NODES.len() * 3)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()?;
        drop(listeners);
        let mut text = format!(
            "data_dir = {:?}\n\n[[clusters]]\nname = \"use1\"\nregion = \"us-east-1\"\n",
            data.display().to_string()
        );
        let mut resp = HashMap::new();
        for (i, id) in NODES.into_iter().enumerate() {
            let (grpc, resp_port, metrics) = (ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]);
            // Every node votes in the coordination group, so it survives one node down.
            text.push_str(&format!(
                "\n[[clusters.nodes]]\nid = {id}\nhost = \"127.0.0.1\"\ngrpc_port = {grpc}\n\
                 resp_port = {resp_port}\nmetrics_port = {metrics}\ncoord = true\n"
            ));
            resp.insert(id, SocketAddr::from(([127, 0, 0, 1], resp_port)));
        }
        let config = dir.path().join("deployment.toml");
        std::fs::write(&config, text)?;
        Ok(Deployment {
            dir,
            config,
            data,
            resp,
        })
    }
}

/// The `meridian up` process, in a process group of its own with its nodes; the whole group
/// is killed when this is dropped, whatever happened.
pub struct Up {
    pub child: Mutex<Child>,
    pub pid: u32,
    pub stdout: PathBuf,
}

impl Up {
    pub fn start(bin: &Path, d: &Deployment) -> Result<Self> {
        let stdout = d.dir.path().join("up.out");
        let child = Command::new(bin)
            .args(["--worker-threads", "1", "up", "--config"])
            .arg(&d.config)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout)?)
            .stderr(File::create(d.dir.path().join("up.err"))?)
            .process_group(0)
            .spawn()
            .context("starting meridian up")?;
        Ok(Up {
            pid: child.id(),
            child: Mutex::new(child),
            stdout,
        })
    }

    pub fn stdout(&self) -> String {
        read(&self.stdout)
    }

    /// How `up` ended, if it did.
    pub fn exited(&self) -> Result<Option<ExitStatus>> {
        let mut child = self.child.lock().map_err(|_| anyhow!("poisoned"))?;
        Ok(child.try_wait()?)
    }

    pub fn check_running(&self) -> Result<()> {
        if let Some(status) = self.exited()? {
            bail!("`meridian up` exited ({status})");
        }
        Ok(())
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let group = format!("-{}", self.pid);
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        if let Ok(child) = self.child.get_mut() {
            let _ = child.wait();
        }
    }
}

/// `meridian local …` against the test's deployment.
pub struct Local<'a> {
    pub bin: &'a Path,
    pub config: &'a Path,
}

impl Local<'_> {
    /// Runs `meridian local <args> --config …`; returns (success, stdout, stderr).
    pub async fn run(&self, args: &[&str]) -> Result<(bool, String, String)> {
        let out = tokio::process::Command::new(self.bin)
            .arg("local")
            .args(args)
            .arg("--config")
            .arg(self.config)
            .output()
            .await
            .with_context(|| format!("running meridian local {args:?}"))?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Like [`Local::run`], failing unless the command succeeds; returns its stdout.
    pub async fn ok(&self, args: &[&str]) -> Result<String> {
        let (ok, out, err) = self.run(args).await?;
        ensure!(ok, "meridian local {args:?} failed: {err}{out}");
        Ok(out)
    }

    pub async fn status(&self) -> Result<Status> {
        Status::parse(self.ok(&["status"]).await?)
    }
}

/// `meridian local status`, read as a user would.
pub struct Status {
    pub text: String,
    pub states: HashMap<u64, String>,
    pub pids: HashMap<u64, Option<u32>>,
    pub leader: Option<u64>,
}

impl Status {
    pub fn parse(text: String) -> Result<Self> {
        let (mut states, mut pids, mut leader) = (HashMap::new(), HashMap::new(), None);
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let (Some(Ok(id)), Some(pid), Some(state)) =
                (f.first().map(|s| s.parse::<u64>()), f.get(3), f.get(4))
            {
                pids.insert(id, pid.parse::<u32>().ok());
                states.insert(id, state.to_string());
            }
            if let Some(rest) = line.strip_prefix("cluster use1 (us-east-1): leader ") {
                leader = rest.split(',').next().and_then(|id| id.parse().ok());
            }
        }
        ensure!(
            states.len() == NODES.len(),
            "status lists no nodes:\n{text}"
        );
        Ok(Status {
            text,
            states,
            pids,
            leader,
        })
    }

    pub fn state(&self, id: u64) -> Result<&str> {
        self.states
            .get(&id)
            .map(String::as_str)
            .with_context(|| format!("node {id} missing from status:\n{}", self.text))
    }

    pub fn pid(&self, id: u64) -> Result<u32> {
        self.pids
            .get(&id)
            .copied()
            .flatten()
            .with_context(|| format!("node {id} has no pid in status:\n{}", self.text))
    }
}

/// Waits until `meridian local status` names a leader that is not in `not`.
pub async fn wait_leader(local: &Local<'_>, not: &[u64]) -> Result<u64> {
    eventually("a leader in `meridian local status`", WAIT, || async {
        Ok(local.status().await?.leader.filter(|l| !not.contains(l)))
    })
    .await
}

pub async fn connect(addr: SocketAddr) -> Result<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let conn = tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .with_context(|| format!("connecting to {addr}: timed out"))??;
    Ok(conn)
}

pub async fn query<T: redis::FromRedisValue>(
    conn: &mut redis::aio::MultiplexedConnection,
    cmd: &redis::Cmd,
) -> Result<T> {
    Ok(tokio::time::timeout(REDIS_TIMEOUT, cmd.query_async(conn))
        .await
        .context("redis command timed out")??)
}

pub async fn set(addr: SocketAddr, key: &str, value: &str) -> Result<()> {
    let mut conn = connect(addr).await?;
    let reply: String = query(&mut conn, redis::cmd("SET").arg(key).arg(value)).await?;
    ensure!(reply == "OK", "SET {key} on {addr} answered {reply}");
    Ok(())
}

/// Waits until node `addr` itself (READONLY: its own state, no trip to the leader) holds
/// `key` = `value`.
pub async fn wait_value(addr: SocketAddr, key: &str, value: &str) -> Result<()> {
    eventually(&format!("{key} = {value} on {addr}"), WAIT, || async {
        let mut conn = connect(addr).await?;
        let _: String = query(&mut conn, &redis::cmd("READONLY")).await?;
        let got: Option<String> = query(&mut conn, redis::cmd("GET").arg(key)).await?;
        Ok((got.as_deref() == Some(value)).then_some(()))
    })
    .await
}

pub fn signal(pid: u32, name: &str) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()?;
    ensure!(status.success(), "kill -{name} {pid}: {status}");
    Ok(())
}

/// Whether `pid` is a live process (not gone, not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
