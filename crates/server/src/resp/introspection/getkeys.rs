//! COMMAND GETKEYS / GETKEYSANDFLAGS: Redis 7.0's `getKeysFromCommandWithSpecs` over the key
//! specs in `getkeys_specs` (index/keyword begin search, range/keynum find), with Redis's
//! getkeys procedures for the commands whose specs are incomplete or have variable flags
//! (SORT, SORT_RO, SET, BITFIELD). The same specs make element 9 of `COMMAND INFO`
//! ([`Meta::key_specs`]).

use bytes::Bytes;
use meridian_keyspace::lookup;
use meridian_types::Reply;

use super::getkeys_specs::SPECS;
use crate::resp::command_meta::Meta;
use crate::resp::table::server_command;

pub(super) enum Begin {
    Index(i64),
    /// Keyword, start index (negative: from the end, searching backwards).
    Keyword(&'static str, i64),
    Unknown,
}

pub(super) enum Find {
    /// last key (relative; negative from the end), key step, limit.
    Range(i64, i64, i64),
    /// numkeys index, first key, key step (all relative to the begin index).
    Keynum(i64, i64, i64),
    Unknown,
}

pub(super) struct Spec {
    pub begin: Begin,
    pub find: Find,
    pub flags: &'static [&'static str],
}

impl Meta {
    /// `COMMAND INFO` element 9, this command's key specs, as Redis 7.0.15's
    /// `addReplyCommandKeySpecs` writes them: a set of maps (`notes` when Redis has one,
    /// `flags`, `begin_search`, `find_keys`). Empty for a command without keys or unknown to
    /// Redis. Defined here, beside the spec types, because the spec table is private to
    /// `introspection`.
    pub(crate) fn key_specs(&self) -> Reply {
        let specs = SPECS
            .iter()
            .find(|(name, _)| *name == self.name)
            .map_or(&[][..], |(_, specs)| *specs);
        let described = specs.iter().enumerate();
        Reply::Set(
            described
                .map(|(i, spec)| spec.describe(self.key_spec_note(i)))
                .collect(),
        )
    }
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

/// `{type: <kind>, spec: {<fields>}}`, the shape of `begin_search` and `find_keys`.
fn typed(kind: &'static str, spec: Vec<(Reply, Reply)>) -> Reply {
    Reply::Map(vec![
        field("type", Reply::bulk(kind)),
        field("spec", Reply::Map(spec)),
    ])
}

impl Spec {
    fn describe(&self, note: Option<&'static str>) -> Reply {
        let int = |n: i64| Reply::Integer(n);
        let begin = match self.begin {
            Begin::Index(i) => typed("index", vec![field("index", int(i))]),
            Begin::Keyword(word, from) => typed(
                "keyword",
                vec![
                    field("keyword", Reply::bulk(word)),
                    field("startfrom", int(from)),
                ],
            ),
            Begin::Unknown => typed("unknown", vec![]),
        };
        let find = match self.find {
            Find::Range(last, step, limit) => typed(
                "range",
                vec![
                    field("lastkey", int(last)),
                    field("keystep", int(step)),
                    field("limit", int(limit)),
                ],
            ),
            Find::Keynum(idx, first, step) => typed(
                "keynum",
                vec![
                    field("keynumidx", int(idx)),
                    field("firstkey", int(first)),
                    field("keystep", int(step)),
                ],
            ),
            Find::Unknown => typed("unknown", vec![]),
        };
        let flags = self.flags.iter().map(|f| Reply::Status((*f).to_string()));
        let mut fields: Vec<_> = note
            .map(|n| field("notes", Reply::bulk(n)))
            .into_iter()
            .collect();
        fields.push(field("flags", Reply::Set(flags.collect())));
        fields.push(field("begin_search", begin));
        fields.push(field("find_keys", find));
        Reply::Map(fields)
    }
}

pub(crate) fn is_getkeys(argv: &[Bytes]) -> bool {
    argv.len() >= 2
        && (argv[1].eq_ignore_ascii_case(b"getkeys")
            || argv[1].eq_ignore_ascii_case(b"getkeysandflags"))
}

/// A key's position in the command's argv and its flags.
pub(super) type KeyRef = (usize, &'static [&'static str]);

/// The command `args` names, as Redis's `lookupCommand` finds it: its full name and arity.
fn find_command(args: &[Bytes]) -> Option<(String, i32)> {
    if let Some(def) = lookup(&args[0]) {
        let lower = args
            .get(1)
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase());
        // OBJECT is one data command here, a container in Redis.
        if def.name == "object" && args.len() >= 2 {
            let sub = lower.unwrap_or_default();
            return ["encoding", "freq", "idletime", "refcount", "help"]
                .contains(&sub.as_str())
                .then(|| (format!("object|{sub}"), if sub == "help" { 2 } else { 3 }));
        }
        return Some((def.name.to_string(), def.arity));
    }
    let cmd = server_command(&args[0])?;
    if cmd.subcommands.is_empty() || args.len() < 2 {
        return Some((cmd.name.to_string(), cmd.arity));
    }
    cmd.subcommands
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(&args[1]))
        .map(|(n, arity)| (format!("{}|{n}", cmd.name), *arity))
}

/// The full name of the command `argv` runs (`get`, `client|list`, `object|encoding`), as
/// Redis's `lookupCommand` finds it.
pub(crate) fn command_fullname(argv: &[Bytes]) -> Option<String> {
    find_command(argv).map(|(name, _)| name)
}

