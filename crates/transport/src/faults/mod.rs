//! Network faults, injected in one place: the connections a node or a test client opens.
//!
//! A [`FaultNet`] is the network of one test deployment: which addresses belong to which node
//! (or test client), and the faults in force between them. A node built with one
//! ([`ChannelPool::with_faults`](crate::ChannelPool::with_faults)) opens every outgoing
//! connection through a *pump* ([`dial`]): two tasks per connection that copy bytes in each
//! direction and, byte chunk by chunk, apply the rules of the link the chunk travels on:
//!
//! - **cut** `a → b` (one-way; a partition is both ways): a connection from `a` to `b` cannot be
//!   opened ("connection refused", so callers know nothing was sent), and a chunk that must
//!   travel `a → b` severs the connection it travels on (the request, or the reply, is lost and
//!   the caller cannot tell whether it was applied). A request of `b` still reaches `a` while
//!   `a → b` is cut; only its reply is lost.
//! - **delay** `a → b` with jitter: each chunk is released at `now + delay ± jitter`, never
//!   before the chunk ahead of it (a byte stream keeps its order).
//! - **pause** of a node: chunks to or from it are held, not lost, and delivered in order when
//!   it resumes; its peers see a silent node. (Its own tasks keep running: in-process a pause
//!   stops what the node says and hears, not its clock.)
//! - **drop / duplicate** `a → b`, by probability: whole Raft RPCs, applied by the Raft
//!   network ([`crate::GrpcNetwork`]) where a message boundary exists.
//!
//! Every connection from a node to a peer of the deployment goes through the pump, so a fault
//! reaches Raft, forwarding, coordination and log shipping alike, and production code carries
//! no fault checks. Production pools have no `FaultNet` and connect directly.

mod pump;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use meridian_types::NodeId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

pub use pump::{dial, FaultConnector};

/// Added latency on one direction of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delay {
    pub base: Duration,
    /// Each chunk gets `base` plus a uniform draw in `[0, jitter]`.
    pub jitter: Duration,
}

/// Message-level faults on one direction of a link (Raft RPCs).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lossy {
    /// Probability that a request is lost before it arrives.
    pub drop: f64,
    /// Probability that a request is delivered twice.
    pub duplicate: f64,
}

/// What happens to one Raft RPC on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    Duplicate,
}

/// What a chunk on a link does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Passage {
    Pass,
    Hold,
    Sever,
}

#[derive(Debug, Default)]
struct Rules {
    addrs: HashMap<String, NodeId>,
    cut: HashSet<(NodeId, NodeId)>,
    delay: HashMap<(NodeId, NodeId), Delay>,
    lossy: HashMap<(NodeId, NodeId), Lossy>,
    paused: HashSet<NodeId>,
}

#[derive(Debug)]
struct NetState {
    rules: RwLock<Rules>,
    /// Bumped on every change so held chunks re-check their link.
    changed: watch::Sender<u64>,
    rng: Mutex<StdRng>,
}

/// The faults of one test network (see the module docs). Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct FaultNet {
    state: Arc<NetState>,
}

