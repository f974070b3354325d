//! The bytes of a Redis 7.0 HyperLogLog string (a port of `hyperloglog.c`): the 16-byte
//! header, dense 6-bit registers, MurmurHash64A and the cardinality estimator. The sparse
//! encoding lives in `sparse.rs`.
//!
//! Header: `"HYLL"`, the encoding byte (0 dense, 1 sparse), 3 unused bytes, then the cached
//! cardinality as 8 little-endian bytes whose top bit, when set, marks the cache invalid.
//! Every value is byte-for-byte what redis-server stores, so GET, DUMP or SET carry an HLL
//! between Redis and Meridian unchanged.

use super::sparse;

/// Size of the header in front of the registers.
pub(crate) const HDR_SIZE: usize = 16;
/// Bits of the hash that pick the register (`HLL_P`).
const P: u32 = 14;
/// Bits of the hash left for the run of zeroes (`HLL_Q`).
const Q: usize = 64 - P as usize;
pub(crate) const REGISTERS: usize = 1 << P;
const BITS: usize = 6;
const REGISTER_MAX: u32 = (1 << BITS) - 1;
/// Length of a dense HyperLogLog string: the header and 16384 six-bit registers.
pub(crate) const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
pub(crate) const DENSE: u8 = 0;
pub(crate) const SPARSE: u8 = 1;
pub(crate) const ENCODING_AT: usize = 4;
const CARD_AT: usize = 8;
/// Bit of the cached cardinality's last byte that marks the cache invalid.
const CACHE_INVALID: u8 = 1 << 7;
const HASH_SEED: u32 = 0xadc8_3b19;
/// 0.5 / ln(2), the estimator's constant for m → ∞.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// `INVALIDOBJ`: a sparse representation that does not decode to exactly 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corrupt;

/// Registers as one byte each: what PFCOUNT of several keys and PFMERGE merge into.
pub(crate) type RawRegisters = [u8; REGISTERS];

/// `isHLLObjectOrReply` once the value is known to be a string: magic, a known encoding, and
/// the exact length for a dense value.
pub(crate) fn is_valid(b: &[u8]) -> bool {
    b.len() >= HDR_SIZE
        && b.starts_with(b"HYLL")
        && b[ENCODING_AT] <= SPARSE
        && (b[ENCODING_AT] == SPARSE || b.len() == DENSE_SIZE)
}

/// Only for values [`is_valid`] accepted.
pub(crate) fn is_dense(hll: &[u8]) -> bool {
    hll[ENCODING_AT] == DENSE
}

/// `createHLLObject`: a sparse HLL of zero registers, its cache valid and zero.
pub(crate) fn new_sparse() -> Vec<u8> {
    let mut hll = vec![0u8; HDR_SIZE];
    hll[..4].copy_from_slice(b"HYLL");
    hll[ENCODING_AT] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(sparse::XZERO_MAX_LEN);
        sparse::push_zeros(&mut hll, run);
        left -= run;
    }
    hll
}

/// The cached cardinality, if the cache is valid.
pub(crate) fn cached_count(hll: &[u8]) -> Option<u64> {
    let card: [u8; 8] = hll[CARD_AT..HDR_SIZE].try_into().ok()?;
    (card[7] & CACHE_INVALID == 0).then(|| u64::from_le_bytes(card))
}

pub(crate) fn invalidate_cache(hll: &mut [u8]) {
    hll[HDR_SIZE - 1] |= CACHE_INVALID;
}

/// MurmurHash2, 64-bit version, reading 8-byte blocks little-endian as Redis does on every
/// architecture.
pub(crate) fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().unwrap_or_default());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate() {
            h ^= u64::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// `hllPatLen`: the register `ele` falls in and the length of its hash's `000…1` run.
pub(crate) fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The stop bit bounds the count to Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Register `i` of dense registers (the bytes after the header).
pub(crate) fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = u32::from(regs[byte]);
    // Redis reads the string's NUL terminator past the last register; its bits are masked off.
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX) as u8
}

