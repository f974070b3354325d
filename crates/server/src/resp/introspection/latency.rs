//! LATENCY: the latency monitor's events (`command`, `fast-command`), one sample per second
//! in a ring of 160 as Redis keeps them, and the per-command histograms.

use bytes::Bytes;
use meridian_types::Reply;

use super::calls::command_name;
use super::histogram::Histogram;
use super::{lock, subcommand_syntax_error, unix_secs, Intro};
use crate::resp::dispatch::Answer;
use crate::resp::server_cmds::help;

/// Redis's `LATENCY_TS_LEN`.
const TS_LEN: usize = 160;
const GRAPH_COLS: usize = 80;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Sample {
    pub time: i64,
    pub ms: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Series {
    pub samples: [Sample; TS_LEN],
    pub idx: usize,
    pub max: u64,
}

impl Default for Series {
    fn default() -> Series {
        Series {
            samples: [Sample::default(); TS_LEN],
            idx: 0,
            max: 0,
        }
    }
}

impl Series {
    /// The samples in time order.
    pub(super) fn ordered(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..TS_LEN)
            .map(move |j| self.samples[(self.idx + j) % TS_LEN])
            .filter(|s| s.time != 0)
    }

    fn last(&self) -> Sample {
        self.samples[(self.idx + TS_LEN - 1) % TS_LEN]
    }
}

/// Events in the order they first happened.
#[derive(Default)]
pub(super) struct LatencyMonitor {
    pub events: Vec<(String, Series)>,
}

impl LatencyMonitor {
    /// Redis's `latencyAddSample`: one sample per second, the highest of that second.
    pub(super) fn add_sample(&mut self, event: &str, ms: u64, now: i64) {
        let pos = match self.events.iter().position(|(e, _)| e == event) {
            Some(p) => p,
            None => {
                self.events.push((event.to_string(), Series::default()));
                self.events.len() - 1
            }
        };
        let ts = &mut self.events[pos].1;
        ts.max = ts.max.max(ms);
        let prev = (ts.idx + TS_LEN - 1) % TS_LEN;
        if ts.samples[prev].time == now {
            ts.samples[prev].ms = ts.samples[prev].ms.max(ms);
            return;
        }
        ts.samples[ts.idx] = Sample { time: now, ms };
        ts.idx = (ts.idx + 1) % TS_LEN;
    }

    /// Removes `event` (all events when None, case-insensitively); answers how many.
    pub(super) fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        self.events
            .retain(|(e, _)| event.is_some_and(|want| !e.as_bytes().eq_ignore_ascii_case(want)));
        before - self.events.len()
    }

    fn find(&self, event: &[u8]) -> Option<&(String, Series)> {
        self.events.iter().find(|(e, _)| e.as_bytes() == event)
    }
}

pub(super) fn command(intro: &Intro, argv: &[Bytes]) -> Answer {
    let sub = argv[1].to_ascii_lowercase();
    let reply = match (sub.as_slice(), argv.len()) {
        (b"history", 3) => match lock(&intro.latency).find(&argv[2]) {
            None => Reply::Array(vec![]),
            Some((_, ts)) => Reply::Array(
                ts.ordered()
                    .map(|s| {
                        Reply::Array(vec![Reply::Integer(s.time), Reply::Integer(s.ms as i64)])
                    })
                    .collect(),
            ),
        },
        (b"graph", 3) => match lock(&intro.latency).find(&argv[2]) {
            None => Reply::Error(format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(&argv[2])
            )),
            Some((event, ts)) => return Answer::Verbatim(graph(event, ts, unix_secs())),
        },
        (b"latest", 2) => Reply::Array(
            lock(&intro.latency)
                .events
                .iter()
                .map(|(event, ts)| {
                    let last = ts.last();
                    Reply::Array(vec![
                        Reply::bulk(event.clone()),
                        Reply::Integer(last.time),
                        Reply::Integer(last.ms as i64),
                        Reply::Integer(ts.max as i64),
                    ])
                })
                .collect(),
        ),
        (b"doctor", 2) => {
            let report = doctor(
                &lock(&intro.latency),
                intro.latency_monitor_threshold(),
                intro.slowlog_log_slower_than(),
                unix_secs(),
            );
            return Answer::Verbatim(report);
        }
        (b"reset", 2) => Reply::Integer(lock(&intro.latency).reset(None) as i64),
        (b"reset", _) => {
            let mut monitor = lock(&intro.latency);
            let resets: usize = argv[2..].iter().map(|e| monitor.reset(Some(e))).sum();
            Reply::Integer(resets as i64)
        }
        (b"histogram", _) => histograms(intro, &argv[2..]),
        (b"help", 2) => help(&[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HELP",
            "    Prints this help.",
        ]),
        _ => subcommand_syntax_error(argv),
    };
    Answer::Reply(reply)
}

