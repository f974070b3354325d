//! A userspace TCP proxy that adds WAN round-trip latency between regions, for deployments
//! where the kernel offers no `tc netem` (the docker launcher).
//!
//! # Topology
//!
//! One proxy is attached to every region's network, with one IP on each. Nodes reach
//! same-region peers directly; a name of a node in another region resolves to the proxy's IP
//! on the caller's own network. The proxy listens on one port per [`Route`] (in the docker
//! launcher: every node's and witness's gRPC port, which are unique in a deployment) and
//! forwards each accepted connection to the route's target. The connection's regions are:
//!
//! - destination: the route's `target_region`;
//! - source: the region of the local IP the connection was accepted on
//!   ([`ProxyConfig::local_regions`]); an IP mapped to no region gets no delay, and a warning
//!   once.
//!
//! ```text
//!  node 1 (us-east-1) ──► wan 10.1.0.254:7411 ─┬─ delay rtt/2 ± jitter/2 ─► node 4:7411 (eu-west-1)
//!                      ◄──────────────────────┴─ delay rtt/2 ± jitter/2 ─┘
//! ```
//!
//! # Invariants
//!
//! - Bytes of one direction are delivered intact and in order: a chunk read at time `t` is
//!   written at `max(previous chunk's release, t + rtt/2 + U(-jitter/2, +jitter/2))`, so a
//!   round trip takes `rtt ± jitter` (never less than zero per direction). See [`Latency`].
//! - A half-close (shutdown of a write side) is passed on after the bytes before it; an error
//!   or an unreachable target resets both sockets; same-region traffic is not delayed.
//! - Memory is bounded: at most `buffer_bytes` are queued per direction, then the proxy stops
//!   reading and TCP flow control slows the sender.
//! - Latency changes apply to bytes read after the change, on open connections too.
//! - Connection setup is not delayed: only bytes (and the half-close) are.
//!
//! # Admin protocol
//!
//! TCP, newline-delimited: each request is one text line, each reply one JSON line; a
//! connection may carry several requests.
//!
//! ```text
//! SHOW
//! SET <region_a>:<region_b> <rtt_ms> [<jitter_ms>]     (jitter left out: keep the pair's)
//! → {"ok":{"latency":[{"a":..,"b":..,"rtt_ms":..,"jitter_ms":..}],
//!          "links":[{"from":..,"to":..,"connections_open":..,"connections_total":..,
//!                    "bytes_out":..,"bytes_back":..}]}}
//! → {"error":"unknown region \"x\"; known regions: ..."}
//! ```
//!
//! `SET` answers with the table after the change. Try it with `nc host 7990`. The client side
//! is [`admin_request`], [`show`] and [`set`].
//!
//! # Use
//!
//! Build a [`ProxyConfig`], [`WanProxy::spawn`] it, and [`WanProxy::stop`] it.

mod admin_client;
mod admin_protocol;
mod admin_server;
mod config;
mod connection;
mod error;
mod latency;
mod listener;
mod pipe;
mod proxy;
mod region_pair;
mod route;
mod shared;
mod status;
mod traffic;

pub use admin_client::{admin_request, set, show};
pub use admin_protocol::{AdminReply, AdminRequest};
pub use config::ProxyConfig;
pub use error::WanProxyError;
pub use latency::{Latency, LatencyTable};
pub use proxy::WanProxy;
pub use region_pair::RegionPair;
pub use route::Route;
pub use status::{LinkStatus, PairLatency, Status};
pub use traffic::UNMAPPED;
