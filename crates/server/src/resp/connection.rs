//! One client connection: read → parse one request → execute → queue the reply; replies are
//! written when the buffer has no complete request left (so a pipeline is answered with few
//! writes) or when the output grows large.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use meridian_resp::{ParserLimits, RequestParser};
use meridian_tls::MaybeTls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::resp::clients::Registered;
use crate::resp::dispatch::{encode_answer, Answer};
use crate::resp::errors::write_error;
use crate::resp::listener::{ConnectionPermit, Shared};
use crate::resp::session::Session;

/// Output bytes queued before they are written even though requests remain in the buffer.
const OUT_FLUSH_BYTES: usize = 64 * 1024;
/// Pending pipelined writes gathered into one batch at most (count and argv bytes).
const BATCH_MAX_COMMANDS: usize = 1024;
const BATCH_MAX_BYTES: usize = 1024 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 16 * 1024;
/// Largest single reservation for a big bulk argument still arriving.
const MAX_RESERVE: usize = 64 * 1024 * 1024;
/// How often a write blocked by a client that does not read looks at `timeout` again.
const WRITE_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// One queued reply while a write batch is pending.
pub(crate) enum Slot {
    Batch,
    Ready(Answer),
}

/// What the connection does after a request.
pub(crate) enum Flow {
    Continue,
    /// Write what is queued, then close (QUIT, protocol errors).
    Close,
}

pub(crate) struct Connection {
    pub(super) stream: MaybeTls<TcpStream>,
    pub(super) shared: Arc<Shared>,
    pub(super) cancel: CancellationToken,
    pub(super) registered: Registered,
    pub(super) parser: RequestParser,
    pub(super) buf: BytesMut,
    pub(super) out: BytesMut,
    pub(super) session: Session,
    /// Pipelined data commands not yet sent to Raft, in request order (a write and every
    /// command after it until the batch is sent, so replies keep their order).
    pub(super) pending: Vec<Vec<Bytes>>,
    /// Reply slots of the requests since the batch began: a batch reply, or an answer
    /// already known (PING/ECHO need not wait for Raft, but must not overtake it).
    pub(super) slots: Vec<Slot>,
    pub(super) pending_bytes: usize,
    /// Incremented on every socket read (see `Session::barrier_gen`).
    pub(super) read_gen: u64,
    /// The query buffer as Redis counts it (CLIENT LIST `qbuf`): what the last read left in
    /// it, requests being run included, until they have all run.
    qbuf: usize,
    /// The users this connection last checked against (`acl::view`).
    pub(super) acl_cache: std::sync::Mutex<Option<crate::resp::acl::UsersCache>>,
    _permit: ConnectionPermit,
}

impl Connection {
    pub(crate) fn new(
        stream: MaybeTls<TcpStream>,
        peer: SocketAddr,
        shared: Arc<Shared>,
        cancel: CancellationToken,
        permit: ConnectionPermit,
    ) -> Connection {
        let laddr = stream.get_ref().local_addr().unwrap_or(peer);
        let id = shared.clients.next_id();
        let registered = shared.clients.register(id, peer, laddr);
        crate::resp::client_admin::attach(&registered, &cancel);
        let mut acl_cache = None;
        let authenticated = crate::resp::acl::default_open(&shared.users_view(&mut acl_cache));
        let mut conn = Connection {
            stream,
            cancel,
            registered,
            parser: RequestParser::new(ParserLimits::default()),
            buf: BytesMut::with_capacity(READ_CHUNK),
            out: BytesMut::with_capacity(READ_CHUNK),
            session: Session::new(id, authenticated),
            pending: Vec::new(),
            slots: Vec::new(),
            pending_bytes: 0,
            read_gen: 0,
            qbuf: 0,
            acl_cache: std::sync::Mutex::new(acl_cache),
            shared,
            _permit: permit,
        };
        conn.refresh_limits();
        conn
    }

    pub(crate) async fn run(mut self) {
        match self.serve().await {
            Ok(()) => debug!("RESP connection closed"),
            Err(e) => debug!(error = %e, "RESP connection ended"),
        }
    }

