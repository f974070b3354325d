//! One record of a log segment: `len u32 ‖ crc u32 ‖ kind u8 ‖ index u64 ‖ payload`, integers
//! little-endian, `len` the payload's length and `crc` the CRC-32 of everything after it (kind,
//! index and payload), so a torn or damaged record is always detected.

/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 17;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A Raft entry (bincode of openraft's `Entry`) at `index`.
    Entry,
    /// The committed log id (bincode), a hint saved between appends; `index` is unused.
    Committed,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Entry => 1,
            Kind::Committed => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::Entry),
            2 => Some(Kind::Committed),
            _ => None,
        }
    }
}

/// Appends one record to `buf`, the payload written by `payload`.
pub(crate) fn push<E>(
    buf: &mut Vec<u8>,
    kind: Kind,
    index: u64,
    payload: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = buf.len();
    buf.extend_from_slice(&[0; 8]);
    buf.push(kind.byte());
    buf.extend_from_slice(&index.to_le_bytes());
    if let Err(e) = payload(buf) {
        buf.truncate(start);
        return Err(e);
    }
    let len = (buf.len() - start - HEADER_LEN) as u32;
    let crc = crc32fast::hash(&buf[start + 8..]);
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A record read back from the front of a byte slice.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    Record {
        kind: Kind,
        index: u64,
        payload: &'a [u8],
        /// Header plus payload: where the next record starts.
        len: usize,
    },
    /// The slice ends inside the record (a write cut short, or the end of the data).
    Incomplete,
    /// The record is there but wrong: checksum or kind.
    Damaged(&'static str),
}

/// Reads the record at the front of `buf`.
pub(crate) fn parse(buf: &[u8]) -> Parsed<'_> {
    if buf.len() < HEADER_LEN {
        return Parsed::Incomplete;
    }
    let word = |at: usize| u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    let payload_len = word(0) as usize;
    let Some(total) = HEADER_LEN.checked_add(payload_len) else {
        return Parsed::Incomplete;
    };
    if buf.len() < total {
        return Parsed::Incomplete;
    }
    if crc32fast::hash(&buf[8..total]) != word(4) {
        return Parsed::Damaged("checksum mismatch");
    }
    let Some(kind) = Kind::from_byte(buf[8]) else {
        return Parsed::Damaged("unknown record kind");
    };
    let mut index = [0u8; 8];
    index.copy_from_slice(&buf[9..HEADER_LEN]);
    Parsed::Record {
        kind,
        index: u64::from_le_bytes(index),
        payload: &buf[HEADER_LEN..total],
        len: total,
    }
}

/// The records of `buf` from its start, each with its offset; the walk ends after the first
/// item that is not a whole, sound record.
pub(crate) fn walk(buf: &[u8]) -> impl Iterator<Item = (usize, Parsed<'_>)> {
    let mut at = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done || at >= buf.len() {
            return None;
        }
        let here = at;
        let parsed = parse(&buf[at..]);
        match &parsed {
            Parsed::Record { len, .. } => at += len,
            _ => done = true,
        }
        Some((here, parsed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: Kind, index: u64, payload: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        push::<()>(&mut buf, kind, index, |b| {
            b.extend_from_slice(payload);
            Ok(())
        })
        .expect("push");
        buf
    }

    #[test]
    fn records_round_trip_and_every_cut_or_flip_is_detected() {
        let mut buf = record(Kind::Entry, 7, b"hello");
        buf.extend(record(Kind::Committed, 0, b""));
        let Parsed::Record {
            kind,
            index,
            payload,
            len,
        } = parse(&buf)
        else {
            panic!("first record");
        };
        assert_eq!(
            (kind, index, payload, len),
            (Kind::Entry, 7, &b"hello"[..], 22)
        );
        assert!(matches!(
            parse(&buf[len..]),
            Parsed::Record {
                kind: Kind::Committed,
                payload: b"",
                ..
            }
        ));
        // phase: every prefix of a record is incomplete, never a record
        let one = record(Kind::Entry, 1, b"abc");
        for cut in 0..one.len() {
            assert_eq!(parse(&one[..cut]), Parsed::Incomplete, "cut at {cut}");
        }
        // phase: any flipped byte after the length is damage
        for at in 4..one.len() {
            let mut bad = one.clone();
            bad[at] ^= 0x40;
            assert!(matches!(parse(&bad), Parsed::Damaged(_)), "flip at {at}");
        }
        // phase: a failed payload writer leaves the buffer as it was
        let mut keep = b"x".to_vec();
        assert!(push(&mut keep, Kind::Entry, 1, |b| {
            b.push(1);
            Err(())
        })
        .is_err());
        assert_eq!(keep, b"x");
    }
}
