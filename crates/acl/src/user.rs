//! One ACL user: flags, password hashes and selectors (`user` in acl.c).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::category::CommandTable;
use crate::describe::{channels_field, command_rules, keys_field, selector_rules};
use crate::error::RuleError;
use crate::reply::AclReply;
use crate::selector::{eq_any, Selector};
use crate::split::split_args;

/// Length of a password hash: SHA-256 in lowercase hex.
pub const HASH_LEN: usize = 64;

/// The user flags, each printed when set, in Redis's order (`ACLUserFlags`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFlags {
    pub on: bool,
    pub off: bool,
    pub nopass: bool,
    pub skip_sanitize_payload: bool,
    pub sanitize_payload: bool,
}

impl UserFlags {
    /// The names of the flags that are set, in Redis's order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.on, "on"),
            (self.off, "off"),
            (self.nopass, "nopass"),
            (self.skip_sanitize_payload, "skip-sanitize-payload"),
            (self.sanitize_payload, "sanitize-payload"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// An ACL user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    name: Bytes,
    flags: UserFlags,
    /// SHA-256 hex of each password, in the order added.
    passwords: Vec<String>,
    root: Selector,
    selectors: Vec<Selector>,
}

impl User {
    /// A user as `ACL SETUSER` creates it: `off`, no passwords, no commands, no keys;
    /// channels per `acl-pubsub-default` (`allchannels` when `pubsub_all`).
    #[must_use]
    pub fn new(name: Bytes, pubsub_all: bool) -> Self {
        User {
            name,
            flags: UserFlags {
                off: true,
                ..UserFlags::default()
            },
            passwords: Vec::new(),
            root: new_selector(pubsub_all),
            selectors: Vec::new(),
        }
    }

    /// Turns a new user into Redis's `default`: `+@all ~* &* on nopass`.
    pub(crate) fn make_default(&mut self) {
        self.root.perms.set_all(true);
        self.root.allkeys = true;
        self.root.allchannels = true;
        (self.flags.on, self.flags.off) = (true, false);
        self.flags.nopass = true;
    }

    #[must_use]
    pub fn name(&self) -> &Bytes {
        &self.name
    }

    #[must_use]
    pub fn flags(&self) -> UserFlags {
        self.flags
    }

    /// Password hashes (SHA-256, lowercase hex), in the order added.
    #[must_use]
    pub fn password_hashes(&self) -> &[String] {
        &self.passwords
    }

    /// The root selector (rules outside parentheses).
    #[must_use]
    pub fn root(&self) -> &Selector {
        &self.root
    }

    /// The `(...)` selectors, in the order added.
    #[must_use]
    pub fn selectors(&self) -> &[Selector] {
        &self.selectors
    }

    /// True when the root selector allows every command, key and channel (`+@all ~* &*`, as
    /// the `default` user starts): no command of this user needs a key-by-key check.
    #[must_use]
    pub fn unrestricted(&self) -> bool {
        self.root.perms.all() && self.root.allkeys && self.root.allchannels
    }

    /// The root selector, then the others: the order permission checks try them.
    pub fn all_selectors(&self) -> impl Iterator<Item = &Selector> {
        std::iter::once(&self.root).chain(self.selectors.iter())
    }

    /// Whether `password` logs this user in (`ACLCheckUserCredentials`, after the user
    /// was found).
    #[must_use]
    pub fn accepts(&self, password: &[u8]) -> bool {
        if self.flags.off {
            return false;
        }
        if self.flags.nopass {
            return true;
        }
        let hashed = hash_password(password);
        // Every stored hash is compared in full, as Redis's time-independent compare does.
        self.passwords.iter().fold(false, |found, p| {
            found | constant_time_eq(p.as_bytes(), hashed.as_bytes())
        })
    }

    /// Applies one rule (`ACLSetUser`); `(...)` selectors arrive already merged.
    pub(crate) fn apply(
        &mut self,
        table: &dyn CommandTable,
        op: &[u8],
        pubsub_all: bool,
    ) -> Result<(), RuleError> {
        if op.is_empty() || self.apply_flag(op, pubsub_all) {
            return Ok(());
        }
        match op {
            [b'>', pass @ ..] => self.add_password(hash_password(pass)),
            [b'#', hash @ ..] => self.add_password(checked_hash(hash)?),
            [b'<', pass @ ..] => self.remove_password(&hash_password(pass))?,
            [b'!', hash @ ..] => self.remove_password(&checked_hash(hash)?)?,
            [b'(', .., b')'] => {
                let mut sel = new_selector(pubsub_all);
                // Words Redis cannot split leave the selector empty, as in Redis.
                let parts = split_args(&op[1..op.len() - 1]).unwrap_or_default();
                for part in parts {
                    sel.apply(table, &part)?;
                }
                self.selectors.push(sel);
            }
            _ => self.root.apply(table, op)?,
        }
        Ok(())
    }

