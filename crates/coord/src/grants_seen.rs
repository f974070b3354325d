//! When this voter first saw each datastore's lease record, on its own monotonic clock.
//!
//! The promotion rule (DESIGN §5, rule 4) needs, on the promoter's clock, a time no earlier
//! than the last grant the old primary may hold. A grant is stamped by the leader that made
//! it, then committed, then applied: every voter that applied it at local time `a` knows the
//! grant happened before `a`, so the lease it gave ends by `a + D` (`D × (1 + ε)` on another
//! clock). A new leader has applied every grant ever acknowledged to a primary once its first
//! entry is applied (Raft's leader completeness; a linearizable read waits for it), so it can
//! measure from the moment it saw the newest one instead of outwaiting a whole lease after its
//! election. Noting late is only more conservative: the watcher notes records as they apply,
//! and every reader notes before it looks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use meridian_types::Lease;

use crate::ControlPlane;

#[derive(Debug, Default)]
pub(crate) struct GrantsSeen {
    seen: Mutex<HashMap<String, (Lease, Instant)>>,
}

impl GrantsSeen {
    /// Notes, at `now`, every lease record of `cp` that differs from the one last noted.
    pub(crate) fn note(&self, cp: &ControlPlane, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for ds in cp.datastores.values() {
            let Some(lease) = &ds.lease else { continue };
            if seen.get(&ds.id).is_none_or(|(known, _)| known != lease) {
                seen.insert(ds.id.clone(), (lease.clone(), now));
            }
        }
    }

    /// When `lease`, the record of `datastore`, was first noted (None: not noted yet).
    pub(crate) fn seen_at(&self, datastore: &str, lease: &Lease) -> Option<Instant> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(datastore)
            .filter(|(known, _)| known == lease)
            .map(|(_, at)| *at)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn plane_with(lease: Option<Lease>) -> ControlPlane {
        let mut cp = ControlPlane::default();
        let ds = meridian_types::Datastore {
            id: "g".into(),
            description: String::new(),
            members: Vec::new(),
            primary: "use1".into(),
            epoch: 1,
            status: meridian_types::DatastoreStatus::Available,
            auto_failover: meridian_types::AutoFailover::Off,
            failover: None,
            lease,
        };
        cp.datastores.insert("g".into(), ds);
        cp
    }

    fn lease(granted_at_ms: u64, head_seq: u64) -> Lease {
        Lease {
            datastore: "g".into(),
            cluster: "use1".into(),
            epoch: 1,
            length_ms: 1_000,
            granted_at_ms,
            granted_by: 1,
            term: 1,
            head_seq,
        }
    }

    #[test]
    fn a_record_is_dated_when_first_noted_and_again_whenever_it_changes() {
        let seen = GrantsSeen::default();
        let t0 = Instant::now();
        let first = lease(10, 5);
        seen.note(&plane_with(Some(first.clone())), t0);
        seen.note(
            &plane_with(Some(first.clone())),
            t0 + Duration::from_secs(1),
        );
        assert_eq!(
            seen.seen_at("g", &first),
            Some(t0),
            "the same record keeps its date"
        );
        let renewed = lease(20, 5);
        assert_eq!(seen.seen_at("g", &renewed), None, "not noted yet");
        let t1 = t0 + Duration::from_secs(2);
        seen.note(&plane_with(Some(renewed.clone())), t1);
        assert_eq!(seen.seen_at("g", &renewed), Some(t1));
        let higher_head = lease(20, 9);
        seen.note(
            &plane_with(Some(higher_head.clone())),
            t1 + Duration::from_secs(1),
        );
        assert_eq!(
            seen.seen_at("g", &higher_head),
            Some(t1 + Duration::from_secs(1)),
            "any change of the record dates it anew (later is only safer)"
        );
        seen.note(&plane_with(None), t1 + Duration::from_secs(5));
        assert_eq!(
            seen.seen_at("g", &higher_head),
            Some(t1 + Duration::from_secs(1))
        );
    }
}