/// LATENCY HISTOGRAM: every command with calls, or (Redis's
/// `latencySpecificCommandsFillCDF`) per argument in order: the command or `container|sub`
/// it names if it has calls, then a container's subcommands that have; names that are no
/// command are skipped.
fn histograms(intro: &Intro, names: &[Bytes]) -> Reply {
    let stats = lock(&intro.stats);
    let entries: Vec<(&str, &Histogram)> = if names.is_empty() {
        stats.histograms().collect()
    } else {
        let mut entries = Vec::new();
        for name in names {
            let (argv, sub) = match name.iter().position(|&b| b == b'|') {
                Some(bar) => (vec![name.slice(..bar), name.slice(bar + 1..)], true),
                None => (vec![name.clone()], false),
            };
            let Some(named) = command_name(&argv) else {
                continue;
            };
            if sub && named.full == named.base {
                continue;
            }
            entries.extend(stats.histogram(&named.full));
            if !sub {
                entries.extend(stats.sub_histograms(named.base));
            }
        }
        entries
    };
    let entries = entries
        .into_iter()
        .map(|(full, h)| {
            let cdf = h
                .cdf()
                .into_iter()
                .map(|(us, n)| (Reply::Integer(us as i64), Reply::Integer(n as i64)))
                .collect();
            (
                Reply::bulk(full.to_string()),
                Reply::Map(vec![
                    (Reply::bulk("calls"), Reply::Integer(h.calls() as i64)),
                    (Reply::bulk("histogram_usec"), Reply::Map(cdf)),
                ]),
            )
        })
        .collect();
    Reply::Map(entries)
}

/// LATENCY GRAPH: Redis's header and ruler, then one column per sample scaled to 4 rows
/// (`#` marks the sample, `|` fills below it), with its age underneath.
pub(super) fn graph(event: &str, ts: &Series, now: i64) -> String {
    let samples: Vec<Sample> = ts.ordered().collect();
    let max = samples.iter().map(|s| s.ms).max().unwrap_or(0);
    let min = samples.iter().map(|s| s.ms).min().unwrap_or(0);
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n{}\n",
        ts.max,
        "-".repeat(GRAPH_COLS)
    );
    let shown = &samples[samples.len().saturating_sub(GRAPH_COLS)..];
    let range = (max - min).max(1) as f64;
    let heights: Vec<usize> = shown
        .iter()
        .map(|s| 1 + (((s.ms - min) as f64 / range) * 3.0).round() as usize)
        .collect();
    for row in (1..=4).rev() {
        let line: String = heights
            .iter()
            .map(|&h| match h.cmp(&row) {
                std::cmp::Ordering::Equal => '#',
                std::cmp::Ordering::Greater => '|',
                std::cmp::Ordering::Less => ' ',
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let labels: Vec<String> = shown.iter().map(|s| age_label(now - s.time)).collect();
    let tallest = labels.iter().map(String::len).max().unwrap_or(0);
    for i in 0..tallest {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn age_label(elapsed: i64) -> String {
    match elapsed {
        e if e < 60 => format!("{e}s"),
        e if e < 3600 => format!("{}m", e / 60),
        e if e < 86400 => format!("{}h", e / 3600),
        e => format!("{}d", e / 86400),
    }
}

/// LATENCY DOCTOR: Redis's texts for a disabled monitor and for no spikes; with spikes, its
/// per-event lines (average, mean deviation, period, worst) and the command advice.
pub(super) fn doctor(
    monitor: &LatencyMonitor,
    threshold: u64,
    slower_than: i64,
    now: i64,
) -> String {
    if monitor.events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    if monitor.events.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better tonight.\n".into();
    }
    let mut out = String::from("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
    for (n, (event, ts)) in monitor.events.iter().enumerate() {
        let samples: Vec<Sample> = ts.samples.iter().copied().filter(|s| s.time != 0).collect();
        let count = samples.len().max(1) as u64;
        let avg = samples.iter().map(|s| s.ms).sum::<u64>() / count;
        let mad = samples.iter().map(|s| s.ms.abs_diff(avg)).sum::<u64>() / count;
        let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now);
        let period = (now - oldest).max(1);
        out.push_str(&format!(
            "{}. {event}: {} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.\n",
            n + 1,
            samples.len(),
            period as f64 / count as f64,
            ts.max
        ));
    }
    out.push_str("\nI have a few advices for you:\n\n");
    if slower_than < 0 {
        out.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    out
}
