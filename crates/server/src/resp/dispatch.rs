//! From argv to an answer: command lookup, arity, authentication and MULTI queueing in Redis
//! 7.0's order (`processCommand`), then data commands through the group and the rest here.

use std::io;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};
use meridian_keyspace::{lookup, unknown_command, wrong_arity, CommandDef};
use meridian_resp::{encode, encode_verbatim, Protocol};
use meridian_types::{Consistency, Reply};

use crate::resp::acl::Refusal;
use crate::resp::connection::{Connection, Flow, Slot};
use crate::resp::errors::read_error;
use crate::resp::replication_info::ReplicationFacts;
use crate::resp::table::{arity_ok, server_command, ServerCommand};

/// Pause between read-barrier attempts while the cluster changes leader.
const READ_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// A reply, or text that RESP3 sends as a verbatim string (INFO, CLIENT INFO/LIST), or an
/// EXEC array that may contain such text.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Reply(Reply),
    Verbatim(String),
    Array(Vec<Answer>),
    /// Bytes already encoded for the connection's protocol (DEBUG PROTOCOL's RESP3 probes).
    Raw(Bytes),
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Answer {
        Answer::Reply(r)
    }
}

pub(crate) fn encode_answer(answer: &Answer, proto: Protocol, out: &mut BytesMut) {
    match answer {
        Answer::Reply(r) => encode(r, proto, out),
        Answer::Verbatim(text) => encode_verbatim(text.as_bytes(), proto, out),
        Answer::Raw(bytes) => out.extend_from_slice(bytes),
        Answer::Array(items) => {
            out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
            items.iter().for_each(|a| encode_answer(a, proto, out));
        }
    }
}

/// What a server command asks the connection to do.
pub(crate) enum Step {
    Answer(Answer),
    /// Send the answer, then close.
    Close(Answer),
    /// WAIT: block the client until `replicas` secondary clusters applied its last write or
    /// the deadline (None: forever) passes, then answer how many did. `at_once`: answer now
    /// (inside EXEC, as Redis does).
    Block {
        replicas: usize,
        limit: Option<std::time::Duration>,
        at_once: bool,
    },
}

/// A command name resolved against both tables.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    Server(&'static ServerCommand),
    Data(&'static CommandDef),
}

/// Existence and arity, as Redis checks them before anything else. `Err` is the rejection.
pub(crate) fn resolve(argv: &[Bytes]) -> Result<Target, Reply> {
    let name = &argv[0];
    if let Some(def) = lookup(name) {
        if !def.arity_ok(argv.len()) {
            return Err(wrong_arity(def.name));
        }
        return Ok(Target::Data(def));
    }
    let Some(cmd) = server_command(name) else {
        return Err(unknown_command(argv));
    };
    if !cmd.subcommands.is_empty() && argv.len() >= 2 {
        let sub = &argv[1];
        let Some((sub_name, sub_arity)) = cmd
            .subcommands
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(sub))
        else {
            return Err(Reply::Error(format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                String::from_utf8_lossy(&sub[..sub.len().min(128)]),
                cmd.name.to_ascii_uppercase()
            )));
        };
        if !arity_ok(*sub_arity, argv.len()) {
            return Err(wrong_arity(&format!("{}|{}", cmd.name, sub_name)));
        }
    }
    if !arity_ok(cmd.arity, argv.len()) {
        return Err(wrong_arity(cmd.name));
    }
    Ok(Target::Server(cmd))
}

/// Commands that run immediately even inside MULTI (Redis 7.0 `processCommand`).
pub(crate) fn runs_inside_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "reset")
}

