//! The request path as Redis's `call()` accounts for it. Every request passes through
//! [`Connection::dispatch`], which times `dispatch_untimed` and feeds the node's command
//! statistics (calls, time, failed and rejected calls, error replies), slow log, latency
//! events and per-command histograms. All of it is per node, like a Redis server's.
//!
//! Whether a call failed is read from its reply once encoded ([`super::wire`]): most replies
//! are in the output buffer when the request returns. A pipelined write's reply exists only
//! when its batch is sent, so batches are sent here ([`Connection::flush_counted`], which
//! knows which command each reply belongs to) at the points where the connection would send
//! them itself: before a request that does not join the batch or would overflow it, before a
//! refusal (`count_rejection`), and after a request when no complete request that joins the
//! batch is buffered next (where `serve` would flush).

use std::borrow::Cow;
use std::cell::Cell;
use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_keyspace::lookup;
use meridian_types::Reply;

use super::cmdstats::error_prefix;
use super::{wire, SlowCall};
use crate::resp::connection::{Connection, Flow, Slot};
use crate::resp::dispatch::{resolve, runs_inside_multi, Answer, Target};
use crate::resp::table::server_command;

/// connection.rs's batch limits (`BATCH_MAX_COMMANDS`, `BATCH_MAX_BYTES`, a request costing
/// its argument bytes plus 8 each): a request that would make `queue_data` send the batch
/// with itself in it is preceded by a counted flush instead.
const BATCH_MAX_COMMANDS: usize = 1024;
const BATCH_MAX_BYTES: usize = 1024 * 1024;

/// Redis 7.0's OBJECT subcommands: OBJECT is a data command here, but counted as Redis does.
const OBJECT_SUBCOMMANDS: &[&str] = &["encoding", "freq", "help", "idletime", "refcount"];

tokio::task_local! {
    /// Set by [`Connection::count_rejection`] while [`Connection::dispatch`] runs a request.
    static REJECTED: Cell<bool>;
}

/// A command as Redis's `lookupCommand` finds it (no arity check).
pub(super) struct Named {
    /// `client|list` style.
    pub full: Cow<'static, str>,
    pub fast: bool,
    /// The container's (or the command's) name.
    pub base: &'static str,
}

/// The command or subcommand `argv` names; None for unknown commands and subcommands
/// (Redis counts neither).
pub(super) fn command_name(argv: &[Bytes]) -> Option<Named> {
    if let Some(def) = lookup(&argv[0]) {
        let fast = def.flags.contains(&"fast");
        let full = match (def.name, argv.get(1)) {
            ("object", Some(sub)) => {
                let sub = OBJECT_SUBCOMMANDS
                    .iter()
                    .find(|s| s.as_bytes().eq_ignore_ascii_case(sub))?;
                Cow::Owned(format!("object|{sub}"))
            }
            (name, _) => Cow::Borrowed(name),
        };
        return Some(Named {
            full,
            fast,
            base: def.name,
        });
    }
    let cmd = server_command(&argv[0])?;
    let full = match argv.get(1).filter(|_| !cmd.subcommands.is_empty()) {
        Some(sub) => {
            let (sub, _) = cmd
                .subcommands
                .iter()
                .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(sub))?;
            Cow::Owned(format!("{}|{sub}", cmd.name))
        }
        None => Cow::Borrowed(cmd.name),
    };
    Some(Named {
        full,
        fast: cmd.flags.contains(&"fast"),
        base: cmd.name,
    })
}

/// Whether a resolved request is queued into a pending batch rather than sending it first
/// (dispatch: data commands that do not block; PING and ECHO answered in order).
fn joins_batch(target: Option<Target>) -> bool {
    match target {
        Some(Target::Data(def)) => !def.flags.contains(&"blocking"),
        Some(Target::Server(cmd)) => matches!(cmd.name, "ping" | "echo"),
        None => false,
    }
}

/// [`joins_batch`] by the command name alone (for a request still in the input buffer).
fn name_joins_batch(name: &[u8]) -> bool {
    match lookup(name) {
        Some(def) => !def.flags.contains(&"blocking"),
        None => name.eq_ignore_ascii_case(b"ping") || name.eq_ignore_ascii_case(b"echo"),
    }
}

/// How the request about to run is accounted for.
struct Plan {
    named: Named,
    /// EXEC: the queued commands it runs (logged one by one, EXEC itself is not).
    exec: Option<Vec<Vec<Bytes>>>,
    /// WAIT and the blocking commands: the time blocked is not execution time (Redis does not
    /// count it either).
    blocks: bool,
}

