//! Reading and normalising RESP replies, and splitting corpus lines: the wire side of the
//! differential test.

use anyhow::{bail, Context, Result};

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Norm {
    Exact,
    Sort,
    Pairs,
}

/// Splits a corpus line on spaces; `"..."` quotes (with `\xNN` hex escapes) allowed.
pub(crate) fn split(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut in_q = false;
    let mut started = false;
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_q {
            if c == b'"' {
                in_q = false;
            } else if c == b'\\' && b.get(i + 1) == Some(&b'x') {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("hex escape");
                cur.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            } else if c == b'\\' && b.get(i + 1) == Some(&b'r') {
                cur.push(b'\r');
                i += 1;
            } else if c == b'\\' && b.get(i + 1) == Some(&b'n') {
                cur.push(b'\n');
                i += 1;
            } else {
                cur.push(c);
            }
        } else if c == b'"' {
            in_q = true;
            started = true;
        } else if c == b' ' {
            if started {
                out.push(std::mem::take(&mut cur));
                started = false;
            }
        } else {
            cur.push(c);
            started = true;
        }
        i += 1;
    }
    if started {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// RESP replies.

/// The length of the first complete reply in `buf`, or `None` when more bytes are needed.
pub(crate) fn reply_len(buf: &[u8]) -> Result<Option<usize>> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let head = eol + 2;
    let body = std::str::from_utf8(&buf[1..eol]).context("reply header")?;
    let count = |body: &str| -> Result<i64> {
        body.parse()
            .with_context(|| format!("length in {:?}", escape(&buf[..head])))
    };
    match buf[0] {
        b'+' | b'-' | b':' | b'_' | b'#' | b',' | b'(' => Ok(Some(head)),
        b'$' | b'!' | b'=' => {
            let n = count(body)?;
            if n < 0 {
                return Ok(Some(head));
            }
            let end = head + n as usize + 2;
            Ok((buf.len() >= end).then_some(end))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = count(body)?;
            let items = if matches!(buf[0], b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut at = head;
            for _ in 0..items.max(0) {
                match reply_len(&buf[at..])? {
                    Some(len) => at += len,
                    None => return Ok(None),
                }
            }
            if buf[0] == b'|' {
                // An attribute precedes the reply it annotates.
                return Ok(reply_len(&buf[at..])?.map(|len| at + len));
            }
            Ok(Some(at))
        }
        other => bail!("not a RESP reply type {:?}: {}", other as char, escape(buf)),
    }
}

/// A reply with the elements of its aggregates sorted (`pairs`: the top level sorted by pairs).
pub(crate) fn normalise(reply: &[u8], norm: Norm) -> Vec<u8> {
    fn walk(reply: &[u8], norm: Norm, top: bool) -> Vec<u8> {
        let Ok(Some(len)) = reply_len(reply) else {
            return reply.to_vec();
        };
        let reply = &reply[..len];
        let tag = reply[0];
        if !matches!(tag, b'*' | b'~' | b'%') {
            return reply.to_vec();
        }
        let head = reply.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
        let mut items = Vec::new();
        let mut at = head;
        while at < reply.len() {
            let n = reply_len(&reply[at..])
                .ok()
                .flatten()
                .unwrap_or(reply.len() - at);
            items.push(&reply[at..at + n]);
            at += n;
        }
        let group = if tag == b'%' || (norm == Norm::Pairs && top) {
            2
        } else {
            1
        };
        let mut groups: Vec<Vec<u8>> = items
            .chunks(group)
            .map(|c| c.iter().flat_map(|i| walk(i, norm, false)).collect())
            .collect();
        if norm == Norm::Sort || top {
            groups.sort();
        }
        let mut out = reply[..head].to_vec();
        for g in groups {
            out.extend_from_slice(&g);
        }
        out
    }
    if norm == Norm::Exact {
        return reply.to_vec();
    }
    walk(reply, norm, true)
}

/// A reply as printable text, cut after 2000 bytes (the big-value cases).
pub(crate) fn escape(b: &[u8]) -> String {
    const MAX: usize = 2000;
    if b.len() > MAX {
        format!("{}… ({} bytes)", b[..MAX].escape_ascii(), b.len())
    } else {
        b.escape_ascii().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_reader_needs_whole_replies() -> Result<()> {
        let whole: &[u8] = b"*3\r\n$3\r\nabc\r\n%1\r\n+k\r\n,1.5\r\n~2\r\n:1\r\n_\r\n+next\r\n";
        let first = whole.len() - b"+next\r\n".len();
        assert_eq!(reply_len(whole)?, Some(first));
        for cut in 0..first {
            assert_eq!(reply_len(&whole[..cut])?, None, "cut at {cut}");
        }
        assert_eq!(reply_len(b"$-1\r\n")?, Some(5));
        assert_eq!(reply_len(b"*-1\r\n")?, Some(5));
        assert_eq!(reply_len(b"$4\r\na\r\nb\r\n")?, Some(10));
        assert!(reply_len(b"?x\r\n").is_err());
        Ok(())
    }

    #[test]
    fn normalising_sorts_only_what_redis_leaves_unordered() {
        let set = b"*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n";
        assert_eq!(
            normalise(set, Norm::Sort),
            b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(normalise(set, Norm::Exact), set);
        let pairs = b"*4\r\n$1\r\nk\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n";
        assert_eq!(
            normalise(pairs, Norm::Pairs),
            b"*4\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\nk\r\n$1\r\n1\r\n"
        );
        let map = b"%2\r\n$1\r\nk\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n";
        assert_eq!(
            normalise(map, Norm::Pairs),
            b"%2\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\nk\r\n$1\r\n1\r\n"
        );
        // A SCAN page: the cursor stays first only by sorting; both sides sort the same way.
        let scan = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n";
        assert_eq!(
            normalise(scan, Norm::Sort),
            b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
        );
    }
}
