//! One node process of `meridian up`: starting it, signalling it, and the fault verbs.
//!
//! Only this module waits on a child, so a process id stays reserved (a zombie at worst)
//! until the node's state here says it is down: a signal sent to a pid held here always
//! reaches the node it names.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tracing::warn;

use super::control::{NodeState, NodeStatus};

/// How long a node gets to stop cleanly after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(15);

/// How to start a node: the binary, the config, where logs go.
pub struct Launcher {
    pub exe: PathBuf,
    pub config: PathBuf,
    pub log_dir: PathBuf,
}

/// One node of the deployment and its process, if any.
pub struct Node {
    pub id: u64,
    /// The node's cluster, or `witness`.
    pub member: String,
    region: String,
    resp: Option<String>,
    grpc: String,
    pub log: PathBuf,
    proc: Proc,
}

enum Proc {
    Up {
        child: Child,
        pid: u32,
        paused: bool,
    },
    Down {
        state: NodeState,
        status: String,
    },
}

impl Launcher {
    /// Starts node `n` on its data dir, its output appended to its log file.
    fn spawn(&self, n: &Node) -> Result<Proc> {
        let mut out = File::options()
            .create(true)
            .append(true)
            .open(&n.log)
            .with_context(|| format!("opening log file {}", n.log.display()))?;
        // Marks each start, so a log read after a restart shows where this run begins.
        let _ = writeln!(out, "==== meridian up: starting node {} ====", n.id);
        let err = out.try_clone().context("duplicating log file handle")?;
        let child = Command::new(&self.exe)
            .arg("node")
            .arg("--config")
            .arg(&self.config)
            .arg("--node")
            .arg(n.id.to_string())
            // The node stops when this pipe closes: when `up` dies, however it dies. The write
            // end lives in `child` for as long as the node runs.
            .arg("--stop-on-stdin-close")
            .stdin(Stdio::piped())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {}", n.id))?;
        let pid = child
            .id()
            .with_context(|| format!("node {} exited as it started", n.id))?;
        Ok(Proc::Up {
            child,
            pid,
            paused: false,
        })
    }
}

impl Node {
    /// A node not started yet; its log is `<log_dir>/node-<id>.log`.
    pub fn new(
        launcher: &Launcher,
        id: u64,
        member: &str,
        region: &str,
        resp: Option<String>,
        grpc: String,
    ) -> Self {
        Node {
            id,
            member: member.to_string(),
            region: region.to_string(),
            resp,
            grpc,
            log: launcher.log_dir.join(format!("node-{id}.log")),
            proc: Proc::Down {
                state: NodeState::Stopped,
                status: "not started".into(),
            },
        }
    }

    /// Starts the process (the node must be down).
    pub fn start(&mut self, launcher: &Launcher) -> Result<()> {
        self.proc = launcher.spawn(self)?;
        Ok(())
    }

    pub fn status(&self) -> NodeStatus {
        let (pid, state, exit) = match &self.proc {
            Proc::Up { pid, paused, .. } => {
                let state = if *paused {
                    NodeState::Paused
                } else {
                    NodeState::Running
                };
                (Some(*pid), state, None)
            }
            Proc::Down { state, status } => (None, *state, Some(status.clone())),
        };
        NodeStatus {
            id: self.id,
            member: self.member.clone(),
            region: self.region.clone(),
            pid,
            state,
            exit,
            resp: self.resp.clone(),
            grpc: self.grpc.clone(),
            log: self.log.clone(),
        }
    }

    /// If the process ended, records it as exited on its own and returns how it ended.
    pub fn reap(&mut self) -> Result<Option<ExitStatus>> {
        let Proc::Up { child, .. } = &mut self.proc else {
            return Ok(None);
        };
        let Some(status) = child
            .try_wait()
            .with_context(|| format!("checking on node {}", self.id))?
        else {
            return Ok(None);
        };
        self.proc = Proc::Down {
            state: NodeState::Exited,
            status: status.to_string(),
        };
        Ok(Some(status))
    }

    fn signal(&self, signal: Signal) -> Result<()> {
        if let Proc::Up { pid, .. } = &self.proc {
            kill(Pid::from_raw(*pid as i32), signal)
                .with_context(|| format!("sending {signal} to node {}", self.id))?;
        }
        Ok(())
    }