/// Where the connection's buffers stood before the request ran.
struct Mark {
    out: usize,
    slots: usize,
}

/// The request's own reply, as far as it is known when the request returns.
enum OwnReply<'a> {
    /// Queued behind a pending batch: counted when the batch is flushed.
    Deferred,
    /// Encoded from here to the end of the output buffer.
    Encoded(&'a [u8]),
    /// Known ahead of a pending batch: its error text, if it is one.
    Ready(Option<&'a [u8]>),
    /// Not to be found (a batch was sent while the request ran).
    Unknown,
}

impl OwnReply<'_> {
    fn error(&self) -> Option<&[u8]> {
        match self {
            OwnReply::Encoded(bytes) => wire::error_at(bytes, 0),
            OwnReply::Ready(error) => *error,
            OwnReply::Deferred | OwnReply::Unknown => None,
        }
    }
}

impl Connection {
    /// The request path, timed and counted: commands that run (not refused, not queued in
    /// MULTI) are recorded once they finish, failed ones when their error reply is seen.
    pub(crate) async fn dispatch(&mut self, argv: Vec<Bytes>) -> io::Result<Flow> {
        let target = resolve(&argv).ok();
        let plan = self.plan(&argv, target);
        self.prepare(&argv, target, plan.as_ref()).await?;
        let mark = Mark {
            out: self.out.len(),
            slots: self.slots.len(),
        };
        let kept = plan.is_some().then(|| argv.clone());
        let started = Instant::now();
        let (flow, rejected) = REJECTED
            .scope(Cell::new(false), async {
                let flow = self.dispatch_untimed(argv).await;
                (flow, REJECTED.with(Cell::get))
            })
            .await;
        let took = started.elapsed();
        if !rejected {
            let own = self.own_reply(&mark);
            self.account(plan, kept.as_deref().unwrap_or_default(), took, &own);
        }
        if flow.is_ok() {
            self.flush_unless_more_join().await;
        }
        flow
    }

    fn plan(&self, argv: &[Bytes], target: Option<Target>) -> Option<Plan> {
        if argv[0].eq_ignore_ascii_case(b"quit") {
            return None;
        }
        let no_auth = match target? {
            Target::Server(cmd) => cmd.no_auth,
            Target::Data(_) => false,
        };
        let named = command_name(argv)?;
        if self.auth_required() && !no_auth {
            return None;
        }
        let multi = self.session.multi.as_ref();
        if multi.is_some() && !runs_inside_multi(named.base) {
            return None;
        }
        let exec = (named.base == "exec")
            .then(|| multi.filter(|m| !m.failed).map(|m| m.queued.clone()))
            .flatten();
        let blocks = named.base == "wait"
            || matches!(target, Some(Target::Data(def)) if def.flags.contains(&"blocking"));
        Some(Plan {
            named,
            exec,
            blocks,
        })
    }

    /// Sends the pending batch first (counted) unless the request joins it; writes the output
    /// first when the request may block, which writes it too, so the reply is found after
    /// the mark.
    async fn prepare(
        &mut self,
        argv: &[Bytes],
        target: Option<Target>,
        plan: Option<&Plan>,
    ) -> io::Result<()> {
        if !self.batching() && self.out.is_empty() {
            return Ok(());
        }
        let paused = self.shared.admin.pause.current().is_some();
        if self.batching() && (paused || !joins_batch(target) || self.would_overflow(argv)) {
            self.flush_counted().await;
        }
        if !self.out.is_empty() && (paused || plan.is_some_and(|p| p.blocks)) {
            self.write_out().await?;
        }
        Ok(())
    }

    fn would_overflow(&self, argv: &[Bytes]) -> bool {
        let cost: usize = argv.iter().map(|a| a.len() + 8).sum();
        self.pending.len() + 1 >= BATCH_MAX_COMMANDS || self.pending_bytes + cost >= BATCH_MAX_BYTES
    }

    /// After a request: sends the batch (counted) unless the next request is already
    /// buffered and joins it, or when replies are being dropped (CLIENT REPLY OFF/SKIP,
    /// where `dispatch_admin` sends it right away).
    async fn flush_unless_more_join(&mut self) {
        if !self.batching() {
            return;
        }
        let next = (!self.parser.in_progress())
            .then(|| wire::next_request_name(&self.buf))
            .flatten();
        let admin = &self.session.admin;
        let dropped = admin.reply_off || admin.skip || admin.skip_next;
        if !dropped && next.is_some_and(name_joins_batch) {
            return;
        }
        if next.is_none() {
            // Where `serve` would flush: it shows the client as of now first.
            self.update_view();
        }
        self.flush_counted().await;
    }

