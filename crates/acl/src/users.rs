//! The user table and the `ACL` subcommands that read or change it.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::category::CommandTable;
use crate::error::{AclError, WrongPass};
use crate::reply::AclReply;
use crate::selector::has_spaces;
use crate::user::User;

/// The name of the user every connection starts as.
pub const DEFAULT_USER: &[u8] = b"default";

/// All users, by name in byte order (the order `ACL LIST` and `ACL USERS` print).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Users {
    users: BTreeMap<Bytes, User>,
    /// `acl-pubsub-default allchannels`: new users (and `reset`) get `&*`. Redis 7.0's
    /// default is `resetchannels` (false).
    pubsub_all: bool,
}

impl Default for Users {
    fn default() -> Self {
        Users::new(false)
    }
}

impl Users {
    /// The table Redis starts with: only `default`, `on nopass ~* &* +@all`.
    #[must_use]
    pub fn new(pubsub_all: bool) -> Self {
        let mut default = User::new(Bytes::from_static(DEFAULT_USER), pubsub_all);
        default.make_default();
        let mut users = BTreeMap::new();
        users.insert(default.name().clone(), default);
        Users { users, pubsub_all }
    }

    /// The user named `name`.
    #[must_use]
    pub fn get(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// `ACL SETUSER name rule...`: applies every rule to a copy of the user (a new one when
    /// missing) and keeps it only when all succeeded.
    pub fn setuser(
        &mut self,
        table: &dyn CommandTable,
        name: &[u8],
        rules: &[&[u8]],
    ) -> Result<(), AclError> {
        if has_spaces(name) {
            return Err(AclError::BadUsername);
        }
        let rules = merge_selectors(rules)?;
        let mut user = match self.users.get(name) {
            Some(u) => u.clone(),
            None => User::new(Bytes::copy_from_slice(name), self.pubsub_all),
        };
        for rule in &rules {
            user.apply(table, rule, self.pubsub_all)
                .map_err(|source| AclError::Rule {
                    rule: String::from_utf8_lossy(rule).into_owned(),
                    source,
                })?;
        }
        self.users.insert(user.name().clone(), user);
        Ok(())
    }

    /// `ACL DELUSER name...`: how many existed and were removed. `default` cannot go (and
    /// then nothing is removed).
    pub fn deluser(&mut self, names: &[&[u8]]) -> Result<usize, AclError> {
        if names.contains(&DEFAULT_USER) {
            return Err(AclError::DeleteDefault);
        }
        Ok(names
            .iter()
            .filter(|n| self.users.remove(**n).is_some())
            .count())
    }

    /// `ACL USERS`.
    #[must_use]
    pub fn usernames(&self) -> Vec<Bytes> {
        self.users.keys().cloned().collect()
    }

    /// `ACL LIST`: one `user <name> <rules>` line per user.
    #[must_use]
    pub fn list(&self, table: &dyn CommandTable) -> Vec<Bytes> {
        self.users
            .values()
            .map(|u| {
                let mut line = b"user ".to_vec();
                line.extend_from_slice(u.name());
                line.push(b' ');
                line.extend_from_slice(&u.describe(table));
                Bytes::from(line)
            })
            .collect()
    }

    /// `ACL GETUSER name`: the user's description, or `Null` when there is no such user.
    #[must_use]
    pub fn getuser(&self, table: &dyn CommandTable, name: &[u8]) -> AclReply {
        self.users
            .get(name)
            .map_or(AclReply::Null, |u| u.getuser_reply(table))
    }

    /// `AUTH name password`: the user to switch to, or `WRONGPASS`.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Result<&User, WrongPass> {
        self.users
            .get(name)
            .filter(|u| u.accepts(password))
            .ok_or(WrongPass)
    }
}

/// `ACLMergeSelectorArguments`: joins `(a`, `b`, `c)` into `(a b c)`; an unclosed `(` is an
/// error naming the argument that opened it.
fn merge_selectors(rules: &[&[u8]]) -> Result<Vec<Vec<u8>>, AclError> {
    let mut merged = Vec::with_capacity(rules.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, rule) in rules.iter().enumerate() {
        // As in Redis, a second `(` while one is open starts over from it.
        if rule.first() == Some(&b'(') && rule.last() != Some(&b')') {
            open = Some((i, rule.to_vec()));
        } else if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(rule);
            if rule.last() == Some(&b')') {
                if let Some((_, sel)) = open.take() {
                    merged.push(sel);
                }
            }
        } else {
            merged.push(rule.to_vec());
        }
    }
    match open {
        Some((i, _)) => Err(AclError::UnmatchedParenthesis {
            rule: String::from_utf8_lossy(rules[i]).into_owned(),
        }),
        None => Ok(merged),
    }
}
