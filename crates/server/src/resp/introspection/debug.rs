//! DEBUG: the subcommands Redis's own test suite calls, answered as Redis 7.0 answers them.
//! Those that poke at Redis internals Meridian does not have (allocator, AOF, cron) answer
//! +OK and change nothing; SLEEP holds only this connection (Redis stops the whole server).

use std::time::Duration;

use bytes::Bytes;
use meridian_resp::Protocol;
use meridian_types::Reply;

use super::debug_help::debug_help;
use super::digest::{dataset_digest, hex, value_digest};
use super::subcommand_syntax_error;
use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};

const NO_SUCH_KEY: &str = "ERR no such key";

/// DEBUG PROTOCOL double: Redis's literal, not π.
#[allow(clippy::approx_constant)]
pub(super) const PROTOCOL_DOUBLE: f64 = 3.141;

fn ok() -> Answer {
    Answer::Reply(Reply::ok())
}

fn is(arg: &[u8], s: &str) -> bool {
    arg.eq_ignore_ascii_case(s.as_bytes())
}

impl Connection {
    pub(super) async fn debug(&mut self, argv: &[Bytes], _in_exec: bool) -> Step {
        let sub = argv[1].to_ascii_lowercase();
        let argc = argv.len();
        let answer = match (sub.as_slice(), argc) {
            (b"help", 2) => Answer::Reply(debug_help()),
            (b"sleep", 3) => {
                let secs = String::from_utf8_lossy(&argv[2])
                    .trim()
                    .parse::<f64>()
                    .unwrap_or(0.0);
                let micros = (secs * 1_000_000.0) as i64;
                if micros > 0 {
                    tokio::time::sleep(Duration::from_micros(micros as u64)).await;
                }
                ok()
            }
            (b"set-active-expire", 3) => {
                let on = atoi(&argv[2]) != 0;
                self.shared.group.set_active_expiry(on);
                ok()
            }
            (b"quicklist-packed-threshold", 3) => Answer::Reply(packed_threshold(&argv[2])),
            (b"change-repl-id", 2)
            | (b"log", 3)
            | (b"leak", 3)
            | (b"set-skip-checksum-validation", 3)
            | (b"aof-flush-sleep", 3)
            | (b"set-disable-deny-scripts", 3)
            | (b"pause-cron", 3) => ok(),
            (b"replybuffer", 4) if is(&argv[2], "peak-reset-time") || is(&argv[2], "resizing") => {
                ok()
            }
            (b"error", 3) => Answer::Reply(Reply::Error(
                String::from_utf8_lossy(&argv[2]).replace(['\r', '\n'], " "),
            )),
            (b"reload", _) => Answer::Reply(self.debug_reload(&argv[2..]).await),
            // The regional log is Meridian's AOF, always on: the data in memory is what
            // loading it back would give.
            (b"loadaof", 2) => ok(),
            (b"digest", 2) => {
                let d = self.shared.group.sm().read(dataset_digest);
                Answer::Reply(Reply::Status(hex(&d)))
            }
            (b"digest-value", _) => {
                let db = self.session.db;
                let digests = self.shared.group.sm().read(|dbs| {
                    argv[2..]
                        .iter()
                        .map(|k| Reply::Status(hex(&value_digest(dbs.db(db), k))))
                        .collect()
                });
                Answer::Reply(Reply::Array(digests))
            }
            (b"protocol", 3) => protocol(&argv[2], self.session.proto),
            (b"object", 3) => Answer::Reply(self.debug_object(&argv[2])),
            (b"listpack", 3) => {
                Answer::Reply(self.encoding_probe(&argv[2], &["listpack"], "Listpack"))
            }
            (b"quicklist", 3 | 4) => {
                Answer::Reply(self.encoding_probe(&argv[2], &["quicklist"], "Quicklist"))
            }
            (b"htstats-key", 3) => self.htstats_key(&argv[2]),
            (b"htstats", 3) => self.htstats(&argv[2]),
            _ => Answer::Reply(subcommand_syntax_error(argv)),
        };
        Step::Answer(answer)
    }

