//! How `meridian global describe` shows datastores: a table for people, JSON for scripts.

use meridian_proto::v1 as pb;

fn policy(p: Option<&pb::AutoFailoverPolicy>) -> String {
    match p {
        Some(p) if p.enabled => format!("after {}ms", p.after_ms),
        _ => "off".to_string(),
    }
}

pub fn to_json(r: &pb::DescribeGlobalDatastoresResponse) -> serde_json::Value {
    let all: Vec<_> = r
        .datastores
        .iter()
        .map(|d| {
            let members: Vec<_> = d
                .members
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "cluster": m.cluster, "region": m.region, "role": m.role,
                        "status": m.status, "applied_seq": m.applied_seq,
                        "lag_seq": m.lag_seq, "lag_ms": m.lag_ms,
                        "rejoin_pending": m.rejoin_pending, "discarded_writes": m.discarded_writes,
                    })
                })
                .collect();
            let lease = d.lease.as_ref().map(|l| {
                serde_json::json!({
                    "cluster": l.cluster, "epoch": l.epoch, "length_ms": l.length_ms,
                    "granted_by": l.granted_by, "term": l.term, "head_seq": l.head_seq,
                })
            });
            let failover = d.failover.as_ref().map(|f| {
                serde_json::json!({
                    "from": f.from_cluster, "to": f.to_cluster, "force": f.force,
                    "phase": f.phase, "final_seq": f.final_seq, "new_epoch": f.new_epoch,
                    "reason": f.reason,
                    "loss": f.loss.as_ref().map(|l| serde_json::json!({
                        "epoch": l.epoch, "after_seq": l.after_seq,
                        "reported_head": l.reported_head, "discarded": l.discarded,
                    })),
                })
            });
            serde_json::json!({
                "id": d.id, "description": d.description, "status": d.status,
                "primary": d.primary_cluster, "epoch": d.epoch,
                "auto_failover": policy(d.auto_failover.as_ref()),
                "failover_to": d.failover_to, "members": members, "lease": lease,
                "failover": failover,
            })
        })
        .collect();
    serde_json::json!({ "global_datastores": all })
}

/// A fixed-width block per datastore.
pub fn render_table(all: &[pb::GlobalDatastore]) -> String {
    let mut out = String::new();
    for d in all {
        out.push_str(&format!(
            "global datastore {}  status: {}  primary: {}  epoch: {}  auto-failover: {}\n",
            d.id,
            d.status,
            d.primary_cluster,
            d.epoch,
            policy(d.auto_failover.as_ref())
        ));
        if !d.description.is_empty() {
            out.push_str(&format!("  description: {}\n", d.description));
        }
        if let Some(f) = &d.failover {
            out.push_str(&format!(
                "  failover {} -> {}: {}{}{}\n",
                f.from_cluster,
                f.to_cluster,
                f.phase,
                if f.final_seq > 0 {
                    format!(", final seq {}", f.final_seq)
                } else {
                    String::new()
                },
                if f.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", f.reason)
                }
            ));
            if let Some(l) = &f.loss {
                out.push_str(&format!("  {}\n", loss_line(l)));
            }
        }
        out.push_str(&format!(
            "  {:<16} {:<16} {:<10} {:<15} {:>12} {:>8} {:>8}\n",
            "cluster", "region", "role", "status", "applied-seq", "lag-seq", "lag-ms"
        ));
        for m in &d.members {
            out.push_str(&format!(
                "  {:<16} {:<16} {:<10} {:<15} {:>12} {:>8} {:>8}{}\n",
                m.cluster,
                m.region,
                m.role,
                m.status,
                m.applied_seq,
                m.lag_seq,
                m.lag_ms,
                member_notes(m)
            ));
        }
    }
    out
}

/// What a forced failover may have lost, in words.
pub fn loss_line(l: &pb::LossRange) -> String {
    let survived = if l.after_seq > 0 {
        format!(
            "writes of epoch {} up to seq {} survive",
            l.epoch, l.after_seq
        )
    } else {
        format!("the seq epoch {} survives to is not known yet", l.epoch)
    };
    let lost = match l.discarded {
        Some(n) => format!("the old primary discarded {n} writes when it rejoined"),
        None if l.after_seq > 0 => format!(
            "later ones are lost: at least {} (it reported head seq {}), exactly known when the old primary rejoins",
            l.reported_head.saturating_sub(l.after_seq),
            l.reported_head
        ),
        None => format!("the old primary last reported head seq {}", l.reported_head),
    };
    format!("loss: {survived}; {lost}")
}

fn member_notes(m: &pb::GlobalDatastoreMember) -> String {
    let mut notes = Vec::new();
    if m.rejoin_pending {
        notes.push("rejoin pending".to_string());
    }
    if m.discarded_writes > 0 {
        notes.push(format!("discarded {} writes", m.discarded_writes));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("  ({})", notes.join(", "))
    }
}
