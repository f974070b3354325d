//! Raft over gRPC for every Raft group a node hosts (regional groups and the coordination
//! group), on the node's single gRPC port.
//!
//! ```text
//!  Raft<C> ──► GrpcNetwork<C> ──(RaftTransport RPC: group, target, bincode payload)──►
//!        RaftTransportService ──► GroupRouter ──► RaftEndpoint<C> ──► Raft<C>::append_entries…
//! ```
//!
//! Channels are pooled per address and reused; message size limits are explicit on both ends.
//! Faults (partitions, delay, pauses, lost and repeated messages) are injected here and only
//! here: a pool built with a [`FaultNet`] opens every connection through it (see [`faults`]).

mod channels;
mod codec;
pub mod faults;
mod network;
mod service;

pub use channels::{never_sent, ChannelPool, TransportLimits};
pub use codec::{decode, encode, CodecError};
pub use faults::{Delay, Fate, FaultConnector, FaultNet, Faults, Lossy};
pub use network::{GrpcNetwork, GrpcNetworkFactory};
pub use service::{GroupEndpoint, GroupRouter, RaftEndpoint, RaftTransportService};
