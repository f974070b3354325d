use bytes::{BufMut, BytesMut};
use meridian_types::Reply;

/// A request that Redis 7.0 rejects at the protocol level.
///
/// Every variant is fatal for the connection: Redis writes the error line (after the replies
/// of any commands that preceded it in the buffer), discards the rest of the query buffer and
/// closes the socket once the error is flushed (`CLIENT_CLOSE_AFTER_REPLY`). The parser is not
/// usable afterwards. The `Display` text is the reply text without the leading `-`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// `*<n>` where `n` is not a strict integer or exceeds the multibulk limit.
    #[error("ERR Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// `$<n>` where `n` is not a strict integer, is negative or exceeds `proto_max_bulk_len`.
    #[error("ERR Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A bulk header inside a multibulk does not start with `$`. The byte is stored as Redis
    /// prints it (`\r` and `\n` already turned into spaces).
    #[error("ERR Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    /// An inline request with an unterminated quote, or a closing quote not followed by space.
    #[error("ERR Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// No `\r` within the inline limit while reading `*<n>`.
    #[error("ERR Protocol error: too big mbulk count string")]
    TooBigMbulkCount,
    /// No `\r` within the inline limit while reading `$<n>`.
    #[error("ERR Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// No `\n` within the inline limit while reading an inline request.
    #[error("ERR Protocol error: too big inline request")]
    TooBigInline,
    /// More than 10 arguments before AUTH on a password-protected server.
    #[error("ERR Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// An argument longer than 16384 bytes before AUTH on a password-protected server.
    #[error("ERR Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// Always true: Redis closes the connection after writing any protocol error.
    pub fn closes_connection(&self) -> bool {
        true
    }

    /// Appends the exact error line Redis writes (`-ERR Protocol error: …\r\n`).
    ///
    /// Prefer this over `Reply::Error(err.to_string())`: for [`ProtocolError::ExpectedDollar`]
    /// Redis writes the offending byte raw, which a `String` cannot hold when it is not ASCII.
    pub fn write_reply(&self, out: &mut BytesMut) {
        out.put_u8(b'-');
        match self {
            ProtocolError::ExpectedDollar(byte) => {
                out.put_slice(b"ERR Protocol error: expected '$', got '");
                out.put_u8(*byte);
                out.put_slice(b"'");
            }
            other => out.put_slice(other.to_string().as_bytes()),
        }
        out.put_slice(b"\r\n");
    }

    /// The error as a [`Reply`]; exact for every variant except a non-ASCII
    /// [`ProtocolError::ExpectedDollar`] byte (see [`ProtocolError::write_reply`]).
    pub fn to_reply(&self) -> Reply {
        Reply::Error(self.to_string())
    }
}
