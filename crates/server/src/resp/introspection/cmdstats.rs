//! Command and error statistics as Redis 7.0 keeps them in `struct redisCommand` and
//! `server.errors`: per command (`client|list` style names) the calls, their time, the calls
//! refused before running (`rejected_calls`) and those that ran and answered an error
//! (`failed_calls`), with the latency histogram; per error prefix (the reply's first word) a
//! count, and the total of error replies. INFO commandstats / errorstats / latencystats and
//! LATENCY HISTOGRAM read them; CONFIG RESETSTAT clears them.
//!
//! Redis prints commands in its command table's hash order, which changes from run to run;
//! here they come sorted by name, a subcommand right after its container (`|` sorts after
//! every letter of a command name).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::histogram::Histogram;

/// One command's counters (Redis's `calls`, `microseconds`, `rejected_calls`,
/// `failed_calls` and `latency_histogram`).
#[derive(Default)]
pub(super) struct CommandStat {
    calls: u64,
    usec: u64,
    rejected: u64,
    failed: u64,
    /// Created at the first call, as Redis does: a command only ever refused has none.
    histogram: Option<Histogram>,
}

/// A node's command and error statistics.
#[derive(Default)]
pub(crate) struct CommandStats {
    commands: BTreeMap<String, CommandStat>,
    errors: BTreeMap<String, u64>,
    total_error_replies: u64,
}

/// Redis `getSafeInfoString`: characters that would break an INFO line become `_`.
fn safe_info(name: &str) -> String {
    name.replace(['#', ':', '\n', '\r'], "_")
}

/// Redis `afterErrorReply`: the error's first word, when a space ends it within the first 32
/// bytes of the reply line (`-` included); `ERR` otherwise.
pub(super) fn error_prefix(text: &[u8]) -> &[u8] {
    let window = &text[..text.len().min(31)];
    match window.iter().position(|&b| b == b' ') {
        Some(end) => &text[..end],
        None => b"ERR",
    }
}

impl CommandStats {
    /// Applies `f` to `name`'s counters; the name is allocated only the first time.
    fn with(&mut self, name: &str, f: impl FnOnce(&mut CommandStat)) {
        match self.commands.get_mut(name) {
            Some(stat) => f(stat),
            None => f(self.commands.entry(name.to_string()).or_default()),
        }
    }

    /// A call that ran for `took`.
    pub(super) fn call(&mut self, name: &str, took: Duration) {
        let usec = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.with(name, |s| {
            s.calls += 1;
            s.usec = s.usec.saturating_add(usec);
            s.histogram
                .get_or_insert_with(Histogram::default)
                .record(nanos);
        });
    }

    /// A call that answered an error (the error itself goes to [`Self::error_reply`]).
    pub(super) fn failed(&mut self, name: &str) {
        self.with(name, |s| s.failed += 1);
    }

    /// A command refused before it ran.
    pub(super) fn rejected(&mut self, name: &str) {
        self.with(name, |s| s.rejected += 1);
    }

    /// One error reply whose text (after the `-`) is `text`.
    pub(super) fn error_reply(&mut self, text: &[u8]) {
        self.error_with_prefix(error_prefix(text));
    }

    pub(super) fn error_with_prefix(&mut self, prefix: &[u8]) {
        self.total_error_replies += 1;
        let prefix = String::from_utf8_lossy(prefix);
        match self.errors.get_mut(prefix.as_ref()) {
            Some(count) => *count += 1,
            None => {
                self.errors.insert(prefix.into_owned(), 1);
            }
        }
    }

    /// CONFIG RESETSTAT (`resetCommandTableStats`, `resetErrorTableStats` and
    /// `stat_total_error_replies`).
    pub(super) fn reset(&mut self) {
        *self = CommandStats::default();
    }

    /// INFO's `total_error_replies`.
    pub(crate) fn total_error_replies(&self) -> u64 {
        self.total_error_replies
    }

