//! `CONFIG GET` / `CONFIG SET` over the documented subset of Redis parameters
//! (docs/compatibility.md). Settings live per node, as on Redis; nothing is replicated.

use bytes::Bytes;
use meridian_keyspace::glob_match_nocase;
use meridian_types::Reply;

use crate::spec::RespSettings;

/// Redis's lower bound for `proto-max-bulk-len` and `client-query-buffer-limit` via CONFIG SET.
const MIN_BUFFER_SETTING: u64 = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Param {
    Requirepass,
    ProtoMaxBulkLen,
    ClientQueryBufferLimit,
    Maxclients,
    /// Reported so clients that probe them (redis-benchmark asks for `save` and `appendonly`)
    /// see a sensible value; Meridian's durability is Raft's, so they cannot be changed.
    Fixed(&'static str),
    Port,
}

const PARAMS: &[(&str, Param)] = &[
    ("requirepass", Param::Requirepass),
    ("proto-max-bulk-len", Param::ProtoMaxBulkLen),
    ("client-query-buffer-limit", Param::ClientQueryBufferLimit),
    ("maxclients", Param::Maxclients),
    ("port", Param::Port),
    ("databases", Param::Fixed("1")),
    ("save", Param::Fixed("")),
    ("appendonly", Param::Fixed("no")),
    ("maxmemory", Param::Fixed("0")),
    ("maxmemory-policy", Param::Fixed("noeviction")),
    ("timeout", Param::Fixed("0")),
    ("cluster-enabled", Param::Fixed("no")),
];

fn value(param: Param, settings: &RespSettings, port: u16) -> String {
    match param {
        Param::Requirepass => settings.requirepass.clone().unwrap_or_default(),
        Param::ProtoMaxBulkLen => settings.proto_max_bulk_len.to_string(),
        Param::ClientQueryBufferLimit => settings.client_query_buffer_limit.to_string(),
        Param::Maxclients => settings.maxclients.to_string(),
        Param::Port => port.to_string(),
        Param::Fixed(v) => v.to_string(),
    }
}

/// `CONFIG GET pattern [pattern …]`: a map of every parameter matching any pattern.
pub(crate) fn config_get(patterns: &[Bytes], settings: &RespSettings, port: u16) -> Reply {
    let entries = PARAMS
        .iter()
        .filter(|(name, _)| {
            patterns
                .iter()
                .any(|p| glob_match_nocase(p, name.as_bytes()))
        })
        .map(|(name, param)| {
            (
                Reply::bulk(Bytes::from_static(name.as_bytes())),
                Reply::bulk(value(*param, settings, port)),
            )
        })
        .collect();
    Reply::Map(entries)
}

/// `CONFIG SET name value [name value …]`: all or nothing, like Redis 7.0.
pub(crate) fn config_set(args: &[Bytes], settings: &mut RespSettings) -> Reply {
    let mut next = settings.clone();
    let mut seen: Vec<Param> = Vec::new();
    for pair in args.chunks(2) {
        let [name, raw] = pair else {
            return Reply::Error("ERR wrong number of arguments for 'config|set' command".into());
        };
        let shown = String::from_utf8_lossy(name).into_owned();
        let Some((_, param)) = PARAMS
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        else {
            return Reply::Error(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"
            ));
        };
        let failed = |why: &str| {
            Reply::Error(format!(
                "ERR CONFIG SET failed (possibly related to argument '{shown}') - {why}"
            ))
        };
        if seen.contains(param) {
            return failed("duplicate parameter");
        }
        seen.push(*param);
        let text = String::from_utf8_lossy(raw);
        match param {
            Param::Requirepass => {
                next.requirepass = (!raw.is_empty()).then(|| text.into_owned());
            }
            Param::ProtoMaxBulkLen | Param::ClientQueryBufferLimit => {
                let Some(n) = parse_memory(&text) else {
                    return failed("argument must be a memory value");
                };
                if n < MIN_BUFFER_SETTING || n > i64::MAX as u64 {
                    return failed(&format!(
                        "argument must be between {MIN_BUFFER_SETTING} and {} inclusive",
                        i64::MAX
                    ));
                }
                if *param == Param::ProtoMaxBulkLen {
                    next.proto_max_bulk_len = n;
                } else {
                    next.client_query_buffer_limit = n;
                }
            }
            Param::Maxclients => match text.parse::<i64>() {
                Ok(n) if (1..=i64::from(i32::MAX)).contains(&n) => next.maxclients = n as u64,
                Ok(_) => {
                    return failed(&format!(
                        "argument must be between 1 and {} inclusive",
                        i32::MAX
                    ))
                }
                Err(_) => return failed("argument couldn't be parsed into an integer"),
            },
            Param::Fixed(_) | Param::Port => return failed("can't set immutable config"),
        }
    }
    *settings = next;
    Reply::ok()
}

/// Redis's `memtoull`: a number with an optional `k`/`kb`/`m`/`mb`/`g`/`gb` unit (`k` = 1000,
/// `kb` = 1024), case-insensitive.
pub(crate) fn parse_memory(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let units: [(&str, u64); 6] = [
        ("kb", 1024),
        ("mb", 1024 * 1024),
        ("gb", 1024 * 1024 * 1024),
        ("k", 1000),
        ("m", 1000 * 1000),
        ("g", 1000 * 1000 * 1000),
    ];
    let (digits, mul) = units
        .iter()
        .find_map(|(suffix, mul)| lower.strip_suffix(suffix).map(|d| (d, *mul)))
        .unwrap_or((lower.as_str(), 1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(parts: &[&str]) -> Vec<Bytes> {
        parts.iter().map(|p| Bytes::from(p.to_string())).collect()
    }

    #[test]
    fn set_is_all_or_nothing_with_redis_errors() {
        let mut s = RespSettings::default();
        assert_eq!(
            config_set(&b(&["maxclients", "5", "databases", "3"]), &mut s),
            Reply::Error(
                "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
                    .into()
            )
        );
        assert_eq!(s.maxclients, 10_000);
        assert_eq!(
            config_set(&b(&["foo", "bar"]), &mut s),
            Reply::Error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
        );
        assert_eq!(
            config_set(&b(&["maxclients", "x"]), &mut s),
            Reply::Error("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            config_set(
                &b(&["proto-max-bulk-len", "2mb", "requirepass", "pw"]),
                &mut s
            ),
            Reply::ok()
        );
        assert_eq!(s.proto_max_bulk_len, 2 * 1024 * 1024);
        assert_eq!(s.requirepass.as_deref(), Some("pw"));
    }

    #[test]
    fn get_matches_globs() {
        let s = RespSettings::default();
        let Reply::Map(entries) = config_get(&b(&["save", "appendonly"]), &s, 6379) else {
            panic!("not a map")
        };
        assert_eq!(entries.len(), 2);
        let Reply::Map(entries) = config_get(&b(&["*max*"]), &s, 6379) else {
            panic!("not a map")
        };
        assert!(entries.len() >= 4);
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("12x"), None);
    }
}
