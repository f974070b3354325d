//! Redis 7.0.15's own description of its commands, for `COMMAND INFO`, `COMMAND DOCS` and
//! `COMMAND LIST FILTERBY ACLCAT`: group, version, flags, ACL categories, legacy key range and
//! tips of every command and subcommand (plus `CLIENT SETINFO` from Redis 7.2, which Meridian
//! implements). Meridian describes only the commands it implements (`table.rs` and
//! `meridian_keyspace::ALL_COMMANDS`); this table supplies what those do not carry: the flags
//! and keys of subcommands, groups, categories, tips and key-spec notes. A test checks that the
//! flags and keys of Meridian's own tables agree with it. The key specs are in
//! `introspection/getkeys_specs.rs`, shared with COMMAND GETKEYS.
//!
//! Generated from `COMMAND` and `COMMAND DOCS` of redis-server 7.0.15. `acl` lists only the
//! categories Redis does not derive from the flags (`setImplicitACLCategories`, see
//! [`Meta::categories`]).
//!
//! The table is in `command_meta/table.rs`; this file holds what a table entry is and the
//! look-ups over it.

mod table;

use table::META;
pub(crate) use table::UNDESCRIBED;

/// One Redis command or subcommand (`parent|sub`).
pub(crate) struct Meta {
    /// Full lower-case name.
    pub name: &'static str,
    /// `COMMAND DOCS` group.
    pub group: &'static str,
    /// `COMMAND DOCS` since.
    pub since: &'static str,
    /// Command flags, space-separated, in the order `COMMAND INFO` lists them.
    pub flags: &'static str,
    /// Explicit ACL categories (without `@`), space-separated.
    pub acl: &'static str,
    /// Legacy first key, last key, step.
    pub keys: (i32, i32, i32),
    /// Command tips, space-separated.
    pub tips: &'static str,
}

/// ACL categories in the order Redis lists them (acl.c `ACLCommandCategories`).
pub(crate) const ACL_CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

impl Meta {
    /// The ACL categories of a command with these `flags` (its own: Meridian's table for a
    /// top-level command), in Redis's order, as `setImplicitACLCategories` completes them.
    pub(crate) fn categories(&self, flags: &[&str]) -> Vec<&'static str> {
        let explicit = |c: &str| self.acl.split(' ').any(|a| a == c);
        let has = |f: &str| flags.contains(&f);
        let implicit = |c: &str| match c {
            "write" => has("write"),
            "read" => has("readonly") && !explicit("scripting"),
            "admin" | "dangerous" => has("admin"),
            "pubsub" => has("pubsub"),
            "fast" => has("fast"),
            "blocking" => has("blocking"),
            "slow" => !has("fast") && !explicit("fast"),
            _ => false,
        };
        ACL_CATEGORIES
            .iter()
            .copied()
            .filter(|c| explicit(c) || implicit(c))
            .collect()
    }
}

/// The notes Redis 7.0.15 attaches to key specs of the commands Meridian implements:
/// command, index of the spec (in `introspection/getkeys_specs.rs`), note.
const KEY_SPEC_NOTES: &[(&str, usize, &str)] = &[
    (
        "bitfield",
        0,
        "This command allows both access and modification of the key",
    ),
    ("getex", 0, "RW and UPDATE because it changes the TTL"),
    (
        "pfcount",
        0,
        "RW because it may change the internal representation of the key, and propagate to \
         replicas",
    ),
    ("set", 0, "RW and ACCESS due to the optional `GET` argument"),
    ("sort", 1, SORT_BY_GET_NOTE),
    (
        "sort",
        2,
        "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear \
         anywhere in the argument array",
    ),
    ("sort_ro", 1, SORT_BY_GET_NOTE),
];

const SORT_BY_GET_NOTE: &str = "For the optional BY/GET keyword. It is marked 'unknown' because \
the key names derive from the content of the key we sort";

impl Meta {
    /// Redis's note on this command's key spec number `index`, if it has one. The specs
    /// themselves, and `Meta::key_specs` which describes them, are in `introspection/getkeys*`.
    pub(crate) fn key_spec_note(&self, index: usize) -> Option<&'static str> {
        KEY_SPEC_NOTES
            .iter()
            .find(|(name, i, _)| *name == self.name && *i == index)
            .map(|(_, _, note)| *note)
    }
}

/// Every command and subcommand Redis 7.0.15 has (and CLIENT SETINFO), sorted by name.
pub(crate) fn all_meta() -> &'static [Meta] {
    META
}

/// Finds a command (`get`) or subcommand (`client|list`), case-insensitively.
pub(crate) fn meta(name: &str) -> Option<&'static Meta> {
    let lower = name.to_ascii_lowercase();
    META.binary_search_by(|m| m.name.cmp(&lower))
        .ok()
        .map(|i| &META[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_lower_case_and_known_categories() {
        for pair in META.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for m in META {
            assert_eq!(m.name, m.name.to_ascii_lowercase());
            for c in m.acl.split(' ').filter(|c| !c.is_empty()) {
                assert!(ACL_CATEGORIES.contains(&c), "{}: {c}", m.name);
            }
        }
    }

    #[test]
    fn categories_as_redis_lists_them() {
        let cats = |n: &str| {
            let m = meta(n).unwrap();
            let flags: Vec<&str> = m.flags.split(' ').filter(|f| !f.is_empty()).collect();
            m.categories(&flags).join(" ")
        };
        assert_eq!(cats("GET"), "read string fast");
        assert_eq!(cats("del"), "keyspace write slow");
        assert_eq!(cats("client|list"), "admin slow dangerous connection");
        assert_eq!(cats("eval"), "slow scripting");
        assert_eq!(cats("blpop"), "write list slow blocking");
        assert_eq!(cats("client"), "slow");
        assert!(meta("config|get|x").is_none() && meta("nope").is_none());
    }
}
