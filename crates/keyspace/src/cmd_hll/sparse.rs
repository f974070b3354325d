//! The sparse encoding of `hyperloglog.c`: after the header, a run-length sequence of opcodes
//! covering the 16384 registers in order:
//! - ZERO `00xxxxxx`: 1–64 registers at zero;
//! - XZERO `01xxxxxx yyyyyyyy`: 1–16384 registers at zero (14-bit length);
//! - VAL `1vvvvvxx`: 1–4 registers at value 1–32.
//!
//! Updates follow `hllSparseSet` step by step (same splits, same merging of neighbours, same
//! promotion to dense), so the bytes are the ones Redis produces.

use super::repr::{
    dense_put, dense_raise, invalidate_cache, is_dense, Corrupt, Histogram, RawRegisters, DENSE,
    DENSE_SIZE, ENCODING_AT, HDR_SIZE, REGISTERS,
};

/// `hll-sparse-max-bytes`: a sparse value that would grow past this many bytes (header
/// included) turns dense. Redis's default; a constant until CONFIG SET can change it.
pub(crate) const SPARSE_MAX_BYTES: usize = 3000;
pub(crate) const XZERO_MAX_LEN: usize = 16384;
const ZERO_MAX_LEN: usize = 64;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;

/// One opcode, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Zero(usize),
    XZero(usize),
    /// (value, run length)
    Val(u8, usize),
}

impl Op {
    /// Registers covered.
    pub(crate) fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    /// Bytes taken.
    fn size(self) -> usize {
        match self {
            Op::XZero(_) => 2,
            _ => 1,
        }
    }
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn val_of(b: u8) -> (u8, usize) {
    (((b >> 2) & 0x1f) + 1, usize::from(b & 0x3) + 1)
}

fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// Decodes the opcode at `p`. An XZERO cut short by the end of the string (only in corrupt
/// data) reads a zero second byte, as Redis reads the string's NUL terminator. (Once a PFADD
/// has split such an opcode, Redis may find a stale byte of its own buffer there instead: the
/// value's bytes alone do not say which, and we read zero.)
fn op_at(s: &[u8], p: usize) -> Op {
    let b = s[p];
    if is_zero(b) {
        Op::Zero(usize::from(b & 0x3f) + 1)
    } else if is_xzero(b) {
        let low = usize::from(s.get(p + 1).copied().unwrap_or(0));
        Op::XZero(((usize::from(b & 0x3f) << 8) | low) + 1)
    } else {
        let (value, len) = val_of(b);
        Op::Val(value, len)
    }
}

/// The opcodes of a sparse value with their byte positions.
pub(crate) fn ops(hll: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut p = HDR_SIZE;
    std::iter::from_fn(move || {
        if p >= hll.len() {
            return None;
        }
        let op = op_at(hll, p);
        let at = p;
        p += op.size();
        Some((at, op))
    })
}

/// Appends the opcode for a run of `len` zero registers (ZERO if it fits, else XZERO).
pub(crate) fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        out.extend_from_slice(&[0x40 | (l >> 8) as u8, (l & 0xff) as u8]);
    } else {
        out.push((len - 1) as u8);
    }
}

/// `hllSparseToDense`: the same registers, dense; the header (cache included) is kept.
/// Does nothing to a dense value; changes nothing if the sparse data is corrupt.
pub(crate) fn to_dense(hll: &mut Vec<u8>) -> Result<(), Corrupt> {
    if is_dense(hll) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR_SIZE].copy_from_slice(&hll[..HDR_SIZE]);
    dense[ENCODING_AT] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    for (first, op) in runs(hll)? {
        if let Op::Val(value, n) = op {
            for i in first..first + n {
                dense_put(regs, i, value);
            }
        }
    }
    *hll = dense;
    Ok(())
}

/// The opcodes of a sparse value with the first register each covers, once checked to cover
/// exactly the 16384 registers. Redis 7.0.15 as shipped (Debian's 7.0.15-1~deb12u*, with the
/// fix for CVE-2025-32023) refuses any opcode that runs past the last register, where the
/// unpatched source stopped at such a VAL opcode and accepted what followed.
fn runs(hll: &[u8]) -> Result<Vec<(usize, Op)>, Corrupt> {
    let mut out = Vec::new();
    let mut idx = 0;
    for (_, op) in ops(hll) {
        if idx + op.span() > REGISTERS {
            return Err(Corrupt);
        }
        out.push((idx, op));
        idx += op.span();
    }
    if idx == REGISTERS {
        Ok(out)
    } else {
        Err(Corrupt)
    }
}

