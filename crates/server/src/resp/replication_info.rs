//! What RESP reports about cross-region replication: INFO's replication section, ROLE, and the
//! replica count WAIT waits for. The facts come from every node of this cluster (the node
//! serving a secondary's subscription may be a peer; a secondary's link runs on its leader).

use std::collections::BTreeMap;

use bytes::Bytes;
use meridian_shipping::{LinkView, ReplicaView};
use meridian_types::{ClusterRole, Reply, Seq};

use crate::resp::listener::Shared;

/// Replication as this cluster sees it now.
pub(crate) struct ReplicationFacts {
    pub role: ClusterRole,
    /// Secondary clusters following this one, one per cluster (the freshest view of it).
    pub replicas: Vec<ReplicaView>,
    /// This secondary cluster's link to its primary (from the node running it).
    pub link: Option<LinkView>,
}

impl ReplicationFacts {
    pub(crate) async fn gather(shared: &Shared) -> ReplicationFacts {
        let role = shared.group.role();
        let views = shared.replication.cluster_view().await;
        let mut replicas: BTreeMap<String, ReplicaView> = BTreeMap::new();
        let mut link: Option<LinkView> = None;
        for v in views {
            for r in v.replicas {
                let newer = replicas
                    .get(&r.cluster)
                    .is_none_or(|cur| r.applied_seq > cur.applied_seq);
                if newer {
                    replicas.insert(r.cluster.clone(), r);
                }
            }
            if let Some(l) = v.link {
                if link.as_ref().is_none_or(|cur| !cur.up && l.up) {
                    link = Some(l);
                }
            }
        }
        ReplicationFacts {
            role,
            replicas: replicas.into_values().collect(),
            link,
        }
    }

    /// Secondary clusters that applied everything up to `seq`.
    pub(crate) fn acked(&self, seq: Seq) -> usize {
        self.replicas
            .iter()
            .filter(|r| r.applied_seq >= seq)
            .count()
    }
}

fn split_addr(addr: &str) -> (String, String) {
    match addr.rsplit_once(':') {
        Some((h, p)) => (h.trim_matches(['[', ']']).to_string(), p.to_string()),
        None => (addr.to_string(), "0".into()),
    }
}