    /// The flag rules and `reset`; false when `op` is none of them.
    fn apply_flag(&mut self, op: &[u8], pubsub_all: bool) -> bool {
        let f = &mut self.flags;
        if eq_any(op, &[b"on"]) {
            (f.on, f.off) = (true, false);
        } else if eq_any(op, &[b"off"]) {
            (f.on, f.off) = (false, true);
        } else if eq_any(op, &[b"skip-sanitize-payload"]) {
            (f.skip_sanitize_payload, f.sanitize_payload) = (true, false);
        } else if eq_any(op, &[b"sanitize-payload"]) {
            (f.skip_sanitize_payload, f.sanitize_payload) = (false, true);
        } else if eq_any(op, &[b"nopass"]) {
            f.nopass = true;
            self.passwords.clear();
        } else if eq_any(op, &[b"resetpass"]) {
            f.nopass = false;
            self.passwords.clear();
        } else if eq_any(op, &[b"clearselectors"]) {
            self.selectors.clear();
        } else if eq_any(op, &[b"reset"]) {
            self.reset(pubsub_all);
        } else {
            return false;
        }
        true
    }

    /// `reset`: resetpass, resetkeys, resetchannels (then allchannels per
    /// `acl-pubsub-default`), off, sanitize-payload, clearselectors, -@all.
    fn reset(&mut self, pubsub_all: bool) {
        self.flags.nopass = false;
        self.passwords.clear();
        self.root.allkeys = false;
        self.root.patterns.clear();
        self.root.allchannels = pubsub_all;
        self.root.channels.clear();
        (self.flags.on, self.flags.off) = (false, true);
        (
            self.flags.skip_sanitize_payload,
            self.flags.sanitize_payload,
        ) = (false, true);
        self.selectors.clear();
        self.root.perms = crate::selector::CommandPerms::default();
    }

    fn add_password(&mut self, hash: String) {
        if !self.passwords.contains(&hash) {
            self.passwords.push(hash);
        }
        self.flags.nopass = false;
    }

    fn remove_password(&mut self, hash: &str) -> Result<(), RuleError> {
        let at = self
            .passwords
            .iter()
            .position(|p| p == hash)
            .ok_or(RuleError::NoSuchPassword)?;
        self.passwords.remove(at);
        Ok(())
    }

    /// The user's rules as `ACL LIST` prints them after `user <name> ` (`ACLDescribeUser`).
    #[must_use]
    pub fn describe(&self, table: &dyn CommandTable) -> Vec<u8> {
        let mut out = Vec::new();
        for name in self.flags.names() {
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(&selector_rules(&self.root, table));
        for sel in &self.selectors {
            out.extend_from_slice(b" (");
            out.extend_from_slice(&selector_rules(sel, table));
            out.push(b')');
        }
        out
    }

    /// The `ACL GETUSER` reply.
    #[must_use]
    pub fn getuser_reply(&self, table: &dyn CommandTable) -> AclReply {
        let flags = self.flags.names().into_iter().map(AclReply::bulk).collect();
        let passwords = self
            .passwords
            .iter()
            .map(|p| AclReply::bulk(p.as_str()))
            .collect();
        let mut fields = vec![
            (AclReply::bulk("flags"), AclReply::Set(flags)),
            (AclReply::bulk("passwords"), AclReply::Array(passwords)),
        ];
        fields.extend(selector_fields(&self.root, table));
        let selectors = self
            .selectors
            .iter()
            .map(|s| AclReply::Map(selector_fields(s, table)))
            .collect();
        fields.push((AclReply::bulk("selectors"), AclReply::Array(selectors)));
        AclReply::Map(fields)
    }
}

/// `commands`, `keys`, `channels` of one selector (`aclAddReplySelectorDescription`).
fn selector_fields(sel: &Selector, table: &dyn CommandTable) -> Vec<(AclReply, AclReply)> {
    vec![
        (
            AclReply::bulk("commands"),
            AclReply::bulk(command_rules(&sel.perms, table)),
        ),
        (AclReply::bulk("keys"), AclReply::bulk(keys_field(sel))),
        (
            AclReply::bulk("channels"),
            AclReply::bulk(channels_field(sel)),
        ),
    ]
}

fn new_selector(pubsub_all: bool) -> Selector {
    Selector {
        allchannels: pubsub_all,
        ..Selector::default()
    }
}

/// SHA-256 of `password` in lowercase hex (`ACLHashPassword`).
#[must_use]
pub fn hash_password(password: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, password);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A `#hash` / `!hash` argument: exactly 64 lowercase hex characters.
fn checked_hash(hash: &[u8]) -> Result<String, RuleError> {
    let valid =
        hash.len() == HASH_LEN && hash.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(RuleError::BadHash);
    }
    String::from_utf8(hash.to_vec()).map_err(|_| RuleError::BadHash)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
