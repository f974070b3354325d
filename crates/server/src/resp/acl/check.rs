//! The permission check before a command runs or is queued (Redis's `ACLCheckAllPerm`), and
//! again at EXEC for the commands a transaction queued.

use bytes::Bytes;
use meridian_acl::{CommandTable, Denied, User, Users};
use meridian_types::Reply;

use super::log::{LogContext, LogReason};
use crate::resp::connection::Connection;
use crate::resp::introspection::{command_fullname, key_access};

/// Why a command may not run.
pub(crate) enum Refusal {
    /// The user may not: the `-NOPERM` reply.
    Denied(Reply),
    /// The connection's user was deleted (Redis kills its clients): close.
    UserGone,
}

/// Whether the `default` user lets a client in without a password (`nopass` and `on`).
pub(crate) fn default_open(users: &Users) -> bool {
    users
        .get(meridian_acl::DEFAULT_USER)
        .is_some_and(|u| u.flags().nopass && u.flags().on)
}

/// The full name of `argv`'s command in the ACL table (Redis's whole table: commands Meridian
/// does not implement included), as `lookupCommand` finds it.
pub(crate) fn table_fullname(table: &dyn CommandTable, argv: &[Bytes]) -> Option<String> {
    let lower = |b: &Bytes| String::from_utf8_lossy(b).to_ascii_lowercase();
    let name = lower(argv.first()?);
    let top = table.lookup(&name)?;
    match argv.get(1) {
        Some(sub) if !top.subcommands.is_empty() => table
            .lookup(&format!("{name}|{}", lower(sub)))
            .map(|c| c.fullname.clone()),
        _ => Some(top.fullname.clone()),
    }
}

/// `argv`'s command, subcommand and keys checked against `user`.
pub(crate) fn check_user(
    table: &dyn CommandTable,
    user: &User,
    argv: &[Bytes],
) -> Result<(), (Denied, String)> {
    if user.unrestricted() {
        return Ok(());
    }
    let Some(fullname) = command_fullname(argv).or_else(|| table_fullname(table, argv)) else {
        return Ok(());
    };
    let Some(info) = table.lookup(&fullname) else {
        return Ok(());
    };
    let keys = key_access(&fullname, argv);
    let channels = channel_refs(&fullname, argv.len());
    let args: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
    meridian_acl::check(user, info, &args, &keys, &channels).map_err(|d| (d, fullname))
}

/// The channels a command publishes or subscribes to, as Redis's ACL check finds them:
/// PUBLISH/SPUBLISH's channel, every (S)SUBSCRIBE channel, every PSUBSCRIBE pattern (matched
/// literally); the UNSUBSCRIBE commands are not checked.
fn channel_refs(fullname: &str, argc: usize) -> Vec<meridian_acl::ChannelRef> {
    let (range, pattern) = match fullname {
        "publish" | "spublish" => (1..2.min(argc), false),
        "subscribe" | "ssubscribe" => (1..argc, false),
        "psubscribe" => (1..argc, true),
        _ => return Vec::new(),
    };
    range
        .map(|pos| meridian_acl::ChannelRef { pos, pattern })
        .collect()
}

impl Connection {
    /// The effective users for this connection (cached until they change).
    pub(crate) fn users(&self) -> std::sync::Arc<Users> {
        let mut cache = self
            .acl_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.shared.users_view(&mut cache)
    }

    /// Redis's `authRequired`: not authenticated, and the `default` user has a password or
    /// is off (a `default` opened later lets unauthenticated clients in).
    pub(crate) fn auth_required(&self) -> bool {
        !self.session.authenticated && !default_open(&self.users())
    }

    /// Redis's ACL check in `processCommand`: a refused command is logged (`ACL LOG`).
    pub(crate) fn acl_refusal(&self, argv: &[Bytes]) -> Option<Refusal> {
        let users = self.users();
        let Some(user) = users.get(&self.session.user) else {
            return Some(Refusal::UserGone);
        };
        let (denied, fullname) = check_user(&*self.shared.acl.table, user, argv).err()?;
        let context = if self.session.multi.is_some() {
            LogContext::Multi
        } else {
            LogContext::Toplevel
        };
        self.log_denial(&denied, &fullname, argv, context);
        Some(Refusal::Denied(Reply::Error(denied.to_string())))
    }

    /// EXEC's second check of a queued command (`execCommand`): rules may have changed since
    /// it was queued. The reply replaces the command's.
    pub(crate) fn acl_recheck(&self, argv: &[Bytes]) -> Option<Reply> {
        let users = self.users();
        let user = users.get(&self.session.user)?;
        let (denied, fullname) = check_user(&*self.shared.acl.table, user, argv).err()?;
        self.log_denial(&denied, &fullname, argv, LogContext::Multi);
        let reason = match denied {
            Denied::Command { .. } => "no permission to execute the command or subcommand",
            Denied::Key { .. } => "no permission to touch the specified keys",
            Denied::Channel { .. } => {
                "no permission to access one of the channels used as arguments"
            }
        };
        Some(Reply::Error(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and \
             the EXEC call. This command is no longer allowed for the following reason: {reason}"
        )))
    }

    fn log_denial(&self, denied: &Denied, fullname: &str, argv: &[Bytes], context: LogContext) {
        let (reason, object) = match denied {
            Denied::Command { .. } => (LogReason::Command, Bytes::from(fullname.to_string())),
            Denied::Key { pos } => (LogReason::Key, argv.get(*pos).cloned().unwrap_or_default()),
            Denied::Channel { pos } => (
                LogReason::Channel,
                argv.get(*pos).cloned().unwrap_or_default(),
            ),
        };
        let username = self.session.user.clone();
        self.add_acl_log(reason, context, object, username);
    }
}