    /// DEBUG RELOAD: Meridian's "save and load back" is a snapshot of the group; the data
    /// stays in memory, which is what reloading it would give.
    async fn debug_reload(&mut self, opts: &[Bytes]) -> Reply {
        let valid = opts
            .iter()
            .all(|o| is(o, "merge") || is(o, "noflush") || is(o, "nosave"));
        if !valid {
            return Reply::Error(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.".into(),
            );
        }
        if opts.iter().any(|o| is(o, "nosave")) {
            return Reply::ok();
        }
        super::save::save(&self.shared).await
    }

    /// Runs a read command against the selected database as this node holds it.
    fn local_read(&self, args: &[&[u8]]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let db = self.session.db;
        let now = self.shared.group.clock().unix_ms();
        self.shared
            .group
            .sm()
            .read(|dbs| dbs.execute_read(db, &argv, now, 0))
    }

    fn encoding(&self, key: &[u8]) -> Option<String> {
        match self.local_read(&[b"object", b"encoding", key]) {
            Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            _ => None,
        }
    }

    /// DEBUG OBJECT in Redis's line format; the serialized length is the DUMP payload's
    /// object part, the address a stable stand-in derived from the key.
    fn debug_object(&self, key: &[u8]) -> Reply {
        let Some(encoding) = self.encoding(key) else {
            return Reply::Error(NO_SUCH_KEY.into());
        };
        let serialized = match self.local_read(&[b"dump", key]) {
            Reply::Bulk(b) => b.len().saturating_sub(11),
            _ => 0,
        };
        let lru = (super::unix_secs() as u64) & ((1 << 24) - 1);
        let addr = 0x7f00_0000_0000u64 | (u64::from(super::sha1::sha1(key)[0]) << 16) | 0x10;
        let mut line = format!(
            "Value at:0x{addr:x} refcount:1 encoding:{encoding} serializedlength:{serialized} lru:{lru} lru_seconds_idle:0"
        );
        if encoding == "quicklist" {
            if let Reply::Integer(n) = self.local_read(&[b"llen", key]) {
                let bytes = self.value_bytes(key);
                line.push_str(&format!(
                    " ql_nodes:1 ql_avg_node:{n}.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:{bytes}"
                ));
            }
        }
        Reply::Status(line)
    }

    fn value_bytes(&self, key: &[u8]) -> usize {
        let key = Bytes::copy_from_slice(key);
        let db = self.session.db;
        self.shared
            .group
            .sm()
            .read(|dbs| dbs.db(db).get(&key, 0).map_or(0, |e| e.value.approx_size()))
    }

    /// DEBUG LISTPACK / QUICKLIST: Redis prints the structure on its stdout.
    fn encoding_probe(&self, key: &[u8], wanted: &[&str], what: &str) -> Reply {
        match self.encoding(key) {
            None => Reply::Error(NO_SUCH_KEY.into()),
            Some(enc) if wanted.contains(&enc.as_str()) => {
                Reply::Status(format!("{what} structure printed on stdout"))
            }
            Some(_) => Reply::Error(format!(
                "ERR Not a {} encoded object.",
                what.to_ascii_lowercase()
            )),
        }
    }

    fn htstats_key(&self, key: &[u8]) -> Answer {
        match self.encoding(key).as_deref() {
            None => Answer::Reply(Reply::Error(NO_SUCH_KEY.into())),
            Some("hashtable" | "skiplist") => {
                let n = match self.local_read(&[b"type", key]) {
                    Reply::Status(t) if t == "hash" => self.local_read(&[b"hlen", key]),
                    Reply::Status(t) if t == "set" => self.local_read(&[b"scard", key]),
                    _ => self.local_read(&[b"zcard", key]),
                };
                let n = if let Reply::Integer(n) = n { n } else { 0 };
                Answer::Verbatim(dict_stats(n as u64))
            }
            Some(_) => Answer::Reply(Reply::Error(
                "ERR The value stored at the specified key is not represented using an hash table"
                    .into(),
            )),
        }
    }

