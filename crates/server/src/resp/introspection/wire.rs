//! Reading what is already on the connection's buffers, for the command statistics: the
//! errors in replies encoded into the output buffer (one request's reply, a flushed batch's
//! replies, EXEC's array), and the name of the next request waiting complete in the input
//! buffer. Both are RESP as Meridian writes it and Redis clients send it; anything else
//! reads as "not known" (None), never as a panic.

/// Where the line that starts at `pos` ends: (its text, the position after its `\r\n`).
fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let cr = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..cr], pos + cr + 2))
}

/// A header's number (`*3`, `$-1`, …) without its type byte.
fn number(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The end of the value encoded at `pos` (RESP2 or RESP3), None if it is cut or malformed.
pub(super) fn value_end(buf: &[u8], pos: usize) -> Option<usize> {
    let kind = *buf.get(pos)?;
    let (text, next) = line(buf, pos + 1)?;
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(next),
        b'$' | b'!' | b'=' => match usize::try_from(number(text)?) {
            // `$-1`: the RESP2 null.
            Err(_) => Some(next),
            Ok(len) => {
                let end = next.checked_add(len)?.checked_add(2)?;
                (end <= buf.len()).then_some(end)
            }
        },
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = usize::try_from(number(text)?).unwrap_or(0);
            let count = if matches!(kind, b'%' | b'|') {
                count.checked_mul(2)?
            } else {
                count
            };
            let mut at = next;
            for _ in 0..count {
                at = value_end(buf, at)?;
            }
            // An attribute map precedes the value it describes.
            if kind == b'|' {
                return value_end(buf, at);
            }
            Some(at)
        }
        _ => None,
    }
}

/// The text of the error encoded at `pos` (`-text` or RESP3's `!len` blob), None for
/// anything else.
pub(super) fn error_at(buf: &[u8], pos: usize) -> Option<&[u8]> {
    match buf.get(pos)? {
        b'-' => line(buf, pos + 1).map(|(text, _)| text),
        b'!' => {
            let (text, next) = line(buf, pos + 1)?;
            let len = usize::try_from(number(text)?).ok()?;
            buf.get(next..next.checked_add(len)?)
        }
        _ => None,
    }
}

/// The errors of `count` values encoded one after the other from the start of `buf` (a
/// flushed batch's replies); fewer when the bytes run out or do not parse.
pub(super) fn errors_in_sequence(buf: &[u8], count: usize) -> Vec<Option<&[u8]>> {
    let mut out = Vec::with_capacity(count);
    let mut at = 0;
    while out.len() < count {
        let Some(end) = value_end(buf, at) else { break };
        out.push(error_at(buf, at));
        at = end;
    }
    out
}

/// The errors of the elements of the array encoded at the start of `buf` (EXEC's reply);
/// None when it is not an array (an error or a null: the transaction did not run).
pub(super) fn array_errors(buf: &[u8]) -> Option<Vec<Option<&[u8]>>> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let (text, next) = line(buf, 1)?;
    let count = usize::try_from(number(text)?).ok()?;
    let elements = buf.get(next..)?;
    let errors = errors_in_sequence(elements, count);
    (errors.len() == count).then_some(errors)
}

/// The command name of the request at the start of `buf` when all of it has arrived;
/// requests the parser skips without a command (`*0`, `*-1`, blank inline lines) are skipped
/// here too. None when it is incomplete or malformed.
pub(super) fn next_request_name(buf: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    loop {
        let rest = buf.get(pos..).filter(|r| !r.is_empty())?;
        if rest[0] != b'*' {
            let newline = rest.iter().position(|&b| b == b'\n')?;
            let mut words = rest[..newline]
                .split(|b| b.is_ascii_whitespace())
                .filter(|w| !w.is_empty());
            match words.next() {
                Some(word) => return Some(word),
                None => {
                    pos += newline + 1;
                    continue;
                }
            }
        }
        let (text, mut at) = line(buf, pos + 1)?;
        let Ok(count) = usize::try_from(number(text)?) else {
            pos = at;
            continue;
        };
        if count == 0 {
            pos = at;
            continue;
        }
        let mut name = None;
        for _ in 0..count {
            if buf.get(at) != Some(&b'$') {
                return None;
            }
            let (text, start) = line(buf, at + 1)?;
            let end = start.checked_add(usize::try_from(number(text)?).ok()?)?;
            if buf.get(end..end.checked_add(2)?)? != b"\r\n" {
                return None;
            }
            name.get_or_insert(&buf[start..end]);
            at = end + 2;
        }
        return name;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_skipped_whole_in_both_protocols() {
        let buf = b"*2\r\n$3\r\nfoo\r\n:1\r\n%1\r\n+a\r\n*-1\r\n|1\r\n+k\r\n+v\r\n$-1\r\n_\r\n";
        let first = value_end(buf, 0).unwrap();
        assert_eq!(&buf[first..first + 2], b"%1");
        let second = value_end(buf, first).unwrap();
        // The attribute and the value it describes are one.
        let third = value_end(buf, second).unwrap();
        assert_eq!(&buf[third..], b"_\r\n");
        assert_eq!(value_end(buf, third), Some(buf.len()));
        // Cut short: not known.
        assert_eq!(value_end(b"$10\r\nabc", 0), None);
        assert_eq!(value_end(b"*2\r\n:1\r\n", 0), None);
    }

    #[test]
    fn errors_are_found_in_batches_and_exec_arrays() {
        let batch = b"+OK\r\n-WRONGTYPE Operation\r\n$1\r\nx\r\n!9\r\nERR boom!\r\n";
        let errors = errors_in_sequence(batch, 4);
        assert_eq!(
            errors,
            vec![
                None,
                Some(&b"WRONGTYPE Operation"[..]),
                None,
                Some(b"ERR boom!")
            ]
        );
        let exec = b"*3\r\n+OK\r\n*1\r\n-ERR inner\r\n-ERR AUTH failed\r\n";
        assert_eq!(
            array_errors(exec),
            Some(vec![None, None, Some(&b"ERR AUTH failed"[..])])
        );
        assert_eq!(array_errors(b"-EXECABORT Transaction\r\n"), None);
        assert_eq!(array_errors(b"*-1\r\n"), None);
    }

    #[test]
    fn the_next_request_is_named_only_once_complete() {
        assert_eq!(next_request_name(b""), None);
        assert_eq!(
            next_request_name(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
            Some(&b"GET"[..])
        );
        assert_eq!(next_request_name(b"*2\r\n$3\r\nGET\r\n$1\r\n"), None);
        assert_eq!(next_request_name(b"*2\r\n$3\r\nGET\r\n$5\r\nab"), None);
        assert_eq!(
            next_request_name(b"*0\r\n\r\n*1\r\n$4\r\nPING\r\n"),
            Some(&b"PING"[..])
        );
        assert_eq!(next_request_name(b"  \r\nset a b\r\n"), Some(&b"set"[..]));
        assert_eq!(next_request_name(b"set a b"), None);
        assert_eq!(next_request_name(b"*1\r\n:5\r\n"), None);
    }
}
