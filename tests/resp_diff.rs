//! Differential test of the RESP port: the same command corpus, command by command, against a
//! real `redis-server` (started here on a free port) and against a 3-node Meridian cluster
//! (the leader and one follower, once each), in RESP2 and again in RESP3 after `HELLO 3`.
//! Replies are compared byte for byte; the only tolerated differences are the entries of
//! [`KNOWN`], each mirrored in `docs/compatibility.md`.
//!
//! Corpus lines are split on spaces; `"..."` quotes a word (with `\xNN` escapes for binary).
//! A line may start with a normalisation marker, used only where Redis's order is not defined:
//! - `@sort`  sorts the elements of every aggregate in both replies (sets, KEYS, SCAN pages);
//! - `@pairs` sorts field/value pairs of a flat RESP2 array or a RESP3 map (HGETALL & co).
//!
//! The lists and sorted-set families reuse the keyspace crate's differential scripts.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use meridian_testkit::{TestCluster, TestClusterOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

mod wire;
use wire::{escape, normalise, reply_len, split, Norm};

const LIMIT: Duration = Duration::from_secs(10);
const REDIS: &str = "/usr/bin/redis-server";

/// A difference between Meridian and Redis that the test tolerates: the corpus line (exact
/// text, marker included) and why. `BUG:` reasons are Meridian bugs left for their owners.
struct Known {
    line: &'static str,
    reason: &'static str,
}

// Every entry has a row in docs/compatibility.md ("Differences found by the RESP differential
// test"). An entry that no longer mismatches fails the test, so the list stays true.
const KNOWN: &[Known] = &[];

/// Redis 7.0 data commands Meridian does not implement: a mismatch on one of these is tolerated
/// only when Meridian answers `-ERR unknown command`. Mirrored in docs/compatibility.md.
const NOT_IMPLEMENTED: &[&str] = &[
    // scripting
    "eval",
];

// ---------------------------------------------------------------------------------------------
// The corpus, one family per entry: (name, key prefix, script). FLUSHALL runs between families.

const STRINGS: &str = include_str!("resp_diff/strings.txt");

const KEYS: &str = include_str!("resp_diff/keys.txt");

const HASHES: &str = include_str!("resp_diff/hashes.txt");

const SETS: &str = include_str!("resp_diff/sets.txt");

const TRANSACTIONS: &str = include_str!("resp_diff/transactions.txt");

const CONNECTION: &str = include_str!("resp_diff/connection.txt");

// Same key as source and destination, repeated arguments, what keeps or clears a TTL
// (TTL values checked only when they cannot have ticked: set 100 s, read within a second).
const ALIASING: &str = include_str!("resp_diff/aliasing.txt");

// Edge cases across families: number formats, odd option orders, wrong types, single-member
// "random" commands (deterministic with one member), commands Meridian may not implement.
const EDGES: &str = include_str!("resp_diff/edges.txt");

// Commands of Redis 7.0's data families, probed once each: Meridian answers them or reports
// them unknown (then they are allow-listed as not implemented).
const PROBES: &str = include_str!("resp_diff/probes.txt");

// ---------------------------------------------------------------------------------------------

fn families() -> Vec<(&'static str, &'static str)> {
    vec![
        ("strings", STRINGS),
        ("keys", KEYS),
        ("hashes", HASHES),
        ("lists", include_str!("resp_diff/lists.txt")),
        ("sets", SETS),
        ("sorted sets", include_str!("resp_diff/zsets.txt")),
        ("transactions", TRANSACTIONS),
        ("connection", CONNECTION),
        ("aliasing", ALIASING),
        ("edges", EDGES),
        ("probes", PROBES),
        ("databases", include_str!("resp_diff/databases.txt")),
        ("bitmaps", include_str!("resp_diff/bitmaps.txt")),
        ("hyperloglog", include_str!("resp_diff/hll.txt")),
        ("geo", include_str!("resp_diff/geo.txt")),
        (
            "sorted-set algebra",
            include_str!("resp_diff/zset_algebra.txt"),
        ),
        ("sort", include_str!("resp_diff/sort.txt")),
        ("dump", include_str!("resp_diff/dump.txt")),
        // Blocking pops Redis serves at once (keys ready, argument errors, WRONGTYPE) and
        // their timeout replies inside MULTI: nothing in it blocks.
        ("blocking", include_str!("resp_diff/blocking.txt")),
        ("command list", include_str!("resp_diff/command_list.txt")),
        // Users, rules and permission failures (the family deletes its users at the end).
        ("acl", include_str!("resp_diff/acl.txt")),
        // PUBLISH, PUBSUB and the subscription replies on one connection.
        ("pubsub", include_str!("resp_diff/pubsub.txt")),
        // Streams, consumer groups, XINFO, DUMP/RESTORE (explicit ids: generated ones depend
        // on each server's clock).
        ("streams", include_str!("resp_diff/streams.txt")),
    ]
}

