//! `COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN <arg>]`: the names of every command and
//! subcommand, or of those a filter keeps.

use bytes::Bytes;
use meridian_keyspace::glob_match_nocase;
use meridian_types::Reply;

use super::{all, bulk, Entry};
use crate::resp::command_meta::ACL_CATEGORIES;

/// `COMMAND LIST FILTERBY …` (`commandListCommand`).
#[derive(Debug, PartialEq)]
pub(super) enum Filter {
    /// No modules here: nothing matches.
    Module,
    /// An ACL category name; unknown ones match nothing.
    AclCat(String),
    Pattern(Bytes),
}

impl Filter {
    /// The options after `COMMAND LIST`: none, or exactly `FILTERBY <type> <arg>`.
    pub(super) fn parse(args: &[Bytes]) -> Result<Option<Filter>, Reply> {
        let syntax = || Reply::Error("ERR syntax error".into());
        let [opt, kind, arg] = args else {
            return if args.is_empty() {
                Ok(None)
            } else {
                Err(syntax())
            };
        };
        if !opt.eq_ignore_ascii_case(b"filterby") {
            return Err(syntax());
        }
        let filter = match kind.to_ascii_lowercase().as_slice() {
            b"module" => Filter::Module,
            b"aclcat" => Filter::AclCat(String::from_utf8_lossy(arg).to_ascii_lowercase()),
            b"pattern" => Filter::Pattern(arg.clone()),
            _ => return Err(syntax()),
        };
        Ok(Some(filter))
    }

    fn keeps(&self, e: &Entry) -> bool {
        match self {
            Filter::Module => false,
            Filter::AclCat(cat) => {
                ACL_CATEGORIES.contains(&cat.as_str()) && e.categories().contains(&cat.as_str())
            }
            Filter::Pattern(p) => glob_match_nocase(p, e.name.as_bytes()),
        }
    }
}

/// Every command and subcommand name the filter keeps (`commandListWithFilter`).
pub(super) fn list(filter: Option<&Filter>) -> Reply {
    let names = all()
        .iter()
        .flat_map(|top| std::iter::once(top).chain(top.subs.iter()))
        .filter(|e| filter.is_none_or(|f| f.keeps(e)))
        .map(|e| bulk(&e.name))
        .collect();
    Reply::Array(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::command_cmd::command_reply;
    use crate::resp::command_cmd::tests::argv;

    fn names(reply: Reply) -> Vec<String> {
        let Reply::Array(items) = reply else {
            panic!("not an array: {reply:?}")
        };
        items
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect()
    }

    fn listed(words: &[&str]) -> Vec<String> {
        let mut out = names(command_reply(&argv(words)));
        out.sort();
        out
    }

    #[test]
    fn list_options_are_filterby_and_nothing_else() {
        let parse = |w: &[&str]| Filter::parse(&argv(w));
        assert_eq!(parse(&[]), Ok(None));
        assert_eq!(
            parse(&["FilterBy", "ACLCAT", "Scripting"]),
            Ok(Some(Filter::AclCat("scripting".into())))
        );
        assert_eq!(
            parse(&["filterby", "module", "m"]),
            Ok(Some(Filter::Module))
        );
        let syntax = Err(Reply::Error("ERR syntax error".into()));
        for bad in [
            &["bad_arg"][..],
            &["filterby", "bad_arg"],
            &["filterby", "bad_arg", "bad_arg2"],
            &["filterby", "aclcat"],
            &["filterby", "pattern", "a", "filterby"],
            &["bad", "pattern", "a"],
        ] {
            assert_eq!(parse(bad), syntax, "{bad:?}");
        }
    }

    #[test]
    fn list_names_commands_and_subcommands() {
        let all = listed(&["command", "list"]);
        for name in [
            "set",
            "client|list",
            "config|get",
            "object|encoding",
            "command|list",
        ] {
            assert!(all.contains(&name.to_string()), "{name} missing");
        }
        let top = all.iter().filter(|n| !n.contains('|')).count() as i64;
        assert_eq!(
            command_reply(&argv(&["command", "count"])),
            Reply::Integer(top)
        );
    }

    #[test]
    fn list_filter_by_pattern_matches_full_names() {
        let by = |p: &str| listed(&["command", "list", "filterby", "pattern", p]);
        assert_eq!(by("set"), ["set"]);
        assert_eq!(by("GET"), ["get"]);
        let config = by("config*");
        assert!(config.contains(&"config".into()) && config.contains(&"config|get".into()));
        assert_eq!(by("config|*re*"), ["config|resetstat", "config|rewrite"]);
        assert!(by("cl*help").contains(&"client|help".into()));
        assert!(by("non_exists").is_empty() && by("non_exists*").is_empty());
    }

    #[test]
    fn list_filter_by_category_and_module() {
        let by = |kind: &str, arg: &str| listed(&["command", "list", "filterby", kind, arg]);
        assert!(by("aclcat", "non_existing_category").is_empty());
        assert!(by("module", "non_existing_module").is_empty());
        let scripting = by("aclcat", "scripting");
        assert!(scripting.contains(&"function|flush".into()));
        assert!(!scripting.contains(&"set".into()));
        let slow = by("aclcat", "SLOW");
        assert!(slow.contains(&"client".into()) && slow.contains(&"client|list".into()));
        assert!(!slow.contains(&"get".into()));
        assert!(by("aclcat", "dangerous").contains(&"keys".into()));
    }
}
