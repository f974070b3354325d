//! Deliberate bugs that a chaos test switches on to show that its checker catches them
//! (a checker that has never caught a planted bug proves nothing). Test code sets them through
//! `RegionOptions`; the deployment file and `MERIDIAN_*` variables cannot reach them, and
//! every switch is off by default.

/// Which planted bugs a node runs with. All off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlantedBugs {
    /// The regional leader answers a plain `SET` with `+OK` as soon as it queues the write,
    /// before the write is committed or applied (caught by the linearizability checker).
    pub ack_before_commit: bool,
    /// A secondary applies each shipped batch back to front, so it shows states the primary
    /// never had (caught by the prefix checker).
    pub ship_out_of_order: bool,
    /// Every snapshot a node builds lacks its smallest key, so a node restarted or caught up
    /// from a snapshot has lost an acknowledged write (caught by the prefix checker's final reads
    /// and by convergence).
    pub snapshot_drops_key: bool,
    /// The primary's leader takes and acknowledges writes without a valid lease, so a primary
    /// cut off from the coordination group keeps writing after a forced failover promoted
    /// another cluster (caught by the single-writer checker).
    pub skip_lease_check: bool,
    /// The regional leader applies each command of a MULTI/EXEC transaction as an entry of
    /// its own, so another client's write can land between two commands of one transaction
    /// (caught by the list-append checker as a dependency cycle).
    pub split_transactions: bool,
}

impl PlantedBugs {
    pub fn any(&self) -> bool {
        self.ack_before_commit
            || self.ship_out_of_order
            || self.snapshot_drops_key
            || self.skip_lease_check
            || self.split_transactions
    }
}