impl FaultNet {
    /// A network with no faults; `seed` drives jitter and message loss.
    pub fn new(seed: u64) -> FaultNet {
        FaultNet {
            state: Arc::new(NetState {
                rules: RwLock::default(),
                changed: watch::channel(0).0,
                rng: Mutex::new(StdRng::seed_from_u64(seed)),
            }),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Rules) -> T) -> T {
        f(&self.state.rules.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn change(&self, f: impl FnOnce(&mut Rules)) {
        f(&mut self.state.rules.write().unwrap_or_else(|e| e.into_inner()));
        self.state.changed.send_modify(|v| *v += 1);
    }

    fn draw(&self) -> f64 {
        self.state
            .rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random()
    }

    /// Says that `addr` (`host:port`) is an endpoint of `id`; connections to it are judged by
    /// the links to `id`. Unknown addresses are reached without faults.
    pub fn register(&self, id: NodeId, addr: &str) {
        self.change(|r| {
            r.addrs.insert(addr.to_string(), id);
        });
    }

    pub(crate) fn node_at(&self, addr: &str) -> Option<NodeId> {
        self.read(|r| r.addrs.get(addr).copied())
    }

    /// Cuts the direction `from → to` (see the module docs).
    pub fn cut_one_way(&self, from: NodeId, to: NodeId) {
        if from != to {
            self.change(|r| {
                r.cut.insert((from, to));
            });
        }
    }

    /// Cuts every link between a node of `a` and a node of `b`, both ways.
    pub fn partition(&self, a: &[NodeId], b: &[NodeId]) {
        self.change(|r| {
            for link in both_ways(a, b) {
                r.cut.insert(link);
            }
        });
    }

    /// Adds latency to every link between a node of `a` and a node of `b`, both ways.
    pub fn delay(&self, a: &[NodeId], b: &[NodeId], delay: Delay) {
        self.change(|r| {
            for link in both_ways(a, b) {
                r.delay.insert(link, delay);
            }
        });
    }

    /// Drops or duplicates Raft RPCs on every link between a node of `a` and a node of `b`,
    /// both ways.
    pub fn lossy(&self, a: &[NodeId], b: &[NodeId], lossy: Lossy) {
        self.change(|r| {
            for link in both_ways(a, b) {
                r.lossy.insert(link, lossy);
            }
        });
    }

    /// Holds everything node `id` sends or would receive until [`FaultNet::resume`].
    pub fn pause(&self, id: NodeId) {
        self.change(|r| {
            r.paused.insert(id);
        });
    }

    pub fn resume(&self, id: NodeId) {
        self.change(|r| {
            r.paused.remove(&id);
        });
    }

    /// Removes every fault (cuts, delays, loss) and resumes every paused node.
    pub fn heal(&self) {
        self.change(|r| {
            r.cut.clear();
            r.delay.clear();
            r.lossy.clear();
            r.paused.clear();
        });
    }

    /// Whether `from → to` is cut.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.read(|r| r.cut.contains(&(from, to)))
    }

    /// Whether any fault is in force (every link is clean otherwise).
    pub fn is_clean(&self) -> bool {
        self.read(|r| {
            r.cut.is_empty() && r.delay.is_empty() && r.lossy.is_empty() && r.paused.is_empty()
        })
    }

    pub(crate) fn passage(&self, from: NodeId, to: NodeId) -> Passage {
        self.read(|r| {
            if r.cut.contains(&(from, to)) {
                Passage::Sever
            } else if r.paused.contains(&from) || r.paused.contains(&to) {
                Passage::Hold
            } else {
                Passage::Pass
            }
        })
    }

    /// The latency a chunk sent now on `from → to` gets.
    pub(crate) fn latency(&self, from: NodeId, to: NodeId) -> Duration {
        let Some(d) = self.read(|r| r.delay.get(&(from, to)).copied()) else {
            return Duration::ZERO;
        };
        d.base + d.jitter.mul_f64(self.draw())
    }

    /// What happens to the next Raft RPC on `from → to`.
    pub fn fate(&self, from: NodeId, to: NodeId) -> Fate {
        let Some(l) = self.read(|r| r.lossy.get(&(from, to)).copied()) else {
            return Fate::Deliver;
        };
        let x = self.draw();
        if x < l.drop {
            Fate::Drop
        } else if x < l.drop + l.duplicate {
            Fate::Duplicate
        } else {
            Fate::Deliver
        }
    }

    /// Resolves once the rules change after this call's snapshot of them.
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.state.changed.subscribe()
    }

    /// The view of node (or test client) `me` on this network.
    pub fn endpoint(&self, me: NodeId) -> Faults {
        Faults {
            me,
            net: self.clone(),
        }
    }
}

/// Every directed link between a node of `a` and a different node of `b`, both directions.
fn both_ways<'a>(a: &'a [NodeId], b: &'a [NodeId]) -> impl Iterator<Item = (NodeId, NodeId)> + 'a {
    a.iter().flat_map(move |&x| {
        b.iter()
            .filter(move |&&y| y != x)
            .flat_map(move |&y| [(x, y), (y, x)])
    })
}

/// One endpoint's view of a [`FaultNet`]: who it is, for judging the links it uses.
#[derive(Debug, Clone)]
pub struct Faults {
    pub(crate) me: NodeId,
    pub(crate) net: FaultNet,
}

impl Faults {
    pub fn me(&self) -> NodeId {
        self.me
    }

    pub fn net(&self) -> &FaultNet {
        &self.net
    }

    /// What happens to the next Raft RPC to `target`.
    pub fn fate(&self, target: NodeId) -> Fate {
        self.net.fate(self.me, target)
    }
}

#[cfg(test)]
mod tests;
