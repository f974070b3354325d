//! `NodeMetrics`: a data node's regional group, read at scrape time.

use std::sync::Arc;

use meridian_region::RegionGroup;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};

/// Every value of `ClusterRole::name`, so each role has a series (0 or 1).
const ROLES: [&str; 4] = ["standalone", "primary", "secondary", "draining"];

/// The regional group's state as gauges labelled `node` and `cluster`. Nothing is updated
/// between scrapes: [`Collector::collect`] reads the group and sets every gauge first.
pub struct NodeMetrics {
    group: Arc<RegionGroup>,
    applied_seq: IntGauge,
    is_leader: IntGauge,
    term: IntGauge,
    last_log_index: IntGauge,
    last_applied_index: IntGauge,
    snapshot_index: IntGauge,
    backlog_bytes: IntGauge,
    keys: IntGauge,
    epoch: IntGauge,
    lease_remaining_ms: IntGauge,
    discarded_writes: IntGauge,
    role: IntGaugeVec,
}

impl NodeMetrics {
    pub fn new(group: Arc<RegionGroup>) -> prometheus::Result<NodeMetrics> {
        let labels = super::const_labels(group.node_id(), Some(group.cluster()));
        let gauge = |name: &str, help: &str| super::int_gauge(&labels, name, help);
        Ok(NodeMetrics {
            applied_seq: gauge(
                "meridian_applied_seq",
                "Replication seq after the last write this node applied.",
            )?,
            is_leader: gauge(
                "meridian_is_leader",
                "1 when this node leads its regional Raft group.",
            )?,
            term: gauge(
                "meridian_raft_term",
                "Current term of the regional Raft group.",
            )?,
            last_log_index: gauge(
                "meridian_raft_last_log_index",
                "Index of the last entry in this node's regional log.",
            )?,
            last_applied_index: gauge(
                "meridian_raft_last_applied_index",
                "Index of the last regional log entry this node applied.",
            )?,
            snapshot_index: gauge(
                "meridian_raft_snapshot_index",
                "Last regional log index covered by this node's current snapshot (0: none).",
            )?,
            backlog_bytes: gauge(
                "meridian_backlog_bytes",
                "Bytes held by the replication backlog.",
            )?,
            keys: gauge(
                "meridian_keys",
                "Keys in the keyspace, expired ones not yet removed included.",
            )?,
            epoch: gauge(
                "meridian_epoch",
                "Epoch of the cluster's role in its global datastore (0: standalone).",
            )?,
            lease_remaining_ms: gauge(
                "meridian_lease_remaining_ms",
                "Milliseconds the write lease this node holds still runs (0: none, or not a primary's leader).",
            )?,
            discarded_writes: gauge(
                "meridian_discarded_writes",
                "Writes this cluster gave up when it rejoined a newer primary's history (saved under <data>/discarded).",
            )?,
            role: IntGaugeVec::new(
                Opts::new(
                    "meridian_cluster_role",
                    "1 for the cluster's current role in global datastores.",
                )
                .const_labels(labels.clone()),
                &["role"],
            )?,
            group,
        })
    }

    fn gauges(&self) -> [&IntGauge; 11] {
        [
            &self.applied_seq,
            &self.is_leader,
            &self.term,
            &self.last_log_index,
            &self.last_applied_index,
            &self.snapshot_index,
            &self.backlog_bytes,
            &self.keys,
            &self.epoch,
            &self.lease_remaining_ms,
            &self.discarded_writes,
        ]
    }

    /// Reads the group into the gauges.
    fn refresh(&self) {
        let g = &self.group;
        {
            let m = g.raft().metrics();
            let m = m.borrow();
            self.term.set(to_i64(m.current_term));
            self.last_log_index
                .set(to_i64(m.last_log_index.unwrap_or(0)));
            self.last_applied_index
                .set(to_i64(m.last_applied.map_or(0, |l| l.index)));
            self.snapshot_index
                .set(to_i64(m.snapshot.map_or(0, |l| l.index)));
        }
        self.is_leader.set(i64::from(g.is_leader()));
        self.applied_seq.set(to_i64(g.sm().seq()));
        self.backlog_bytes.set(to_i64(g.sm().backlog_bytes()));
        self.keys
            .set(i64::try_from(g.sm().read(|ks| ks.len())).unwrap_or(i64::MAX));
        let role = g.role();
        self.epoch.set(to_i64(role.epoch()));
        let left = g.lease_left().map_or(0, |d| d.as_millis() as u64);
        self.lease_remaining_ms.set(to_i64(left));
        let discarded: u64 = g.sm().discarded().iter().map(|r| r.count()).sum();
        self.discarded_writes.set(to_i64(discarded));
        let current = role.name();
        for role in ROLES {
            self.role
                .with_label_values(&[role])
                .set(i64::from(role == current));
        }
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Collector for NodeMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges()
            .into_iter()
            .flat_map(|g| g.desc())
            .chain(self.role.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        self.gauges()
            .into_iter()
            .flat_map(|g| g.collect())
            .chain(self.role.collect())
            .collect()
    }
}
