//! Redis intsets (`intset.c`): sorted integers of one width (16, 32 or 64 bits), the blob of
//! RDB_TYPE_SET_INTSET. A set Redis built by adding members keeps the widest width it ever
//! needed; one built here uses the narrowest that fits its current members.

use super::listpack::{read_u32, slice};
use super::Corrupt;

/// The blob of the intset holding `values` (sorted here).
pub(crate) fn encode(values: &[i64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let width: usize = if sorted.iter().all(|v| i16::try_from(*v).is_ok()) {
        2
    } else if sorted.iter().all(|v| i32::try_from(*v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// The members of an intset blob, ascending. Checks the width, the size and (as Redis's deep
/// check does) that members are strictly ascending; an empty intset is corrupt.
pub(crate) fn decode(blob: &[u8]) -> Result<Vec<i64>, Corrupt> {
    let width = read_u32(blob, 0)? as usize;
    let count = read_u32(blob, 4)? as usize;
    if !matches!(width, 2 | 4 | 8) || count == 0 {
        return Err(Corrupt("intset header"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err(Corrupt("intset size"));
    }
    let body = slice(blob, 8, count * width)?;
    let values: Vec<i64> = body
        .chunks_exact(width)
        .map(|c| match *c {
            [a, b] => i64::from(i16::from_le_bytes([a, b])),
            [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => 0,
        })
        .collect();
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Corrupt("intset order"));
    }
    Ok(values)
}
