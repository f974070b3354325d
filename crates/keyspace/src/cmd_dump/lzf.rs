//! LZF as Redis 7.0 ships it (`lzf_c.c`, `lzf_d.c`, built with HLOG 16 and VERY_FAST): the
//! compressor is a faithful port so that DUMP payloads match redis-server byte for byte; the
//! decompressor checks every offset and length, so a corrupt payload is an error, not a panic.
//!
//! Redis leaves the compressor's hash table uninitialised; on a fresh stack (what a new
//! process sees) that is all zeros, which is what this port starts from. The table (512 KB)
//! is kept per thread and emptied in O(1) by a generation number, since DUMP compresses every
//! string over 20 bytes separately.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn frst(p: &[u8], i: usize) -> u32 {
    (u32::from(p[i]) << 8) | u32::from(p[i + 1])
}

fn next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | u32::from(p[i + 2])
}

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// The compressor's hash table: a slot holds a position plus one (0 is the C code's NULL)
/// and counts only if stamped with the current generation.
struct HashTable {
    slots: Vec<(u32, u32)>,
    generation: u32,
}

impl HashTable {
    fn new() -> HashTable {
        HashTable {
            slots: vec![(0, 0); HSIZE],
            generation: 0,
        }
    }

    /// Empties the table.
    fn reset(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.fill((0, 0));
            self.generation = 1;
        }
    }

    fn get(&self, slot: usize) -> usize {
        match self.slots[slot] {
            (g, pos) if g == self.generation => pos as usize,
            _ => 0,
        }
    }

    fn set(&mut self, slot: usize, pos_plus_one: usize) {
        self.slots[slot] = (self.generation, pos_plus_one as u32);
    }
}

thread_local! {
    static TABLE: RefCell<HashTable> = RefCell::new(HashTable::new());
}

/// `lzf_compress(input, len, out, out_len)`: the compressed bytes, or `None` when they would
/// not fit in `out_len` bytes (Redis then stores the string as it is).
pub(crate) fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // Redis never compresses strings this short (it needs more than 20 bytes); positions are
    // kept in 32 bits, far above the largest string (512 MB).
    if input.len() < 3 || out_len == 0 || u32::try_from(input.len()).is_err() {
        return None;
    }
    TABLE.with(|t| match t.try_borrow_mut() {
        Ok(mut table) => {
            table.reset();
            compress_with(&mut table, input, out_len)
        }
        Err(_) => compress_with(&mut HashTable::new(), input, out_len),
    })
}

fn compress_with(htab: &mut HashTable, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    let mut out = Output::new(out_len);
    let mut ip = 0usize;
    let mut hval = frst(input, ip);
    while ip < in_len - 2 {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let r = htab.get(slot);
        htab.set(slot, ip + 1);
        // `r` is the earlier position with the same hash, plus one (0: none).
        let found = r > 1 && {
            let rf = r - 1;
            ip - rf - 1 < MAX_OFF
                && input[rf + 2] == input[ip + 2]
                && input[rf] == input[ip]
                && input[rf + 1] == input[ip + 1]
        };
        if !found {
            if !out.literal_fits() {
                return None;
            }
            out.literal(input[ip]);
            ip += 1;
            continue;
        }
        let rf = r - 1;
        let maxlen = (in_len - ip - 2).min(MAX_REF);
        if !out.reference_fits() {
            return None;
        }
        out.end_literal_run();
        let len = match_len(input, rf, ip, 2, maxlen) - 2;
        out.back_reference(ip - rf - 1, len);
        ip += len + 2;
        if ip >= in_len - 2 {
            break;
        }
        hval = hash_match_end(htab, input, ip);
    }
    if out.op + 3 > out_len {
        return None;
    }
    for &b in &input[ip..] {
        out.literal(b);
    }
    Some(out.finish())
}

/// After a back reference ending before `ip`, hashes the two positions before `ip`, as
/// `lzf_compress` does (VERY_FAST); answers the hash the main loop carries on from.
fn hash_match_end(htab: &mut HashTable, input: &[u8], ip: usize) -> u32 {
    let mut hval = frst(input, ip - 2);
    for at in [ip - 2, ip - 1] {
        hval = next(hval, input, at);
        htab.set(idx(hval), at + 1);
    }
    hval
}

