//! `CoordMetrics`: the coordination voter a node or witness runs, read at scrape time. The
//! per-datastore series come from this voter's own copy of the control plane.

use std::collections::HashMap;
use std::sync::Arc;

use meridian_coord::CoordGroup;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};

/// Every failover phase name, so each has a series (0 or 1) per datastore with a failover.
const PHASES: [&str; 8] = [
    "requested",
    "draining",
    "caught-up",
    "promoted",
    "repointing",
    "done",
    "aborting",
    "aborted",
];

pub(crate) struct CoordMetrics {
    coord: Arc<CoordGroup>,
    term: IntGauge,
    is_leader: IntGauge,
    leader: IntGauge,
    lease_refusals: IntGauge,
    epoch: IntGaugeVec,
    failover_phase: IntGaugeVec,
}

impl CoordMetrics {
    pub(crate) fn new(
        coord: Arc<CoordGroup>,
        labels: &HashMap<String, String>,
    ) -> prometheus::Result<CoordMetrics> {
        let gauge = |name: &str, help: &str| super::int_gauge(labels, name, help);
        let vec = |name: &str, help: &str, by: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help).const_labels(labels.clone()), by)
        };
        Ok(CoordMetrics {
            term: gauge(
                "meridian_coord_term",
                "Current term of the coordination Raft group.",
            )?,
            is_leader: gauge(
                "meridian_coord_is_leader",
                "1 when this voter leads the coordination group.",
            )?,
            leader: gauge(
                "meridian_coord_leader",
                "Node id of the coordination leader this voter knows, 0 when none.",
            )?,
            lease_refusals: gauge(
                "meridian_coord_lease_refusals",
                "Lease grants this voter refused while leading (not the primary, drained, stale epoch), since it started.",
            )?,
            epoch: vec(
                "meridian_datastore_epoch",
                "Current epoch of each global datastore (this voter's copy).",
                &["datastore"],
            )?,
            failover_phase: vec(
                "meridian_failover_phase",
                "1 for the phase of each datastore's newest failover (this voter's copy).",
                &["datastore", "phase"],
            )?,
            coord,
        })
    }

    fn gauges(&self) -> [&IntGauge; 4] {
        [
            &self.term,
            &self.is_leader,
            &self.leader,
            &self.lease_refusals,
        ]
    }

    fn refresh(&self) {
        let term = self.coord.raft().metrics().borrow().current_term;
        self.term.set(to_i64(term));
        self.is_leader.set(i64::from(self.coord.is_leader()));
        self.leader.set(to_i64(self.coord.leader().unwrap_or(0)));
        self.lease_refusals.set(to_i64(self.coord.lease_refusals()));
        self.epoch.reset();
        self.failover_phase.reset();
        self.coord.local_state().read(|cp| {
            for ds in cp.datastores.values() {
                self.epoch
                    .with_label_values(&[&ds.id])
                    .set(to_i64(ds.epoch));
                let Some(f) = &ds.failover else { continue };
                let current = f.phase.to_string();
                for phase in PHASES {
                    self.failover_phase
                        .with_label_values(&[&ds.id, phase])
                        .set(i64::from(phase == current));
                }
            }
        });
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Collector for CoordMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges()
            .into_iter()
            .flat_map(|g| g.desc())
            .chain(self.epoch.desc())
            .chain(self.failover_phase.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        self.gauges()
            .into_iter()
            .flat_map(|g| g.collect())
            .chain(self.epoch.collect())
            .chain(self.failover_phase.collect())
            .collect()
    }
}
