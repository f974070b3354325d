//! `maxmemory` with Redis's `noeviction` policy: once the node uses more memory than the limit,
//! commands that may grow the data are refused with Redis's `-OOM` error, in Redis 7.0's
//! `processCommand` order. Meridian never evicts keys by itself (an eviction would have to be
//! a replicated write), so every `maxmemory-policy` answers as `noeviction` does.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::dispatch::Target;

const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

impl Connection {
    /// Redis's OOM rule: refused when over `maxmemory` and the command may use memory
    /// (`denyoom`), or anything but EXEC/DISCARD/QUIT/RESET is queued inside MULTI, or EXEC
    /// runs a queued `denyoom` command.
    pub(super) fn oom_error(&self, target: Target, name: &str) -> Option<Reply> {
        let limit = self.shared.maxmemory.load(Ordering::Relaxed);
        if limit == 0 {
            return None;
        }
        let may_grow = match target {
            Target::Data(def) => def.flags.contains(&"denyoom"),
            Target::Server(_) if name == "exec" => self.queued_denyoom(),
            Target::Server(_) => false,
        };
        let in_multi =
            self.session.multi.is_some() && !matches!(name, "exec" | "discard" | "quit" | "reset");
        if !(may_grow || in_multi) {
            return None;
        }
        let used = crate::resp::info::resident_bytes();
        (used > limit).then(|| Reply::Error(OOM_ERROR.into()))
    }

    fn queued_denyoom(&self) -> bool {
        let Some(multi) = self.session.multi.as_ref() else {
            return false;
        };
        multi.queued.iter().any(|argv: &Vec<Bytes>| {
            meridian_keyspace::lookup(&argv[0]).is_some_and(|d| d.flags.contains(&"denyoom"))
        })
    }
}
