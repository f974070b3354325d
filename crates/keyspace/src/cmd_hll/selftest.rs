//! PFSELFTEST (`pfselftestCommand`): checks the 6-bit register access, then adds ten million
//! distinct elements to a dense and a sparse HLL side by side, checking at each power of ten
//! that the sparse one is still sparse while small, that both estimate the same, and that the
//! error stays within six standard errors. Random values come from the command's seed.

use bytes::Bytes;
use meridian_types::Reply;
use rand::Rng;

use super::repr::{self, DENSE_SIZE, HDR_SIZE, REGISTERS};
use super::sparse::SPARSE_MAX_BYTES;
use crate::command::CommandResult;
use crate::ctx::ReadCtx;
use crate::errors::selftest_failed;

const REGISTER_CYCLES: usize = 1000;
const ELEMENTS: u64 = 10_000_000;

pub(super) fn pfselftest(ctx: &ReadCtx<'_>, _argv: &[Bytes]) -> CommandResult {
    let mut rng = ctx.rng();
    let result = registers_roundtrip(&mut *rng, REGISTER_CYCLES).and_then(|()| {
        let seed: u64 = rng.random();
        approximation(seed, ELEMENTS)
    });
    result.map_err(|what| selftest_failed(&what))?;
    Ok(Reply::ok())
}

/// Test 1: every register keeps the value set, and setting one leaves its neighbours alone.
pub(super) fn registers_roundtrip(rng: &mut impl Rng, cycles: usize) -> Result<(), String> {
    let mut regs = vec![0u8; DENSE_SIZE - HDR_SIZE];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = (rng.random::<u32>() & 63) as u8;
            repr::dense_put(&mut regs, i, *e);
        }
        for (i, e) in expected.iter().enumerate() {
            let got = repr::dense_get(&regs, i);
            if got != *e {
                return Err(format!("Register {i} should be {e} but is {got}"));
            }
        }
    }
    Ok(())
}

/// Test 2: dense and sparse HLLs fed the same `elements` agree and estimate well.
pub(super) fn approximation(seed: u64, elements: u64) -> Result<(), String> {
    // A dense value with a zeroed header (encoding 0 = dense), as Redis's bare register array.
    let mut dense = vec![0u8; DENSE_SIZE];
    let mut hll = repr::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        let (index, count) = repr::pattern(&ele);
        repr::dense_raise(&mut dense[HDR_SIZE..], index, count);
        // A value built here is never corrupt.
        let _ = repr::raise(&mut hll, index, count);
        if j != checkpoint {
            continue;
        }
        if j < (SPARSE_MAX_BYTES / 2) as u64 && repr::is_dense(&hll) {
            return Err("sparse encoding not used".into());
        }
        let estimate = repr::count(&dense).unwrap_or_default();
        if repr::count(&hll).ok() != Some(estimate) {
            return Err("dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(estimate);
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!("Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}
