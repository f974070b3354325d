//! `ReplicationMetrics`: cross-region shipping as this node sees it, read at scrape time. A
//! secondary cluster's leader exports its link (lag in ms and ops, link state, full syncs); a
//! primary node exports the secondaries whose subscriptions it serves.

use meridian_shipping::ShippingService;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGaugeVec, Opts};

pub struct ReplicationMetrics {
    shipping: ShippingService,
    lag_ms: IntGaugeVec,
    lag_seq: IntGaugeVec,
    link_up: IntGaugeVec,
    full_syncs: IntGaugeVec,
    secondary_applied: IntGaugeVec,
    secondary_lag_ms: IntGaugeVec,
}

impl ReplicationMetrics {
    pub fn new(
        shipping: ShippingService,
        labels: &std::collections::HashMap<String, String>,
    ) -> prometheus::Result<ReplicationMetrics> {
        let vec = |name: &str, help: &str, by: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help).const_labels(labels.clone()), by)
        };
        let link = ["datastore", "primary"];
        Ok(ReplicationMetrics {
            lag_ms: vec(
                "meridian_replication_lag_ms",
                "How long the oldest op not yet applied here has been committed on the primary.",
                &link,
            )?,
            lag_seq: vec(
                "meridian_replication_lag_seq",
                "Ops the primary has that this secondary has not applied.",
                &link,
            )?,
            link_up: vec(
                "meridian_replication_link_up",
                "1 while this secondary leader's stream from the primary is up.",
                &link,
            )?,
            full_syncs: vec(
                "meridian_replication_full_syncs",
                "Full syncs this secondary leader completed since it started leading.",
                &link,
            )?,
            secondary_applied: vec(
                "meridian_secondary_applied_seq",
                "Seq a secondary served by this node acknowledged as applied.",
                &["secondary"],
            )?,
            secondary_lag_ms: vec(
                "meridian_secondary_lag_ms",
                "Lag a secondary served by this node last reported, in ms.",
                &["secondary"],
            )?,
            shipping,
        })
    }

    fn vecs(&self) -> [&IntGaugeVec; 6] {
        [
            &self.lag_ms,
            &self.lag_seq,
            &self.link_up,
            &self.full_syncs,
            &self.secondary_applied,
            &self.secondary_lag_ms,
        ]
    }

    fn refresh(&self) {
        let view = self.shipping.node_view();
        for v in self.vecs() {
            v.reset();
        }
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        if let Some(l) = view.link {
            let labels = [l.datastore.as_str(), l.source.as_str()];
            self.lag_ms.with_label_values(&labels).set(i(l.lag_ms));
            self.lag_seq
                .with_label_values(&labels)
                .set(i(l.head_seq.saturating_sub(l.applied_seq)));
            self.link_up.with_label_values(&labels).set(i64::from(l.up));
            self.full_syncs
                .with_label_values(&labels)
                .set(i(l.full_syncs));
        }
        for r in view.replicas {
            self.secondary_applied
                .with_label_values(&[r.cluster.as_str()])
                .set(i(r.applied_seq));
            self.secondary_lag_ms
                .with_label_values(&[r.cluster.as_str()])
                .set(i(r.lag_ms));
        }
    }
}

impl Collector for ReplicationMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.vecs().into_iter().flat_map(|v| v.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.refresh();
        self.vecs().into_iter().flat_map(|v| v.collect()).collect()
    }
}
