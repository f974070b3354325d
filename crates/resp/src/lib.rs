//! The RESP wire layer: bytes from a client socket → command argv, and [`Reply`] → bytes,
//! byte-for-byte compatible with Redis 7.0 (checked against redis-server 7.0.15).
//!
//! Pure: no sockets, no tasks. The connection layer owns the socket and a query buffer
//! (`BytesMut`); this crate decides where requests start and end and how replies look.
//!
//! ```text
//! socket read ─► BytesMut ─► RequestParser::next ─► Vec<Bytes> (argv) ─► command layer
//!                                   │ Err(ProtocolError): write_reply, then close
//! socket write ◄─ BytesMut ◄─ encode(&Reply, Protocol) ◄─ Reply
//! ```
//!
//! Invariants:
//! - One [`RequestParser`] per connection, always given the same buffer; it consumes only
//!   complete requests from its front and keeps partial progress itself, so bytes of a large
//!   argument are looked at once.
//! - Requests are returned one at a time so the caller can execute each (and update
//!   [`ParserLimits::authenticated`] after AUTH) before the next one is parsed, like Redis.
//! - A [`ProtocolError`] is final for the connection: replies of earlier commands first, then the
//!   error line, then close. The parser never panics on any input.
//! - [`encode`] never emits a reply that breaks framing (CR/LF in status and error texts become
//!   spaces).
//!
//! [`Reply`]: meridian_types::Reply

mod double;
mod encode;
mod error;
mod inline;
mod limits;
mod parser;

pub use double::format_double;
pub use encode::{encode, encode_array_len, encode_bulk, encode_verbatim, Protocol};
pub use error::ProtocolError;
pub use inline::split_args;
pub use limits::{
    ParserLimits, DEFAULT_CLIENT_QUERY_BUFFER_LIMIT, DEFAULT_MAX_MULTIBULK_LEN,
    DEFAULT_PROTO_MAX_BULK_LEN, PROTO_INLINE_MAX_SIZE, PROTO_MBULK_BIG_ARG,
    UNAUTHENTICATED_MAX_BULK_LEN, UNAUTHENTICATED_MAX_MULTIBULK_LEN,
};
pub use parser::RequestParser;
