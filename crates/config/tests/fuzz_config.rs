//! Fuzz target (property-based, stable Rust): the deployment file loader and its validation
//! (DESIGN.md §10.6, "bad config gets a clear error").
//!
//! Documents are built from the real schema's keys with random values and types, or made by
//! mutating `cluster-configs/local.toml` (as a TOML tree: delete a key, change a type, copy a
//! node so ids and ports repeat, ports out of range, unknown keys; and as text: lines deleted,
//! repeated, swapped, junk inserted). For each:
//! - loading never panics; it gives a config or a parse error that names the input;
//! - validation never panics; it passes or lists problems, each with a field path and a
//!   sentence; a config that passes has unique node ids, unique non-zero listeners and
//!   datastores whose members are clusters of the file;
//! - `MERIDIAN_*` overrides with random values never panic, and a loaded config written back
//!   as TOML loads to the same config.
//!
//! Cases default to a CI-sized number; `PROPTEST_CASES=N` runs N (`benches/fuzz.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;

use meridian_config::{env_overrides, ConfigError, DeploymentConfig};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use toml::{Table, Value};

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

fn local_toml() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cluster-configs/local.toml");
    std::fs::read_to_string(path).expect("reading cluster-configs/local.toml")
}

/// Random choices, consumed in order; shrinking the vector shrinks the document.
struct Tape {
    values: Vec<u64>,
    at: usize,
    /// False: generated values fit their fields' types and required keys are present, so
    /// the document gets past parsing to validation.
    hostile: bool,
}

impl Tape {
    fn new(values: Vec<u64>) -> Tape {
        let mut tape = Tape {
            values,
            at: 0,
            hostile: true,
        };
        tape.hostile = tape.chance(50);
        tape
    }

    /// A number in `0..n` (0 once the tape is used up).
    fn pick(&mut self, n: usize) -> usize {
        let v = self.values.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        (v % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) < percent
    }

    fn raw(&mut self) -> u64 {
        let v = self.values.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        v
    }
}

fn tape() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(any::<u64>(), 0..300)
}

// ---- values and the schema ------------------------------------------------------------------

const WORDS: [&str; 14] = [
    "use1",
    "euw1",
    "aps1",
    "us-east-1",
    "gds1",
    "127.0.0.1",
    "::1",
    "",
    " ",
    "data",
    "{id}",
    "a-very-long-name-that-is-over-thirty-two-chars",
    "on",
    "required",
];

/// Mostly values every integer field takes; now and then one past a u16, u32 or u64.
fn int(t: &mut Tape) -> i64 {
    let n = if t.hostile { 20 } else { 10 };
    match t.pick(n) + 20 - n {
        0 => -1,
        1 => 65_536,
        2 => i64::from(u32::MAX) + 1,
        3 => (t.raw() >> 1) as i64,
        4 | 5 => 0,
        6 => 65_535,
        _ => (t.raw() % 20_000) as i64,
    }
}

/// Any TOML value, of any type.
fn any_value(t: &mut Tape, depth: usize) -> Value {
    match t.pick(if depth == 0 { 5 } else { 7 }) {
        0 => Value::Integer(int(t)),
        1 => Value::String(WORDS[t.pick(WORDS.len())].to_string()),
        2 => Value::Boolean(t.chance(50)),
        3 => Value::Float([0.0, -1.0, 0.05, 1e300, f64::NAN, f64::INFINITY, -0.0][t.pick(7)]),
        4 => Value::Integer(t.pick(10) as i64 + 1),
        5 => Value::Array((0..t.pick(3)).map(|_| any_value(t, depth - 1)).collect()),
        _ => {
            let mut table = Table::new();
            for _ in 0..t.pick(3) {
                table.insert(
                    ["x", "id", "name", "nodes"][t.pick(4)].to_string(),
                    any_value(t, depth - 1),
                );
            }
            Value::Table(table)
        }
    }
}