impl Connection {
    /// The request path; `introspection::dispatch` wraps it with the slowlog/latency timing.
    pub(crate) async fn dispatch_untimed(&mut self, argv: Vec<Bytes>) -> io::Result<Flow> {
        self.shared
            .stats
            .commands_processed
            .fetch_add(1, Ordering::Relaxed);
        // Redis 7.0 answers QUIT before looking anything up, even inside MULTI.
        if argv[0].eq_ignore_ascii_case(b"quit") {
            self.flush_pending().await;
            self.reply(Reply::ok());
            return Ok(Flow::Close);
        }
        let target = match self.admit(&argv).await? {
            ControlFlow::Continue(target) => target,
            ControlFlow::Break(flow) => return Ok(flow),
        };
        let name = match target {
            Target::Server(c) => c.name,
            Target::Data(d) => d.name,
        };
        if let Some(multi) = self.session.multi.as_mut() {
            if !runs_inside_multi(name) {
                multi.queued.push(argv);
                self.reply(Reply::Status("QUEUED".into()));
                return Ok(Flow::Continue);
            }
        }
        if let Target::Data(def) = target {
            if let Some(err) = self
                .too_large(def, &argv)
                .or_else(|| self.db_index_error(&argv))
            {
                self.reply(err);
                return Ok(Flow::Continue);
            }
        }
        self.run_admitted(target, argv).await
    }

    /// The checks before a command runs or is queued, in Redis 7.0's order: existence and
    /// arity, authentication, MULTI restrictions, memory, client pause. `Break` carries the
    /// flow once the command was refused (or the client closed while paused).
    async fn admit(&mut self, argv: &[Bytes]) -> io::Result<ControlFlow<Flow, Target>> {
        let target = match resolve(argv) {
            Ok(t) => t,
            Err(err) => {
                self.reject(argv, err).await;
                return Ok(ControlFlow::Break(Flow::Continue));
            }
        };
        let (name, no_auth) = match target {
            Target::Server(c) => (c.name, c.no_auth),
            Target::Data(d) => (d.name, false),
        };
        let sub = match target {
            Target::Server(c) if !c.subcommands.is_empty() => argv.get(1),
            _ => None,
        };
        self.note_command(name, sub.map(|s| &s[..]));
        let refusal = if self.auth_required() && !no_auth {
            Some(Reply::Error("NOAUTH Authentication required.".into()))
        } else if self.session.multi.is_some()
            && matches!(target, Target::Server(c) if c.flags.contains(&"no_multi"))
        {
            Some(Reply::Error(
                "ERR Command not allowed inside a transaction".into(),
            ))
        } else {
            match self.acl_refusal(argv) {
                Some(Refusal::Denied(reply)) => Some(reply),
                Some(Refusal::UserGone) => return Ok(ControlFlow::Break(Flow::Close)),
                None => self
                    .oom_error(target, name)
                    .or_else(|| self.subscribed_refusal(name, sub.map(|s| &s[..]))),
            }
        };
        if let Some(err) = refusal {
            self.reject(argv, err).await;
            return Ok(ControlFlow::Break(Flow::Continue));
        }
        Ok(match self.hold_while_paused(target).await? {
            Some(flow) => ControlFlow::Break(flow),
            None => ControlFlow::Continue(target),
        })
    }

    /// Runs an admitted command outside MULTI (or EXEC's own commands).
    async fn run_admitted(&mut self, target: Target, argv: Vec<Bytes>) -> io::Result<Flow> {
        match target {
            Target::Data(def) if def.flags.contains(&"blocking") => {
                self.blocking_command(argv).await
            }
            Target::Data(def)
                if meridian_keyspace::is_publish(def.name.as_bytes())
                    && self.shared.group.role().is_secondary() =>
            {
                self.flush_pending().await;
                let reply = self.publish_here(&argv);
                self.reply(reply);
                Ok(Flow::Continue)
            }
            Target::Data(def) if def.is_write() || self.batching() => {
                self.queue_data(argv).await;
                Ok(Flow::Continue)
            }
            Target::Server(cmd) if self.batching() && matches!(cmd.name, "ping" | "echo") => {
                let reply = match cmd.name {
                    "ping" => self.ping(&argv),
                    _ => Reply::Bulk(argv[1].clone()),
                };
                self.reply(reply);
                Ok(Flow::Continue)
            }
            Target::Data(def) => {
                self.flush_pending().await;
                if let Some(reply) = self.read_data(def, &argv).await {
                    self.reply(reply);
                }
                Ok(Flow::Continue)
            }
            Target::Server(cmd) => self.run_server_command(cmd, &argv).await,
        }
    }

