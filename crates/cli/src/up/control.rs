//! The control endpoint of a running `meridian up`: a Unix socket at `<data_dir>/up.sock`
//! through which `meridian local …` asks for the nodes' status and for faults.
//!
//! One `up` per deployment: `up` holds an exclusive lock on `<data_dir>/up.lock` (which also
//! holds its pid) for as long as it runs, so a second `up` on the same data is refused, and a
//! socket file left behind by an `up` that crashed is known to be stale and replaced.
//!
//! Protocol: one request per connection, each a line of JSON, answered by one line of JSON.
//!
//! ```text
//! → {"op":"status"}
//! → {"op":"kill","node":2}        also "stop", "restart", "pause", "unpause"
//! ← {"ok":true,"message":"node 2 killed (SIGKILL) …","up_pid":4242,"nodes":[
//!     {"id":1,"member":"use1","region":"us-east-1","pid":4250,"state":"running",
//!      "exit":null,"resp":"127.0.0.1:6401","grpc":"127.0.0.1:7401","log":"…/node-1.log"}, …]}
//! ```
//!
//! `ok` is false when the request could not be carried out (unknown node, pausing a node that
//! is down, `up` still starting); `message` then says why. `nodes` is the state after the
//! request. `state` is `running`, `paused`, `exited` (on its own; `exit` has its status),
//! `killed` or `stopped` (by `meridian local kill` / `stop`).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::warn;

/// Longest request line accepted.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;
/// How long `meridian local` waits for an answer: a restart may first wait for a clean stop.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// What `meridian local` asks of `up`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    Status,
    Kill { node: u64 },
    Stop { node: u64 },
    Restart { node: u64 },
    Pause { node: u64 },
    Unpause { node: u64 },
}

impl Request {
    /// The node a fault request names; `None` for `status`.
    pub fn node(self) -> Option<u64> {
        match self {
            Request::Status => None,
            Request::Kill { node }
            | Request::Stop { node }
            | Request::Restart { node }
            | Request::Pause { node }
            | Request::Unpause { node } => Some(node),
        }
    }
}

/// The answer to one [`Request`].
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Reply {
    pub ok: bool,
    pub message: String,
    pub up_pid: u32,
    pub nodes: Vec<NodeStatus>,
}

/// One node as `up` sees it.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct NodeStatus {
    pub id: u64,
    /// The node's cluster, or `witness`.
    pub member: String,
    pub region: String,
    /// Present while the process exists (running or paused).
    pub pid: Option<u32>,
    pub state: NodeState,
    /// How the process ended, when it is down.
    pub exit: Option<String>,
    /// RESP address (`None` for a witness).
    pub resp: Option<String>,
    pub grpc: String,
    pub log: PathBuf,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeState {
    Running,
    Paused,
    /// Ended on its own (a crash, or a signal not sent by `up`).
    Exited,
    /// Killed by `meridian local kill`.
    Killed,
    /// Stopped by `meridian local stop`.
    Stopped,
}

impl NodeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Running => "running",
            NodeState::Paused => "paused",
            NodeState::Exited => "exited",
            NodeState::Killed => "killed",
            NodeState::Stopped => "stopped",
        }
    }
}

/// A request on its way to the supervisor loop, with where its answer goes.
pub type Envelope = (Request, oneshot::Sender<Reply>);

/// Where the control socket of the deployment with this data dir lives. The path is made
/// canonical (when the dir exists) so `up` and `local` agree however the config spells it,
/// and so it stays short: a Unix socket path must fit in 108 bytes.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    std::fs::canonicalize(data_dir)
        .unwrap_or_else(|_| data_dir.to_path_buf())
        .join("up.sock")
}

/// The `up` lock on a deployment's data dir; released when dropped (or when `up` dies).
pub struct UpLock {
    _file: File,
}

/// Takes the deployment's `up` lock, or says which `up` holds it.
pub fn lock(data_dir: &Path) -> Result<UpLock> {
    let path = data_dir.join("up.lock");
    let mut file = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    if let Err(e) = file.try_lock() {
        if let std::fs::TryLockError::Error(e) = e {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
        let pid = std::fs::read_to_string(&path).unwrap_or_default();
        bail!(
            "another `meridian up` (pid {}) is already running this deployment (data in {}); \
             stop it with Ctrl-C, or talk to it with `meridian local status`",
            pid.trim(),
            data_dir.display()
        );
    }
    file.set_len(0)
        .and_then(|()| write!(file, "{}", std::process::id()))
        .with_context(|| format!("writing pid to {}", path.display()))?;
    Ok(UpLock { _file: file })
}

/// The bound socket file; removed when dropped.
pub struct SocketFile {
    path: PathBuf,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            warn!(path = %self.path.display(), error = %e, "could not remove the control socket");
        }
    }
}

