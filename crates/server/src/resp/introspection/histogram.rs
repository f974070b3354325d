//! A per-command latency histogram with the bucket layout of the hdr_histogram Redis 7.0
//! uses (1 ns to 1 s, 2 significant digits), reported as `fillCommandCDF` does: a log
//! iteration from 1024 ns doubling, each step giving (highest equivalent value / 1000,
//! cumulative count) when the count grew.

const LOWEST: u64 = 1;
const HIGHEST: u64 = 1_000_000_000;
/// 2 significant digits: 256 sub-buckets, half of them per bucket after the first.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_COUNT: u64 = SUB_BUCKET_HALF_COUNT * 2;
const SUB_BUCKET_MASK: u64 = SUB_BUCKET_COUNT - 1;
/// 256 << 22 is the first power of two past 1e9: 23 buckets.
const BUCKET_COUNT: usize = 23;
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * (SUB_BUCKET_HALF_COUNT as usize);

#[derive(Clone)]
pub(super) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; COUNTS_LEN],
            total: 0,
        }
    }
}

fn bucket_index(value: u64) -> u32 {
    let pow2ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros();
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

fn counts_index(value: u64) -> usize {
    let bucket = bucket_index(value);
    let sub = value >> bucket;
    let base = (u64::from(bucket) + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    (base + sub - SUB_BUCKET_HALF_COUNT) as usize
}

/// (bucket, sub-bucket) of a counts index.
fn indices_at(index: usize) -> (u32, u64) {
    let index = index as u64;
    let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        (0, sub - SUB_BUCKET_HALF_COUNT)
    } else {
        (bucket as u32, sub)
    }
}

fn value_at(index: usize) -> u64 {
    let (bucket, sub) = indices_at(index);
    sub << bucket
}

fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_index(value);
    (value >> bucket) << bucket
}

fn highest_equivalent_at(index: usize) -> u64 {
    let (bucket, sub) = indices_at(index);
    let adjusted = if sub >= SUB_BUCKET_COUNT {
        bucket + 1
    } else {
        bucket
    };
    (sub << bucket) + (1u64 << adjusted) - 1
}

impl Histogram {
    /// Records one duration in nanoseconds, clamped to the tracked range as Redis does.
    pub(super) fn record(&mut self, nanos: u64) {
        let v = nanos.clamp(LOWEST, HIGHEST);
        self.counts[counts_index(v)] += 1;
        self.total += 1;
    }

    pub(super) fn calls(&self) -> u64 {
        self.total
    }

    /// hdr's `hdr_value_at_percentile` in nanoseconds: the highest value equivalent to the
    /// first recorded one at or past the percentile's count (the lowest for percentile 0).
    pub(super) fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        // C's `(int64_t)` conversion truncates, as `as` does.
        let wanted = (((requested / 100.0) * self.total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return if percentile == 0.0 {
                    lowest_equivalent(value_at(index))
                } else {
                    highest_equivalent_at(index)
                };
            }
        }
        0
    }

    /// `histogram_usec`: (microseconds, cumulative count) pairs, as `fillCommandCDF` emits.
    pub(super) fn cdf(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level = 1024u64;
        let mut level_lowest = lowest_equivalent(level);
        // The iterator state of hdr_iter_log: index of the last visited count.
        let mut index: Option<usize> = None;
        let mut value = 0u64;
        let mut highest = 0u64;
        let mut cumulative = 0u64;
        let mut previous = 0u64;
        loop {
            let next = index.map_or(0, |i| i + 1);
            let more =
                cumulative < self.total || (next < COUNTS_LEN && value_at(next) > level_lowest);
            if !more {
                break;
            }
            loop {
                if value >= level_lowest {
                    level *= 2;
                    level_lowest = lowest_equivalent(level);
                    break;
                }
                let i = index.map_or(0, |i| i + 1);
                if i >= COUNTS_LEN {
                    return out;
                }
                index = Some(i);
                cumulative += self.counts[i];
                value = value_at(i);
                highest = highest_equivalent_at(i);
            }
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
        }
        out
    }
}
