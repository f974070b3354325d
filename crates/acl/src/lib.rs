//! Redis 7.0 ACL users as a pure library: the user table, `ACL SETUSER` rules, the
//! renderings of `ACL LIST` / `ACL GETUSER` / `ACL CAT`, and the permission check run before
//! every command. Everything is reproduced from Redis 7.0.15's `acl.c`, error texts included.
//!
//! The crate knows no commands of its own: the server hands in its command table as a
//! [`CommandTable`] (full names, categories after [`implicit_categories`], subcommands) and,
//! for each command to check, the argument positions of its keys and channels.
//!
//! ```text
//! ACL SETUSER ─► Users::setuser ─► User::apply (flags, passwords, `(...)`)
//!                                      └─► Selector::apply (keys, channels, commands)
//! command ─► check(user, cmd, argv, keys, channels) ─► Ok | Denied (NOPERM text)
//! ACL LIST / GETUSER ─► describe (categories best fit, then single commands)
//! ```
//!
//! Invariants: a failed `SETUSER` changes nothing (rules go to a copy first); the table is
//! plain data (`serde`), so it can be replicated as a value. Passwords are kept only as
//! SHA-256 hex, as Redis keeps them.

mod category;
mod check;
mod describe;
mod error;
mod reply;
mod selector;
mod split;
mod user;
mod users;

#[cfg(test)]
mod tests;

pub use category::{
    category_names, commands_in_category, implicit_categories, Category, CategorySet, CommandFlags,
    CommandInfo, CommandTable, CATEGORIES,
};
pub use check::{channel_permitted, check, key_permitted, ChannelRef, Denied, KeyRef};
pub use error::{AclError, RuleError, WrongPass};
pub use reply::AclReply;
pub use selector::{KeyPattern, Selector};
pub use user::{hash_password, User, UserFlags, HASH_LEN};
pub use users::{Users, DEFAULT_USER};
