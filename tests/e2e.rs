//! Meridian's end-to-end tests, built as one test binary: every file beside this one is a
//! module of it, so the whole server is linked once rather than once per file. A test's path
//! starts with its file's name (`chaos::registers_stay_linearizable_under_every_fault`), and
//! a file's tests are picked with that name as a filter:
//!
//! ```text
//! cargo test -p meridian-tests --test e2e -- chaos::
//! ```
//!
//! `tests/run.sh` runs them with every other test of the workspace, two test threads at a
//! time (the suites start many nodes; two keep a 2-core machine sane). Nothing here holds
//! process-wide state: each test starts its own nodes on port 0 in temp dirs, its own tokio
//! runtime, and its own child processes (`docker_e2e`, `local_launcher`), so the files share
//! one process as the tests of one file always did.

// Helpers unwrap and expect as tests do (clippy allows it inside the test functions only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod acl_users;
mod bad_input;
mod chaos;
mod chaos_regressions;
mod client_admin;
mod databases;
mod docker_e2e;
mod failover_auto;
mod failover_coord_crash;
mod failover_fencing;
mod failover_forced;
mod failover_planned;
mod global_datastores;
mod global_faults;
mod introspection;
mod lease_handoff;
mod local_launcher;
mod metrics;
mod pubsub;
mod regional;
mod regional_faults;
mod resp_clients;
mod resp_diff;
mod resp_protocol;
mod security;
mod shipping;
mod sourcetree;
mod streams;
