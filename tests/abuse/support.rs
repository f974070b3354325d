//! The pieces of `tests/abuse.rs`: one real `meridian node` process (a one-node cluster, so
//! its RSS is the node's own), its RSS sampled while a case runs, a raw RESP client, and the
//! check that another client is still served.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use meridian_testkit::{eventually, meridian_bin};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

/// One request and its reply on a healthy node.
pub const REPLY: Duration = Duration::from_secs(5);

/// A one-node Meridian cluster run from the built binary; killed when dropped.
pub struct Node {
    child: Child,
    pub pid: u32,
    pub resp: SocketAddr,
    dir: TempDir,
}

impl Node {
    pub async fn start() -> Result<Node> {
        let dir = tempfile::tempdir()?;
        // Every listener held until all are chosen, so the ports are distinct.
        let listeners = (0..3)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()?;
        drop(listeners);
        let config = dir.path().join("deployment.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\n\n[[clusters]]\nname = \"use1\"\nregion = \"us-east-1\"\n\n\
                 [[clusters.nodes]]\nid = 1\nhost = \"127.0.0.1\"\ngrpc_port = {}\n\
                 resp_port = {}\nmetrics_port = {}\ncoord = true\n",
                dir.path().join("data").display().to_string(),
                ports[0],
                ports[1],
                ports[2]
            ),
        )?;
        let log = dir.path().join("node.log");
        let child = Command::new(meridian_bin()?)
            .args(["--worker-threads", "2", "node", "--config"])
            .arg(&config)
            .args(["--node", "1"])
            .stdin(Stdio::null())
            .stdout(File::create(&log)?)
            .stderr(File::create(dir.path().join("node.err"))?)
            .spawn()
            .context("starting meridian node")?;
        let node = Node {
            pid: child.id(),
            child,
            resp: SocketAddr::from(([127, 0, 0, 1], ports[1])),
            dir,
        };
        let addr = node.resp;
        eventually("the node answers SET", Duration::from_secs(60), || async {
            let Ok(mut c) = Raw::connect(addr).await else {
                return Ok(None);
            };
            Ok(c.roundtrip("SET up 1\r\n", "+OK\r\n").await.ok())
        })
        .await
        .with_context(|| node.log())?;
        Ok(node)
    }

    /// The node's log, to print when a case fails.
    pub fn log(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let text =
            read(&self.dir.path().join("node.log")) + &read(&self.dir.path().join("node.err"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn rss_kib(&self) -> Result<u64> {
        rss_kib(self.pid)
    }

    /// Fails when the process has exited (a crash).
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the node exited ({status}):\n{}", self.log());
        }
        Ok(())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no VmRSS line")
}

/// The node's RSS before a case, its peak (sampled every 10 ms) while the case runs, and
/// after.
pub struct Memory {
    pid: u32,
    before: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl Memory {
    pub fn watch(node: &Node) -> Result<Memory> {
        let (pid, before) = (node.pid, node.rss_kib()?);
        let peak = Arc::new(AtomicU64::new(before));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let sampler = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(kib) = rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Ok(Memory {
            pid,
            before,
            peak,
            stop,
            sampler: Some(sampler),
        })
    }

    /// Stops sampling, prints the figures, and fails when the peak grew past `bound_mib`.
    pub fn report(mut self, case: &str, bound_mib: u64) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.sampler.take() {
            let _ = s.join();
        }
        let after = rss_kib(self.pid)?;
        let peak = self.peak.load(Ordering::Relaxed).max(after);
        let mib = |k: u64| k as f64 / 1024.0;
        println!(
            "abuse::{case}: node RSS before {:.1} MiB, peak {:.1} MiB (+{:.1}), after {:.1} MiB",
            mib(self.before),
            mib(peak),
            mib(peak - self.before.min(peak)),
            mib(after)
        );
        let grew = peak.saturating_sub(self.before) / 1024;
        if grew >= bound_mib {
            bail!("{case}: the node's RSS grew by {grew} MiB (bound {bound_mib} MiB)");
        }
        Ok(())
    }
}

/// A fresh client gets PING, SET and GET answered, each within [`REPLY`].
pub async fn served(addr: SocketAddr, tag: &str) -> Result<()> {
    let mut c = Raw::connect(addr).await?;
    c.roundtrip("PING\r\n", "+PONG\r\n").await?;
    let value = format!("v-{tag}");
    c.roundtrip(&format!("SET check:{tag} {value}\r\n"), "+OK\r\n")
        .await?;
    c.roundtrip(
        &format!("GET check:{tag}\r\n"),
        &format!("${}\r\n{value}\r\n", value.len()),
    )
    .await
    .with_context(|| format!("another client served during {tag}"))
}

/// A raw RESP connection for byte-exact checks.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub async fn connect(addr: SocketAddr) -> Result<Raw> {
        let stream = timeout(REPLY, TcpStream::connect(addr))
            .await
            .with_context(|| format!("connecting to {addr}"))??;
        Ok(Raw {
            stream,
            buf: Vec::new(),
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        timeout(REPLY, self.stream.write_all(bytes))
            .await
            .context("sending")??;
        Ok(())
    }

    /// Reads until exactly `expected` has arrived (fails on a mismatch, EOF or deadline).
    pub async fn expect(&mut self, expected: &[u8]) -> Result<()> {
        let deadline = Instant::now() + REPLY;
        while self.buf.len() < expected.len() && expected.starts_with(&self.buf) {
            let mut chunk = vec![0u8; 16 * 1024];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .with_context(|| {
                    format!("waiting for {:?}", String::from_utf8_lossy(expected))
                })??;
            if n == 0 {
                break;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        if !self.buf.starts_with(expected) {
            bail!(
                "expected {:?}, got {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(&self.buf)
            );
        }
        self.buf.drain(..expected.len());
        Ok(())
    }

    pub async fn roundtrip(&mut self, request: &str, reply: &str) -> Result<()> {
        self.send(request.as_bytes()).await?;
        self.expect(reply.as_bytes())
            .await
            .with_context(|| format!("request {request:?}"))
    }

    /// The server closes the connection within `limit` (a reset counts as closed).
    pub async fn expect_closed(&mut self, limit: Duration) -> Result<()> {
        let mut chunk = [0u8; 1024];
        match timeout(limit, self.stream.read(&mut chunk)).await {
            Err(_) => bail!("connection still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => Ok(()),
            Ok(Ok(n)) => bail!(
                "unexpected bytes before close: {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
        }
    }

    /// Nothing arrives and the connection stays open for `quiet`.
    pub async fn expect_open(&mut self, quiet: Duration) -> Result<()> {
        let mut chunk = [0u8; 64];
        match timeout(quiet, self.stream.read(&mut chunk)).await {
            Err(_) => Ok(()),
            Ok(Ok(0)) | Ok(Err(_)) => bail!("the connection was closed"),
            Ok(Ok(n)) => bail!(
                "unexpected bytes {:?}",
                String::from_utf8_lossy(&chunk[..n])
            ),
        }
    }
}

/// `INFO clients`' `connected_clients` on a fresh connection (counting that one).
pub async fn connected_clients(addr: SocketAddr) -> Result<u64> {
    let mut c = Raw::connect(addr).await?;
    c.send(b"INFO clients\r\n").await?;
    let deadline = Instant::now() + REPLY;
    loop {
        let text = String::from_utf8_lossy(&c.buf).into_owned();
        // Only whole lines: the last piece may still be arriving.
        let whole = text.rsplit_once("\r\n").map_or("", |(w, _)| w);
        if let Some(v) = whole
            .split("\r\n")
            .find_map(|l| l.strip_prefix("connected_clients:"))
        {
            return Ok(v.trim().parse()?);
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, c.stream.read(&mut chunk)).await??;
        if n == 0 {
            bail!("closed before INFO clients answered");
        }
        c.buf.extend_from_slice(&chunk[..n]);
    }
}