    /// The `# Commandstats` lines: commands with any call, rejected or failed.
    pub(crate) fn write_commandstats(&self, out: &mut String) {
        for (name, s) in &self.commands {
            let per_call = if s.calls == 0 {
                0.0
            } else {
                // Redis divides as a C float.
                f64::from(s.usec as f32 / s.calls as f32)
            };
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                safe_info(name),
                s.calls,
                s.usec,
                s.rejected,
                s.failed
            );
        }
    }

    /// The `# Errorstats` lines, sorted by prefix as Redis's rax keeps them.
    pub(crate) fn write_errorstats(&self, out: &mut String) {
        for (prefix, count) in &self.errors {
            let _ = write!(out, "errorstat_{}:count={count}\r\n", safe_info(prefix));
        }
    }

    /// The `# Latencystats` lines for `percentiles` (as `latency-tracking-info-percentiles`
    /// shows them, e.g. `50 99 99.9`): Redis's `fillPercentileDistributionLatencies`.
    pub(crate) fn write_latencystats(&self, out: &mut String, percentiles: &[&str]) {
        for (name, s) in &self.commands {
            let Some(h) = &s.histogram else { continue };
            let _ = write!(out, "latency_percentiles_usec_{}:", safe_info(name));
            for (i, label) in percentiles.iter().enumerate() {
                let p: f64 = label.parse().unwrap_or(0.0);
                let usec = h.value_at_percentile(p) as f64 / 1000.0;
                let sep = if i + 1 < percentiles.len() { "," } else { "" };
                let _ = write!(out, "p{label}={usec:.3}{sep}");
            }
            out.push_str("\r\n");
        }
    }

    /// Every command with a histogram, by name.
    pub(super) fn histograms(&self) -> impl Iterator<Item = (&str, &Histogram)> {
        self.commands
            .iter()
            .filter_map(|(name, s)| Some((name.as_str(), s.histogram.as_ref()?)))
    }

    /// `name`'s histogram, if it has one (with the name).
    pub(super) fn histogram(&self, name: &str) -> Option<(&str, &Histogram)> {
        let (name, s) = self.commands.get_key_value(name)?;
        Some((name.as_str(), s.histogram.as_ref()?))
    }

    /// The histograms of `container`'s subcommands (`container|…`).
    pub(super) fn sub_histograms<'a>(
        &'a self,
        container: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Histogram)> {
        let from = format!("{container}|");
        self.commands
            .range(from.clone()..)
            .take_while(move |(name, _)| name.starts_with(&from))
            .filter_map(|(name, s)| Some((name.as_str(), s.histogram.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn commandstats_lines_are_redis_lines() {
        // Lines as redis-server 7.0.15 printed them for the same calls.
        let mut stats = CommandStats::default();
        stats.call("set", us(9));
        stats.rejected("set");
        stats.call("client|list", us(3));
        stats.call("client|list", us(12));
        stats.failed("client|list");
        stats.rejected("save");
        for _ in 0..3 {
            stats.call("exec", us(1));
        }
        stats.call("exec", us(2));
        let mut out = String::new();
        stats.write_commandstats(&mut out);
        assert_eq!(
            out,
            "cmdstat_client|list:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=1\r\n\
             cmdstat_exec:calls=4,usec=5,usec_per_call=1.25,rejected_calls=0,failed_calls=0\r\n\
             cmdstat_save:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n\
             cmdstat_set:calls=1,usec=9,usec_per_call=9.00,rejected_calls=1,failed_calls=0\r\n"
        );
        // Redis divides in single precision: 16777217 is not a float.
        let mut big = CommandStats::default();
        big.call("get", us(16_777_217));
        let mut out = String::new();
        big.write_commandstats(&mut out);
        assert!(
            out.contains("usec=16777217,usec_per_call=16777216.00,"),
            "{out}"
        );
    }

    #[test]
    fn errors_count_by_their_first_word() {
        assert_eq!(
            error_prefix(b"WRONGTYPE Operation against a key"),
            b"WRONGTYPE"
        );
        assert_eq!(error_prefix(b"ERR unknown command"), b"ERR");
        assert_eq!(error_prefix(b"NOSPACE"), b"ERR");
        // A space at byte 31 of the line (`-` included) still ends the word; at 32 not.
        let thirty = "A".repeat(30);
        assert_eq!(
            error_prefix(format!("{thirty} x").as_bytes()),
            thirty.as_bytes()
        );
        assert_eq!(error_prefix(format!("{thirty}B x").as_bytes()), b"ERR");
        let mut stats = CommandStats::default();
        stats.error_reply(b"WRONGTYPE Operation");
        stats.error_reply(b"ERR x");
        stats.error_with_prefix(b"EXECABORT");
        stats.error_reply(b"ERR y");
        stats.error_reply(b"BAD:NAME z");
        let mut out = String::new();
        stats.write_errorstats(&mut out);
        assert_eq!(
            out,
            "errorstat_BAD_NAME:count=1\r\nerrorstat_ERR:count=2\r\n\
             errorstat_EXECABORT:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n"
        );
        assert_eq!(stats.total_error_replies(), 5);
        stats.reset();
        let mut out = String::new();
        stats.write_errorstats(&mut out);
        stats.write_commandstats(&mut out);
        assert_eq!((out.as_str(), stats.total_error_replies()), ("", 0));
    }

    #[test]
    fn latencystats_use_hdr_percentiles() {
        // redis-server 7.0.15: one SET of 9 µs, two CLIENT LIST of 3 and 12 µs.
        let mut stats = CommandStats::default();
        stats.call("set", Duration::from_nanos(9_000));
        stats.call("client|list", Duration::from_nanos(3_000));
        stats.call("client|list", Duration::from_nanos(12_000));
        stats.rejected("get");
        let mut out = String::new();
        stats.write_latencystats(&mut out, &["50", "99", "99.9"]);
        assert_eq!(
            out,
            "latency_percentiles_usec_client|list:p50=3.007,p99=12.031,p99.9=12.031\r\n\
             latency_percentiles_usec_set:p50=9.023,p99=9.023,p99.9=9.023\r\n"
        );
        let mut out = String::new();
        stats.write_latencystats(&mut out, &["0", "100"]);
        assert!(out.starts_with("latency_percentiles_usec_client|list:p0=2.992,p100=12.031\r\n"));
    }

    #[test]
    fn histograms_are_found_by_command_and_container() {
        let mut stats = CommandStats::default();
        stats.call("client|id", us(1));
        stats.call("client|list", us(1));
        stats.call("clients", us(1));
        stats.call("config|set", us(1));
        stats.rejected("client|kill");
        let subs: Vec<&str> = stats.sub_histograms("client").map(|(n, _)| n).collect();
        assert_eq!(subs, ["client|id", "client|list"]);
        assert_eq!(
            stats.histogram("client|id").map(|(n, _)| n),
            Some("client|id")
        );
        assert!(stats.histogram("client|kill").is_none());
        assert_eq!(stats.histograms().count(), 4);
    }
}