/// The fields of INFO's replication section, in Redis's order, then Meridian's own.
pub(crate) fn info_fields(shared: &Shared, facts: &ReplicationFacts) -> Vec<(String, String)> {
    let group = &shared.group;
    let sm = group.sm();
    let seq = sm.seq();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut f = |k: &str, v: String| out.push((k.to_string(), v));
    match (&facts.role, &facts.link) {
        (ClusterRole::Secondary { .. }, link) => {
            let link = link.clone().unwrap_or_default();
            let (host, port) = split_addr(&link.source_resp_addr);
            f("role", "slave".into());
            f("master_host", host);
            f("master_port", port);
            f(
                "master_link_status",
                if link.up { "up" } else { "down" }.into(),
            );
            f(
                "master_last_io_seconds_ago",
                if link.up {
                    (link.last_io_ms_ago / 1000).to_string()
                } else {
                    "-1".into()
                },
            );
            f(
                "master_sync_in_progress",
                u8::from(link.syncing || sm.staging().is_some()).to_string(),
            );
            if !link.up {
                f(
                    "master_link_down_since_seconds",
                    (link.last_io_ms_ago / 1000).to_string(),
                );
            }
            f("slave_read_repl_offset", seq.to_string());
            f("slave_repl_offset", seq.to_string());
            f("slave_priority", "100".into());
            f("slave_read_only", "1".into());
            f("replica_announced", "1".into());
            f("connected_slaves", "0".into());
        }
        _ => {
            f("role", "master".into());
            f("connected_slaves", facts.replicas.len().to_string());
            for (i, r) in facts.replicas.iter().enumerate() {
                let (ip, port) = split_addr(&r.resp_addr);
                let state = if r.syncing { "wait_bgsave" } else { "online" };
                f(
                    &format!("slave{i}"),
                    format!(
                        "ip={ip},port={port},state={state},offset={},lag={}",
                        r.applied_seq,
                        r.last_ack_ms_ago / 1000
                    ),
                );
            }
        }
    }
    let first = sm.backlog_first_seq().ok().flatten().unwrap_or(0);
    // Redis's states: a draining primary waits for its replacement to catch up.
    let failover_state = match facts.role {
        ClusterRole::Draining { .. } => "waiting-for-sync",
        _ => "no-failover",
    };
    f("master_failover_state", failover_state.into());
    f("master_replid", shared.replid.clone());
    f("master_replid2", "0".repeat(40));
    f("master_repl_offset", seq.to_string());
    f("second_repl_offset", "-1".into());
    f("repl_backlog_active", "1".into());
    f(
        "repl_backlog_size",
        group.options().backlog_max_bytes.to_string(),
    );
    f("repl_backlog_first_byte_offset", first.to_string());
    f("repl_backlog_histlen", sm.backlog_bytes().to_string());
    f("meridian_cluster", group.cluster().to_string());
    f("meridian_cluster_role", facts.role.name().into());
    match &facts.role {
        ClusterRole::Draining { datastore, epoch } => {
            f("meridian_datastore", datastore.clone());
            f("meridian_epoch", epoch.to_string());
        }
        ClusterRole::Primary {
            datastore, epoch, ..
        } => {
            f("meridian_datastore", datastore.clone());
            f("meridian_epoch", epoch.to_string());
            for r in &facts.replicas {
                f(
                    &format!("meridian_secondary_{}", r.cluster),
                    format!(
                        "applied_seq={},lag_seq={},lag_ms={}",
                        r.applied_seq,
                        seq.saturating_sub(r.applied_seq),
                        r.lag_ms
                    ),
                );
            }
        }
        ClusterRole::Secondary {
            datastore,
            epoch,
            source,
        } => {
            let link = facts.link.clone().unwrap_or_default();
            f("meridian_datastore", datastore.clone());
            f("meridian_epoch", epoch.to_string());
            f("meridian_primary_cluster", source.clone());
            f("meridian_primary_seq", link.head_seq.max(seq).to_string());
            f(
                "meridian_replication_lag_seq",
                link.head_seq.saturating_sub(seq).to_string(),
            );
            f("meridian_replication_lag_ms", link.lag_ms.to_string());
            f("meridian_full_syncs", link.full_syncs.to_string());
        }
        ClusterRole::Standalone => {}
    }
    f(
        "meridian_raft_role",
        if group.is_leader() {
            "leader"
        } else {
            "follower"
        }
        .into(),
    );
    f(
        "meridian_raft_leader",
        group
            .leader()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
    );
    out
}

/// `ROLE`, as a Redis master or replica answers it.
pub(crate) fn role_reply(shared: &Shared, facts: &ReplicationFacts) -> Reply {
    let seq = shared.group.sm().seq() as i64;
    match &facts.role {
        ClusterRole::Secondary { .. } => {
            let link = facts.link.clone().unwrap_or_default();
            let (host, port) = split_addr(&link.source_resp_addr);
            let state = if link.syncing {
                "sync"
            } else if link.up {
                "connected"
            } else {
                "connect"
            };
            Reply::Array(vec![
                Reply::bulk(Bytes::from_static(b"slave")),
                Reply::bulk(host),
                Reply::Integer(port.parse().unwrap_or(0)),
                Reply::bulk(state.to_string()),
                Reply::Integer(seq),
            ])
        }
        _ => Reply::Array(vec![
            Reply::bulk(Bytes::from_static(b"master")),
            Reply::Integer(seq),
            Reply::Array(
                facts
                    .replicas
                    .iter()
                    .map(|r| {
                        let (ip, port) = split_addr(&r.resp_addr);
                        Reply::Array(vec![
                            Reply::bulk(ip),
                            Reply::bulk(port),
                            Reply::bulk(r.applied_seq.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
    }
}
