//! The admin client: one request, one reply, one connection.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::admin_protocol::MAX_REPLY_LINE;
use crate::{AdminReply, AdminRequest, RegionPair, Status, WanProxyError};

/// How long one admin request may take, connecting included.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `request` to the admin endpoint at `addr` (`host:port`) and returns the status it
/// answers with (for `SET`: the table after the change).
pub async fn admin_request(addr: &str, request: &AdminRequest) -> Result<Status, WanProxyError> {
    let io_error = |source| WanProxyError::AdminIo {
        addr: addr.to_string(),
        source,
    };
    let line = tokio::time::timeout(ADMIN_TIMEOUT, exchange(addr, request))
        .await
        .map_err(|_| {
            io_error(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no reply within {ADMIN_TIMEOUT:?}"),
            ))
        })?
        .map_err(io_error)?;
    let reply: AdminReply = serde_json::from_str(&line).map_err(|e| {
        WanProxyError::AdminProtocol(format!("unreadable reply from {addr}: {e}: {line:?}"))
    })?;
    match reply {
        AdminReply::Ok(status) => Ok(status),
        AdminReply::Error(why) => Err(WanProxyError::AdminRefused(why)),
    }
}

/// The latency table and traffic counters of the proxy at `addr`.
pub async fn show(addr: &str) -> Result<Status, WanProxyError> {
    admin_request(addr, &AdminRequest::Show).await
}

/// Sets the latency of `pair` on the proxy at `addr`; `jitter_ms: None` keeps the pair's
/// jitter. Returns the table after the change.
pub async fn set(
    addr: &str,
    pair: RegionPair,
    rtt_ms: u64,
    jitter_ms: Option<u64>,
) -> Result<Status, WanProxyError> {
    let request = AdminRequest::Set {
        pair,
        rtt_ms,
        jitter_ms,
    };
    admin_request(addr, &request).await
}

async fn exchange(addr: &str, request: &AdminRequest) -> io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{request}\n").as_bytes()).await?;
    write.shutdown().await?;
    let mut line = String::new();
    BufReader::new(read)
        .take(MAX_REPLY_LINE)
        .read_line(&mut line)
        .await?;
    if !line.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the reply ended before its newline",
        ));
    }
    Ok(line)
}