/// The kind of value a schema key holds.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Port,
    Name,
    Path,
    Bool,
    Float,
    Names,
    Mode,
    Certs,
}

fn typed(t: &mut Tape, kind: Kind) -> Value {
    if t.hostile && t.chance(4) {
        return any_value(t, 2);
    }
    match kind {
        Kind::Int => Value::Integer(int(t)),
        Kind::Port => Value::Integer(match t.pick(12) + if t.hostile { 0 } else { 3 } {
            0 => 0,
            1 => 65_536,
            2 => -1,
            _ => 7000 + t.pick(12) as i64,
        }),
        Kind::Name | Kind::Path => Value::String(WORDS[t.pick(WORDS.len())].to_string()),
        Kind::Bool => Value::Boolean(t.chance(50)),
        Kind::Float => Value::Float([0.0, 0.05, -0.5, 2.0, f64::NAN][t.pick(5)]),
        Kind::Names => Value::Array(
            (0..t.pick(4))
                .map(|_| Value::String(WORDS[t.pick(5)].to_string()))
                .collect(),
        ),
        Kind::Mode => Value::String(["on", "off", "both", "x"][t.pick(4)].into()),
        Kind::Certs => Value::String(["no", "optional", "required", "x"][t.pick(4)].into()),
    }
}

const RAFT: [&str; 7] = [
    "heartbeat_interval_ms",
    "election_timeout_min_ms",
    "election_timeout_max_ms",
    "snapshot_logs_since_last",
    "max_in_snapshot_log_to_keep",
    "install_snapshot_timeout_ms",
    "max_payload_entries",
];
const LIMITS: [&str; 5] = [
    "max_key_bytes",
    "max_value_bytes",
    "grpc_max_message_bytes",
    "backlog_max_bytes",
    "max_secondaries_per_datastore",
];
const REPLICATION: [&str; 4] = [
    "batch_bytes",
    "sync_chunk_bytes",
    "heartbeat_ms",
    "idle_timeout_ms",
];
const COORD: [&str; 5] = [
    "lease_ms",
    "lease_margin_ms",
    "heartbeat_interval_ms",
    "election_timeout_min_ms",
    "election_timeout_max_ms",
];
const RESP: [&str; 4] = [
    "proto_max_bulk_len",
    "client_query_buffer_limit",
    "maxclients",
    "databases",
];

/// Fills `table` with `keys` (each present or not), plus now and then an unknown key.
fn fields(t: &mut Tape, table: &mut Table, keys: &[(&str, Kind)]) {
    const OPTIONAL: [&str; 5] = [
        "log_dir",
        "resp_tls_port",
        "requirepass",
        "description",
        "coord",
    ];
    for &(key, kind) in keys {
        let keep = if t.hostile || OPTIONAL.contains(&key) {
            75
        } else {
            100
        };
        if t.chance(keep) {
            table.insert(key.to_string(), typed(t, kind));
        }
    }
    if t.hostile && t.chance(5) {
        table.insert("unknown_key".to_string(), any_value(t, 1));
    }
}

fn section(t: &mut Tape, names: &[&str], extra: &[(&str, Kind)]) -> Value {
    let mut keys: Vec<(&str, Kind)> = names.iter().map(|n| (*n, Kind::Int)).collect();
    keys.extend_from_slice(extra);
    let mut table = Table::new();
    fields(t, &mut table, &keys);
    Value::Table(table)
}

fn node(t: &mut Tape) -> Value {
    let mut table = Table::new();
    fields(
        t,
        &mut table,
        &[
            ("id", Kind::Int),
            ("host", Kind::Name),
            ("grpc_port", Kind::Port),
            ("resp_port", Kind::Port),
            ("metrics_port", Kind::Port),
            ("resp_tls_port", Kind::Port),
            ("coord", Kind::Bool),
        ],
    );
    if t.chance(80) {
        table.insert("id".into(), Value::Integer(t.pick(12) as i64));
    }
    Value::Table(table)
}

