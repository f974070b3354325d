/// Redis `PROTO_INLINE_MAX_SIZE`: the longest inline request or `*`/`$` header line.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis `proto-max-bulk-len` default (512 MiB).
pub const DEFAULT_PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;
/// Redis 7.0 accepts any multibulk count up to `INT_MAX` (measured against 7.0.15: `*1048577`
/// is accepted; older Redis capped it at 1024*1024).
pub const DEFAULT_MAX_MULTIBULK_LEN: u64 = i32::MAX as u64;
/// Before AUTH (when a password is required) Redis 7.0 rejects `*n` with `n` above this.
pub const UNAUTHENTICATED_MAX_MULTIBULK_LEN: i64 = 10;
/// Before AUTH (when a password is required) Redis 7.0 rejects `$n` with `n` above this.
pub const UNAUTHENTICATED_MAX_BULK_LEN: i64 = 16384;
/// Redis `client-query-buffer-limit` default (1 GiB); enforced by the connection, see
/// [`crate::RequestParser::buffered_len`].
pub const DEFAULT_CLIENT_QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;
/// Redis `PROTO_MBULK_BIG_ARG`: arguments at least this long are moved out of Redis's query
/// buffer as soon as they are read, so they stop counting against the query-buffer limit.
pub const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;

/// Per-connection parsing limits. Change them between calls to
/// [`crate::RequestParser::next`]; a change applies to the next header parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserLimits {
    /// Largest accepted `$n` (bytes), Redis `proto-max-bulk-len`; default 512 MiB.
    pub proto_max_bulk_len: u64,
    /// Longest inline request and longest `*`/`$` header line without its terminator (bytes);
    /// default 64 KiB, Redis `PROTO_INLINE_MAX_SIZE`.
    pub max_inline_len: usize,
    /// Largest accepted `*n`; default `i32::MAX` like Redis 7.0.
    pub max_multibulk_len: u64,
    /// False while the connection must still AUTH (server has `requirepass`, client has not
    /// authenticated); enables the 10-argument / 16 KiB-argument caps. Default true.
    pub authenticated: bool,
}

impl Default for ParserLimits {
    fn default() -> Self {
        ParserLimits {
            proto_max_bulk_len: DEFAULT_PROTO_MAX_BULK_LEN,
            max_inline_len: PROTO_INLINE_MAX_SIZE,
            max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
            authenticated: true,
        }
    }
}
