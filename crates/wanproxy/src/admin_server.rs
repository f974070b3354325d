//! The admin endpoint: reads request lines, answers each with one JSON line (see
//! [`crate::AdminRequest`] and [`crate::AdminReply`]), until the client closes.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::admin_protocol::MAX_REQUEST_LINE;
use crate::config::check_known;
use crate::shared::Shared;
use crate::{AdminReply, AdminRequest, Latency, RegionPair, WanProxyError};

/// Serves admin connections on `listener` until `cancel`.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let (shared, cancel) = (Arc::clone(&shared), cancel.clone());
                conns.spawn(async move {
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        result = serve_connection(stream, &shared) => if let Err(e) = result {
                            debug!(error = %e, "admin connection ended with an error");
                        }
                    }
                });
            }
            Err(e) => {
                warn!(error = %e, "accepting an admin connection failed");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                }
            }
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

async fn serve_connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        let n = (&mut reader)
            .take(MAX_REQUEST_LINE)
            .read_line(&mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        let too_long = !line.ends_with('\n') && n as u64 == MAX_REQUEST_LINE;
        let reply = if too_long {
            AdminReply::Error(format!("request line longer than {MAX_REQUEST_LINE} bytes"))
        } else {
            handle(&line, shared)
        };
        let mut json = serde_json::to_string(&reply).map_err(io::Error::other)?;
        json.push('\n');
        write.write_all(json.as_bytes()).await?;
        if too_long {
            return Ok(());
        }
    }
}

fn handle(line: &str, shared: &Shared) -> AdminReply {
    let result = line
        .parse::<AdminRequest>()
        .and_then(|request| match request {
            AdminRequest::Show => Ok(()),
            AdminRequest::Set {
                pair,
                rtt_ms,
                jitter_ms,
            } => apply_set(shared, pair, rtt_ms, jitter_ms),
        });
    match result {
        Ok(()) => AdminReply::Ok(shared.status()),
        Err(e) => AdminReply::Error(e.to_string()),
    }
}

fn apply_set(
    shared: &Shared,
    pair: RegionPair,
    rtt_ms: u64,
    jitter_ms: Option<u64>,
) -> Result<(), WanProxyError> {
    check_known(&shared.regions, &pair)?;
    let jitter_ms = jitter_ms.unwrap_or_else(|| shared.table.get(&pair).jitter_ms);
    info!(pair = %pair, rtt_ms, jitter_ms, "latency changed");
    shared.table.set(pair, Latency { rtt_ms, jitter_ms });
    Ok(())
}
