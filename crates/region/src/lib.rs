//! The regional Raft group: one cluster's nodes replicating the keyspace through openraft.
//!
//! ```text
//!  write(argv…) ─► leader? ─yes─► client_write(Write{argv, now_ms, seed}) ─► commit ─► apply ─► replies+seq
//!                    └─no──► RegionForward.Write on the leader (the client never sees a redirect)
//!  read barrier  ─► local: none │ linearizable/regional: read index (leader: ensure_linearizable,
//!                                 follower: ReadIndex from the leader, then wait until applied)
//!                ─► min_seq: wait until the applied seq reaches it
//! ```
//!
//! A write is acknowledged only after it is committed on a majority and applied. A write whose
//! leader lost leadership while it was in flight is reported as "outcome unknown", never
//! retried blindly (INCR twice would be wrong).
//!
//! On a primary, the leader writes under the lease it renews through the coordination group
//! (`lease`) and hands each grant to the followers that answered its probe before it asked
//! (`lease_share`), so a newly elected leader writes at once on the lease it inherited.

mod error;
mod expiry;
mod forward;
mod group;
mod leader_time;
mod lease;
mod lease_share;
mod options;
mod proposer;
mod read_index;
mod regroup;

pub use error::RegionError;
pub use forward::{ForwardRegistry, RegionForwardService};
pub use group::{GroupStart, RegionGroup};
pub use lease::{LeaseFuture, LeaseRefused, LeaseSource};
pub use meridian_types::ErrorCause;
pub use options::RegionOptions;
