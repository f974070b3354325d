//! [`RequestParser`]: query buffer → one command's argv at a time.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::inline::split_args;
use crate::limits::{
    ParserLimits, PROTO_MBULK_BIG_ARG, UNAUTHENTICATED_MAX_BULK_LEN,
    UNAUTHENTICATED_MAX_MULTIBULK_LEN,
};

#[cfg(test)]
mod tests;

/// Incremental RESP request parser for one connection (Redis's `processInputBuffer`).
///
/// The caller owns the query buffer: it appends bytes read from the socket and hands the same
/// buffer to [`RequestParser::next`], which consumes complete requests from its front. A
/// multibulk request that is only partly received keeps its progress in the parser (arguments
/// already split off, the length of the bulk being awaited), so a large argument is never
/// re-scanned while it arrives. Do not remove bytes from the buffer behind the parser's back.
#[derive(Debug, Default)]
pub struct RequestParser {
    limits: ParserLimits,
    state: State,
    /// Offset up to which the current header/inline line was searched without finding its end.
    scan_from: usize,
    /// Raw bytes of the in-progress multibulk consumed from the buffer that Redis would still
    /// hold in its query buffer (headers and arguments shorter than `PROTO_MBULK_BIG_ARG`).
    pending_bytes: usize,
    /// Set after a protocol error: the connection must close, nothing more is parsed.
    failed: Option<ProtocolError>,
}

#[derive(Debug, Default)]
enum State {
    /// Between requests.
    #[default]
    Idle,
    /// Inside `*n`: `remaining` arguments still to read, `bulk_len` known once `$len` is read.
    Multibulk {
        remaining: usize,
        args: Vec<Bytes>,
        bulk_len: Option<usize>,
    },
}

/// Where a header/inline line ends, from Redis's `strchr` (which also stops at a NUL byte).
enum Line {
    /// The terminator was found at this index.
    At(usize),
    /// Not found yet (or hidden behind a NUL, which Redis can never get past).
    Missing,
}

impl RequestParser {
    pub fn new(limits: ParserLimits) -> Self {
        RequestParser {
            limits,
            ..RequestParser::default()
        }
    }

    pub fn limits(&self) -> &ParserLimits {
        &self.limits
    }

    /// Limits apply from the next header parsed; e.g. set `authenticated = true` right after a
    /// successful AUTH/HELLO AUTH, before asking for the next command (Redis checks per request).
    pub fn limits_mut(&mut self) -> &mut ParserLimits {
        &mut self.limits
    }

    /// Returns the next complete command's argv, consuming its bytes from `buf`.
    ///
    /// `Ok(None)` means more bytes are needed. Requests that carry no command — an empty or
    /// blank inline line, `*0`, `*-1` (any `*n` with `n <= 0`) — are skipped silently as Redis
    /// does. On `Err` the connection must write [`ProtocolError::write_reply`] and close; every
    /// later call returns the same error.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.parse(buf);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// Bytes that count against `client-query-buffer-limit` (Redis default 1 GiB): the
    /// unconsumed `buf` plus the raw bytes of a half-received command already taken from it,
    /// except arguments of 32 KiB or more, which Redis moves out of its query buffer too.
    ///
    /// The connection checks `parser.buffered_len(&buf) > limit` after every socket read, before
    /// parsing; when it trips, Redis logs a warning and closes the connection without writing
    /// any error (replies already queued for earlier commands may or may not reach the client).
    pub fn buffered_len(&self, buf: &BytesMut) -> usize {
        buf.len().saturating_add(self.pending_bytes)
    }

    /// How many more bytes the bulk argument being received needs (payload plus `\r\n`), so
    /// the connection can reserve them once instead of growing the buffer read by read.
    pub fn bytes_wanted(&self, buf: &BytesMut) -> Option<usize> {
        match self.state {
            State::Multibulk {
                bulk_len: Some(len),
                ..
            } => Some(len.saturating_add(2).saturating_sub(buf.len())),
            _ => None,
        }
    }

    /// True when part of a command has been received but not all of it.
    pub fn in_progress(&self) -> bool {
        matches!(self.state, State::Multibulk { .. })
    }

    fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            let state = std::mem::take(&mut self.state);
            let outcome = match state {
                State::Idle if buf.is_empty() => return Ok(None),
                State::Idle if buf[0] == b'*' => self.multibulk_header(buf)?,
                State::Idle => self.inline(buf)?,
                State::Multibulk {
                    remaining,
                    args,
                    bulk_len,
                } => self.multibulk_args(buf, remaining, args, bulk_len)?,
            };
            match outcome {
                Step::Command(argv) => return Ok(Some(argv)),
                Step::Skipped => continue,
                Step::NeedMore => return Ok(None),
            }
        }
    }

    /// Finds `target` in `buf` like `strchr`: a NUL byte ends the search unsuccessfully.
    fn find_line(&mut self, buf: &BytesMut, target: u8) -> Line {
        let start = self.scan_from.min(buf.len());
        match buf[start..].iter().position(|&b| b == target || b == 0) {
            Some(i) if buf[start + i] == target => Line::At(start + i),
            Some(i) => {
                self.scan_from = start + i;
                Line::Missing
            }
            None => {
                self.scan_from = buf.len();
                Line::Missing
            }
        }
    }

    fn consume(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.scan_from = 0;
    }

    /// Redis's `processInlineBuffer`.
    fn inline(&mut self, buf: &mut BytesMut) -> Result<Step, ProtocolError> {
        let Line::At(newline) = self.find_line(buf, b'\n') else {
            if buf.len() > self.limits.max_inline_len {
                return Err(ProtocolError::TooBigInline);
            }
            return Ok(Step::NeedMore);
        };
        let end = if newline > 0 && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let args = split_args(&buf[..end]).ok_or(ProtocolError::UnbalancedQuotes)?;
        self.consume(buf, newline + 1);
        Ok(if args.is_empty() {
            Step::Skipped
        } else {
            Step::Command(args)
        })
    }

    /// Finds the `\r` ending a `*`/`$` header. Like Redis it only requires one more byte after
    /// the `\r` and skips it without checking that it is `\n`.
    fn header_line(
        &mut self,
        buf: &BytesMut,
        too_big: ProtocolError,
    ) -> Result<Option<usize>, ProtocolError> {
        match self.find_line(buf, b'\r') {
            Line::At(cr) if cr + 1 < buf.len() => Ok(Some(cr)),
            Line::At(cr) => {
                self.scan_from = cr;
                Ok(None)
            }
            Line::Missing if buf.len() > self.limits.max_inline_len => Err(too_big),
            Line::Missing => Ok(None),
        }
    }

    fn multibulk_header(&mut self, buf: &mut BytesMut) -> Result<Step, ProtocolError> {
        let Some(cr) = self.header_line(buf, ProtocolError::TooBigMbulkCount)? else {
            return Ok(Step::NeedMore);
        };
        let count = match string_to_i64(&buf[1..cr]) {
            Some(n) if n <= 0 || (n as u64) <= self.limits.max_multibulk_len => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if count > UNAUTHENTICATED_MAX_MULTIBULK_LEN && !self.limits.authenticated {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        self.consume(buf, cr + 2);
        if count <= 0 {
            return Ok(Step::Skipped);
        }
        let remaining =
            usize::try_from(count).map_err(|_| ProtocolError::InvalidMultibulkLength)?;
        self.pending_bytes = cr + 2;
        // Like Redis, never trust the count for the allocation.
        let args = Vec::with_capacity(remaining.min(1024));
        self.multibulk_args(buf, remaining, args, None)
    }

    /// Redis's `processMultibulkBuffer` after the count: reads `$len` headers and payloads.
    fn multibulk_args(
        &mut self,
        buf: &mut BytesMut,
        mut remaining: usize,
        mut args: Vec<Bytes>,
        mut bulk_len: Option<usize>,
    ) -> Result<Step, ProtocolError> {
        while remaining > 0 {
            let len = match bulk_len {
                Some(len) => len,
                None => match self.bulk_header(buf)? {
                    Some(len) => len,
                    None => break,
                },
            };
            bulk_len = Some(len);
            // The payload is followed by two bytes Redis skips without looking at them.
            if buf.len() < len.saturating_add(2) {
                break;
            }
            let arg = buf.split_to(len).freeze();
            self.consume(buf, 2);
            if len < PROTO_MBULK_BIG_ARG {
                self.pending_bytes += len + 2;
            }
            args.push(arg);
            bulk_len = None;
            remaining -= 1;
        }
        if remaining == 0 {
            self.pending_bytes = 0;
            return Ok(Step::Command(args));
        }
        self.state = State::Multibulk {
            remaining,
            args,
            bulk_len,
        };
        Ok(Step::NeedMore)
    }

    fn bulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = self.header_line(buf, ProtocolError::TooBigBulkCount)? else {
            return Ok(None);
        };
        if buf[0] != b'$' {
            let shown = if matches!(buf[0], b'\r' | b'\n') {
                b' '
            } else {
                buf[0]
            };
            return Err(ProtocolError::ExpectedDollar(shown));
        }
        let len = match string_to_i64(&buf[1..cr]) {
            Some(n) if n >= 0 && (n as u64) <= self.limits.proto_max_bulk_len => n,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        if len > UNAUTHENTICATED_MAX_BULK_LEN && !self.limits.authenticated {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
        self.consume(buf, cr + 2);
        self.pending_bytes += cr + 2;
        if len >= PROTO_MBULK_BIG_ARG {
            // Redis trims its query buffer to start at a big argument.
            self.pending_bytes = 0;
        }
        Ok(Some(len))
    }
}

enum Step {
    Command(Vec<Bytes>),
    Skipped,
    NeedMore,
}

/// Redis's `string2ll`: strict decimal, no sign `+`, no leading zeros, no `-0`, fits in i64,
/// at most 20 characters.
pub(crate) fn string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}