    /// Asks the process to stop; a paused one is woken so it can.
    pub fn terminate(&self) {
        let paused = matches!(self.proc, Proc::Up { paused: true, .. });
        let mut result = self.signal(Signal::SIGTERM);
        if paused {
            result = result.and_then(|()| self.signal(Signal::SIGCONT));
        }
        if let Err(e) = result {
            warn!(node = self.id, error = %format!("{e:#}"), "could not ask the node to stop");
        }
    }

    /// Waits for the process to end until `deadline`, then SIGKILLs it; records it as down in
    /// `state`.
    pub async fn wait_down(&mut self, deadline: Instant, state: NodeState) {
        let Proc::Up { child, .. } = &mut self.proc else {
            return;
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match tokio::time::timeout(left, child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                warn!(node = self.id, "did not stop in time; killing it");
                let _ = child.start_kill();
                child.wait().await
            }
        };
        let status = match status {
            Ok(s) => s.to_string(),
            Err(e) => format!("unknown ({e})"),
        };
        self.proc = Proc::Down { state, status };
    }

    /// Why this node cannot be signalled, when it is down.
    fn down_reason(&self) -> Option<String> {
        let Proc::Down { state, status } = &self.proc else {
            return None;
        };
        let how = match state {
            NodeState::Killed => "killed by `meridian local kill`".to_string(),
            NodeState::Stopped => "stopped by `meridian local stop`".to_string(),
            _ => format!("exited: {status}"),
        };
        Some(format!(
            "node {} is down ({how}); `meridian local restart {}` starts it",
            self.id, self.id
        ))
    }

    pub async fn kill(&mut self) -> Result<String> {
        if let Some(reason) = self.down_reason() {
            return Ok(format!("{reason}; nothing to kill"));
        }
        self.signal(Signal::SIGKILL)?;
        self.wait_down(Instant::now() + STOP_GRACE, NodeState::Killed)
            .await;
        Ok(format!(
            "node {} killed (SIGKILL); its data is kept; `meridian local restart {}` starts it \
             again",
            self.id, self.id
        ))
    }

    pub async fn stop(&mut self) -> Result<String> {
        if let Some(reason) = self.down_reason() {
            return Ok(format!("{reason}; nothing to stop"));
        }
        self.terminate();
        self.wait_down(Instant::now() + STOP_GRACE, NodeState::Stopped)
            .await;
        Ok(format!("node {} stopped (SIGTERM)", self.id))
    }

    pub fn pause(&mut self) -> Result<String> {
        if let Some(reason) = self.down_reason() {
            bail!("{reason}; cannot pause it");
        }
        if matches!(self.proc, Proc::Up { paused: true, .. }) {
            return Ok(format!("node {} is already paused", self.id));
        }
        self.signal(Signal::SIGSTOP)?;
        self.set_paused(true);
        Ok(format!(
            "node {} paused (SIGSTOP); `meridian local unpause {}` resumes it",
            self.id, self.id
        ))
    }

    pub fn unpause(&mut self) -> Result<String> {
        if let Some(reason) = self.down_reason() {
            bail!("{reason}; cannot unpause it");
        }
        if matches!(self.proc, Proc::Up { paused: false, .. }) {
            return Ok(format!("node {} is not paused; nothing to do", self.id));
        }
        self.signal(Signal::SIGCONT)?;
        self.set_paused(false);
        Ok(format!("node {} resumed (SIGCONT)", self.id))
    }

    fn set_paused(&mut self, now: bool) {
        if let Proc::Up { paused, .. } = &mut self.proc {
            *paused = now;
        }
    }

    /// Stops the node if it runs (cleanly, waking it if paused), then starts it again on the
    /// same data dir.
    pub async fn restart(&mut self, launcher: &Launcher) -> Result<String> {
        let was_up = self.down_reason().is_none();
        if was_up {
            self.terminate();
            self.wait_down(Instant::now() + STOP_GRACE, NodeState::Stopped)
                .await;
        }
        self.start(launcher)?;
        let pid = self.status().pid.unwrap_or_default();
        let how = if was_up { "restarted" } else { "started again" };
        Ok(format!("node {} {how} (pid {pid})", self.id))
    }
}

/// The last `lines` lines of a log file, without terminal colour codes.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let last = all[all.len().saturating_sub(lines)..].join("\n");
    strip_ansi(&last)
}

/// Drops `ESC [ … letter` sequences (the node's log colours).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_colours_are_dropped() {
        let line = "\u{1b}[2m2026-12-04T23:16:17Z\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m vote changed";
        assert_eq!(strip_ansi(line), "2026-12-04T23:16:17Z  WARN vote changed");
    }
}
