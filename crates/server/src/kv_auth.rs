//! Who a `KeyValue` caller is and what it may run: the node's ACL users, exactly as the RESP
//! port checks them. Credentials travel as call metadata, `authorization: Basic
//! base64(user:password)` (what grpcurl's `-H` and every gRPC client send); a call without
//! them runs as `default` when that user needs no password (Redis's rule for a connection
//! that never sent AUTH), else it is `UNAUTHENTICATED`. A command the user may not run, or a
//! key it may not touch, is `PERMISSION_DENIED` with Redis's `NOPERM` text.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use meridian_acl::{Users, DEFAULT_USER};
use tonic::metadata::MetadataMap;
use tonic::Status;

use crate::resp::{acl_check_user, AclState};

/// A caller that proved who it is (or is `default`), with the users it was checked against.
pub(crate) struct Caller {
    users: Arc<Users>,
    name: Bytes,
}

/// Parses `Basic base64(user:password)`.
fn basic_credentials(value: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

impl AclState {
    /// The caller of a `KeyValue` call, from its metadata.
    pub(crate) fn grpc_caller(&self, metadata: &MetadataMap) -> Result<Caller, Status> {
        let users = self.users_view(&mut None);
        let Some(header) = metadata.get("authorization") else {
            if crate::resp::acl_default_open(&users) {
                let name = Bytes::from_static(DEFAULT_USER);
                return Ok(Caller { users, name });
            }
            return Err(Status::unauthenticated(
                "authentication required: send the metadata `authorization: Basic \
                 base64(user:password)`",
            ));
        };
        let (user, password) = header
            .to_str()
            .ok()
            .and_then(basic_credentials)
            .ok_or_else(|| {
                Status::unauthenticated(
                    "the authorization metadata is not `Basic base64(user:password)`",
                )
            })?;
        let name = users
            .authenticate(&user, &password)
            .map_err(|e| Status::unauthenticated(e.to_string()))?
            .name()
            .clone();
        Ok(Caller { users, name })
    }

    /// Whether `caller` may run `argv` (command, subcommand, keys).
    pub(crate) fn grpc_permit(&self, caller: &Caller, argv: &[Bytes]) -> Result<(), Status> {
        let Some(user) = caller.users.get(&caller.name) else {
            return Err(Status::unauthenticated("the user no longer exists"));
        };
        acl_check_user(&*self.table, user, argv)
            .map_err(|(denied, _)| Status::permission_denied(denied.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        // "alice:p:w" in base64.
        assert_eq!(
            basic_credentials("Basic YWxpY2U6cDp3"),
            Some((b"alice".to_vec(), b"p:w".to_vec()))
        );
        assert_eq!(basic_credentials("Bearer YWxpY2U6cDp3"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        // "alice" without a colon.
        assert_eq!(basic_credentials("Basic YWxpY2U="), None);
    }
}
