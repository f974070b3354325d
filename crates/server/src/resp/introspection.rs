//! Redis 7.0's introspection commands on the RESP port: SLOWLOG, LATENCY, MEMORY, DEBUG,
//! LOLWUT, LASTSAVE / SAVE / BGSAVE and COMMAND GETKEYS[ANDFLAGS].
//!
//! Every request passes through `Connection::dispatch` (`calls`), which times the request
//! path (`dispatch_untimed`) and feeds the node's command statistics (`cmdstats`: INFO
//! commandstats / errorstats / latencystats), slow log, latency events and per-command latency
//! histograms, as Redis's `call()` does. All of it is per node, like a Redis server's.
//!
//! The three tunables (`slowlog-log-slower-than`, `slowlog-max-len`,
//! `latency-monitor-threshold`) live in [`Intro`] with setters for the CONFIG code.

mod calls;
mod cmdstats;
mod debug;
mod debug_help;
mod digest;
mod getkeys;
mod getkeys_specs;
mod histogram;
mod latency;
mod lolwut;
mod memory;
mod save;
mod sha1;
mod slowlog;
#[cfg(test)]
mod tests;
mod wire;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use meridian_region::RegionGroup;
use meridian_types::Reply;

pub(crate) use cmdstats::CommandStats;
pub(crate) use getkeys::{command_fullname, getkeys, is_getkeys, key_access};

use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use latency::LatencyMonitor;
use save::SaveClock;
use slowlog::SlowLog;

/// Redis's defaults.
const SLOWLOG_LOG_SLOWER_THAN: i64 = 10_000;
const SLOWLOG_MAX_LEN: u64 = 128;

