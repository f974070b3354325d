//! MONITOR, and the request wrapper that feeds it and applies CLIENT REPLY: every command
//! this node runs (after it ran; rejected and queued ones are not shown, a transaction's
//! commands are shown at EXEC) is formatted as Redis's `replicationFeedMonitors` does and
//! broadcast; a monitor forwards the lines while it waits for requests (`idle.rs`).

use std::io;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::connection::{Connection, Flow};
use crate::resp::dispatch::{resolve, runs_inside_multi, Answer, Step, Target};

/// Redis `sdscatrepr`: a double-quoted string with C escapes.
pub(crate) fn repr(arg: &[u8], out: &mut String) {
    out.push('"');
    for &b in arg {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// Commands Redis never shows to monitors: the `admin` ones (by command or subcommand).
pub(crate) fn hidden(argv: &[Bytes]) -> bool {
    let name = argv[0].to_ascii_lowercase();
    let sub = argv
        .get(1)
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    match name.as_slice() {
        b"monitor" | b"shutdown" | b"debug" | b"save" | b"bgsave" | b"bgrewriteaof"
        | b"lastsave" | b"role" | b"replicaof" | b"slaveof" | b"sync" | b"psync" | b"replconf"
        | b"failover" | b"pfdebug" | b"pfselftest" | b"slowlog" | b"latency" | b"acl"
        | b"module" | b"cluster" | b"sentinel" => true,
        b"config" => matches!(sub.as_slice(), b"get" | b"set" | b"resetstat" | b"rewrite"),
        b"client" => matches!(
            sub.as_slice(),
            b"kill" | b"list" | b"no-evict" | b"pause" | b"unblock" | b"unpause"
        ),
        _ => false,
    }
}

/// The arguments as a monitor sees them: AUTH's and HELLO … AUTH's secrets redacted.
fn redacted(argv: &[Bytes]) -> Vec<Bytes> {
    let mut shown = argv.to_vec();
    let secret = Bytes::from_static(b"(redacted)");
    if argv[0].eq_ignore_ascii_case(b"auth") && argv.len() <= 3 {
        shown.iter_mut().skip(1).for_each(|a| *a = secret.clone());
    } else if argv[0].eq_ignore_ascii_case(b"hello") {
        let mut i = 2;
        while i < argv.len() {
            if argv[i].eq_ignore_ascii_case(b"auth") && i + 2 < argv.len() {
                shown[i + 1] = secret.clone();
                shown[i + 2] = secret.clone();
                i += 3;
            } else {
                i += 1;
            }
        }
    }
    shown
}

/// One monitor line: `+<sec>.<usec> [<db> <addr>] "arg" …\r\n`.
pub(crate) fn monitor_line(now: SystemTime, db: u32, addr: &str, argv: &[Bytes]) -> Bytes {
    let t = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut line = format!("+{}.{:06} [{db} {addr}] ", t.as_secs(), t.subsec_micros());
    for (i, arg) in redacted(argv).iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        repr(arg, &mut line);
    }
    line.push_str("\r\n");
    Bytes::from(line)
}

/// What one request will show to monitors once it ran.
struct Feed {
    argv: Vec<Bytes>,
    /// EXEC: the queued commands, shown before it.
    queued: Vec<Vec<Bytes>>,
    db_before: u32,
}

impl Connection {
    /// Runs one request: the CLIENT REPLY gate around it, the monitor feed after it, and a
    /// monitor's refusal of keyspace commands (Redis treats a monitor as a replica).
    pub(crate) async fn dispatch_admin(&mut self, argv: Vec<Bytes>) -> io::Result<Flow> {
        let admin = &self.session.admin;
        let gated = admin.reply_off
            || admin.skip
            || (argv.len() >= 2
                && argv[0].eq_ignore_ascii_case(b"client")
                && argv[1].eq_ignore_ascii_case(b"reply"))
            // A queued CLIENT REPLY takes effect inside EXEC.
            || (self.session.multi.is_some() && argv[0].eq_ignore_ascii_case(b"exec"));
        if gated {
            self.flush_pending().await;
            self.write_out().await?;
        }
        let feed = self.feed_for(&argv);
        let flow = if self.session.admin.monitor.is_some()
            && matches!(resolve(&argv), Ok(Target::Data(_)))
            && !self.auth_required()
        {
            self.reply(Reply::Error(
                "ERR Replica can't interact with the keyspace".into(),
            ));
            Flow::Continue
        } else {
            self.dispatch(argv).await?
        };
        if let Some(feed) = feed {
            self.feed_monitors(feed);
        }
        let admin = &mut self.session.admin;
        if admin.reply_off || admin.skip || admin.skip_next {
            self.flush_pending().await;
            self.out.clear();
        }
        if !self.session.pushed.is_empty() {
            let pushed = self.session.pushed.split();
            self.out.extend_from_slice(&pushed);
        }
        let admin = &mut self.session.admin;
        admin.skip = std::mem::take(&mut admin.skip_next);
        Ok(flow)
    }

    /// Whether the request will run (not refused, not queued in MULTI) and be shown.
    fn feed_for(&self, argv: &[Bytes]) -> Option<Feed> {
        if self.shared.admin.monitors.receiver_count() == 0 || hidden(argv) {
            return None;
        }
        let Ok(target) = resolve(argv) else {
            return None;
        };
        let (name, no_auth) = match target {
            Target::Server(c) => (c.name, c.no_auth),
            Target::Data(d) => (d.name, false),
        };
        if self.auth_required() && !no_auth {
            return None;
        }
        let multi = self.session.multi.as_ref();
        if multi.is_some() && !runs_inside_multi(name) {
            return None;
        }
        let queued = match multi {
            Some(m) if name == "exec" && !m.failed => m.queued.clone(),
            _ => Vec::new(),
        };
        Some(Feed {
            argv: argv.to_vec(),
            queued,
            db_before: self.session.db,
        })
    }

    fn feed_monitors(&self, feed: Feed) {
        let addr = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .addr
            .to_string();
        let now = SystemTime::now();
        let monitors = &self.shared.admin.monitors;
        let mut db = feed.db_before;
        for argv in feed.queued.iter().filter(|a| !hidden(a)) {
            let _ = monitors.send(monitor_line(now, db, &addr, argv));
            if argv[0].eq_ignore_ascii_case(b"select") {
                db = meridian_keyspace::db_index(&argv[1], None, u32::MAX).unwrap_or(db);
            }
        }
        let _ = monitors.send(monitor_line(now, self.session.db, &addr, &feed.argv));
    }

    /// `MONITOR`: from now on the connection forwards every command the node runs.
    pub(crate) fn monitor(&mut self, in_exec: bool) -> Step {
        if in_exec {
            return Step::Answer(Answer::Reply(Reply::Error(
                "ERR MONITOR isn't allowed for DENY BLOCKING client".into(),
            )));
        }
        if self.session.admin.monitor.is_none() {
            self.session.admin.monitor = Some(self.shared.admin.monitors.subscribe());
            let view = self
                .registered
                .view
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            view.control.monitor.store(true, Ordering::Relaxed);
            return Step::Answer(Answer::Reply(Reply::ok()));
        }
        // Redis ignores MONITOR from a monitor: no reply at all.
        Step::Answer(Answer::Raw(Bytes::new()))
    }

    /// RESET's part: replies on again and no longer a monitor.
    pub(crate) fn admin_reset(&mut self) {
        self.session.admin.reset();
        let view = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        view.control.monitor.store(false, Ordering::Relaxed);
    }
}
