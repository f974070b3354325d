//! `CoordMetrics`: the coordination voter a node or witness runs, read at scrape time.

use std::collections::HashMap;
use std::sync::Arc;

use meridian_coord::CoordGroup;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::IntGauge;

pub(crate) struct CoordMetrics {
    coord: Arc<CoordGroup>,
    term: IntGauge,
    is_leader: IntGauge,
    leader: IntGauge,
}

impl CoordMetrics {
    pub(crate) fn new(
        coord: Arc<CoordGroup>,
        labels: &HashMap<String, String>,
    ) -> prometheus::Result<CoordMetrics> {
        let gauge = |name: &str, help: &str| super::int_gauge(labels, name, help);
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
            coord,
        })
    }

    fn gauges(&self) -> [&IntGauge; 3] {
        [&self.term, &self.is_leader, &self.leader]
    }
}

impl Collector for CoordMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges().into_iter().flat_map(|g| g.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let term = self.coord.raft().metrics().borrow().current_term;
        self.term.set(i64::try_from(term).unwrap_or(i64::MAX));
        self.is_leader.set(i64::from(self.coord.is_leader()));
        let leader = self.coord.leader().unwrap_or(0);
        self.leader.set(i64::try_from(leader).unwrap_or(i64::MAX));
        self.gauges()
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}
