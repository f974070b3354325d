//! `meridian up` as a user runs it, with faults injected through `meridian local`: the real
//! binary, one cluster of three nodes on free ports in a temp dir. A node killed (by
//! `meridian local kill` or by a plain `kill -9`) leaves the others serving and comes back
//! with `meridian local restart` holding the writes it missed; a paused node lags and catches
//! up; Ctrl-C stops every node and removes the control socket.
//!
//! Needs the binary: `cargo build -p meridian-cli --bin meridian` first (tests/run.sh does).
//! `MERIDIAN_TEST_SHOW_UP=1` prints `up`'s output and the node logs even when it passes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use meridian_testkit::{eventually, meridian_bin};
use support::*;

/// Start-up of three debug-build nodes on a shared machine.
const START: Duration = Duration::from_secs(180);
/// A leader election, a restart, a catch-up.
const WAIT: Duration = Duration::from_secs(60);
/// One Redis command.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);
const NODES: [u64; 3] = [1, 2, 3];

fn phase(name: &str) {
    eprintln!("--- phase: {name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_survives_dead_nodes_and_takes_fault_verbs() -> Result<()> {
    let (bin, d, up) = launch()?;
    let s = Session::new(&bin, &d, &up);
    s.reported(s.scenario().await)
}

/// `meridian up` killed with SIGKILL (no chance to stop anything): its nodes notice their
/// input closing and stop by themselves instead of living on, holding the ports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_stop_when_up_is_killed() -> Result<()> {
    let (bin, d, up) = launch()?;
    let s = Session::new(&bin, &d, &up);
    s.reported(s.up_killed_takes_its_nodes().await)
}

/// The binary, a fresh deployment file, and `meridian up` started on it.
fn launch() -> Result<(PathBuf, Deployment, Up)> {
    let bin = meridian_bin()?;
    let d = Deployment::write()?;
    let up = Up::start(&bin, &d)?;
    Ok((bin, d, up))
}

/// The running deployment and the ways a user reaches it.
struct Session<'a> {
    local: Local<'a>,
    d: &'a Deployment,
    up: &'a Up,
}

impl<'a> Session<'a> {
    fn new(bin: &'a Path, d: &'a Deployment, up: &'a Up) -> Self {
        Session {
            local: Local {
                bin,
                config: &d.config,
            },
            d,
            up,
        }
    }

    /// `result`, after printing `up`'s output and the node logs if it is a failure (or
    /// `MERIDIAN_TEST_SHOW_UP` is set).
    fn reported(&self, result: Result<()>) -> Result<()> {
        if result.is_err() || std::env::var_os("MERIDIAN_TEST_SHOW_UP").is_some() {
            self.print_output();
        }
        result
    }

    async fn up_killed_takes_its_nodes(&self) -> Result<()> {
        self.starts().await?;
        let status = self.local.status().await?;
        let pids: Vec<u32> = status.pids.values().flatten().copied().collect();
        ensure!(pids.len() == NODES.len(), "node pids: {pids:?}");
        phase("SIGKILL `meridian up`: every node stops by itself");
        signal(self.up.pid, "KILL")?;
        eventually("every node of the killed `up` gone", WAIT, || async {
            Ok(pids.iter().all(|p| !alive(*p)).then_some(()))
        })
        .await
    }

    async fn scenario(&self) -> Result<()> {
        let socket = self.starts().await?;
        self.a_second_up_is_refused()?;
        let (killed, leader) = self.kill_the_leader().await?;
        self.restart(killed).await?;
        let victim = NODES
            .into_iter()
            .find(|&n| n != killed && n != leader)
            .context("a third node")?;
        self.crash_behind_ups_back(victim, killed).await?;
        self.pause_and_unpause().await?;
        self.bad_requests().await?;
        self.ctrl_c_stops_everything(&socket).await
    }

    /// Waits until `up` says it is up; returns its control socket.
    async fn starts(&self) -> Result<PathBuf> {
        phase("meridian up starts the nodes and says it is up");
        eventually("`meridian up` prints that it is up", START, || async {
            self.up.check_running()?;
            Ok(self.up.stdout().contains("Meridian is up").then_some(()))
        })
        .await?;
        let socket = self.d.data.canonicalize()?.join("up.sock");
        ensure!(socket.exists(), "no control socket at {}", socket.display());
        Ok(socket)
    }

    fn a_second_up_is_refused(&self) -> Result<()> {
        phase("a second `meridian up` on the same deployment is refused");
        let second = Command::new(self.local.bin)
            .args(["up", "--config"])
            .arg(&self.d.config)
            .output()?;
        let err = String::from_utf8_lossy(&second.stderr);
        ensure!(
            !second.status.success() && err.contains("already running"),
            "second up: {:?} {err}",
            second.status
        );
        Ok(())
    }

