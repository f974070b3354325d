//! A selector: the commands, keys and channels one set of rules allows (`aclSelector`).
//!
//! Every user has a root selector (the rules written outside parentheses) and any number
//! of `(...)` selectors; a command runs when any one selector allows all of it.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::category::{walk, Category, CommandInfo, CommandTable};
use crate::error::RuleError;

/// A key pattern with the access it grants (`~p` both, `%R~p` read, `%W~p` write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPattern {
    pub read: bool,
    pub write: bool,
    pub pattern: Bytes,
}

impl KeyPattern {
    /// The pattern as rules write it (`sdsCatPatternString`).
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        let prefix: &[u8] = match (self.read, self.write) {
            (true, false) => b"%R~",
            (false, true) => b"%W~",
            _ => b"~",
        };
        [prefix, &self.pattern[..]].concat()
    }
}

/// The command half of a selector: Redis's command bitmap, plus the allowed first arguments.
///
/// The bitmap is held as a base value (all set after `+@all`, all clear after `-@all`, which
/// is also Redis's reserved "future commands" bit) and the full names whose bit differs from
/// it, so it needs no command table to start from and stays small either way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommandPerms {
    base_all: bool,
    flipped: BTreeSet<String>,
    /// `SELECTOR_FLAG_ALLCOMMANDS`: set by `+@all`, cleared as soon as any bit is cleared.
    all: bool,
    /// `+select|0`: first arguments allowed for a command whose bit is clear, in the order
    /// they were added, keyed by the command's full name.
    firstargs: BTreeMap<String, Vec<String>>,
}

impl CommandPerms {
    pub(crate) fn allows(&self, fullname: &str) -> bool {
        self.base_all != self.flipped.contains(fullname)
    }

    /// The reserved bit `+@all` sets: commands added later are allowed too.
    pub(crate) fn future(&self) -> bool {
        self.base_all
    }

    pub(crate) fn all(&self) -> bool {
        self.all
    }

    pub(crate) fn firstargs(&self, fullname: &str) -> &[String] {
        self.firstargs.get(fullname).map_or(&[], Vec::as_slice)
    }

    /// `+@all` (`allow`) or `-@all`.
    pub(crate) fn set_all(&mut self, allow: bool) {
        self.base_all = allow;
        self.flipped.clear();
        self.all = allow;
        self.firstargs.clear();
    }

    fn set_bit(&mut self, fullname: &str, allow: bool) {
        if allow == self.base_all {
            self.flipped.remove(fullname);
        } else {
            self.flipped.insert(fullname.to_owned());
        }
        if !allow {
            self.all = false;
        }
    }

    /// `ACLChangeSelectorPerm`: the command, its first arguments and all its subcommands.
    pub(crate) fn change(&mut self, cmd: &CommandInfo, allow: bool) {
        self.set_bit(&cmd.fullname, allow);
        self.firstargs.remove(&cmd.fullname);
        for sub in &cmd.subcommands {
            self.set_bit(&sub.fullname, allow);
        }
    }

    /// `ACLSetSelectorCommandBitsForCategory`.
    pub(crate) fn change_category(&mut self, table: &dyn CommandTable, cat: Category, allow: bool) {
        for cmd in table.commands() {
            if cmd.categories.contains(cat) {
                self.change(cmd, allow);
            }
            for sub in cmd
                .subcommands
                .iter()
                .filter(|s| s.categories.contains(cat))
            {
                self.change(sub, allow);
            }
        }
    }

    /// Commands of `cat` allowed and denied (`ACLCountCategoryBitsForSelector`).
    pub(crate) fn count_category(&self, table: &dyn CommandTable, cat: Category) -> (usize, usize) {
        walk(table)
            .filter(|c| c.categories.contains(cat))
            .fold((0, 0), |(on, off), c| {
                if self.allows(&c.fullname) {
                    (on + 1, off)
                } else {
                    (on, off + 1)
                }
            })
    }

    fn add_firstarg(&mut self, fullname: &str, arg: &str) {
        let args = self.firstargs.entry(fullname.to_owned()).or_default();
        if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            args.push(arg.to_owned());
        }
    }
}

/// One selector's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    pub(crate) allkeys: bool,
    pub(crate) allchannels: bool,
    pub(crate) patterns: Vec<KeyPattern>,
    pub(crate) channels: Vec<Bytes>,
    pub(crate) perms: CommandPerms,
}

impl Selector {
    /// Key patterns in the order they were added (empty when `allkeys`).
    #[must_use]
    pub fn key_patterns(&self) -> &[KeyPattern] {
        &self.patterns
    }

    /// Whether every key is allowed (`~*` / `allkeys`).
    #[must_use]
    pub fn all_keys(&self) -> bool {
        self.allkeys
    }

    /// Whether every channel is allowed (`&*` / `allchannels`).
    #[must_use]
    pub fn all_channels(&self) -> bool {
        self.allchannels
    }

    /// Channel patterns in the order they were added (empty when `allchannels`).
    #[must_use]
    pub fn channel_patterns(&self) -> &[Bytes] {
        &self.channels
    }

