//! CLIENT PAUSE / UNPAUSE: a node-wide pause that holds every command (ALL) or only the
//! commands that write or may replicate (WRITE) until it ends, as Redis's `processCommand`
//! does (after the auth, arity and no-multi checks, before MULTI queueing).

use std::io;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use meridian_types::Reply;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::resp::connection::{Connection, Flow};
use crate::resp::dispatch::{resolve, Target};
use crate::resp::server_cmds::parse_i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PauseKind {
    Write,
    All,
}

/// The node's pause: what it holds and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pause {
    pub kind: PauseKind,
    pub end: Instant,
}

/// Node-wide pause state; waiters watch it to notice an UNPAUSE at once.
pub(crate) struct PauseState {
    tx: watch::Sender<Option<Pause>>,
}

impl Default for PauseState {
    fn default() -> PauseState {
        PauseState {
            tx: watch::channel(None).0,
        }
    }
}

impl PauseState {
    /// Starts or extends the pause: the longer end and the stricter kind win (Redis
    /// `pauseClients`).
    pub(crate) fn pause(&self, kind: PauseKind, end: Instant) {
        self.tx.send_modify(|p| {
            *p = Some(match *p {
                Some(old) if old.end > Instant::now() => Pause {
                    kind: kind.max(old.kind),
                    end: end.max(old.end),
                },
                _ => Pause { kind, end },
            })
        });
    }

    pub(crate) fn unpause(&self) {
        self.tx.send_replace(None);
    }

    /// The pause in force now, if any.
    pub(crate) fn current(&self) -> Option<Pause> {
        (*self.tx.borrow()).filter(|p| p.end > Instant::now())
    }
}

/// `CLIENT PAUSE timeout [WRITE|ALL]` parsed: the kind and the timeout in milliseconds.
pub(crate) fn parse_pause(argv: &[Bytes]) -> Result<(PauseKind, u64), Reply> {
    if argv.len() > 4 {
        return Err(super::subcommand_syntax_error(&argv[1]));
    }
    let mut kind = PauseKind::All;
    if let Some(mode) = argv.get(3) {
        kind = match mode.to_ascii_lowercase().as_slice() {
            b"write" => PauseKind::Write,
            b"all" => PauseKind::All,
            _ => {
                return Err(Reply::Error(
                    "ERR CLIENT PAUSE mode must be WRITE or ALL".into(),
                ))
            }
        };
    }
    match parse_i64(&argv[2]) {
        None => Err(Reply::Error(
            "ERR timeout is not an integer or out of range".into(),
        )),
        Some(ms) if ms < 0 => Err(Reply::Error("ERR timeout is negative".into())),
        Some(ms) => Ok((kind, ms as u64)),
    }
}

/// Data commands that Redis 7.0 flags `may_replicate` without `write`.
fn may_replicate(name: &str) -> bool {
    matches!(
        name,
        "pfcount" | "publish" | "spublish" | "eval" | "evalsha" | "fcall"
    )
}

/// True when a WRITE pause holds this command (EXEC: when a queued command would be held).
fn held_by_write_pause(target: Target, queued: Option<&[Vec<Bytes>]>) -> bool {
    match target {
        Target::Data(def) => def.is_write() || may_replicate(def.name),
        Target::Server(cmd) if cmd.name == "exec" => queued.is_some_and(|q| {
            q.iter().any(|argv| {
                matches!(resolve(argv), Ok(t @ Target::Data(_)) if held_by_write_pause(t, None))
            })
        }),
        Target::Server(_) => false,
    }
}

impl Connection {
    /// `CLIENT PAUSE` / `CLIENT UNPAUSE`.
    pub(crate) fn client_pause(&mut self, argv: &[Bytes]) -> Reply {
        match parse_pause(argv) {
            Ok((kind, ms)) => {
                let end = Instant::now() + std::time::Duration::from_millis(ms);
                self.shared.admin.pause.pause(kind, end);
                Reply::ok()
            }
            Err(e) => e,
        }
    }

    pub(crate) fn client_unpause(&mut self) -> Reply {
        self.shared.admin.pause.unpause();
        Reply::ok()
    }

    /// Waits while the node's pause holds this command; `Some(flow)` when the connection
    /// ended meanwhile (closed by the client, killed, or the node stopping).
    pub(crate) async fn hold_while_paused(&mut self, target: Target) -> io::Result<Option<Flow>> {
        let mut held = false;
        let mut changes = self.shared.admin.pause.tx.subscribe();
        let outcome = loop {
            let Some(pause) = self.shared.admin.pause.current() else {
                break Ok(None);
            };
            let queued = self.session.multi.as_ref().map(|m| &m.queued[..]);
            if pause.kind == PauseKind::Write && !held_by_write_pause(target, queued) {
                break Ok(None);
            }
            if !held {
                held = true;
                self.flush_pending().await;
                if let Err(e) = self.write_out().await {
                    break Err(e);
                }
                self.mark_paused(true);
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep_until(pause.end) => {}
                more = self.read_more() => match more {
                    Ok(true) => {}
                    Ok(false) => break Ok(Some(Flow::Close)),
                    Err(e) => break Err(e),
                },
            }
        };
        if held {
            self.mark_paused(false);
        }
        outcome
    }

    /// A paused client counts as blocked (INFO `blocked_clients`, flag `b`), as on Redis.
    fn mark_paused(&self, on: bool) {
        let view = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        view.control.blocked.store(on, Ordering::Relaxed);
        drop(view);
        match on {
            true => self.shared.blocked.fetch_add(1, Ordering::Relaxed),
            false => self.shared.blocked.fetch_sub(1, Ordering::Relaxed),
        };
    }
}
