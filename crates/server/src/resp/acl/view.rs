//! The users a connection is checked against: the replicated table with this node's
//! `requirepass` laid over the `default` user.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use meridian_acl::{CommandInfo, Users, DEFAULT_USER};
use meridian_storage::SmHandle;
use tracing::warn;

use crate::resp::listener::Shared;

/// A node's ACL users as its client edges (RESP and gRPC) check them, and `ACL LOG`.
pub(crate) struct AclState {
    pub(crate) table: Arc<Vec<CommandInfo>>,
    sm: SmHandle,
    /// This node's `requirepass` (deployment file, CONFIG SET).
    requirepass: RwLock<Option<String>>,
    /// Moves whenever `requirepass` changes.
    overlay_gen: AtomicU64,
    /// The newest effective table, shared by the connections that refresh.
    cache: Mutex<Option<UsersCache>>,
    pub(crate) log: Mutex<super::AclLog>,
}

/// Effective users tagged with the versions they were built from.
#[derive(Clone)]
pub(crate) struct UsersCache {
    users_version: u64,
    overlay_gen: u64,
    pub(crate) users: Arc<Users>,
}

impl AclState {
    pub(crate) fn new(sm: SmHandle, requirepass: Option<String>) -> AclState {
        AclState {
            table: super::command_table(),
            sm,
            requirepass: RwLock::new(requirepass),
            overlay_gen: AtomicU64::new(0),
            cache: Mutex::new(None),
            log: Mutex::new(super::AclLog::default()),
        }
    }

    /// CONFIG SET requirepass: connections rebuild their view before the next command.
    pub(crate) fn set_requirepass(&self, requirepass: Option<String>) {
        *self
            .requirepass
            .write()
            .unwrap_or_else(PoisonError::into_inner) = requirepass;
        self.overlay_gen.fetch_add(1, Ordering::AcqRel);
    }

    /// The effective users, reusing `cached` while neither the replicated table nor
    /// `requirepass` moved (one atomic load each).
    pub(crate) fn users_view(&self, cached: &mut Option<UsersCache>) -> Arc<Users> {
        let users_version = self.sm.users_version();
        let overlay_gen = self.overlay_gen.load(Ordering::Acquire);
        let fresh =
            |c: &UsersCache| c.users_version == users_version && c.overlay_gen == overlay_gen;
        if let Some(c) = cached.as_ref().filter(|c| fresh(c)) {
            return c.users.clone();
        }
        let mut shared = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let view = match shared.as_ref().filter(|c| fresh(c)) {
            Some(c) => c.clone(),
            None => {
                let view = UsersCache {
                    users_version,
                    overlay_gen,
                    users: Arc::new(self.effective_users()),
                };
                *shared = Some(view.clone());
                view
            }
        };
        let users = view.users.clone();
        *cached = Some(view);
        users
    }

    /// The replicated table with `requirepass`, when set, as the `default` user's only
    /// password (`resetpass >pass`).
    fn effective_users(&self) -> Users {
        let mut users = self.sm.users(Users::clone);
        let requirepass = self
            .requirepass
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(pass) = requirepass {
            let rule = [b">", pass.as_bytes()].concat();
            let rules: [&[u8]; 2] = [b"resetpass", &rule];
            if users.setuser(&*self.table, DEFAULT_USER, &rules).is_err() {
                // Cannot happen for a password rule. The error would quote the rule, and so
                // the password: it is not logged.
                warn!("requirepass could not be applied to the default user");
            }
        }
        users
    }
}

impl Shared {
    /// The effective users (see [`AclState::users_view`]).
    pub(crate) fn users_view(&self, cached: &mut Option<UsersCache>) -> Arc<Users> {
        self.acl.users_view(cached)
    }
}

/// Closes the connections of users that no longer exist, as soon as this node applies the
/// deletion (Redis's `ACLFreeUserAndKillClients`). Woken by every applied write; it looks at
/// the clients only when the users moved.
pub(crate) async fn close_deleted_users(
    shared: Arc<Shared>,
    cancel: tokio_util::sync::CancellationToken,
) {
    let mut applied = shared.group.sm().subscribe_seq();
    let mut seen = shared.group.sm().users_version();
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = applied.changed() => if changed.is_err() { return },
        }
        let now = shared.group.sm().users_version();
        if now == seen {
            continue;
        }
        seen = now;
        let users = shared.users_view(&mut None);
        let names: std::collections::HashSet<String> = users
            .usernames()
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        for view in shared.clients.list(None) {
            if !names.contains(&view.user) {
                view.control.kill();
            }
        }
    }
}
