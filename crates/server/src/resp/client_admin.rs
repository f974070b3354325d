//! Client administration, as Redis 7.0 has it: CLIENT KILL / PAUSE / UNPAUSE / UNBLOCK /
//! NO-EVICT / REPLY / GETREDIR / TRACKINGINFO / CACHING, MONITOR, SHUTDOWN and the idle
//! `timeout`.
//!
//! ```text
//!  connection.rs serve ─► dispatch_admin (reply gate, monitor feed) ─► dispatch
//!                                                        └─ hold_while_paused (PAUSE)
//!  connection.rs wait  ─► await_request (idle deadline; a monitor forwards lines meanwhile)
//!  other clients ─► ClientControl (kill token, unblock signal, flags) in the registry
//! ```
//!
//! Node-wide state (`NodeAdmin`) lives in `Shared`: the pause, the monitor feed, the shutdown
//! request and the idle timeout. Everything is per node, as on Redis.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use meridian_types::Reply;
use tokio::sync::{broadcast, oneshot};
use tokio_util::sync::CancellationToken;

use crate::resp::clients::{ClientView, Registered};
use crate::resp::listener::Shared;

mod idle;
mod kill;
mod misc;
mod monitor;
mod pause;
mod shutdown;
#[cfg(test)]
mod tests;

pub(crate) use misc::{client_caching, client_getredir, client_help, client_trackinginfo};
pub(crate) use pause::PauseState;

/// Lines a monitor may fall behind before it loses some.
const MONITOR_BACKLOG: usize = 65_536;

/// Node-wide client-administration state, shared by every connection of the node.
pub(crate) struct NodeAdmin {
    pub pause: PauseState,
    /// MONITOR lines, already formatted (`+<time> [<db> <addr>] "cmd" …\r\n`).
    pub monitors: broadcast::Sender<Bytes>,
    /// Cancelled by SHUTDOWN: the listener (a child of it) closes every client, and the
    /// node's owner, watching it, stops the node.
    pub shutdown: CancellationToken,
    /// The `timeout` setting in seconds (0: never close idle clients).
    idle_secs: AtomicU64,
}

impl Default for NodeAdmin {
    fn default() -> NodeAdmin {
        NodeAdmin {
            pause: PauseState::default(),
            monitors: broadcast::channel(MONITOR_BACKLOG).0,
            shutdown: CancellationToken::new(),
            idle_secs: AtomicU64::new(0),
        }
    }
}

impl NodeAdmin {
    /// Sets the `timeout` setting (seconds; 0 = never); CONFIG SET timeout calls this.
    pub(crate) fn set_idle_timeout(&self, secs: u64) {
        self.idle_secs.store(secs, Ordering::Relaxed);
    }
}

/// The `timeout` setting: idle clients are closed after this long (None: never). CONFIG
/// SET timeout sets it with `shared.admin.set_idle_timeout(secs)`.
pub(crate) fn idle_timeout(shared: &Shared) -> Option<Duration> {
    match shared.admin.idle_secs.load(Ordering::Relaxed) {
        0 => None,
        secs => Some(Duration::from_secs(secs)),
    }
}

/// Why a blocked client was released by CLIENT UNBLOCK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unblock {
    /// Answer as if the timeout had passed.
    Timeout,
    /// Answer `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// The error a client released with `CLIENT UNBLOCK id ERROR` receives.
pub(crate) fn unblocked_error() -> Reply {
    Reply::Error("UNBLOCKED client unblocked via CLIENT UNBLOCK".into())
}

/// What other clients may do to, or see of, one connection (kept in its registry entry).
#[derive(Debug, Default)]
pub(crate) struct ClientControl {
    /// The connection's own cancellation: cancelling it closes the connection.
    kill: OnceLock<CancellationToken>,
    /// Set while the client waits in a blocking command: CLIENT UNBLOCK sends through it.
    unblock: Mutex<Option<oneshot::Sender<Unblock>>>,
    /// Blocked (WAIT, a pause): flag `b`.
    pub blocked: AtomicBool,
    /// MONITOR: flag `O`.
    pub monitor: AtomicBool,
    /// CLIENT NO-EVICT on: flag `e`.
    pub no_evict: AtomicBool,
}