pub(crate) fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = u32::from(val);
    regs[byte] &= !(REGISTER_MAX << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    if let Some(b1) = regs.get_mut(byte + 1) {
        *b1 &= !(REGISTER_MAX >> (8 - fb)) as u8;
        *b1 |= (v >> (8 - fb)) as u8;
    }
}

/// `hllDenseSet`: raises register `i` to `count`; true if it was lower.
pub(crate) fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    let raised = count > dense_get(regs, i);
    if raised {
        dense_put(regs, i, count);
    }
    raised
}

/// True if adding `elements` to the dense value `hll` would raise a register.
pub(crate) fn dense_would_raise<'a>(
    hll: &[u8],
    mut elements: impl Iterator<Item = &'a [u8]>,
) -> bool {
    let regs = &hll[HDR_SIZE..];
    elements.any(|ele| {
        let (index, count) = pattern(ele);
        count > dense_get(regs, index)
    })
}

/// `hllAdd`: true if a register changed (the value may have turned dense).
pub(crate) fn add(hll: &mut Vec<u8>, ele: &[u8]) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    raise(hll, index, count)
}

/// Raises register `index` to `count` in either encoding (`hllDenseSet` / `hllSparseSet`).
pub(crate) fn raise(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if is_dense(hll) {
        Ok(dense_raise(&mut hll[HDR_SIZE..], index, count))
    } else {
        sparse::raise(hll, index, count)
    }
}

/// `hllMerge`: `max[i] = MAX(max[i], register i of hll)`.
pub(crate) fn merge_into(max: &mut RawRegisters, hll: &[u8]) -> Result<(), Corrupt> {
    if !is_dense(hll) {
        return sparse::merge_into(max, hll);
    }
    let regs = &hll[HDR_SIZE..];
    for (i, m) in max.iter_mut().enumerate() {
        *m = (*m).max(dense_get(regs, i));
    }
    Ok(())
}

/// Register histogram: `hist[v]` registers hold the value v.
pub(crate) type Histogram = [u64; 64];

/// `hllCount` of a value (not its cache).
pub(crate) fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut hist = [0u64; 64];
    if is_dense(hll) {
        let regs = &hll[HDR_SIZE..];
        for i in 0..REGISTERS {
            hist[usize::from(dense_get(regs, i))] += 1;
        }
    } else {
        sparse::histogram(hll, &mut hist)?;
    }
    Ok(estimate(&hist))
}

/// `hllCount` of registers merged by [`merge_into`].
pub(crate) fn count_raw(max: &RawRegisters) -> u64 {
    let mut hist = [0u64; 64];
    for v in max {
        // Merged registers come from 6-bit values.
        hist[usize::from(*v) & 63] += 1;
    }
    estimate(&hist)
}

/// The estimator of Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
/// (arXiv:1702.01284), in Redis's exact order of floating-point operations.
fn estimate(hist: &Histogram) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - hist[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += hist[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(hist[0] as f64 / m);
    llround_to_u64(ALPHA_INF * m * m / z)
}

/// Redis's `(uint64_t) (double) llroundl(e)` on x86-64. When every register is 51 or more
/// (only a hand-made value), z is 0 or nearly so and `e` leaves the i64 range: llroundl then
/// gives LLONG_MIN, which PFCOUNT answers as -9223372036854775808.
fn llround_to_u64(e: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // Halves away from zero, as llroundl; a rounded double in range converts back exactly.
    let rounded = if e.is_finite() && e.abs() < TWO_63 {
        e.round() as i64
    } else {
        i64::MIN
    };
    rounded as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        // C's pow(1 - x, 2), which compilers emit as this exact product.
        let d = 1.0 - x;
        z -= d * d * y;
        if before == z {
            return z / 3.0;
        }
    }
}