    /// A server command, once the writes queued before it went out.
    async fn run_server_command(
        &mut self,
        cmd: &'static ServerCommand,
        argv: &[Bytes],
    ) -> io::Result<Flow> {
        self.flush_pending().await;
        self.update_view();
        let step = self.server_command(cmd, argv, false).await;
        // AUTH, HELLO, RESET and CONFIG SET change what the parser allows next.
        self.refresh_limits();
        match step {
            Step::Answer(a) => {
                self.answer(&a);
                Ok(Flow::Continue)
            }
            Step::Close(a) => {
                self.answer(&a);
                Ok(Flow::Close)
            }
            Step::Block {
                replicas,
                limit,
                at_once,
            } => self.block(replicas, limit, at_once).await,
        }
    }

    /// A write must fit in one Raft entry shipped over gRPC, and keys and values must respect
    /// the same limits as on the gRPC edge; refused here, it changes nothing.
    fn too_large(&self, def: &CommandDef, argv: &[Bytes]) -> Option<Reply> {
        if !def.is_write() {
            return None;
        }
        let limits = &self.shared.limits;
        // Headroom for the entry's framing next to the arguments.
        let max_total = limits.grpc_max_message_bytes.saturating_sub(64 * 1024);
        let total: usize = argv.iter().map(|a| a.len()).sum();
        if total > max_total {
            return Some(Reply::Error(format!(
                "ERR the command is {total} bytes; a write may be at most {max_total} bytes \
                 (limits.grpc_max_message_bytes)"
            )));
        }
        let key_too_long = def
            .keys(argv)
            .iter()
            .any(|k| k.len() > limits.max_key_bytes);
        if key_too_long {
            return Some(Reply::Error(format!(
                "ERR key longer than {} bytes (limits.max_key_bytes)",
                limits.max_key_bytes
            )));
        }
        if argv.iter().any(|a| a.len() > limits.max_value_bytes) {
            return Some(Reply::Error(format!(
                "ERR argument longer than {} bytes (limits.max_value_bytes)",
                limits.max_value_bytes
            )));
        }
        None
    }

    /// Database indexes past the `databases` setting (SELECT, MOVE, SWAPDB, COPY … DB), refused
    /// before anything is proposed; the replicated apply checks only the hard limit.
    pub(super) fn db_index_error(&self, argv: &[Bytes]) -> Option<Reply> {
        let count = self
            .shared
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .databases;
        meridian_keyspace::db_index_error(argv, count)
    }

    /// `SELECT index`.
    pub(super) fn select(&mut self, argv: &[Bytes]) -> Reply {
        if let Some(err) = self.db_index_error(argv) {
            return err;
        }
        match meridian_keyspace::db_index(&argv[1], None, u32::MAX) {
            Ok(db) => {
                self.session.db = db;
                Reply::ok()
            }
            Err(e) => e,
        }
    }

    /// Queues a reply behind any pending batch.
    pub(super) fn reply(&mut self, reply: Reply) {
        if self.batching() {
            self.slots.push(Slot::Ready(Answer::Reply(reply)));
        } else {
            encode(&reply, self.session.proto, &mut self.out);
        }
    }

    pub(super) fn answer(&mut self, answer: &Answer) {
        if self.batching() {
            self.slots.push(Slot::Ready(answer.clone()));
        } else {
            encode_answer(answer, self.session.proto, &mut self.out);
        }
    }

    /// Redis `rejectCommand`: inside MULTI the transaction is flagged; a refused EXEC aborts it.
    async fn reject(&mut self, argv: &[Bytes], err: Reply) {
        self.count_rejection(argv, &err).await;
        self.flush_pending().await;
        if argv[0].eq_ignore_ascii_case(b"exec") {
            self.session.multi = None;
            self.session.watched.clear();
            let text = match &err {
                Reply::Error(t) => t.clone(),
                _ => String::new(),
            };
            self.reply(Reply::Error(format!(
                "EXECABORT Transaction discarded because of: {text}"
            )));
            return;
        }
        if let Some(multi) = self.session.multi.as_mut() {
            multi.failed = true;
        }
        self.reply(err);
    }

