//! Raft over gRPC for every Raft group a node hosts (regional groups and the coordination
//! group), on the node's single gRPC port.
//!
//! ```text
//!  Raft<C> ──► GrpcNetwork<C> ──(RaftTransport RPC: group, target, bincode payload)──►
//!        RaftTransportService ──► GroupRouter ──► RaftEndpoint<C> ──► Raft<C>::append_entries…
//! ```
//!
//! Channels are pooled per address and reused; message size limits are explicit on both ends.
//! Every channel carries the node's credentials ([`PeerCredentials`]): TLS with its
//! certificate where the deployment uses TLS, and the cluster secret where one is set.
//! Faults (partitions, delay, pauses, lost and repeated messages) are injected here and only
//! here: a pool built with a [`FaultNet`] opens every connection through it (see [`faults`]).

mod channels;
mod codec;
pub mod faults;
mod network;
mod peer_auth;
mod service;

pub use channels::{never_sent, ChannelPool, TransportLimits};
pub use codec::{decode, encode, CodecError};
pub use faults::{Delay, Fate, FaultConnector, FaultNet, Faults, Lossy};
pub use network::{GrpcNetwork, GrpcNetworkFactory};
pub use peer_auth::{Io, PeerChannel, PeerCredentials, SecretHeader, TlsConnector};
pub use service::{GroupEndpoint, GroupRouter, RaftEndpoint, RaftTransportService};