/// A node's introspection state, shared by its connections.
pub(crate) struct Intro {
    slowlog: Mutex<SlowLog>,
    latency: Mutex<LatencyMonitor>,
    /// Per command (`client|list` style names) and per error prefix; the latency histograms
    /// are always on, as in Redis 7.0 by default.
    stats: Mutex<CommandStats>,
    slower_than_us: AtomicI64,
    max_len: AtomicU64,
    latency_threshold_ms: AtomicU64,
    save: Arc<SaveClock>,
    /// MEMORY STATS `peak.allocated`.
    peak: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Intro {
    /// Fresh state; LASTSAVE starts at now (Redis: server start) and follows the snapshots
    /// `group` builds or installs from then on.
    pub(crate) fn watching(group: &Arc<RegionGroup>) -> Intro {
        Intro {
            slowlog: Mutex::new(SlowLog::default()),
            latency: Mutex::new(LatencyMonitor::default()),
            stats: Mutex::new(CommandStats::default()),
            slower_than_us: AtomicI64::new(SLOWLOG_LOG_SLOWER_THAN),
            max_len: AtomicU64::new(SLOWLOG_MAX_LEN),
            latency_threshold_ms: AtomicU64::new(0),
            save: SaveClock::watch(group),
            peak: AtomicU64::new(0),
        }
    }

    /// `CONFIG SET slowlog-log-slower-than` (µs; negative disables the slow log).
    pub(crate) fn set_slowlog_log_slower_than(&self, us: i64) {
        self.slower_than_us.store(us, Ordering::Relaxed);
    }

    pub(crate) fn slowlog_log_slower_than(&self) -> i64 {
        self.slower_than_us.load(Ordering::Relaxed)
    }

    /// `CONFIG SET slowlog-max-len`; takes effect at the next logged command, as in Redis.
    pub(crate) fn set_slowlog_max_len(&self, len: u64) {
        self.max_len.store(len, Ordering::Relaxed);
    }

    pub(crate) fn slowlog_max_len(&self) -> u64 {
        self.max_len.load(Ordering::Relaxed)
    }

    /// `CONFIG SET latency-monitor-threshold` (ms; 0 turns the monitor off).
    pub(crate) fn set_latency_monitor_threshold(&self, ms: u64) {
        self.latency_threshold_ms.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn latency_monitor_threshold(&self) -> u64 {
        self.latency_threshold_ms.load(Ordering::Relaxed)
    }

    /// Raises the memory peak to `total` if higher; answers the peak.
    fn note_peak(&self, total: u64) -> u64 {
        self.peak.fetch_max(total, Ordering::Relaxed).max(total)
    }

    /// The command and error statistics, for INFO.
    pub(crate) fn command_stats(&self) -> MutexGuard<'_, CommandStats> {
        lock(&self.stats)
    }

    /// CONFIG RESETSTAT: command and error statistics and the latency histograms.
    pub(crate) fn reset_stats(&self) {
        lock(&self.stats).reset();
    }

    /// An error reply with `text` (after the `-`); with `name`, a failed call of that command.
    fn count_error(&self, name: Option<&str>, text: &[u8]) {
        let mut stats = lock(&self.stats);
        if let Some(name) = name {
            stats.failed(name);
        }
        stats.error_reply(text);
    }

    /// A refusal answered with an error of `prefix`; with `name`, a rejected call of it.
    fn count_rejected(&self, name: Option<&str>, prefix: &[u8]) {
        let mut stats = lock(&self.stats);
        if let Some(name) = name {
            stats.rejected(name);
        }
        stats.error_with_prefix(prefix);
    }

    /// One executed command: its calls, time and histogram, its latency event, and (unless
    /// `slow` is None, as for EXEC itself) the slow log.
    fn observe(&self, full_name: &str, fast: bool, took: Duration, slow: Option<SlowCall<'_>>) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        lock(&self.stats).call(full_name, took);
        let ms = nanos / 1_000_000;
        let threshold = self.latency_monitor_threshold();
        if threshold > 0 && ms >= threshold {
            let event = if fast { "fast-command" } else { "command" };
            lock(&self.latency).add_sample(event, ms, unix_secs());
        }
        let Some(call) = slow else { return };
        let limit = self.slowlog_log_slower_than();
        let micros = i64::try_from(nanos / 1000).unwrap_or(i64::MAX);
        let mut log = lock(&self.slowlog);
        if limit >= 0 && micros >= limit {
            let (client, name) = (call.conn.peer_id(), &call.conn.session.name);
            log.push(call.argv, micros, unix_secs(), &client, name);
        }
        log.trim(usize::try_from(self.slowlog_max_len()).unwrap_or(usize::MAX));
    }
}

/// What the slow log keeps about a call besides its duration: its arguments, and the
/// connection whose address and name are read only when the call is logged.
struct SlowCall<'a> {
    argv: &'a [Bytes],
    conn: &'a Connection,
}

impl Connection {
    /// Redis's `getClientPeerId`: `ip:port`.
    fn peer_id(&self) -> String {
        let view = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match view.addr {
            std::net::SocketAddr::V4(a) => a.to_string(),
            std::net::SocketAddr::V6(a) => format!("{}:{}", a.ip(), a.port()),
        }
    }

    /// SLOWLOG, LATENCY, MEMORY, DEBUG, LOLWUT, LASTSAVE, SAVE, BGSAVE, BGREWRITEAOF.
    pub(crate) async fn introspection(
        &mut self,
        name: &str,
        argv: &[Bytes],
        in_exec: bool,
    ) -> Step {
        let answer = match name {
            "slowlog" => Answer::Reply(slowlog::command(&self.shared.intro, argv)),
            "latency" => latency::command(&self.shared.intro, argv),
            "memory" => memory::command(&self.shared, self.session.db, argv),
            "debug" => return self.debug(argv, in_exec).await,
            "lolwut" => lolwut::command(argv),
            "lastsave" => Answer::Reply(Reply::Integer(self.shared.intro.save.last())),
            "save" => Answer::Reply(save::save(&self.shared).await),
            "bgrewriteaof" => Answer::Reply(save::bgrewriteaof(&self.shared)),
            _ => Answer::Reply(save::bgsave(&self.shared, argv)),
        };
        Step::Answer(answer)
    }
}

/// Redis's `addReplySubcommandSyntaxError`.
pub(crate) fn subcommand_syntax_error(argv: &[Bytes]) -> Reply {
    let sub = String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)]).into_owned();
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    ))
}