impl ClientControl {
    /// Closes the connection (it notices at once, whatever it waits for).
    pub(crate) fn kill(&self) {
        if let Some(token) = self.kill.get() {
            token.cancel();
        }
    }

    /// Releases the client if it is blocked; false when it was not.
    pub(crate) fn unblock(&self, why: Unblock) -> bool {
        let sender = self
            .unblock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        sender.is_some_and(|s| s.send(why).is_ok())
    }
}

/// Gives the registry entry the connection's cancellation token, so CLIENT KILL can close it.
pub(crate) fn attach(registered: &Registered, cancel: &CancellationToken) {
    let view = registered.view.lock().unwrap_or_else(|e| e.into_inner());
    let _ = view.control.kill.set(cancel.clone());
}

/// Held while a client blocks in a command that CLIENT UNBLOCK may release (WAIT today; the
/// blocking list commands later): marks the client blocked and receives the release.
pub(crate) struct BlockGuard {
    control: Arc<ClientControl>,
    release: oneshot::Receiver<Unblock>,
}

impl BlockGuard {
    pub(crate) fn new(registered: &Registered) -> BlockGuard {
        let control = registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .control
            .clone();
        let (tx, release) = oneshot::channel();
        *control.unblock.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        control.blocked.store(true, Ordering::Relaxed);
        BlockGuard { control, release }
    }

    /// Resolves when CLIENT UNBLOCK releases the client (never otherwise).
    pub(crate) async fn released(&mut self) -> Unblock {
        match (&mut self.release).await {
            Ok(why) => why,
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for BlockGuard {
    fn drop(&mut self) {
        self.control
            .unblock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.control.blocked.store(false, Ordering::Relaxed);
    }
}

/// Per-connection state of this module (a field of `Session`).
#[derive(Debug, Default)]
pub(crate) struct AdminSession {
    /// CLIENT REPLY OFF.
    pub reply_off: bool,
    /// CLIENT REPLY SKIP was the last command: the next reply is dropped.
    pub skip_next: bool,
    /// The reply of the command running now is dropped.
    pub skip: bool,
    /// MONITOR: the feed this connection forwards while it waits for requests.
    pub monitor: Option<broadcast::Receiver<Bytes>>,
}

impl AdminSession {
    /// RESET: replies back on, no longer a monitor (Redis `clearClientConnectionState`).
    pub(crate) fn reset(&mut self) {
        *self = AdminSession::default();
    }
}

/// The `flags=` field of CLIENT LIST / CLIENT INFO, in Redis 7.0's order.
pub(crate) fn flags(view: &ClientView) -> String {
    let control = &view.control;
    let mut flags = String::new();
    if control.monitor.load(Ordering::Relaxed) {
        flags.push('O');
    }
    if view.multi >= 0 {
        flags.push('x');
    }
    let (sub, psub, ssub) = view.subscriptions;
    if sub + psub + ssub > 0 {
        flags.push('P');
    }
    if control.blocked.load(Ordering::Relaxed) {
        flags.push('b');
    }
    if view.readonly {
        flags.push('r');
    }
    if control.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// Redis `addReplySubcommandSyntaxError` for CLIENT.
pub(crate) fn subcommand_syntax_error(sub: &[u8]) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

pub(crate) fn syntax_error() -> Reply {
    Reply::Error("ERR syntax error".into())
}

/// The reply of a blocked command once it ends: `waited` (its own answer, or its timeout
/// answer after `CLIENT UNBLOCK … TIMEOUT`), or the UNBLOCKED error.
pub(crate) fn after_block(unblocked: Option<Unblock>, waited: Reply) -> Reply {
    match unblocked {
        Some(Unblock::Error) => unblocked_error(),
        _ => waited,
    }
}
