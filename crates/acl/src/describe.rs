//! Rendering a selector's rules as `ACL LIST` and `ACL GETUSER` print them.
//!
//! The command part follows `ACLDescribeSelectorCommandRules`: start from `+@all` or `-@all`,
//! greedily apply the category that best fits what is left, then fix the remaining
//! differences one command at a time, walking the command table in its order. Applying the
//! printed rules to a fresh selector gives back the same command bits.

use crate::category::{CommandInfo, CommandTable, CATEGORIES};
use crate::selector::{CommandPerms, Selector};

/// The command rules of `perms`, e.g. `-@all +@read -hget`.
pub(crate) fn command_rules(perms: &CommandPerms, table: &dyn CommandTable) -> String {
    // Additive: start from -@all and add; otherwise start from +@all and remove.
    let additive = !perms.future();
    let mut fake = CommandPerms::default();
    fake.set_all(!additive);
    let mut rules = String::from(if additive { "-@all " } else { "+@all " });

    // `temp` holds what is still unexplained: each applied category is undone in it.
    let mut temp = perms.clone();
    let mut applied = [false; CATEGORIES.len()];
    while let Some(best) = best_category(&temp, table, &applied, additive) {
        let (cat, name) = CATEGORIES[best];
        fake.change_category(table, cat, additive);
        temp.change_category(table, cat, !additive);
        rules.push_str(if additive { "+@" } else { "-@" });
        rules.push_str(name);
        rules.push(' ');
        applied[best] = true;
    }

    for cmd in table.commands() {
        single_command_rules(perms, &mut fake, cmd, &mut rules);
    }
    rules.pop();
    rules
}

/// The category with more commands in common with `temp` than different, fewest differences
/// first and most in common on ties; the first in Redis's order wins a full tie.
fn best_category(
    temp: &CommandPerms,
    table: &dyn CommandTable,
    applied: &[bool],
    additive: bool,
) -> Option<usize> {
    let mut best = None;
    let (mut min_diff, mut max_same) = (usize::MAX, 0);
    for (j, (cat, _)) in CATEGORIES.iter().enumerate() {
        if applied[j] {
            continue;
        }
        let (on, off) = temp.count_category(table, *cat);
        let (diff, same) = if additive { (off, on) } else { (on, off) };
        if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
            best = Some(j);
            min_diff = diff;
            max_same = same;
        }
    }
    best
}

/// `ACLDescribeSelectorCommandRulesSingleCommands` for one command and its subcommands.
fn single_command_rules(
    perms: &CommandPerms,
    fake: &mut CommandPerms,
    cmd: &CommandInfo,
    rules: &mut String,
) {
    let user_bit = perms.allows(&cmd.fullname);
    if user_bit != fake.allows(&cmd.fullname) {
        rules.push(if user_bit { '+' } else { '-' });
        rules.push_str(&cmd.fullname);
        rules.push(' ');
        fake.change(cmd, user_bit);
    }
    for sub in &cmd.subcommands {
        single_command_rules(perms, fake, sub, rules);
    }
    if !user_bit {
        for arg in perms.firstargs(&cmd.fullname) {
            rules.push('+');
            rules.push_str(&cmd.fullname);
            rules.push('|');
            rules.push_str(arg);
            rules.push(' ');
        }
    }
}

/// The key patterns as `ACL GETUSER` prints them: `~*`, or the patterns joined by spaces.
pub(crate) fn keys_field(sel: &Selector) -> Vec<u8> {
    if sel.all_keys() {
        return b"~*".to_vec();
    }
    join(sel.key_patterns().iter().map(crate::KeyPattern::render))
}

/// The channel patterns as `ACL GETUSER` prints them: `&*`, or `&p` joined by spaces.
pub(crate) fn channels_field(sel: &Selector) -> Vec<u8> {
    if sel.all_channels() {
        return b"&*".to_vec();
    }
    join(
        sel.channel_patterns()
            .iter()
            .map(|c| [&b"&"[..], &c[..]].concat()),
    )
}

fn join(parts: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in parts.enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(&part);
    }
    out
}

/// A whole selector as `ACL LIST` prints it (`ACLDescribeSelector`).
pub(crate) fn selector_rules(sel: &Selector, table: &dyn CommandTable) -> Vec<u8> {
    let mut out = Vec::new();
    if sel.all_keys() {
        out.extend_from_slice(b"~* ");
    } else {
        for p in sel.key_patterns() {
            out.extend_from_slice(&p.render());
            out.push(b' ');
        }
    }
    if sel.all_channels() {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in sel.channel_patterns() {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend_from_slice(command_rules(&sel.perms, table).as_bytes());
    out
}
