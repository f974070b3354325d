//! The permission check run before every command (`ACLCheckAllUserCommandPerm`).
//!
//! The server extracts the keys and channels of a command (its key specs) and hands their
//! argument positions in; this crate decides. A command runs when any one selector allows
//! the command, every key with the access needed and every channel. When none does, the
//! reported reason is the "largest" one any selector hit: a channel over a key over the
//! command, and among equal reasons the argument furthest to the right.

use thiserror::Error;

use crate::category::CommandInfo;
use crate::selector::Selector;
use crate::user::User;
use meridian_types::glob::glob_match;

/// A key argument and the access the command needs to it (from the key spec's flags:
/// `ACCESS` needs read; `INSERT`, `DELETE`, `UPDATE` need write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    /// Position in `argv` (0 is the command name).
    pub pos: usize,
    pub read: bool,
    pub write: bool,
}

/// A channel argument the command publishes or subscribes to (Redis checks no others, so
/// UNSUBSCRIBE's are left out): `pattern` for PSUBSCRIBE style arguments, which must appear
/// literally among the user's channel patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRef {
    /// Position in `argv`.
    pub pos: usize,
    pub pattern: bool,
}

/// Why a command was refused. `Display` is the error reply after the server's `-`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denied {
    #[error("NOPERM this user has no permissions to run the '{fullname}' command")]
    Command { fullname: String },
    #[error("NOPERM this user has no permissions to access one of the keys used as arguments")]
    Key { pos: usize },
    #[error("NOPERM this user has no permissions to access one of the channels used as arguments")]
    Channel { pos: usize },
}

impl Denied {
    /// The text `ACL DRYRUN` replies (as a bulk string) for this denial of `argv`.
    #[must_use]
    pub fn dryrun_message(&self, argv: &[&[u8]]) -> Vec<u8> {
        let (what, name): (&str, &[u8]) = match self {
            Denied::Command { fullname } => {
                let mut m = b"This user has no permissions to run the '".to_vec();
                m.extend_from_slice(fullname.as_bytes());
                m.extend_from_slice(b"' command");
                return m;
            }
            Denied::Key { pos } => ("key", argv.get(*pos).copied().unwrap_or_default()),
            Denied::Channel { pos } => ("channel", argv.get(*pos).copied().unwrap_or_default()),
        };
        let mut m = b"This user has no permissions to access the '".to_vec();
        m.extend_from_slice(name);
        m.extend_from_slice(format!("' {what}").as_bytes());
        m
    }

    /// Ranking of reasons (Redis's `ACL_DENIED_*` values) and position, for picking the one
    /// to report.
    fn rank(&self) -> (u8, usize) {
        match self {
            Denied::Command { .. } => (1, 0),
            Denied::Key { pos } => (2, *pos),
            Denied::Channel { pos } => (3, *pos),
        }
    }
}

/// Whether `user` may run `cmd` with `argv` (command name first; for a subcommand the
/// subcommand name second), touching `keys` and `channels`.
pub fn check(
    user: &User,
    cmd: &CommandInfo,
    argv: &[&[u8]],
    keys: &[KeyRef],
    channels: &[ChannelRef],
) -> Result<(), Denied> {
    let mut worst = Denied::Command {
        fullname: cmd.fullname.clone(),
    };
    for sel in user.all_selectors() {
        match check_selector(sel, cmd, argv, keys, channels) {
            Ok(()) => return Ok(()),
            Err(denied) => {
                if denied.rank() > worst.rank() {
                    worst = denied;
                }
            }
        }
    }
    Err(worst)
}

/// `ACLSelectorCheckCmd`.
fn check_selector(
    sel: &Selector,
    cmd: &CommandInfo,
    argv: &[&[u8]],
    keys: &[KeyRef],
    channels: &[ChannelRef],
) -> Result<(), Denied> {
    if !sel.perms.all() && !cmd.no_auth && !sel.perms.allows(&cmd.fullname) {
        // Maybe allowed for this first argument only (`+select|0`).
        let idx = if cmd.is_subcommand() { 2 } else { 1 };
        let first = argv.get(idx).copied().unwrap_or_default();
        let allowed = argv.len() >= 2
            && sel
                .perms
                .firstargs(&cmd.fullname)
                .iter()
                .any(|a| a.as_bytes().eq_ignore_ascii_case(first));
        if !allowed {
            return Err(Denied::Command {
                fullname: cmd.fullname.clone(),
            });
        }
    }
    if !sel.allkeys {
        for key in keys {
            let name = argv.get(key.pos).copied().unwrap_or_default();
            if !key_allowed(sel, name, key.read, key.write) {
                return Err(Denied::Key { pos: key.pos });
            }
        }
    }
    if !sel.allchannels {
        for ch in channels {
            let name = argv.get(ch.pos).copied().unwrap_or_default();
            if !channel_allowed(sel, name, ch.pattern) {
                return Err(Denied::Channel { pos: ch.pos });
            }
        }
    }
    Ok(())
}

/// `ACLSelectorCheckKey`: some pattern granting at least the access needed matches.
fn key_allowed(sel: &Selector, key: &[u8], read: bool, write: bool) -> bool {
    sel.allkeys
        || sel
            .patterns
            .iter()
            .filter(|p| (p.read || !read) && (p.write || !write))
            .any(|p| glob_match(&p.pattern, key))
}

/// `ACLCheckChannelAgainstList`: a channel is matched against the patterns, a pattern
/// argument is compared literally.
fn channel_allowed(sel: &Selector, channel: &[u8], is_pattern: bool) -> bool {
    sel.allchannels
        || sel.channels.iter().any(|p| {
            if is_pattern {
                p == channel
            } else {
                glob_match(p, channel)
            }
        })
}

/// Whether `user` may touch `key` with the access given in some selector
/// (`ACLUserCheckKeyPerm`, used by commands that check keys themselves, such as SORT BY).
#[must_use]
pub fn key_permitted(user: &User, key: &[u8], read: bool, write: bool) -> bool {
    user.all_selectors()
        .any(|s| key_allowed(s, key, read, write))
}

/// Whether `user` may use `channel` in some selector (`ACLUserCheckChannelPerm`).
#[must_use]
pub fn channel_permitted(user: &User, channel: &[u8], is_pattern: bool) -> bool {
    user.all_selectors()
        .any(|s| channel_allowed(s, channel, is_pattern))
}