/// Binds the control socket, replacing a stale one (the caller holds the [`UpLock`]).
pub fn bind(data_dir: &Path) -> Result<(UnixListener, SocketFile)> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            warn!(path = %path.display(), "replaced the control socket of an earlier `up` that did not stop cleanly")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing stale {}", path.display())),
    }
    let listener = UnixListener::bind(&path).with_context(|| {
        format!(
            "binding the control socket {} (a Unix socket path must be under 108 bytes; \
             a shorter data_dir helps)",
            path.display()
        )
    })?;
    Ok((listener, SocketFile { path }))
}

/// Accepts `meridian local` connections and hands their requests to the supervisor through
/// `requests`; until `ready` is true, answers that `up` is still starting.
pub fn serve(
    listener: UnixListener,
    requests: mpsc::Sender<Envelope>,
    ready: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let requests = requests.clone();
                    let ready = ready.clone();
                    tokio::spawn(async move {
                        if let Err(e) = answer(stream, requests, ready).await {
                            warn!(error = %format!("{e:#}"), "control connection failed");
                        }
                    });
                }
                Err(e) => {
                    warn!(error = %e, "accepting a control connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

async fn answer(
    stream: UnixStream,
    requests: mpsc::Sender<Envelope>,
    ready: watch::Receiver<bool>,
) -> Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read.take(MAX_REQUEST_BYTES))
        .read_line(&mut line)
        .await
        .context("reading a request")?;
    let refuse = |message: String| Reply {
        ok: false,
        message,
        up_pid: std::process::id(),
        nodes: Vec::new(),
    };
    let reply = match serde_json::from_str::<Request>(&line) {
        Err(e) => refuse(format!("bad request {:?}: {e}", line.trim_end())),
        Ok(_) if !*ready.borrow() => refuse(
            "`meridian up` is still starting the nodes; try again once it prints \
             \"Meridian is up\""
                .into(),
        ),
        Ok(request) => {
            let (tx, rx) = oneshot::channel();
            requests
                .send((request, tx))
                .await
                .context("`up` is shutting down")?;
            rx.await.context("`up` is shutting down")?
        }
    };
    let mut out = serde_json::to_vec(&reply)?;
    out.push(b'\n');
    write.write_all(&out).await.context("writing the reply")?;
    Ok(())
}

/// Sends one request to the `up` whose control socket is `path` and returns its answer;
/// `None` when no `up` is running there (no socket, or nobody listening on it).
pub async fn call(path: &Path, request: Request) -> Result<Option<Reply>> {
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e).with_context(|| format!("connecting to {}", path.display())),
    };
    let exchange = async {
        let (read, mut write) = stream.into_split();
        let mut out = serde_json::to_vec(&request)?;
        out.push(b'\n');
        write.write_all(&out).await.context("sending the request")?;
        let mut line = String::new();
        BufReader::new(read)
            .read_line(&mut line)
            .await
            .context("reading the reply")?;
        serde_json::from_str::<Reply>(&line)
            .with_context(|| format!("parsing the reply {:?}", line.trim_end()))
    };
    let reply = tokio::time::timeout(CALL_TIMEOUT, exchange)
        .await
        .map_err(|_| anyhow::anyhow!("no reply within {}s", CALL_TIMEOUT.as_secs()))
        .and_then(|r| r)
        .with_context(|| format!("talking to `meridian up` through {}", path.display()))?;
    Ok(Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_json_object_each() {
        let text = serde_json::to_string(&Request::Kill { node: 2 }).unwrap();
        assert_eq!(text, r#"{"op":"kill","node":2}"#);
        let back: Request = serde_json::from_str(r#"{"op":"status"}"#).unwrap();
        assert_eq!(back, Request::Status);
    }

    #[tokio::test]
    async fn a_second_lock_is_refused_and_a_stale_socket_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).err().unwrap().to_string();
        assert!(err.contains("already running"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        let _again = lock(dir.path()).unwrap();

        std::fs::write(socket_path(dir.path()), b"left over").unwrap();
        let (_listener, file) = bind(dir.path()).unwrap();
        assert!(socket_path(dir.path()).exists());
        drop(file);
        assert!(!socket_path(dir.path()).exists());
        let missing = call(&socket_path(dir.path()), Request::Status).await;
        assert!(matches!(missing, Ok(None)));
    }
}
