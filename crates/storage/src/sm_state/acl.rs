//! `ACL SETUSER` and `ACL DELUSER` as replicated writes: they change the users instead of the
//! keyspace, and one that succeeds is sequenced and shipped like any other write (its argv is
//! the backlog op), so a secondary's users follow the primary's. The other `ACL` subcommands
//! only read and are the server's business; one that reaches the log is refused and changes
//! nothing.
//!
//! What a rule does depends on the command table (`+get` needs a `get`), so every node of a
//! cluster and of its secondaries must be handed the same one ([`crate::StorageOptions`]).

use bytes::Bytes;
use meridian_types::{BacklogOp, Reply};

use super::SmState;

/// Whether `argv` is an `ACL` command (any case).
pub(super) fn is_acl(argv: &[Bytes]) -> bool {
    argv.first()
        .is_some_and(|name| name.eq_ignore_ascii_case(b"ACL"))
}

/// An ACL write that succeeded.
pub(super) struct AclApplied {
    pub(super) reply: Reply,
    /// False when the users are as they were (a DELUSER of users that did not exist).
    pub(super) changed: bool,
}

impl SmState {
    /// Applies the `ACL` command `argv` to the users. `Err` is the error reply: then nothing
    /// changed (a failed SETUSER leaves the user as it was).
    pub(super) fn apply_acl(&mut self, argv: &[Bytes]) -> Result<AclApplied, Reply> {
        let Some(sub) = argv.get(1) else {
            return Err(wrong_arity("acl"));
        };
        let args: Vec<&[u8]> = argv
            .get(2..)
            .unwrap_or(&[])
            .iter()
            .map(|a| &a[..])
            .collect();
        if sub.eq_ignore_ascii_case(b"SETUSER") {
            let (name, rules) = args
                .split_first()
                .ok_or_else(|| wrong_arity("acl|setuser"))?;
            self.users
                .setuser(&*self.acl_commands, name, rules)
                .map_err(|e| Reply::Error(format!("ERR {e}")))?;
            Ok(AclApplied {
                reply: Reply::ok(),
                changed: true,
            })
        } else if sub.eq_ignore_ascii_case(b"DELUSER") {
            if args.is_empty() {
                return Err(wrong_arity("acl|deluser"));
            }
            let removed = self
                .users
                .deluser(&args)
                .map_err(|e| Reply::Error(format!("ERR {e}")))?;
            Ok(AclApplied {
                reply: Reply::Integer(i64::try_from(removed).unwrap_or(i64::MAX)),
                changed: removed > 0,
            })
        } else {
            Err(unknown_subcommand(sub))
        }
    }

    /// Replays a shipped `ACL` op; true when the users changed. The primary applied it without
    /// error, so an error here means the two clusters were handed different command tables.
    pub(super) fn replay_acl(&mut self, op: &BacklogOp) -> bool {
        match self.apply_acl(&op.argv) {
            Ok(applied) => applied.changed,
            Err(_) => {
                // The error is not logged: it may quote a rule, and so a password.
                tracing::warn!(
                    seq = op.seq,
                    "a shipped ACL op failed here; are the command tables the same?"
                );
                false
            }
        }
    }
}

/// Redis's reply to a command or subcommand with too few arguments (`acl|setuser`).
fn wrong_arity(fullname: &str) -> Reply {
    Reply::Error(format!(
        "ERR wrong number of arguments for '{fullname}' command"
    ))
}

/// Redis's reply to an unknown `ACL` subcommand: the name as sent, up to 128 bytes, with line
/// breaks shown as spaces.
fn unknown_subcommand(sub: &[u8]) -> Reply {
    let shown = String::from_utf8_lossy(&sub[..sub.len().min(128)]).replace(['\r', '\n'], " ");
    Reply::Error(format!("ERR unknown subcommand '{shown}'. Try ACL HELP."))
}