    /// Applies one selector rule (`ACLSetSelector`).
    pub(crate) fn apply(&mut self, table: &dyn CommandTable, op: &[u8]) -> Result<(), RuleError> {
        if eq_any(op, &[b"allkeys", b"~*"]) {
            self.allkeys = true;
            self.patterns.clear();
        } else if eq_any(op, &[b"resetkeys"]) {
            self.allkeys = false;
            self.patterns.clear();
        } else if eq_any(op, &[b"allchannels", b"&*"]) {
            self.allchannels = true;
            self.channels.clear();
        } else if eq_any(op, &[b"resetchannels"]) {
            self.allchannels = false;
            self.channels.clear();
        } else if eq_any(op, &[b"allcommands", b"+@all"]) {
            self.perms.set_all(true);
        } else if eq_any(op, &[b"nocommands", b"-@all"]) {
            self.perms.set_all(false);
        } else {
            return self.apply_pattern_or_command(table, op);
        }
        Ok(())
    }

    fn apply_pattern_or_command(
        &mut self,
        table: &dyn CommandTable,
        op: &[u8],
    ) -> Result<(), RuleError> {
        match op {
            [b'~' | b'%', ..] => self.add_key_pattern(op),
            [b'&', rest @ ..] => self.add_channel(rest),
            [sign @ (b'+' | b'-'), b'@', cat @ ..] => {
                let cat = std::str::from_utf8(cat)
                    .ok()
                    .and_then(Category::from_name)
                    .ok_or(RuleError::UnknownCommand)?;
                self.perms.change_category(table, cat, *sign == b'+');
                Ok(())
            }
            [b'+', name @ ..] => self.allow_command(table, name),
            [b'-', name @ ..] => {
                let cmd = lookup(table, name).ok_or(RuleError::UnknownCommand)?;
                self.perms.change(cmd, false);
                Ok(())
            }
            _ => Err(RuleError::Syntax),
        }
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAllKeys);
        }
        let (read, write, pattern) = if op[0] == b'%' {
            parse_key_permission(&op[1..])?
        } else {
            (true, true, &op[1..])
        };
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(existing) => {
                existing.read |= read;
                existing.write |= write;
            }
            None => self.patterns.push(KeyPattern {
                read,
                write,
                pattern: Bytes::copy_from_slice(pattern),
            }),
        }
        Ok(())
    }

    fn add_channel(&mut self, pattern: &[u8]) -> Result<(), RuleError> {
        if self.allchannels {
            return Err(RuleError::ChannelAfterAllChannels);
        }
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        if !self.channels.iter().any(|c| c == pattern) {
            self.channels.push(Bytes::copy_from_slice(pattern));
        }
        Ok(())
    }

    /// `+cmd`, `+container|sub`, `+cmd|first-arg`.
    fn allow_command(&mut self, table: &dyn CommandTable, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let cmd = lookup(table, name).ok_or(RuleError::UnknownCommand)?;
            self.perms.change(cmd, true);
            return Ok(());
        };
        let cmd = lookup(table, &name[..bar]).ok_or(RuleError::UnknownCommand)?;
        if cmd.is_subcommand() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        let sub = &name[bar + 1..];
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if cmd.subcommands.is_empty() {
            // Redis keeps the first argument as written; a non-UTF-8 one can never be typed
            // back by a client anyway, so it is stored lossily.
            let arg = String::from_utf8_lossy(sub);
            let fullname = cmd.fullname.clone();
            self.perms.add_firstarg(&fullname, &arg);
        } else {
            let sub = lookup(table, name).ok_or(RuleError::UnknownCommand)?;
            self.perms.change(sub, true);
        }
        Ok(())
    }
}

/// `R`, `W` (each at most once, any case) up to `~`; the rest is the pattern.
fn parse_key_permission(spec: &[u8]) -> Result<(bool, bool, &[u8]), RuleError> {
    let (mut read, mut write) = (false, false);
    let mut rest: &[u8] = &[];
    for (i, &b) in spec.iter().enumerate() {
        match b.to_ascii_uppercase() {
            b'R' if !read => read = true,
            b'W' if !write => write = true,
            _ if b == b'~' => {
                rest = &spec[i + 1..];
                break;
            }
            _ => return Err(RuleError::Syntax),
        }
    }
    // redis-server 7.0.15 answers `%~x` and `%` with a syntax error.
    if !read && !write {
        return Err(RuleError::Syntax);
    }
    Ok((read, write, rest))
}

fn lookup<'t>(table: &'t dyn CommandTable, name: &[u8]) -> Option<&'t CommandInfo> {
    table.lookup(std::str::from_utf8(name).ok()?)
}

/// `ACLStringHasSpaces`: C `isspace` or NUL.
pub(crate) fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0))
}

/// ASCII-case-insensitive equality with any of `words` (`strcasecmp`).
pub(crate) fn eq_any(op: &[u8], words: &[&[u8]]) -> bool {
    words.iter().any(|w| op.eq_ignore_ascii_case(w))
}