    /// Makes this node fresh enough for the connection's read mode.
    pub(super) async fn read_barrier(&mut self) -> Result<(), Reply> {
        let group = self.shared.group.clone();
        let min_seq = self.session.last_write_seq;
        let fresh = self.session.barrier_gen == Some(self.read_gen);
        let consistency = if self.session.readonly || fresh {
            Consistency::Local
        } else {
            Consistency::Linearizable
        };
        if consistency == Consistency::Local && min_seq == 0 {
            return Ok(());
        }
        let generation = self.read_gen;
        // A leader change while a follower asks the leader for a read index surfaces as
        // "not the leader" although nothing is wrong for long; ask again (with a short pause)
        // until the group's request timeout, like writes do, before answering TRYAGAIN.
        let deadline = tokio::time::Instant::now() + group.options().request_timeout;
        let result = loop {
            match group.read_barrier(consistency, min_seq).await {
                Err(e) if e.awaits_leader() && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(READ_RETRY_PAUSE).await;
                }
                other => break other,
            }
        };
        if result.is_ok() && consistency == Consistency::Linearizable {
            self.session.barrier_gen = Some(generation);
        }
        result.map_err(|e| read_error(&e))
    }

    /// Runs a read; a read with a streamed form is encoded straight into the output buffer
    /// (no pending batch here) and answers None.
    async fn read_data(&mut self, def: &'static CommandDef, argv: &[Bytes]) -> Option<Reply> {
        if let Err(reply) = self.read_barrier().await {
            return Some(reply);
        }
        let (now, seed) = (self.shared.group.clock().unix_ms(), rand::random());
        let db = self.session.db;
        self.notify_key_misses(argv, now);
        let Some(streamed) = meridian_keyspace::streamed_read(def) else {
            let sm = self.shared.group.sm();
            return Some(sm.read(|dbs| dbs.run_read(db, def, argv, now, seed)));
        };
        let mut sink = OutSink(&mut self.out);
        let sm = self.shared.group.sm();
        sm.read(|dbs| dbs.run_read_streamed(db, streamed, argv, now, seed, &mut sink))
            .err()
    }

    /// WAIT: hold the client until enough secondary clusters applied its last write or the
    /// timeout passes, keeping an eye on the socket so a client that goes away frees its task
    /// (requests it pipelines meanwhile stay buffered and run afterwards, as on Redis).
    async fn block(
        &mut self,
        replicas: usize,
        limit: Option<std::time::Duration>,
        at_once: bool,
    ) -> io::Result<Flow> {
        if self.shared.group.role().is_secondary() {
            self.reply(Reply::Error(WAIT_ON_REPLICA.into()));
            return Ok(Flow::Continue);
        }
        let target = self.session.last_write_seq;
        let mut acked = ReplicationFacts::gather(&self.shared).await.acked(target);
        if at_once || acked >= replicas {
            self.reply(Reply::Integer(acked as i64));
            return Ok(Flow::Continue);
        }
        self.write_out().await?;
        self.shared.blocked.fetch_add(1, Ordering::Relaxed);
        let deadline = limit.map(|d| tokio::time::Instant::now() + d);
        let mut unblock = crate::resp::client_admin::BlockGuard::new(&self.registered);
        let mut unblocked = None;
        let outcome = loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => break Ok(true),
                why = unblock.released() => {
                    unblocked = Some(why);
                    break Ok(true);
                }
                _ = tokio::time::sleep(WAIT_POLL) => {
                    acked = ReplicationFacts::gather(&self.shared).await.acked(target);
                    if acked >= replicas {
                        break Ok(true);
                    }
                }
                more = self.read_more() => match more {
                    Ok(true) => continue,
                    Ok(false) => break Ok(false),
                    Err(e) => break Err(e),
                },
            }
        };
        self.shared.blocked.fetch_sub(1, Ordering::Relaxed);
        drop(unblock);
        if outcome? {
            let waited = Reply::Integer(acked as i64);
            self.reply(crate::resp::client_admin::after_block(unblocked, waited));
            Ok(Flow::Continue)
        } else {
            Ok(Flow::Close)
        }
    }
}

/// How often a blocked WAIT looks at the secondaries' acknowledgements again.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// Redis's answer to WAIT on a replica.
const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

/// Encodes a streamed read's array into the connection's output buffer.
struct OutSink<'a>(&'a mut BytesMut);

impl meridian_keyspace::BulkSink for OutSink<'_> {
    fn array_len(&mut self, len: usize) {
        meridian_resp::encode_array_len(len, self.0);
    }

    fn bulk(&mut self, element: &Bytes) {
        meridian_resp::encode_bulk(element, self.0);
    }
}
