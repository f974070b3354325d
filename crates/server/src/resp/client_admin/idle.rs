//! Waiting for the next request: the idle `timeout` (Redis `clientsCronHandleTimeout`: a
//! client idle longer than `timeout` seconds is closed, in MULTI too; blocked clients and
//! monitors and subscribers are exempt), a monitor forwarding the feed and a subscriber its
//! messages while they wait.

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tracing::debug;

use super::idle_timeout;
use crate::resp::connection::Connection;

/// How often a waiting client looks at the `timeout` setting again (it may change).
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

impl Connection {
    /// Waits for more request bytes; false when the connection should end (EOF, shutdown,
    /// killed, idle past `timeout`, or the query buffer limit).
    pub(crate) async fn await_request(&mut self) -> io::Result<bool> {
        if self.session.admin.monitor.is_some() {
            return self.forward_monitor().await;
        }
        if self.session.pubsub.is_some() {
            return self.forward_messages().await;
        }
        let since = Instant::now();
        loop {
            let deadline = idle_timeout(&self.shared).map(|t| since + t);
            if deadline.is_some_and(|d| d <= Instant::now()) {
                debug!("closing idle client (timeout)");
                return Ok(false);
            }
            let wake = deadline.map_or(Instant::now() + RECHECK, |d| {
                d.min(Instant::now() + RECHECK)
            });
            tokio::select! {
                more = self.read_more() => return more,
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// A monitor's wait: forwards feed lines as they come until the client sends bytes.
    async fn forward_monitor(&mut self) -> io::Result<bool> {
        let Some(mut feed) = self.session.admin.monitor.take() else {
            return self.read_more().await;
        };
        let result = loop {
            tokio::select! {
                line = feed.recv() => match line {
                    Ok(line) => {
                        if let Err(e) = self.stream.write_all(&line).await {
                            break Err(e);
                        }
                    }
                    Err(RecvError::Lagged(lost)) => {
                        debug!(lost, "monitor fell behind; lines lost");
                    }
                    Err(RecvError::Closed) => break Ok(false),
                },
                more = self.read_more() => break more,
            }
        };
        self.session.admin.monitor = Some(feed);
        result
    }
}