/// The compressed bytes as `lzf_compress` writes them: `op` is the next byte to write and `lit`
/// the length of the literal run under way, whose header byte sits just before it.
struct Output {
    buf: Vec<u8>,
    /// The `out_len` the result must fit in (`buf` has one spare byte, as Redis allocates).
    limit: usize,
    op: usize,
    lit: usize,
}

impl Output {
    fn new(limit: usize) -> Output {
        Output {
            buf: vec![0u8; limit + 1],
            limit,
            op: 1,
            lit: 0,
        }
    }

    /// Room for one more literal byte.
    fn literal_fits(&self) -> bool {
        self.op < self.limit
    }

    /// Room for a back reference (at most 3 bytes) and the next run's header.
    fn reference_fits(&self) -> bool {
        self.op + 3 + 1 < self.limit || self.op - usize::from(self.lit == 0) + 3 + 1 < self.limit
    }

    /// Copies one literal byte; a run of `MAX_LIT` bytes gets its header and a new run starts.
    fn literal(&mut self, b: u8) {
        self.lit += 1;
        self.buf[self.op] = b;
        self.op += 1;
        if self.lit == MAX_LIT {
            self.buf[self.op - self.lit - 1] = (self.lit - 1) as u8;
            self.lit = 0;
            self.op += 1;
        }
    }

    /// Writes the header of the literal run under way, or takes its slot back when it is empty.
    fn end_literal_run(&mut self) {
        self.buf[self.op - self.lit - 1] = (self.lit as u8).wrapping_sub(1);
        self.op -= usize::from(self.lit == 0);
    }

    /// A back reference to `off + 1` bytes back, `len + 2` bytes long; the byte after it is the
    /// next literal run's header.
    fn back_reference(&mut self, off: usize, len: usize) {
        if len < 7 {
            self.buf[self.op] = ((off >> 8) + (len << 5)) as u8;
            self.op += 1;
        } else {
            self.buf[self.op] = ((off >> 8) + (7 << 5)) as u8;
            self.buf[self.op + 1] = (len - 7) as u8;
            self.op += 2;
        }
        self.buf[self.op] = off as u8;
        self.op += 2;
        self.lit = 0;
    }

    fn finish(mut self) -> Vec<u8> {
        self.end_literal_run();
        self.buf.truncate(self.op);
        self.buf
    }
}

/// The match length loop of `lzf_compress`, unrolled part included (it decides where the
/// comparison stops, so it shapes the output).
fn match_len(input: &[u8], rf: usize, ip: usize, mut len: usize, maxlen: usize) -> usize {
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if input[rf + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && input[rf + len] == input[ip + len]) {
            return len;
        }
    }
}

/// `lzf_decompress`: exactly `out_len` bytes, or `None` if the input is corrupt or expands to
/// another length.
pub(crate) fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    // A back reference of 3 input bytes yields at most 264 output bytes: a longer claimed
    // length is corrupt, and refusing it early keeps a hostile payload from allocating.
    if out_len > input.len().saturating_mul(MAX_REF / 3 + 1) {
        return None;
    }
    let mut out = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = input.get(ip..ip + ctrl + 1)?;
            if out.len() + run.len() > out_len {
                return None;
            }
            out.extend_from_slice(run);
            ip += ctrl + 1;
            continue;
        }
        let mut len = ctrl >> 5;
        let mut back = (ctrl & 0x1f) << 8;
        if len == 7 {
            len += usize::from(*input.get(ip)?);
            ip += 1;
        }
        back += usize::from(*input.get(ip)?);
        ip += 1;
        let start = out.len().checked_sub(back + 1)?;
        if out.len() + len + 2 > out_len {
            return None;
        }
        // Byte by byte: the reference may overlap what it produces.
        for i in 0..len + 2 {
            let b = out[start + i];
            out.push(b);
        }
    }
    (out.len() == out_len).then_some(out)
}
