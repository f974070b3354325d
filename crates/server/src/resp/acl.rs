//! Redis ACL users on the RESP edge: which user a connection is, the permission check before
//! every command, `AUTH`/`HELLO AUTH` against the users, and the `ACL` command.
//!
//! The users are replicated state (`meridian_storage::SmHandle::users`): `ACL SETUSER` and
//! `ACL DELUSER` are proposed as writes, so every node of a cluster, and every secondary
//! cluster, holds the same table. `requirepass` stays node configuration, as in Redis: when
//! set, it is the `default` user's only password on this node (Redis's
//! `ACLUpdateDefaultUserPassword`), laid over the replicated table.
//!
//! - `view`: the users a connection checks against (replicated table + requirepass), cached
//!   per connection and refreshed when either changes; the task closing the connections of
//!   deleted users;
//! - `check`: the per-command check (command, keys), Redis's `ACLCheckAllPerm`;
//! - `cmds`: `ACL CAT|DELUSER|DRYRUN|GENPASS|GETUSER|HELP|LIST|LOAD|LOG|SAVE|SETUSER|USERS|WHOAMI`;
//! - `log`: `ACL LOG`, this node's record of refused commands and failed logins.

mod check;
mod cmds;
mod log;
mod view;

use std::sync::{Arc, OnceLock};

use meridian_acl::CommandInfo;

pub(crate) use check::{check_user, default_open, Refusal};
pub(crate) use log::{AclLog, LogContext, LogReason};
pub(crate) use view::{close_deleted_users, AclState, UsersCache};

/// The command table ACL rules are applied against (built once from COMMAND's tables).
pub(crate) fn command_table() -> Arc<Vec<CommandInfo>> {
    static TABLE: OnceLock<Arc<Vec<CommandInfo>>> = OnceLock::new();
    TABLE
        .get_or_init(|| Arc::new(crate::resp::command_cmd::acl_commands()))
        .clone()
}
