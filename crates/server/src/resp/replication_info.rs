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
    let mut out = Fields::default();
    match facts.role {
        ClusterRole::Secondary { .. } => {
            replica_fields(&mut out, shared, facts.link.as_ref(), seq);
        }
        _ => master_fields(&mut out, facts),
    }
    let first = sm.backlog_first_seq().ok().flatten().unwrap_or(0);
    // Redis's states: a draining primary waits for its replacement to catch up.
    let failover_state = match facts.role {
        ClusterRole::Draining { .. } => "waiting-for-sync",
        _ => "no-failover",
    };
    out.add("master_failover_state", failover_state.into());
    out.add("master_replid", shared.replid.clone());
    out.add("master_replid2", "0".repeat(40));
    out.add("master_repl_offset", seq.to_string());
    out.add("second_repl_offset", "-1".into());
    out.add("repl_backlog_active", "1".into());
    out.add(
        "repl_backlog_size",
        group.options().backlog_max_bytes.to_string(),
    );
    out.add("repl_backlog_first_byte_offset", first.to_string());
    out.add("repl_backlog_histlen", sm.backlog_bytes().to_string());
    out.add("meridian_cluster", group.cluster().to_string());
    out.add("meridian_cluster_role", facts.role.name().into());
    meridian_role_fields(&mut out, facts, seq);
    let raft_role = if group.is_leader() {
        "leader"
    } else {
        "follower"
    };
    out.add("meridian_raft_role", raft_role.into());
    out.add(
        "meridian_raft_leader",
        group
            .leader()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
    );
    out.0
}

/// INFO fields in the order they were added.
#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn add(&mut self, key: &str, value: String) {
        self.0.push((key.to_string(), value));
    }
}

/// Redis's fields for a replica: this cluster is a secondary, `link` its link to the primary.
fn replica_fields(out: &mut Fields, shared: &Shared, link: Option<&LinkView>, seq: Seq) {
    let sm = shared.group.sm();
    let link = link.cloned().unwrap_or_default();
    let (host, port) = split_addr(&link.source_resp_addr);
    out.add("role", "slave".into());
    out.add("master_host", host);
    out.add("master_port", port);
    out.add(
        "master_link_status",
        if link.up { "up" } else { "down" }.into(),
    );
    out.add(
        "master_last_io_seconds_ago",
        if link.up {
            (link.last_io_ms_ago / 1000).to_string()
        } else {
            "-1".into()
        },
    );
    out.add(
        "master_sync_in_progress",
        u8::from(link.syncing || sm.staging().is_some()).to_string(),
    );
    if !link.up {
        out.add(
            "master_link_down_since_seconds",
            (link.last_io_ms_ago / 1000).to_string(),
        );
    }
    out.add("slave_read_repl_offset", seq.to_string());
    out.add("slave_repl_offset", seq.to_string());
    out.add("slave_priority", "100".into());
    out.add("slave_read_only", "1".into());
    out.add("replica_announced", "1".into());
    out.add("connected_slaves", "0".into());
}

/// Redis's fields for a master: one `slave<i>` line per secondary cluster following this one.
fn master_fields(out: &mut Fields, facts: &ReplicationFacts) {
    out.add("role", "master".into());
    out.add("connected_slaves", facts.replicas.len().to_string());
    for (i, r) in facts.replicas.iter().enumerate() {
        let (ip, port) = split_addr(&r.resp_addr);
        let state = if r.syncing { "wait_bgsave" } else { "online" };
        out.add(
            &format!("slave{i}"),
            format!(
                "ip={ip},port={port},state={state},offset={},lag={}",
                r.applied_seq,
                r.last_ack_ms_ago / 1000
            ),
        );
    }
}

/// Meridian's own fields for the cluster's role in its global datastore.
fn meridian_role_fields(out: &mut Fields, facts: &ReplicationFacts, seq: Seq) {
    match &facts.role {
        ClusterRole::Draining { datastore, epoch } => {
            out.add("meridian_datastore", datastore.clone());
            out.add("meridian_epoch", epoch.to_string());
        }
        ClusterRole::Primary {
            datastore, epoch, ..
        } => {
            out.add("meridian_datastore", datastore.clone());
            out.add("meridian_epoch", epoch.to_string());
            for r in &facts.replicas {
                out.add(
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
            out.add("meridian_datastore", datastore.clone());
            out.add("meridian_epoch", epoch.to_string());
            out.add("meridian_primary_cluster", source.clone());
            out.add("meridian_primary_seq", link.head_seq.max(seq).to_string());
            out.add(
                "meridian_replication_lag_seq",
                link.head_seq.saturating_sub(seq).to_string(),
            );
            out.add("meridian_replication_lag_ms", link.lag_ms.to_string());
            out.add("meridian_full_syncs", link.full_syncs.to_string());
        }
        ClusterRole::Standalone => {}
    }
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
