//! Generated gRPC code for Meridian's `.proto` files (in `proto/` at the repository root).
//!
//! Public services live in [`v1`] (`meridian.v1`), node-to-node services in [`internal`]
//! (`meridian.internal.v1`). Other crates use these types as `pb::X` and convert to their own
//! types at the edge.

#[allow(clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("meridian.v1");
}

#[allow(clippy::all, clippy::pedantic)]
pub mod internal {
    tonic::include_proto!("meridian.internal.v1");
}

/// Encoded file descriptors of every Meridian service, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("meridian_descriptor");