    fn own_reply(&self, mark: &Mark) -> OwnReply<'_> {
        if self.slots.len() > mark.slots {
            return match &self.slots[mark.slots] {
                Slot::Batch => OwnReply::Deferred,
                Slot::Ready(Answer::Reply(Reply::Error(text))) => {
                    OwnReply::Ready(Some(text.as_bytes()))
                }
                Slot::Ready(_) => OwnReply::Ready(None),
            };
        }
        if self.slots.len() < mark.slots {
            return OwnReply::Unknown;
        }
        // A request that blocked wrote the output first: what is there now is its reply.
        OwnReply::Encoded(self.out.get(mark.out..).unwrap_or(&self.out))
    }

    fn account(&self, plan: Option<Plan>, argv: &[Bytes], took: Duration, own: &OwnReply<'_>) {
        let intro = &self.shared.intro;
        let error = own.error();
        let Some(plan) = plan else {
            if let Some(text) = error {
                intro.count_error(None, text);
            }
            return;
        };
        let took = if plan.blocks { Duration::ZERO } else { took };
        let name = &plan.named.full;
        let Some(queued) = plan.exec else {
            let call = SlowCall { argv, conn: self };
            intro.observe(name, plan.named.fast, took, Some(call));
            if let Some(text) = error {
                intro.count_error(Some(name), text);
            }
            return;
        };
        intro.observe(name, plan.named.fast, took, None);
        if let Some(text) = error {
            intro.count_error(Some(name), text);
        }
        let OwnReply::Encoded(bytes) = own else {
            return;
        };
        // Not an array: the transaction did not run (WATCH), nor did its commands.
        let Some(errors) = wire::array_errors(bytes).filter(|e| e.len() == queued.len()) else {
            return;
        };
        // One Raft entry runs them all: each gets an equal share of EXEC's time.
        let share = took / u32::try_from(queued.len().max(1)).unwrap_or(u32::MAX);
        for (q, error) in queued.iter().zip(errors) {
            let named = command_name(q);
            if let Some(named) = &named {
                let call = SlowCall {
                    argv: q,
                    conn: self,
                };
                intro.observe(&named.full, named.fast, share, Some(call));
            }
            if let Some(text) = error {
                intro.count_error(named.as_ref().map(|n| n.full.as_ref()), text);
            }
        }
    }

    /// Sends the pending batch (`flush_pending`) and counts the errors among its replies as
    /// failed calls of the commands they answer.
    pub(super) async fn flush_counted(&mut self) {
        if !self.batching() {
            return;
        }
        // Ready slots (PING, ECHO, refusals) were counted when they were queued.
        let mut pending = self.pending.iter();
        let names: Vec<Option<Option<Cow<'static, str>>>> = self
            .slots
            .iter()
            .map(|slot| match slot {
                Slot::Batch => Some(pending.next().and_then(|a| command_name(a)).map(|n| n.full)),
                Slot::Ready(_) => None,
            })
            .collect();
        let at = self.out.len();
        self.flush_pending().await;
        let Some(replies) = self.out.get(at..) else {
            return;
        };
        let errors = wire::errors_in_sequence(replies, names.len());
        for (name, error) in names.iter().zip(errors) {
            if let (Some(name), Some(text)) = (name, error) {
                self.shared.intro.count_error(name.as_deref(), text);
            }
        }
    }

    /// Redis `rejectCommand`'s bookkeeping, called by dispatch's `reject` before it answers:
    /// the pending batch is sent (and counted) first; the command `argv` names, if it is one,
    /// gets a rejected call, and the refusal counts as an error reply (EXECABORT for EXEC).
    pub(crate) async fn count_rejection(&mut self, argv: &[Bytes], err: &Reply) {
        self.flush_counted().await;
        let prefix: &[u8] = match err {
            _ if argv[0].eq_ignore_ascii_case(b"exec") => b"EXECABORT",
            Reply::Error(text) => error_prefix(text.as_bytes()),
            _ => b"ERR",
        };
        let name = command_name(argv).map(|n| n.full);
        self.shared.intro.count_rejected(name.as_deref(), prefix);
        let _ = REJECTED.try_with(|r| r.set(true));
    }
}