    fn htstats(&self, dbid: &[u8]) -> Answer {
        let Some(id) = crate::resp::server_cmds::parse_i64(dbid) else {
            return Answer::Reply(Reply::Error(
                "ERR value is not an integer or out of range".into(),
            ));
        };
        let databases = self.shared.settings().databases;
        if id < 0 || id >= i64::from(databases) {
            return Answer::Reply(Reply::Error("ERR Out of range database".into()));
        }
        let (keys, expires) = self.shared.group.sm().read(|dbs| {
            let db = dbs.db(id as u32);
            (db.len() as u64, db.expires_count() as u64)
        });
        Answer::Verbatim(format!(
            "[Dictionary HT]\n{}[Expires HT]\n{}",
            dict_stats(keys),
            dict_stats(expires)
        ))
    }
}

/// `dictGetStats` for a table of `n` entries, without the chain-length histogram.
fn dict_stats(n: u64) -> String {
    if n == 0 {
        return "No stats available for empty dictionaries\n".into();
    }
    let size = n.next_power_of_two().max(4);
    format!(
        "Hash table 0 stats (main hash table):\n table size: {size}\n number of elements: {n}\n"
    )
}

/// `atoi`: leading digits, 0 when none.
fn atoi(arg: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(arg);
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    sign * digits[..end].parse::<i64>().unwrap_or(0)
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD: accepted and range-checked as Redis does (`memtoull`,
/// at most 4 GiB - 1 MiB); Meridian's lists have no packed/plain nodes, so nothing changes.
fn packed_threshold(arg: &[u8]) -> Reply {
    match memtoull(arg) {
        Some(sz) if sz <= (1u64 << 32) - (1 << 20) => Reply::ok(),
        _ => Reply::Error(
            "ERR argument must be a memory value bigger than 1 and smaller than 4gb".into(),
        ),
    }
}

/// Redis's `memtoull`: a number with an optional b/k/kb/m/mb/g/gb unit.
pub(super) fn memtoull(arg: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(arg).ok()?.to_ascii_lowercase();
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(digits_end);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

/// DEBUG PROTOCOL: each RESP3 type as Redis writes it (RESP2 downgrades included).
pub(super) fn protocol(kind: &[u8], proto: Protocol) -> Answer {
    let resp3 = proto == Protocol::Resp3;
    let raw = |s: &str| Answer::Raw(Bytes::from(s.to_string()));
    let ints = || (0..3).map(Reply::Integer).collect::<Vec<_>>();
    match kind.to_ascii_lowercase().as_slice() {
        b"string" => Answer::Reply(Reply::bulk("Hello World")),
        b"integer" => Answer::Reply(Reply::Integer(12345)),
        b"double" => Answer::Reply(Reply::Double(PROTOCOL_DOUBLE)),
        b"bignum" if resp3 => raw("(1234567999999999999999999999999999999\r\n"),
        b"bignum" => Answer::Reply(Reply::bulk("1234567999999999999999999999999999999")),
        b"null" => Answer::Reply(Reply::Nil),
        b"array" => Answer::Reply(Reply::Array(ints())),
        b"set" => Answer::Reply(Reply::Set(ints())),
        b"map" => Answer::Reply(Reply::Map(
            (0..3)
                .map(|j| (Reply::Integer(j), Reply::Boolean(j == 1)))
                .collect(),
        )),
        b"attrib" if resp3 => raw(
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
        ),
        b"attrib" => Answer::Reply(Reply::bulk("Some real reply following the attribute")),
        b"push" if resp3 => raw(
            ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
        ),
        b"push" => Answer::Reply(Reply::Error("ERR RESP2 is not supported by this command".into())),
        b"true" => Answer::Reply(Reply::Boolean(true)),
        b"false" => Answer::Reply(Reply::Boolean(false)),
        b"verbatim" => Answer::Verbatim("This is a verbatim\nstring".into()),
        _ => Answer::Reply(Reply::Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false".into())),
    }
}