fn array_of(t: &mut Tape, max: usize, mut item: impl FnMut(&mut Tape) -> Value) -> Value {
    Value::Array((0..t.pick(max + 1)).map(|_| item(t)).collect())
}

/// A table name, its integer keys, and its other keys.
type Section<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, Kind)]);

/// A whole document from the schema's keys.
fn schema_document(t: &mut Tape) -> Table {
    let mut doc = Table::new();
    fields(
        t,
        &mut doc,
        &[("data_dir", Kind::Path), ("log_dir", Kind::Path)],
    );
    let sections: [Section<'_>; 5] = [
        ("raft", &RAFT, &[]),
        ("limits", &LIMITS, &[]),
        ("replication", &REPLICATION, &[]),
        ("coord", &COORD, &[("clock_drift_bound", Kind::Float)]),
        ("resp", &RESP, &[("requirepass", Kind::Name)]),
    ];
    for (name, keys, extra) in sections {
        if t.chance(60) {
            doc.insert(name.to_string(), section(t, keys, extra));
        }
    }
    let clusters = array_of(t, 3, |t| {
        let mut c = Table::new();
        fields(t, &mut c, &[("name", Kind::Name), ("region", Kind::Name)]);
        c.insert("nodes".into(), array_of(t, 3, node));
        Value::Table(c)
    });
    doc.insert("clusters".into(), clusters);
    optional_tables(t, &mut doc);
    doc
}

/// Witnesses, global datastores, `[tls]` and `[security]`, each present or not.
fn optional_tables(t: &mut Tape, doc: &mut Table) {
    if t.chance(30) {
        let witnesses = array_of(t, 2, |t| {
            let mut w = Table::new();
            fields(
                t,
                &mut w,
                &[
                    ("id", Kind::Int),
                    ("region", Kind::Name),
                    ("host", Kind::Name),
                    ("grpc_port", Kind::Port),
                    ("metrics_port", Kind::Port),
                ],
            );
            Value::Table(w)
        });
        doc.insert("witnesses".into(), witnesses);
    }
    if t.chance(50) {
        let gds = array_of(t, 2, |t| {
            let mut g = Table::new();
            fields(
                t,
                &mut g,
                &[
                    ("id", Kind::Name),
                    ("primary", Kind::Name),
                    ("secondaries", Kind::Names),
                    ("description", Kind::Name),
                ],
            );
            Value::Table(g)
        });
        doc.insert("global_datastores".into(), gds);
    }
    if t.chance(20) {
        let mut tls = Table::new();
        fields(
            t,
            &mut tls,
            &[
                ("ca", Kind::Path),
                ("cert", Kind::Path),
                ("key", Kind::Path),
                ("grpc", Kind::Mode),
                ("metrics", Kind::Mode),
                ("resp_client_certs", Kind::Certs),
                ("reload_interval_ms", Kind::Int),
            ],
        );
        doc.insert("tls".into(), Value::Table(tls));
    }
    if t.chance(20) {
        let mut security = Table::new();
        fields(t, &mut security, &[("cluster_secret_file", Kind::Path)]);
        doc.insert("security".into(), Value::Table(security));
    }
}

// ---- mutations of local.toml ----------------------------------------------------------------

