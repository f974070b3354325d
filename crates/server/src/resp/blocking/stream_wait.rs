//! XREAD and XREADGROUP with BLOCK: the client waits in line on its stream keys (the same
//! lines as BLPOP's, woken by the state machine's observer) until a write gives it entries.
//! Without BLOCK they answer at once. See `meridian_keyspace`'s `cmd_stream/blocking.rs`.
//!
//! XREAD's `$` is resolved to each stream's last id in the same state its first run read, so
//! no entry added after that run is missed; every later attempt is an ordinary command (a
//! read for XREAD, a replicated write for XREADGROUP, whose deliveries the log orders).

use std::io;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use meridian_keyspace::{
    lookup, stream_block_spec, stream_retry_argv, StreamBlockSpec, StreamWake,
};
use meridian_types::Reply;

use super::wait::deadline_after;
use crate::resp::blocking::Waiter;
use crate::resp::client_admin::{after_block, BlockGuard};
use crate::resp::connection::{Connection, Flow};

/// How often a blocked stream reader looks at the data even without a wake-up.
const RECHECK: std::time::Duration = std::time::Duration::from_millis(250);

fn is_group_read(argv: &[Bytes]) -> bool {
    argv[0].eq_ignore_ascii_case(b"xreadgroup")
}

impl Connection {
    /// XREAD / XREADGROUP outside MULTI.
    pub(crate) async fn stream_read(&mut self, argv: Vec<Bytes>) -> io::Result<Flow> {
        let spec = match stream_block_spec(&argv) {
            Some(Ok(spec)) => spec,
            Some(Err(err)) => {
                self.reply(err);
                return Ok(Flow::Continue);
            }
            None => {
                let (reply, _) = self.stream_attempt(argv).await;
                self.reply(reply);
                return Ok(Flow::Continue);
            }
        };
        let waiter = self.shared.blocking.register(self.session.db, &spec.keys);
        let (first, blocked) = self.stream_attempt(argv).await;
        if !matches!(first, Reply::NilArray) {
            self.reply(first);
            return Ok(Flow::Continue);
        }
        self.write_out().await?;
        self.shared.blocked.fetch_add(1, Ordering::Relaxed);
        let ended = self.stream_wait(&blocked, &spec, &waiter).await;
        self.shared.blocked.fetch_sub(1, Ordering::Relaxed);
        drop(waiter);
        match ended? {
            Some(reply) => {
                self.reply(reply);
                Ok(Flow::Continue)
            }
            None => Ok(Flow::Close),
        }
    }

    /// One run: XREAD as a read (answering, with it, the argv to wait with: `$` resolved in
    /// the state it read), XREADGROUP as a replicated write.
    async fn stream_attempt(&mut self, argv: Vec<Bytes>) -> (Reply, Vec<Bytes>) {
        if is_group_read(&argv) {
            let reply = self.serving_attempt(argv.clone()).await;
            return (reply, argv);
        }
        if let Err(reply) = self.read_barrier().await {
            return (reply, argv);
        }
        let Some(def) = lookup(&argv[0]) else {
            return (meridian_keyspace::unknown_command(&argv), argv);
        };
        let (db, now) = (self.session.db, self.shared.group.clock().unix_ms());
        self.notify_key_misses(&argv, now);
        self.shared.group.sm().read(|dbs| {
            let reply = dbs.run_read(db, def, &argv, now, 0);
            let blocked = dbs.stream_block_argv(db, &argv, now);
            (reply, blocked)
        })
    }

    /// Waits until an attempt serves entries (Some(reply)), the timeout (a nil array), CLIENT
    /// UNBLOCK, or the client goes away (None).
    async fn stream_wait(
        &mut self,
        blocked: &[Bytes],
        spec: &StreamBlockSpec,
        waiter: &Waiter,
    ) -> io::Result<Option<Reply>> {
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
                _ = expired => return Ok(Some(Reply::NilArray)),
                why = unblock.released() => return Ok(Some(after_block(Some(why), Reply::NilArray))),
                _ = waiter.woken() => {}
                _ = tokio::time::sleep(RECHECK) => {}
                more = self.read_more() => match more? {
                    true => continue,
                    false => return Ok(None),
                },
            }
            if let Some(reply) = self.stream_serve(blocked, waiter).await {
                return Ok(Some(reply));
            }
            waiter.settled();
        }
    }

    /// Tries each key this client is first in line on that has something for it.
    async fn stream_serve(&mut self, blocked: &[Bytes], waiter: &Waiter) -> Option<Reply> {
        let (db, now) = (self.session.db, self.shared.group.clock().unix_ms());
        for key in waiter.heads() {
            let wake = self
                .shared
                .group
                .sm()
                .read(|dbs| dbs.stream_block_wake(db, blocked, &key, now));
            match wake {
                StreamWake::Wait => continue,
                StreamWake::Fail(reply) => return Some(reply),
                StreamWake::Serve => {
                    let (reply, _) = self.stream_attempt(stream_retry_argv(blocked, &key)).await;
                    if !matches!(reply, Reply::NilArray) {
                        return Some(reply);
                    }
                }
            }
        }
        None
    }
}