/// The keys of `argv` for the command `fullname`, found as `COMMAND GETKEYS` finds them, as
/// ACL rules check them: position, read (key spec flag ACCESS), write (INSERT, DELETE, UPDATE).
pub(crate) fn key_access(fullname: &str, argv: &[Bytes]) -> Vec<meridian_acl::KeyRef> {
    let Some(specs) = SPECS.iter().find(|(n, _)| *n == fullname).map(|(_, s)| *s) else {
        return Vec::new();
    };
    keys_of(fullname, specs, argv)
        .into_iter()
        .filter(|(_, flags)| !flags.iter().any(|f| f.eq_ignore_ascii_case("not_key")))
        .map(|(pos, flags)| {
            let has = |f: &str| flags.iter().any(|x| x.eq_ignore_ascii_case(f));
            meridian_acl::KeyRef {
                pos,
                read: has("access"),
                write: has("insert") || has("delete") || has("update"),
            }
        })
        .collect()
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS `args...`.
pub(crate) fn getkeys(argv: &[Bytes]) -> Reply {
    let with_flags = argv[1].eq_ignore_ascii_case(b"getkeysandflags");
    let args = &argv[2..];
    let Some((name, arity)) = find_command(args) else {
        return Reply::Error("ERR Invalid command specified".into());
    };
    let Some(specs) = SPECS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s) else {
        return Reply::Error("ERR The command has no key arguments".into());
    };
    let argc = args.len() as i64;
    let arity = i64::from(arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Reply::Error("ERR Invalid number of arguments specified for command".into());
    }
    let keys = keys_of(&name, specs, args);
    if keys.is_empty() {
        return Reply::Error("ERR Invalid arguments specified for command".into());
    }
    Reply::Array(
        keys.into_iter()
            .map(|(pos, flags)| {
                let key = Reply::Bulk(args[pos].clone());
                if with_flags {
                    let flags = flags
                        .iter()
                        .map(|f| Reply::Status((*f).to_string()))
                        .collect();
                    Reply::Array(vec![key, Reply::Set(flags)])
                } else {
                    key
                }
            })
            .collect(),
    )
}

/// The keys of `args` (argv without COMMAND GETKEYS) for the command `name`.
pub(super) fn keys_of(name: &str, specs: &[Spec], args: &[Bytes]) -> Vec<KeyRef> {
    match name {
        "sort" => sort_keys(args),
        "sort_ro" => vec![(1, RO_ACCESS)],
        "set" => vec![(1, set_flags(args))],
        "bitfield" => vec![(1, bitfield_flags(args))],
        _ => by_specs(specs, args).unwrap_or_default(),
    }
}

const RO_ACCESS: &[&str] = &["RO", "access"];
const OW_UPDATE: &[&str] = &["OW", "update"];
const RW_ACCESS_UPDATE: &[&str] = &["RW", "access", "update"];

/// `getKeysUsingKeySpecs`; None where Redis finds a spec invalid for these arguments.
fn by_specs(specs: &[Spec], args: &[Bytes]) -> Option<Vec<KeyRef>> {
    let argc = args.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        let first = match spec.begin {
            Begin::Index(i) => i,
            Begin::Keyword(word, from) => match keyword_position(args, word, from) {
                Some(i) => i + 1,
                None => continue,
            },
            Begin::Unknown => return None,
        };
        let (first, last, step) = match spec.find {
            Find::Range(lastkey, step, limit) => {
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, step)
            }
            Find::Keynum(idx, firstkey, step) => {
                if idx >= argc {
                    return None;
                }
                let at = usize::try_from(first + idx).ok()?;
                let numkeys = crate::resp::server_cmds::parse_i64(args.get(at)?)?;
                if numkeys < 0 {
                    return None;
                }
                let first = first + firstkey;
                (first, first + numkeys - 1, step)
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            keys.push((i as usize, spec.flags));
            i += step.max(1);
        }
    }
    Some(keys)
}

fn keyword_position(args: &[Bytes], word: &str, from: i64) -> Option<i64> {
    let argc = args.len() as i64;
    let (start, end) = if from > 0 {
        (from, argc - 1)
    } else {
        (argc + from, 0)
    };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if args[i as usize].eq_ignore_ascii_case(word.as_bytes()) {
            return Some(i);
        }
        i = if start <= end { i + 1 } else { i - 1 };
    }
    None
}

/// `sortGetKeys`: the sorted key, and the STORE destination (the last one given).
fn sort_keys(args: &[Bytes]) -> Vec<KeyRef> {
    let mut keys = vec![(1, RO_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store.map(|p| (p, OW_UPDATE)));
    keys
}

/// `setGetKeys`: SET … GET reads the old value.
fn set_flags(args: &[Bytes]) -> &'static [&'static str] {
    if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
        RW_ACCESS_UPDATE
    } else {
        OW_UPDATE
    }
}

/// `bitfieldGetKeys`: read-only when only GET (and OVERFLOW) subcommands are given.
fn bitfield_flags(args: &[Bytes]) -> &'static [&'static str] {
    let argc = args.len();
    let mut i = 2;
    while i < argc {
        let remaining = argc - i - 1;
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 2;
        } else if (a.eq_ignore_ascii_case(b"set") || a.eq_ignore_ascii_case(b"incrby"))
            && remaining >= 3
        {
            return RW_ACCESS_UPDATE;
        } else if a.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 1;
        } else {
            return RW_ACCESS_UPDATE;
        }
        i += 1;
    }
    RO_ACCESS
}
