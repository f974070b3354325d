use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The result of one Redis command, independent of the wire protocol.
///
/// It keeps the RESP3 shape (maps, sets, doubles, booleans); the RESP encoder flattens them for
/// RESP2 clients exactly as Redis does, and the gRPC edge converts them to typed fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// `+OK`-style status line.
    Status(String),
    /// An error line; the text starts with the Redis error code (`ERR`, `WRONGTYPE`, …).
    Error(String),
    Integer(i64),
    Bulk(Bytes),
    /// Missing value: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// Missing array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// Flattened to an array of key, value, … in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// An array in RESP2.
    Set(Vec<Reply>),
    /// An array of 2-element arrays in RESP3, one flat array in RESP2 (ZRANGE … WITHSCORES,
    /// ZPOPMIN, HRANDFIELD … WITHVALUES).
    Pairs(Vec<(Reply, Reply)>),
    /// A map in RESP3, an array of 2-element arrays in RESP2 (XREAD and XREADGROUP: stream
    /// key → entries).
    MapOrPairs(Vec<(Reply, Reply)>),
    /// A bulk string in RESP2, formatted the way Redis formats doubles.
    Double(f64),
    /// `:1`/`:0` in RESP2.
    Boolean(bool),
    /// A double already formatted as Redis's `addReplyHumanLongDouble` prints it (`%.17Lf`,
    /// trailing zeros removed: GEOPOS and WITHCOORD coordinates): a bulk string in RESP2,
    /// `,<text>` in RESP3.
    HumanDouble(String),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".to_string())
    }

    pub fn error(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}