/// `hllSparseRegHisto`, with its validity check.
pub(crate) fn histogram(hll: &[u8], hist: &mut Histogram) -> Result<(), Corrupt> {
    for (_, op) in runs(hll)? {
        let value = match op {
            Op::Val(v, _) => usize::from(v),
            _ => 0,
        };
        hist[value] += op.span() as u64;
    }
    Ok(())
}

/// `hllMerge` of a sparse value.
pub(crate) fn merge_into(max: &mut RawRegisters, hll: &[u8]) -> Result<(), Corrupt> {
    for (first, op) in runs(hll)? {
        if let Op::Val(value, n) = op {
            for m in &mut max[first..first + n] {
                *m = (*m).max(value);
            }
        }
    }
    Ok(())
}

/// `hllSparseSet`: raises register `index` to `count`; true if it was lower. A value that
/// cannot stay sparse (count above 32, or growing past [`SPARSE_MAX_BYTES`]) turns dense.
/// Changes nothing when it answers an error.
pub(crate) fn raise(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: the opcode covering `index`, the first register it covers, and the one before.
    let mut first = 0;
    let mut prev = None;
    let mut found = None;
    for (at, op) in ops(hll) {
        if index < first + op.span() {
            found = Some((at, op));
            break;
        }
        prev = Some(at);
        first += op.span();
    }
    let Some((p, op)) = found else {
        return Err(Corrupt);
    };
    // Step 2: trivial in-place updates.
    match op {
        Op::Val(value, _) if value >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            hll[p] = val_op(count, 1);
            merge_neighbours(hll, prev.unwrap_or(HDR_SIZE));
            return Ok(true);
        }
        _ => {}
    }
    // Step 3: split the opcode around `index`, at most XZERO-VAL-XZERO.
    let seq = split(op, index - first, count);
    let old_len = op.size();
    if seq.len() > old_len && hll.len() + seq.len() - old_len > SPARSE_MAX_BYTES {
        return promote(hll, index, count);
    }
    // An XZERO cut short at the end has one byte, but Redis counts two: keep its length.
    let new_len = hll.len() + seq.len() - old_len;
    let stop = (p + old_len).min(hll.len());
    hll.splice(p..stop, seq);
    hll.truncate(new_len);
    merge_neighbours(hll, prev.unwrap_or(HDR_SIZE));
    Ok(true)
}

/// The opcodes replacing `op` once the register at `offset` in its run is set to `count`.
fn split(op: Op, offset: usize, count: u8) -> Vec<u8> {
    let after = op.span() - 1 - offset;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Zero(_) | Op::XZero(_) => {
            if offset > 0 {
                push_zeros(&mut seq, offset);
            }
            seq.push(val_op(count, 1));
            if after > 0 {
                push_zeros(&mut seq, after);
            }
        }
        Op::Val(value, _) => {
            if offset > 0 {
                seq.push(val_op(value, offset));
            }
            seq.push(val_op(count, 1));
            if after > 0 {
                seq.push(val_op(value, after));
            }
        }
    }
    seq
}

/// Step 4 of `hllSparseSet`: merges adjacent VAL opcodes of equal value, scanning at most 5
/// opcodes from `start`; then invalidates the cached cardinality.
fn merge_neighbours(hll: &mut Vec<u8>, start: usize) {
    let mut p = start;
    let mut scans = 5;
    while p < hll.len() && scans > 0 {
        scans -= 1;
        let b = hll[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if let Some(&next) = hll.get(p + 1).filter(|n| is_val(**n)) {
            let (v1, l1) = val_of(b);
            let (v2, l2) = val_of(next);
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                hll[p + 1] = val_op(v1, l1 + l2);
                hll.remove(p);
                // Try the merged opcode against its right neighbour too.
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(hll);
}

/// Turns the value dense, then sets the register there.
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    Ok(dense_raise(&mut hll[HDR_SIZE..], index, count))
}

/// PFDEBUG DECODE's text: `z:<len>`, `Z:<len>`, `v:<value>,<len>` separated by spaces.
pub(crate) fn decode(hll: &[u8]) -> String {
    let parts: Vec<String> = ops(hll)
        .map(|(_, op)| match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        })
        .collect();
    parts.join(" ")
}
