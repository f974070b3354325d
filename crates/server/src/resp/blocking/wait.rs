//! A connection blocked in BLPOP and its kin: the first attempt, the wait, each serving
//! attempt, and how the wait ends (served, timeout, CLIENT UNBLOCK, the client gone, the
//! cluster turned secondary). See the parent module for the design.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use meridian_keyspace::{block_spec, retry_argv, served_nothing, timeout_reply, BlockSpec};
use meridian_types::Reply;
use tokio::time::Instant;

use crate::resp::blocking::Waiter;
use crate::resp::client_admin::{after_block, BlockGuard, Unblock};
use crate::resp::connection::{Connection, Flow};
use crate::resp::errors::write_error;

/// How often a blocked client looks at the data and the cluster's role even without a
/// wake-up: a safety net, not the way clients are served.
const RECHECK: Duration = Duration::from_millis(250);

/// Redis's error to blocked clients when the instance turns into a replica.
const TURNED_REPLICA: &str =
    "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

/// How a wait ended.
enum Ended {
    Served(Reply),
    TimedOut,
    Unblocked(Unblock),
    TurnedSecondary,
    Gone,
}

impl Connection {
    /// Runs a blocking command outside MULTI: served at once when a key is ready, otherwise
    /// the client waits in line (requests it pipelines meanwhile stay buffered, as on Redis).
    pub(crate) async fn blocking_command(&mut self, argv: Vec<Bytes>) -> io::Result<Flow> {
        self.flush_pending().await;
        if argv[0].eq_ignore_ascii_case(b"xread") || argv[0].eq_ignore_ascii_case(b"xreadgroup") {
            return self.stream_read(argv).await;
        }
        let spec = match block_spec(&argv) {
            Some(Ok(spec)) => spec,
            Some(Err(err)) => {
                self.reply(err);
                return Ok(Flow::Continue);
            }
            None => {
                self.reply(Reply::Error("ERR not a blocking command".into()));
                return Ok(Flow::Continue);
            }
        };
        let waiter = self.shared.blocking.register(self.session.db, &spec.keys);
        // A client that finds others in line on one of its keys waits behind them (they may
        // not have taken what was just pushed yet), as on Redis, where a key with clients in
        // line is never left holding values. A secondary answers READONLY either way.
        if waiter.first_in_every_line() || self.shared.group.role().is_secondary() {
            let first = self.serving_attempt(argv.clone()).await;
            if !served_nothing(&first) {
                self.reply(first);
                return Ok(Flow::Continue);
            }
        }
        self.write_out().await?;
        self.shared.blocked.fetch_add(1, Ordering::Relaxed);
        let ended = self.wait_in_line(&argv, &spec, &waiter).await;
        self.shared.blocked.fetch_sub(1, Ordering::Relaxed);
        drop(waiter);
        match ended? {
            Ended::Served(reply) => self.reply(reply),
            Ended::TimedOut => self.reply(timeout_reply(&argv)),
            Ended::Unblocked(why) => self.reply(after_block(Some(why), timeout_reply(&argv))),
            Ended::TurnedSecondary => {
                self.reply(Reply::Error(TURNED_REPLICA.into()));
                return Ok(Flow::Close);
            }
            Ended::Gone => return Ok(Flow::Close),
        }
        Ok(Flow::Continue)
    }

    async fn wait_in_line(
        &mut self,
        argv: &[Bytes],
        spec: &BlockSpec,
        waiter: &Waiter,
    ) -> io::Result<Ended> {
        let deadline = deadline_after(spec.timeout_ms);
        let mut unblock = BlockGuard::new(&self.registered);
        loop {
            let expired = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = expired => return Ok(Ended::TimedOut),
                why = unblock.released() => return Ok(Ended::Unblocked(why)),
                _ = waiter.woken() => {}
                _ = tokio::time::sleep(RECHECK) => {
                    if self.shared.group.role().is_secondary() {
                        return Ok(Ended::TurnedSecondary);
                    }
                }
                more = self.read_more() => match more? {
                    true => continue,
                    false => return Ok(Ended::Gone),
                },
            }
            let ready = self.ready_keys(spec, waiter);
            if ready.is_empty() {
                waiter.settled();
                continue;
            }
            let reply = self.serving_attempt(retry_argv(argv, &ready)).await;
            if !served_nothing(&reply) {
                return Ok(Ended::Served(reply));
            }
            waiter.settled();
        }
    }

    /// The keys this client is first in line on that hold a value it can take, as this node
    /// sees them now.
    fn ready_keys(&self, spec: &BlockSpec, waiter: &Waiter) -> Vec<Bytes> {
        let heads = waiter.heads();
        if heads.is_empty() {
            return heads;
        }
        let (db, now) = (self.session.db, self.shared.group.clock().unix_ms());
        self.shared.group.sm().read(|dbs| {
            heads
                .into_iter()
                .filter(|k| dbs.block_ready(db, k, spec.family, now))
                .collect()
        })
    }

    /// One attempt, proposed as a replicated write: the element it pops is decided by the log.
    pub(super) async fn serving_attempt(&mut self, argv: Vec<Bytes>) -> Reply {
        let group = self.shared.group.clone();
        match group
            .write_in(self.session.db, vec![argv], Vec::new())
            .await
        {
            Ok(result) => {
                self.session.last_write_seq = self.session.last_write_seq.max(result.seq);
                result
                    .replies
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Reply::Error("ERR the write produced no reply".into()))
            }
            Err(e) => write_error(&e),
        }
    }
}

/// When a wait of `timeout_ms` (0: forever) started now ends; None for forever or a timeout
/// too far away to represent.
pub(super) fn deadline_after(timeout_ms: u64) -> Option<Instant> {
    if timeout_ms == 0 {
        return None;
    }
    Instant::now().checked_add(Duration::from_millis(timeout_ms))
}
