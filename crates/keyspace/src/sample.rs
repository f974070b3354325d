//! Random sampling shared by HRANDFIELD, SRANDMEMBER and SPOP: the count argument and the
//! index pickers.

use bytes::Bytes;
use meridian_types::Reply;
use rand::Rng;

use crate::args::int_arg;
use crate::errors::{err, OUT_OF_RANGE, RAND_COUNT_RANGE};

/// Largest reply a negative (repeating) random count may ask for. Redis has no bound and would
/// try to build the reply until memory runs out; we refuse instead of aborting the node.
pub(crate) const MAX_RANDOM_REPEATS: u64 = 1 << 24;

/// Parses the count of HRANDFIELD/SRANDMEMBER: `(how many, distinct?)`. A negative count asks
/// for that many picks with repeats.
pub(crate) fn parse_rand_count(b: &Bytes) -> Result<(u64, bool), Reply> {
    let n = int_arg(b)?;
    if n == i64::MIN {
        return Err(err(RAND_COUNT_RANGE));
    }
    Ok((n.unsigned_abs(), n >= 0))
}

/// One random index into a collection of `len` elements (0 when it is empty, which the caller
/// then finds nothing at).
pub(crate) fn random_index<R: Rng + ?Sized>(rng: &mut R, len: usize) -> usize {
    rng.random_range(0..len.max(1))
}

/// Random indices into a collection of `len` elements: `count` distinct ones (all of them, in
/// order, when `count >= len`), or `count` picks with repeats.
pub(crate) fn random_indices<R: Rng + ?Sized>(
    rng: &mut R,
    len: usize,
    count: u64,
    distinct: bool,
) -> Result<Vec<usize>, Reply> {
    if len == 0 || count == 0 {
        return Ok(Vec::new());
    }
    if !distinct {
        if count > MAX_RANDOM_REPEATS {
            return Err(err(OUT_OF_RANGE));
        }
        return Ok((0..count).map(|_| rng.random_range(0..len)).collect());
    }
    match usize::try_from(count) {
        Ok(c) if c < len => Ok(rand::seq::index::sample(rng, len, c).into_vec()),
        _ => Ok((0..len).collect()),
    }
}
