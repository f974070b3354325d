//! CONFIG GET/SET against replies taken from redis-server 7.0.15 (`redis-cli config …`).

use super::config_params::PARAMS;
use super::*;

const PORTS: Listeners = Listeners {
    port: 6379,
    tls_port: 0,
};

fn b(parts: &[&str]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::from(p.to_string())).collect()
}

struct Node {
    settings: RespSettings,
    stored: Stored,
}

impl Node {
    fn new() -> Node {
        Node {
            settings: RespSettings::default(),
            stored: Stored::new(),
        }
    }
    fn set(&mut self, parts: &[&str]) -> Reply {
        config_set(&b(parts), &mut self.settings, &mut self.stored, PORTS)
    }
    fn get(&self, patterns: &[&str]) -> Vec<(String, String)> {
        let Reply::Map(entries) = config_get(&b(patterns), &self.settings, &self.stored, PORTS)
        else {
            panic!("CONFIG GET answers a map")
        };
        entries
            .into_iter()
            .map(|(k, v)| match (k, v) {
                (Reply::Bulk(k), Reply::Bulk(v)) => (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                ),
                other => panic!("not bulk strings: {other:?}"),
            })
            .collect()
    }
    fn value(&self, name: &str) -> String {
        self.get(&[name]).pop().map(|(_, v)| v).unwrap_or_default()
    }
}

fn failed(arg: &str, why: &str) -> Reply {
    Reply::Error(format!(
        "ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}"
    ))
}

#[test]
fn every_redis_parameter_is_known_and_glob_star_lists_them_with_aliases() {
    // redis-server 7.0.15 (Debian, with TLS): `CONFIG GET *` has 192 entries.
    let node = Node::new();
    assert_eq!(node.get(&["*"]).len(), 192);
    assert_eq!(PARAMS.len(), 178);
    // Hidden ones only by exact name.
    assert_eq!(node.get(&["key-load-delay"]).len(), 1);
    assert!(node.get(&["key-load-*"]).is_empty());
}

#[test]
fn get_reports_names_as_redis_does() {
    let node = Node::new();
    // An exact name is echoed as typed and counted once, whatever its case.
    assert_eq!(
        node.get(&["MAXMEMORY", "maxmemory"]),
        vec![("MAXMEMORY".to_string(), "0".to_string())]
    );
    let mut names: Vec<String> = node
        .get(&["*ziplist*", "hash-max-*"])
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value",
            "list-max-ziplist-size",
            "zset-max-ziplist-entries",
            "zset-max-ziplist-value",
        ]
    );
    assert_eq!(node.value("list-max-ziplist-size"), "-2");
    assert_eq!(node.value("port"), "6379");
}

#[test]
fn aliases_share_one_value() {
    let mut node = Node::new();
    assert_eq!(node.set(&["list-max-ziplist-size", "5"]), Reply::ok());
    assert_eq!(node.value("list-max-listpack-size"), "5");
    assert_eq!(
        node.set(&["list-max-ziplist-size", "x"]),
        failed(
            "list-max-ziplist-size",
            "argument couldn't be parsed into an integer"
        )
    );
}

