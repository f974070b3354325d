//! `Status`: what the admin endpoint reports (latency table and traffic counters), in the
//! JSON form it is sent in and the table form `meridian wan-proxy show` prints.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The latency table and the traffic counters of a running proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Every region pair with an entry, sorted.
    pub latency: Vec<PairLatency>,
    /// Every link that has carried a connection, sorted by (from, to).
    pub links: Vec<LinkStatus>,
}

/// The latency of one unordered region pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairLatency {
    /// The region that sorts first.
    pub a: String,
    /// The region that sorts second.
    pub b: String,
    /// Added round-trip time, in milliseconds.
    pub rtt_ms: u64,
    /// Round-trip jitter, in milliseconds (see [`crate::Latency`]).
    pub jitter_ms: u64,
}

/// Counters of connections from callers in region `from` to targets in region `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatus {
    /// The caller's region (`"unmapped"` when its local address maps to no region).
    pub from: String,
    /// The target's region.
    pub to: String,
    /// Connections open now.
    pub connections_open: u64,
    /// Connections accepted since the proxy started.
    pub connections_total: u64,
    /// Bytes forwarded from callers to targets.
    pub bytes_out: u64,
    /// Bytes forwarded from targets back to callers.
    pub bytes_back: u64,
}

impl Status {
    /// The latency of the pair `a`/`b` (either order), if it has an entry.
    pub fn latency_of(&self, x: &str, y: &str) -> Option<&PairLatency> {
        self.latency
            .iter()
            .find(|p| (p.a == x && p.b == y) || (p.a == y && p.b == x))
    }

    /// The counters of the link `from` → `to`, if it has carried a connection.
    pub fn link(&self, from: &str, to: &str) -> Option<&LinkStatus> {
        self.links.iter().find(|l| l.from == from && l.to == to)
    }
}

/// Two aligned tables: latency per pair, then traffic per link.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<32} {:>8} {:>10}", "PAIR", "RTT_MS", "JITTER_MS")?;
        for p in &self.latency {
            let pair = format!("{} <-> {}", p.a, p.b);
            writeln!(f, "{pair:<32} {:>8} {:>10}", p.rtt_ms, p.jitter_ms)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<32} {:>6} {:>8} {:>14} {:>14}",
            "LINK (CALLER -> TARGET)", "OPEN", "TOTAL", "BYTES_OUT", "BYTES_BACK"
        )?;
        if self.links.is_empty() {
            writeln!(f, "(no connections yet)")?;
        }
        for l in &self.links {
            let link = format!("{} -> {}", l.from, l.to);
            writeln!(
                f,
                "{link:<32} {:>6} {:>8} {:>14} {:>14}",
                l.connections_open, l.connections_total, l.bytes_out, l.bytes_back
            )?;
        }
        Ok(())
    }
}