/// Every path to a value in `table`, e.g. `["clusters", 1, "nodes", 0, "grpc_port"]`.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn paths(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(table) => {
            for (k, v) in table {
                at.push(Step::Key(k.clone()));
                out.push(at.clone());
                paths(v, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(Step::Index(i));
                out.push(at.clone());
                paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The container holding the last step of `path`.
fn parent<'a>(root: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut v = root;
    for step in &path[..path.len().saturating_sub(1)] {
        v = match (step, v) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn get<'a>(root: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut v = root;
    for step in path {
        v = match (step, v) {
            (Step::Key(k), Value::Table(t)) => t.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// A value of the same type as `old`, so the change reaches validation.
fn similar(t: &mut Tape, old: &Value) -> Value {
    match old {
        Value::Integer(_) if t.chance(50) => typed(t, Kind::Port),
        Value::Integer(_) => typed(t, Kind::Int),
        Value::String(_) => typed(t, Kind::Name),
        Value::Boolean(_) => typed(t, Kind::Bool),
        Value::Float(_) => typed(t, Kind::Float),
        Value::Array(_) => typed(t, Kind::Names),
        _ => any_value(t, 2),
    }
}

fn mutate_tree(root: &mut Value, t: &mut Tape) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = all[t.pick(all.len())].clone();
    let action = t.pick(6);
    let replacement = match get(root, &path) {
        Some(old) if t.chance(70) => similar(t, old),
        _ => any_value(t, 2),
    };
    let port = Value::Integer([0, 65_536, -1, 99_999, 6401][t.pick(5)]);
    let Some(container) = parent(root, &path) else {
        return;
    };
    match (container, path.last()) {
        (Value::Table(table), Some(Step::Key(k))) => match action {
            0 => {
                table.remove(k);
            }
            1 => {
                table.insert("unknown_key".into(), replacement);
            }
            2 if k.ends_with("_port") => {
                table.insert(k.clone(), port);
            }
            _ => {
                table.insert(k.clone(), replacement);
            }
        },
        (Value::Array(items), Some(Step::Index(i))) => match action {
            0 => {
                items.remove(*i);
            }
            1 | 2 => {
                // Same ids, names and ports twice.
                let copy = items[*i].clone();
                items.push(copy);
            }
            _ => items[*i] = replacement,
        },
        _ => {}
    }
}

const JUNK_LINES: [&str; 9] = [
    "x = 1",
    "[raft]",
    "[[clusters]]",
    "[[clusters.nodes]]",
    "id = 1",
    "grpc_port = 7401",
    "= =",
    "name = \"unterminated",
    "[[global_datastores]]\nid = \"gds1\"\nprimary = \"nowhere\"",
];

fn mutate_text(text: &str, t: &mut Tape) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..=t.pick(4) {
        if lines.is_empty() {
            break;
        }
        let i = t.pick(lines.len());
        match t.pick(4) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(i, line);
            }
            2 => {
                let j = t.pick(lines.len());
                lines.swap(i, j);
            }
            _ => lines.insert(i, JUNK_LINES[t.pick(JUNK_LINES.len())].to_string()),
        }
    }
    lines.join("\n")
}

// ---- checks ---------------------------------------------------------------------------------

/// Loads `text`, validates, tries env overrides; panics only when a property fails.
fn check(text: &str, t: &mut Tape) {
    let base = Path::new("/fuzz/base");
    let mut config = match DeploymentConfig::from_toml_str(text, base) {
        Ok(config) => config,
        Err(e @ ConfigError::Parse { .. }) => {
            let message = e.to_string();
            assert!(message.starts_with("cannot parse deployment config <inline>: "));
            assert!(message.len() > 45, "an empty reason: {message}");
            return;
        }
        Err(e) => panic!("loading text gives only parse errors, got {e}"),
    };
    check_written_back(&config);
    check_validation(&config);
    // Overrides: random values for random variables, as an operator might set them.
    let overrides = env_overrides();
    let chosen: Vec<(String, String)> = (0..t.pick(4))
        .map(|_| {
            let (var, _) = &overrides[t.pick(overrides.len())];
            let value = [
                "0",
                "1",
                "-1",
                "x",
                "18446744073709551616",
                "0.5",
                "/tmp/d",
                "nan",
            ][t.pick(8)];
            (var.clone(), value.to_string())
        })
        .collect();
    let lookup = |var: &str| {
        chosen
            .iter()
            .find(|(v, _)| v == var)
            .map(|(_, value)| value.clone())
    };
    match config.apply_env_from(lookup) {
        Ok(()) => check_validation(&config),
        Err(e @ ConfigError::Env { .. }) => assert!(e.to_string().contains("MERIDIAN_")),
        Err(e) => panic!("overrides give only env errors, got {e}"),
    }
}

/// A loaded config written back as TOML loads again to the same config.
fn check_written_back(config: &DeploymentConfig) {
    let text = toml::to_string(config).expect("a loaded config can be written as TOML");
    let back = DeploymentConfig::from_toml_str(&text, "/elsewhere")
        .unwrap_or_else(|e| panic!("written back, it no longer loads: {e}\n{text}"));
    assert_eq!(toml::to_string(&back).expect("written twice"), text);
}

fn check_validation(config: &DeploymentConfig) {
    let problems = config.problems();
    match config.validate() {
        Err(e @ ConfigError::Invalid { .. }) => {
            assert_eq!(e.problems(), &problems[..]);
            assert!(!problems.is_empty());
            let message = e.to_string();
            for p in &problems {
                assert!(!p.message.trim().is_empty(), "a problem without a sentence");
                assert!(message.contains(&p.to_string()));
            }
        }
        Err(e) => panic!("validation gives only Invalid, got {e}"),
        Ok(()) => {
            assert!(problems.is_empty());
            check_usable(config);
        }
    }
}

/// What a config that passed validation promises the node and the launcher.
fn check_usable(config: &DeploymentConfig) {
    let ids = config.all_node_ids();
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "node ids repeat: {ids:?}");
    assert!(!unique.contains(&0));
    let mut listeners = HashSet::new();
    for cluster in &config.clusters {
        for n in &cluster.nodes {
            let ports = [Some(n.grpc_port), Some(n.resp_port), Some(n.metrics_port)];
            for port in ports.into_iter().chain([n.resp_tls_port]).flatten() {
                assert_ne!(port, 0);
                assert!(
                    listeners.insert((n.host.clone(), port)),
                    "{}:{port} is used twice",
                    n.host
                );
            }
            assert!(config.node(n.id).is_some());
            assert!(config.node_data_dir(n.id).is_some());
        }
    }
    for w in &config.witnesses {
        for port in [w.grpc_port, w.metrics_port] {
            assert!(listeners.insert((w.host.clone(), port)));
        }
    }
    for gds in &config.global_datastores {
        for member in gds.members() {
            assert!(
                config.cluster(member).is_some(),
                "{member} is not a cluster"
            );
        }
    }
    let _ = (
        config.coord_voters(),
        config.coord.promotion_wait(),
        config.log_dir(),
    );
}

proptest! {
    #![proptest_config(config(2500))]

    #[test]
    fn schema_documents(choices in tape()) {
        let mut t = Tape::new(choices);
        let doc = schema_document(&mut t);
        let text = toml::to_string(&doc).expect("a table is TOML");
        check(&text, &mut t);
    }

    #[test]
    fn local_toml_mutated_as_a_tree(choices in tape()) {
        let mut t = Tape::new(choices);
        let mut root = Value::Table(toml::from_str::<Table>(&local_toml()).expect("local.toml parses"));
        for _ in 0..=t.pick(3) {
            mutate_tree(&mut root, &mut t);
        }
        let text = toml::to_string(&root).expect("a table is TOML");
        check(&text, &mut t);
    }

    #[test]
    fn local_toml_mutated_as_text(choices in tape()) {
        let mut t = Tape::new(choices);
        let text = mutate_text(&local_toml(), &mut t);
        check(&text, &mut t);
    }

    #[test]
    fn arbitrary_text(text in "[ -~\n]{0,200}", choices in tape()) {
        check(&text, &mut Tape::new(choices));
    }
}

#[test]
fn local_toml_itself_passes_every_check() {
    check(&local_toml(), &mut Tape::new(Vec::new()));
}