#[test]
fn numbers_units_and_bounds() {
    let mut node = Node::new();
    assert_eq!(node.set(&["maxmemory", "1gb"]), Reply::ok());
    assert_eq!(node.value("maxmemory"), "1073741824");
    assert_eq!(node.set(&["maxmemory", ""]), Reply::ok());
    assert_eq!(node.value("maxmemory"), "0");
    assert_eq!(
        node.set(&["maxmemory", "-1"]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(
        node.set(&["maxmemory", "1.5gb"]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(
        node.set(&["maxclients", "-1"]),
        failed(
            "maxclients",
            "argument must be between 1 and 4294967295 inclusive"
        )
    );
    assert_eq!(
        node.set(&["proto-max-bulk-len", "10"]),
        failed(
            "proto-max-bulk-len",
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        )
    );
    assert_eq!(
        node.set(&["active-defrag-cycle-min", "0"]),
        failed(
            "active-defrag-cycle-min",
            "argument must be between 1 and 99 inclusive"
        )
    );
    assert_eq!(
        node.set(&["maxmemory-clients", "200%"]),
        failed(
            "maxmemory-clients",
            "percentage argument must be less or equal to 100"
        )
    );
    assert_eq!(
        node.set(&["maxmemory-clients", "-5"]),
        failed(
            "maxmemory-clients",
            "argument must be a memory or percent value"
        )
    );
    assert_eq!(node.set(&["maxmemory-clients", "10%"]), Reply::ok());
    assert_eq!(node.value("maxmemory-clients"), "10%");
}

#[test]
fn booleans_and_enums() {
    let mut node = Node::new();
    assert_eq!(
        node.set(&["appendonly", "maybe"]),
        failed("appendonly", "argument must be 'yes' or 'no'")
    );
    assert_eq!(
        node.set(&["loglevel", "Foo"]),
        failed(
            "loglevel",
            "argument(s) must be one of the following: debug, verbose, notice, warning"
        )
    );
    assert_eq!(node.set(&["appendfsync", "ALWAYS"]), Reply::ok());
    assert_eq!(node.value("appendfsync"), "always");
    assert_eq!(node.set(&["oom-score-adj", "relative"]), Reply::ok());
    assert_eq!(node.value("oom-score-adj"), "yes");
    assert_eq!(
        node.set(&["shutdown-on-sigint", "save nosave"]),
        failed(
            "shutdown-on-sigint",
            "shutdown options SAVE and NOSAVE can't be used simultaneously"
        )
    );
    assert_eq!(node.set(&["shutdown-on-sigint", "nosave now"]), Reply::ok());
    assert_eq!(node.value("shutdown-on-sigint"), "nosave now");
}

#[test]
fn special_parameters() {
    let mut node = Node::new();
    for bad in ["100 x", "3600 1 300"] {
        assert_eq!(
            node.set(&["save", bad]),
            failed("save", "Invalid save parameters")
        );
    }
    assert_eq!(node.set(&["save", "3600 1 300 100"]), Reply::ok());
    assert_eq!(node.value("save"), "3600 1 300 100");
    let obl = "client-output-buffer-limit";
    assert_eq!(
        node.set(&[obl, "normal 1 2"]),
        failed(
            obl,
            "Wrong number of arguments in buffer limit configuration."
        )
    );
    assert_eq!(
        node.set(&[obl, "master 1 2 3"]),
        failed(
            obl,
            "Invalid client class specified in buffer limit configuration."
        )
    );
    assert_eq!(
        node.set(&[obl, "normal 0 0 -1"]),
        failed(
            obl,
            "Error in hard, soft or soft_seconds setting in buffer limit configuration."
        )
    );
    assert_eq!(node.set(&[obl, "replica 1kb 2mb 3"]), Reply::ok());
    assert_eq!(
        node.value(obl),
        "normal 0 0 0 slave 1024 2097152 3 pubsub 33554432 8388608 60"
    );
    let oom = "oom-score-adj-values";
    assert_eq!(
        node.set(&[oom, "1 2"]),
        failed(oom, "wrong number of arguments")
    );
    assert_eq!(
        node.set(&[oom, "1 2 3000"]),
        failed(
            oom,
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        )
    );
    let nke = "notify-keyspace-events";
    assert_eq!(
        node.set(&[nke, "Q"]),
        failed(nke, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    );
    assert_eq!(node.set(&[nke, "Kx$An"]), Reply::ok());
    assert_eq!(node.value(nke), "AK");
    assert_eq!(node.set(&[nke, "KEA"]), Reply::ok());
    assert_eq!(node.value(nke), "AKE");
    let pct = "latency-tracking-info-percentiles";
    assert_eq!(
        node.set(&[pct, "50 200"]),
        failed(
            pct,
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
        )
    );
    assert_eq!(
        node.set(&[pct, "abc"]),
        failed(pct, "Invalid latency-tracking-info-percentiles parameters")
    );
    assert_eq!(node.set(&[pct, "50.5 99.90"]), Reply::ok());
    assert_eq!(node.value(pct), "50.5 99.9");
}

#[test]
fn set_is_all_or_nothing_in_redis_order() {
    let mut node = Node::new();
    assert_eq!(
        node.set(&["dir", "/tmp"]),
        failed("dir", "can't set protected config")
    );
    assert_eq!(
        node.set(&["maxclients", "5", "databases", "3"]),
        failed("databases", "can't set immutable config")
    );
    assert_eq!(node.settings.maxclients, 10_000);
    assert_eq!(
        node.set(&["maxmemory", "1gb", "hz", "20", "maxmemory", "2"]),
        failed("maxmemory", "duplicate parameter")
    );
    // Names are all checked before any value; an unknown name wins over a later refusal.
    assert_eq!(
        node.set(&["maxmemory", "1gb", "foo", "2"]),
        Reply::Error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
    );
    assert_eq!(
        node.set(&["databases", "3", "foo", "2"]),
        failed("databases", "can't set immutable config")
    );
    assert_eq!(
        node.set(&["hz", "20", "maxmemory", "x"]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(node.value("hz"), "10");
    assert_eq!(
        node.set(&["maxmemory", "1", "hz"]),
        Reply::Error("ERR syntax error".into())
    );
    // Port is the deployment file's on Meridian: only its current value is accepted.
    assert_eq!(node.set(&["port", "6379"]), Reply::ok());
    let free = std::net::TcpListener::bind(("0.0.0.0", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port().to_string())
        .unwrap_or_else(|_| "7000".into());
    assert_eq!(
        node.set(&["port", &free]),
        failed("port", "can't set immutable config")
    );
    // A port something else listens on fails as on Redis, which would try to move there.
    let taken = std::net::TcpListener::bind(("0.0.0.0", 0)).unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    assert_eq!(
        node.set(&["port", &taken_port]),
        failed("port", "Unable to listen on this port")
    );
}

#[test]
fn acted_on_parameters_reach_the_settings() {
    let mut node = Node::new();
    assert_eq!(
        node.set(&[
            "proto-max-bulk-len",
            "2mb",
            "requirepass",
            "pw",
            "maxclients",
            "7"
        ]),
        Reply::ok()
    );
    assert_eq!(node.settings.proto_max_bulk_len, 2 * 1024 * 1024);
    assert_eq!(node.settings.requirepass.as_deref(), Some("pw"));
    assert_eq!(node.settings.maxclients, 7);
    assert_eq!(node.value("requirepass"), "pw");
    assert_eq!(node.set(&["requirepass", ""]), Reply::ok());
    assert_eq!(node.settings.requirepass, None);
    assert_eq!(
        config_values::memtoull("1GB"),
        Some(1 << 30),
        "units are case-insensitive"
    );
    assert_eq!(config_values::memtoull("12x"), None);
}
