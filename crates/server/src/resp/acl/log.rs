//! `ACL LOG`: this node's most recent refused commands and failed logins, newest first, a
//! repeat within 60 s folded into the entry it repeats (Redis's `addACLLogEntry`).

use std::collections::VecDeque;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::connection::Connection;

/// `acllog-max-len`'s default.
const MAX_ENTRIES: usize = 128;
/// `ACL_LOG_GROUPING_MAX_TIME_DELTA`.
const GROUPING: Duration = Duration::from_millis(60_000);
/// How many recent entries a new one is compared with.
const SCAN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogReason {
    Command,
    Key,
    Channel,
    Auth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogContext {
    Toplevel,
    Multi,
}

struct Entry {
    count: u64,
    reason: LogReason,
    context: LogContext,
    object: Bytes,
    username: Bytes,
    at: Instant,
    client_info: String,
}

impl Entry {
    fn repeats(&self, other: &Entry) -> bool {
        self.reason == other.reason
            && self.context == other.context
            && self.at.max(other.at) - self.at.min(other.at) <= GROUPING
            && self.object == other.object
            && self.username == other.username
    }

    fn reply(&self) -> Reply {
        let s = |t: &str| Reply::bulk(Bytes::copy_from_slice(t.as_bytes()));
        let reason = match self.reason {
            LogReason::Command => "command",
            LogReason::Key => "key",
            LogReason::Channel => "channel",
            LogReason::Auth => "auth",
        };
        let context = match self.context {
            LogContext::Toplevel => "toplevel",
            LogContext::Multi => "multi",
        };
        Reply::Map(vec![
            (s("count"), Reply::Integer(self.count as i64)),
            (s("reason"), s(reason)),
            (s("context"), s(context)),
            (s("object"), Reply::Bulk(self.object.clone())),
            (s("username"), Reply::Bulk(self.username.clone())),
            (
                s("age-seconds"),
                Reply::Double(self.at.elapsed().as_secs_f64()),
            ),
            (s("client-info"), s(&self.client_info)),
        ])
    }
}

/// The entries, newest first.
#[derive(Default)]
pub(crate) struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    fn add(&mut self, entry: Entry) {
        let found = self
            .entries
            .iter()
            .take(SCAN)
            .position(|e| e.repeats(&entry));
        if let Some(i) = found {
            if let Some(mut old) = self.entries.remove(i) {
                old.count += 1;
                old.at = entry.at;
                old.client_info = entry.client_info;
                self.entries.push_front(old);
            }
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(MAX_ENTRIES);
    }
}

impl Connection {
    pub(crate) fn add_acl_log(
        &self,
        reason: LogReason,
        context: super::log::LogContext,
        object: Bytes,
        username: Bytes,
    ) {
        self.update_view();
        let client_info = self
            .registered
            .view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .line();
        let entry = Entry {
            count: 1,
            reason,
            context,
            object,
            username,
            at: Instant::now(),
            client_info,
        };
        self.shared
            .acl
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(entry);
    }

    /// `ACL LOG [count | RESET]`.
    pub(crate) fn acl_log(&self, argv: &[Bytes]) -> Reply {
        let mut log = self
            .shared
            .acl
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut count = 10;
        if let Some(arg) = argv.get(2) {
            if arg.eq_ignore_ascii_case(b"reset") {
                log.entries.clear();
                return Reply::ok();
            }
            match crate::resp::server_cmds::parse_i64(arg) {
                Some(n) => count = n.max(0) as usize,
                None => return Reply::Error("ERR value is not an integer or out of range".into()),
            }
        }
        Reply::Array(log.entries.iter().take(count).map(Entry::reply).collect())
    }
}