    /// Parser limits follow the live settings and the authentication state, request by request.
    pub(super) fn refresh_limits(&mut self) {
        let authenticated = !self.auth_required();
        let max_bulk = self
            .shared
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .proto_max_bulk_len;
        let limits = self.parser.limits_mut();
        limits.authenticated = authenticated;
        limits.proto_max_bulk_len = max_bulk;
    }

    fn query_buffer_limit(&self) -> usize {
        let limit = self
            .shared
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .client_query_buffer_limit;
        usize::try_from(limit).unwrap_or(usize::MAX)
    }

    async fn serve(&mut self) -> io::Result<()> {
        loop {
            loop {
                if self.cancel.is_cancelled() {
                    return Ok(());
                }
                let argv = match self.parser.next(&mut self.buf) {
                    Ok(Some(argv)) => argv,
                    Ok(None) => break,
                    Err(err) => {
                        // Redis: replies of earlier requests, the error line, then close.
                        self.flush_pending().await;
                        err.write_reply(&mut self.out);
                        self.write_out().await?;
                        debug!(error = %err, "protocol error, closing");
                        return Ok(());
                    }
                };
                // A node stopping drops requests in flight (the client sees the connection
                // close, as when a Redis server goes away), so nothing outlives the listener.
                let cancel = self.cancel.clone();
                let flow = tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    flow = self.dispatch_admin(argv) => flow?,
                };
                if let Flow::Close = flow {
                    self.flush_pending().await;
                    self.write_out().await?;
                    return Ok(());
                }
                if self.out.len() >= OUT_FLUSH_BYTES {
                    self.write_out().await?;
                }
            }
            // CLIENT LIST sees other clients as of their last read (as on Redis, which runs
            // a client's whole buffer at once); server commands refresh it first themselves.
            self.qbuf = self.buf.len();
            self.update_view();
            let cancel = self.cancel.clone();
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = self.flush_pending() => {}
            }
            self.write_out().await?;
            if !self.await_request().await? {
                return Ok(());
            }
            // CONFIG SET from another client applies from the next read on.
            self.refresh_limits();
        }
    }

    /// Reads more request bytes; false when the connection should end (EOF, shutdown, or
    /// the query buffer limit, where Redis closes without a reply).
    pub(super) async fn read_more(&mut self) -> io::Result<bool> {
        let want = self
            .parser
            .bytes_wanted(&self.buf)
            .unwrap_or(0)
            .clamp(READ_CHUNK, MAX_RESERVE);
        self.buf.reserve(want);
        let n = tokio::select! {
            _ = self.cancel.cancelled() => return Ok(false),
            n = self.stream.read_buf(&mut self.buf) => n?,
        };
        if n == 0 {
            return Ok(false);
        }
        self.read_gen += 1;
        self.qbuf = self.buf.len();
        let buffered = self.parser.buffered_len(&self.buf);
        if buffered > self.query_buffer_limit() {
            warn!(
                buffered,
                limit = self.query_buffer_limit(),
                "closing client that reached max query buffer length"
            );
            return Ok(false);
        }
        Ok(true)
    }

    /// Writes the queued replies. A client that stops reading blocks this write (TCP
    /// backpressure, which also stops the reading of its requests, so its buffers stay
    /// bounded); CLIENT KILL and node shutdown still end it, and so does `timeout` once no
    /// byte has gone out for that long (Redis counts written bytes as interaction too).
    pub(super) async fn write_out(&mut self) -> io::Result<()> {
        let mut written = 0;
        let mut progress = tokio::time::Instant::now();
        while written < self.out.len() {
            let deadline =
                crate::resp::client_admin::idle_timeout(&self.shared).map(|t| progress + t);
            let recheck = tokio::time::Instant::now() + WRITE_RECHECK;
            let wake = deadline.map_or(recheck, |d| d.min(recheck));
            let cancel = self.cancel.clone();
            // The write is tried first: when the socket takes the bytes at once (the usual
            // case) the timer is never registered.
            tokio::select! {
                biased;
                n = self.stream.write(&self.out[written..]) => match n? {
                    0 => return Err(io::ErrorKind::WriteZero.into()),
                    n => {
                        written += n;
                        progress = tokio::time::Instant::now();
                    }
                },
                () = cancel.cancelled() => return Err(io::ErrorKind::ConnectionAborted.into()),
                _ = tokio::time::sleep_until(wake) => {
                    if deadline.is_some_and(|d| d <= tokio::time::Instant::now()) {
                        debug!("closing client whose replies went unread past `timeout`");
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
            }
        }
        self.stream.flush().await?;
        self.out.clear();
        Ok(())
    }

    /// True while pipelined writes wait to be sent.
    pub(super) fn batching(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Queues a pipelined data command (a write, or a read behind a queued write: it then
    /// runs in the same atomic batch and so sees the writes before it); sends the batch once
    /// it is large.
    pub(super) async fn queue_data(&mut self, argv: Vec<Bytes>) {
        self.pending_bytes += argv.iter().map(|a| a.len() + 8).sum::<usize>();
        self.pending.push(argv);
        self.slots.push(Slot::Batch);
        if self.pending.len() >= BATCH_MAX_COMMANDS || self.pending_bytes >= BATCH_MAX_BYTES {
            self.flush_pending().await;
        }
    }

    /// Sends the pending writes as one atomic batch and queues their replies in order.
    pub(super) async fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let commands = std::mem::take(&mut self.pending);
        let slots = std::mem::take(&mut self.slots);
        self.pending_bytes = 0;
        let count = commands.len();
        let publishes = crate::resp::pubsub::Publishes::find(&commands);
        let replies = match self
            .shared
            .group
            .write_in(self.session.db, commands, Vec::new())
            .await
        {
            Ok(mut result) => {
                self.session.last_write_seq = self.session.last_write_seq.max(result.seq);
                let shared = &self.shared;
                shared
                    .blocking
                    .settle_after(&shared.group, result.seq)
                    .await;
                publishes.count(&shared.pubsub, &mut result.replies);
                result.replies
            }
            Err(e) => {
                debug!(error = %e, "pipelined write failed");
                vec![write_error(&e); count]
            }
        };
        let mut replies = replies.into_iter();
        for slot in slots {
            let answer = match slot {
                Slot::Ready(answer) => answer,
                Slot::Batch => Answer::Reply(replies.next().unwrap_or_else(|| {
                    meridian_types::Reply::Error("ERR the write produced no reply".into())
                })),
            };
            encode_answer(&answer, self.session.proto, &mut self.out);
        }
    }

    pub(super) fn update_view(&self) {
        let mut v = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        v.name.clone_from(&self.session.name);
        if v.user.as_bytes() != self.session.user {
            v.user = String::from_utf8_lossy(&self.session.user).into_owned();
        }
        v.last_active = std::time::Instant::now();
        v.multi = self
            .session
            .multi
            .as_ref()
            .map_or(-1, |m| m.queued.len() as i64);
        v.resp = match self.session.proto {
            meridian_resp::Protocol::Resp2 => 2,
            meridian_resp::Protocol::Resp3 => 3,
        };
        v.readonly = self.session.readonly;
        v.lib_name.clone_from(&self.session.lib_name);
        v.lib_ver.clone_from(&self.session.lib_ver);
        v.qbuf = self.qbuf;
    }

    /// Records the last command's name for CLIENT LIST (`client|list` style, `sub` being the
    /// subcommand of a command that has them).
    pub(super) fn note_command(&self, name: &str, sub: Option<&[u8]>) {
        let mut v = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        v.last_cmd.clear();
        v.last_cmd.push_str(name);
        if let Some(sub) = sub {
            v.last_cmd.push('|');
            v.last_cmd
                .push_str(&String::from_utf8_lossy(sub).to_ascii_lowercase());
        }
    }
}