    /// Kills the leader; returns it and the leader the others elect.
    async fn kill_the_leader(&self) -> Result<(u64, u64)> {
        phase("write through the leader, then `meridian local kill` it");
        let (local, resp) = (&self.local, &self.d.resp);
        let leader = wait_leader(local, &[]).await?;
        set(resp[&leader], "k1", "before").await?;
        let pid = local.status().await?.pid(leader)?;
        let out = local.ok(&["kill", &leader.to_string()]).await?;
        ensure!(out.contains("killed"), "kill said: {out}");
        ensure!(!alive(pid), "node {leader} (pid {pid}) still exists");
        let again = local.ok(&["kill", &leader.to_string()]).await?;
        ensure!(again.contains("nothing to kill"), "second kill: {again}");
        let (ok, _, err) = local.run(&["pause", &leader.to_string()]).await?;
        ensure!(!ok && err.contains("is down"), "pausing a dead node: {err}");

        phase("the other nodes elect a leader and keep taking writes");
        let others: Vec<u64> = NODES.into_iter().filter(|&n| n != leader).collect();
        let new_leader = wait_leader(local, &[leader]).await?;
        eventually("a write through a surviving node", WAIT, || async {
            Ok(set(resp[&others[0]], "k2", "while-down").await.ok())
        })
        .await?;
        self.up.check_running()?;
        let status = local.status().await?;
        let others_run = others
            .iter()
            .all(|&n| status.state(n).ok() == Some("running"));
        ensure!(
            status.state(leader)? == "killed" && status.pids[&leader].is_none() && others_run,
            "status after the kill:\n{}",
            status.text
        );
        let said = format!("node {leader} killed");
        ensure!(self.up.stdout().contains(&said), "up did not say {said:?}");
        Ok((leader, new_leader))
    }

    async fn restart(&self, node: u64) -> Result<()> {
        phase("meridian local restart brings the node back with what it missed");
        let out = self.local.ok(&["restart", &node.to_string()]).await?;
        ensure!(out.contains("started again"), "restart said: {out}");
        wait_value(self.d.resp[&node], "k2", "while-down").await?;
        wait_value(self.d.resp[&node], "k1", "before").await?;
        let status = self.local.status().await?;
        ensure!(status.state(node)? == "running", "{}", status.text);
        Ok(())
    }

    /// The case: `kill -9` of a node, not through `meridian local`.
    async fn crash_behind_ups_back(&self, victim: u64, writer: u64) -> Result<()> {
        phase("a node killed behind up's back (kill -9): up says so and keeps running");
        let (local, resp) = (&self.local, &self.d.resp);
        signal(local.status().await?.pid(victim)?, "KILL")?;
        let said = format!("node {victim} (use1) exited unexpectedly");
        eventually("up reports the dead node", WAIT, || async {
            Ok(self.up.stdout().contains(&said).then_some(()))
        })
        .await?;
        self.up.check_running()?;
        let status = local.status().await?;
        ensure!(status.state(victim)? == "exited", "{}", status.text);
        eventually("a write with one node dead", WAIT, || async {
            Ok(set(resp[&writer], "k3", "after-crash").await.ok())
        })
        .await?;
        local.ok(&["restart", &victim.to_string()]).await?;
        wait_value(resp[&victim], "k3", "after-crash").await
    }

    async fn pause_and_unpause(&self) -> Result<()> {
        phase("pause a follower: the others go on; unpause: it catches up");
        let (local, resp) = (&self.local, &self.d.resp);
        let leader = wait_leader(local, &[]).await?;
        let paused = NODES
            .into_iter()
            .find(|&n| n != leader)
            .context("a follower")?;
        let out = local.ok(&["pause", &paused.to_string()]).await?;
        ensure!(out.contains("paused"), "pause said: {out}");
        let again = local.ok(&["pause", &paused.to_string()]).await?;
        ensure!(again.contains("already paused"), "second pause: {again}");
        let status = local.status().await?;
        ensure!(status.state(paused)? == "paused", "{}", status.text);
        eventually("a write with one node paused", WAIT, || async {
            Ok(set(resp[&leader], "k4", "while-paused").await.ok())
        })
        .await?;
        local.ok(&["unpause", &paused.to_string()]).await?;
        wait_value(resp[&paused], "k4", "while-paused").await
    }

    async fn bad_requests(&self) -> Result<()> {
        phase("bad requests get clear answers");
        let (ok, _, err) = self.local.run(&["kill", "99"]).await?;
        let listed = err.contains("valid node ids: 1, 2, 3 (use1)");
        ensure!(!ok && listed, "kill 99: {err}");
        let out = self.local.ok(&["unpause", "1"]).await?;
        ensure!(
            out.contains("not paused"),
            "unpause of a running node: {out}"
        );
        Ok(())
    }

    async fn ctrl_c_stops_everything(&self, socket: &Path) -> Result<()> {
        phase("Ctrl-C stops every node and removes the control socket");
        let status = self.local.status().await?;
        let pids: Vec<u32> = status.pids.values().flatten().copied().collect();
        ensure!(pids.len() == NODES.len(), "pids before Ctrl-C: {pids:?}");
        signal(self.up.pid, "INT")?;
        let exit = eventually("`meridian up` exits", WAIT, || async { self.up.exited() }).await?;
        ensure!(exit.success(), "up exited with {exit}");
        for pid in pids {
            ensure!(!alive(pid), "node pid {pid} survived Ctrl-C");
        }
        ensure!(!socket.exists(), "{} left behind", socket.display());
        let (ok, _, err) = self.local.run(&["status"]).await?;
        ensure!(!ok && err.contains("no `meridian up` is running"), "{err}");
        Ok(())
    }

    /// `up`'s output and the end of every node's log, for a failure report.
    fn print_output(&self) {
        eprintln!("--- meridian up stdout:\n{}", self.up.stdout());
        let err = read(&self.d.dir.path().join("up.err"));
        eprintln!("--- meridian up stderr:\n{err}");
        for id in NODES {
            let log = self.d.data.join("logs").join(format!("node-{id}.log"));
            eprintln!("--- {} (tail):\n{}", log.display(), tail(&read(&log), 30));
        }
    }
}
