//! The shape of `ACL GETUSER`'s reply; the server maps it onto its own RESP reply type.

use bytes::Bytes;

/// A reply as `ACL GETUSER` builds it (RESP3 maps and sets become arrays in RESP2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclReply {
    /// Null bulk (RESP2) / null (RESP3): no such user.
    Null,
    Bulk(Bytes),
    Array(Vec<AclReply>),
    /// A set (`flags`).
    Set(Vec<AclReply>),
    /// A map, as key/value pairs in order.
    Map(Vec<(AclReply, AclReply)>),
}

impl AclReply {
    pub(crate) fn bulk(s: impl Into<Vec<u8>>) -> Self {
        AclReply::Bulk(Bytes::from(s.into()))
    }
}