struct Case {
    family: &'static str,
    line: &'static str,
    norm: Norm,
    argv: Vec<Vec<u8>>,
}

fn corpus() -> Vec<Case> {
    let mut out = Vec::new();
    for (family, script) in families() {
        for line in script
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (norm, rest) = if let Some(r) = line.strip_prefix("@sort ") {
                (Norm::Sort, r)
            } else if let Some(r) = line.strip_prefix("@pairs ") {
                (Norm::Pairs, r)
            } else {
                (Norm::Exact, line)
            };
            out.push(Case {
                family,
                line,
                norm,
                argv: split(rest),
            });
        }
    }
    // Big values, generated: replies that arrive in several reads (and binary bytes in bulk).
    let w = |s: &str| s.as_bytes().to_vec();
    let big = |n: usize, b: u8| vec![b; n];
    for (line, argv) in [
        (
            "set b:big <200000 x>",
            vec![w("set"), w("b:big"), big(200_000, b'x')],
        ),
        (
            "append b:big <100000 \\r>",
            vec![w("append"), w("b:big"), big(100_000, b'\r')],
        ),
        ("get b:big", vec![w("get"), w("b:big")]),
        ("strlen b:big", vec![w("strlen"), w("b:big")]),
        (
            "getrange b:big 199990 200010",
            split("getrange b:big 199990 200010"),
        ),
        (
            "rpush b:l <300000 \\x00> y",
            vec![w("rpush"), w("b:l"), big(300_000, 0), w("y")],
        ),
        ("lrange b:l 0 -1", split("lrange b:l 0 -1")),
        (
            "hset b:h <70000 f> <90000 v>",
            vec![w("hset"), w("b:h"), big(70_000, b'f'), big(90_000, b'v')],
        ),
        ("hgetall b:h", split("hgetall b:h")),
        (
            "zadd b:z 1 <80000 m>",
            vec![w("zadd"), w("b:z"), w("1"), big(80_000, b'm')],
        ),
        (
            "zrange b:z 0 -1 withscores",
            split("zrange b:z 0 -1 withscores"),
        ),
        ("echo <1000000 z>", vec![w("echo"), big(1_000_000, b'z')]),
    ] {
        out.push(Case {
            family: "big values",
            line,
            norm: Norm::Exact,
            argv,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Connections and the redis-server.

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    what: String,
}

impl Conn {
    async fn connect(addr: SocketAddr, what: &str) -> Result<Conn> {
        let deadline = Instant::now() + LIMIT;
        loop {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    return Ok(Conn {
                        stream,
                        buf: Vec::new(),
                        what: what.to_string(),
                    })
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e).with_context(|| format!("connecting to {what} {addr}")),
            }
        }
    }

    async fn call(&mut self, argv: &[Vec<u8>]) -> Result<Vec<u8>> {
        let mut req = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&req).await.context("sending")?;
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(len) = reply_len(&self.buf)? {
                return Ok(self.buf.drain(..len).collect());
            }
            let mut chunk = vec![0u8; 64 * 1024];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .with_context(|| {
                    format!(
                        "{}: no complete reply within {LIMIT:?}, have {}",
                        self.what,
                        escape(&self.buf)
                    )
                })??;
            if n == 0 {
                bail!(
                    "{}: connection closed, have {}",
                    self.what,
                    escape(&self.buf)
                );
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn cmd(&mut self, words: &[&str]) -> Result<Vec<u8>> {
        let argv: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        self.call(&argv).await
    }
}

/// A redis-server on a free port, killed on drop.
struct Redis {
    child: Child,
    addr: SocketAddr,
    _dir: TempDir,
}

impl Redis {
    fn start() -> Result<Redis> {
        // On PATH (as tests/run.sh installs it), else the Debian location; never skipped.
        let binary = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join("redis-server"))
            .find(|p| p.is_file())
            .unwrap_or_else(|| REDIS.into());
        assert!(
            binary.is_file(),
            "redis-server is missing (not on PATH, not {REDIS}): the RESP differential test \
             needs redis-server 7.0 (tests/run.sh installs it; or 'sudo apt-get install \
             redis-server')"
        );
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = TempDir::new()?;
        let child = Command::new(&binary)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--dir", dir.0.to_str().context("temp dir path")?])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Redis {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: dir,
        })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let p = std::env::temp_dir().join(format!(
            "meridian-resp-diff-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------

struct Mismatch {
    index: usize,
    pass: String,
    line: &'static str,
    name: String,
    redis: Vec<u8>,
    meridian: Vec<u8>,
}

/// One pass: the whole corpus against Redis and one Meridian node on fresh connections.
async fn pass(
    redis: SocketAddr,
    node: SocketAddr,
    name: &str,
    resp3: bool,
    corpus: &[Case],
) -> Result<Vec<Mismatch>> {
    let mut r = Conn::connect(redis, "redis").await?;
    let mut m = Conn::connect(node, name).await?;
    if resp3 {
        // Not compared: HELLO reports the connection id (and Redis its modules).
        for c in [&mut r, &mut m] {
            let hello = c.cmd(&["HELLO", "3"]).await?;
            assert!(
                hello.starts_with(b"%"),
                "{}: HELLO 3 -> {}",
                c.what,
                escape(&hello)
            );
        }
    }
    let pass = format!("{name} RESP{}", if resp3 { 3 } else { 2 });
    let mut out = Vec::new();
    let mut family = "";
    for (index, case) in corpus.iter().enumerate() {
        if case.family != family {
            family = case.family;
            for c in [&mut r, &mut m] {
                let ok = c.cmd(&["FLUSHALL"]).await?;
                assert_eq!(ok, b"+OK\r\n", "{}: FLUSHALL -> {}", c.what, escape(&ok));
            }
        }
        let theirs = r.call(&case.argv).await.with_context(|| case.line)?;
        let mine = m.call(&case.argv).await.with_context(|| case.line)?;
        if normalise(&theirs, case.norm) != normalise(&mine, case.norm) {
            out.push(Mismatch {
                index,
                pass: pass.clone(),
                line: case.line,
                name: String::from_utf8_lossy(case.argv.first().map_or(&[][..], |a| a))
                    .into_owned(),
                redis: theirs,
                meridian: mine,
            });
        }
    }
    // Leave both empty and out of any transaction for the next pass.
    for c in [&mut r, &mut m] {
        c.cmd(&["DISCARD"]).await?;
        c.cmd(&["FLUSHALL"]).await?;
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resp_replies_match_redis_byte_for_byte() -> Result<()> {
    let started = std::time::Instant::now();
    let redis = Redis::start()?;
    let tc = TestCluster::start(TestClusterOptions::default()).await?;
    let leader = tc.wait_for_leader(LIMIT).await?;
    let follower = tc.follower_of(leader)?;
    let corpus = corpus();

    // Phase: redis-server answers.
    let mut probe = Conn::connect(redis.addr, "redis").await?;
    let deadline = Instant::now() + LIMIT;
    while probe.cmd(&["PING"]).await? != b"+PONG\r\n" {
        assert!(
            Instant::now() < deadline,
            "redis-server never answered PING"
        );
    }

    // Phase: the corpus against the leader and a follower, in RESP2 and RESP3.
    let mut mismatches = Vec::new();
    for (name, id) in [("leader", leader), ("follower", follower)] {
        for resp3 in [false, true] {
            mismatches.extend(pass(redis.addr, tc.resp_addr(id)?, name, resp3, &corpus).await?);
        }
    }

    // Phase: report. Known differences are printed, anything else fails.
    let mut unexpected = Vec::new();
    let mut used = vec![false; KNOWN.len()];
    let mut not_implemented = std::collections::BTreeSet::new();
    for mm in &mismatches {
        let report = format!(
            "#{} [{}] {}\n    redis:    {}\n    meridian: {}",
            mm.index,
            mm.pass,
            mm.line,
            escape(&mm.redis),
            escape(&mm.meridian)
        );
        let name = mm.name.to_ascii_lowercase();
        if let Some(k) = KNOWN.iter().position(|k| k.line == mm.line) {
            used[k] = true;
            eprintln!("known difference ({}):\n{report}", KNOWN[k].reason);
        } else if mm.meridian.starts_with(b"-ERR unknown command '")
            && NOT_IMPLEMENTED.contains(&name.as_str())
        {
            not_implemented.insert(name);
        } else {
            unexpected.push(report);
        }
    }
    let stale: Vec<_> = KNOWN
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| k.line)
        .chain(
            NOT_IMPLEMENTED
                .iter()
                .copied()
                .filter(|n| !not_implemented.contains(*n)),
        )
        .collect();
    eprintln!("not implemented by Meridian: {not_implemented:?}");
    eprintln!(
        "corpus: {} commands x 4 passes, {} mismatches ({} known), {:?}",
        corpus.len(),
        mismatches.len(),
        mismatches.len() - unexpected.len(),
        started.elapsed()
    );
    tc.shutdown().await;
    assert!(
        unexpected.is_empty(),
        "{} unexpected mismatches:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "allow-list entries (KNOWN lines, NOT_IMPLEMENTED names) that now match Redis: remove them \
         and their docs/compatibility.md rows: {stale:?}"
    );
    Ok(())
}
