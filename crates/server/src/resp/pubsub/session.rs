//! A connection's subscriptions (Redis `c->pubsub_channels`, `pubsub_patterns`,
//! `pubsubshard_channels`) and its queue of messages from the hub.

use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexSet;
use tokio::sync::mpsc;

use super::{Kind, Message, PubSubHub, Subscriber};

/// Present once a connection subscribed to something; dropped (leaving the hub) when the
/// connection ends or resets.
pub(crate) struct PubSubSession {
    hub: Arc<PubSubHub>,
    id: u64,
    pub(crate) subscriber: Arc<Subscriber>,
    pub(crate) rx: mpsc::UnboundedReceiver<Message>,
    pub(crate) channels: IndexSet<Bytes>,
    pub(crate) patterns: IndexSet<Bytes>,
    pub(crate) shard: IndexSet<Bytes>,
}

impl std::fmt::Debug for PubSubSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSubSession")
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .field("shard", &self.shard.len())
            .finish()
    }
}

impl PubSubSession {
    pub(crate) fn join(
        hub: &Arc<PubSubHub>,
        id: u64,
        kill: tokio_util::sync::CancellationToken,
    ) -> PubSubSession {
        let (subscriber, rx) = hub.join(id, kill);
        PubSubSession {
            hub: hub.clone(),
            id,
            subscriber,
            rx,
            channels: IndexSet::new(),
            patterns: IndexSet::new(),
            shard: IndexSet::new(),
        }
    }

    fn set(&mut self, kind: Kind) -> &mut IndexSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// Subscribes (once) to `name`.
    pub(crate) fn add(&mut self, kind: Kind, name: &Bytes) {
        if self.set(kind).insert(name.clone()) {
            self.hub.subscribe(self.id, kind, name.clone());
        }
    }

    /// Unsubscribes from `name` if subscribed.
    pub(crate) fn remove(&mut self, kind: Kind, name: &[u8]) {
        if self.set(kind).shift_remove(name) {
            self.hub.unsubscribe(self.id, kind, name);
        }
    }

    /// The names subscribed in one namespace, in subscription order.
    pub(crate) fn names(&self, kind: Kind) -> Vec<Bytes> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Pattern => self.patterns.iter().cloned().collect(),
            Kind::Shard => self.shard.iter().cloned().collect(),
        }
    }

    /// Redis `clientSubscriptionsCount` (channels and patterns) or, for shard channels,
    /// `clientShardSubscriptionsCount`.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard.len(),
        }
    }

    /// Redis `CLIENT_PUBSUB`: subscribed to anything at all.
    pub(crate) fn active(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

impl Drop for PubSubSession {
    fn drop(&mut self) {
        let mut held: Vec<(Kind, Bytes)> = Vec::new();
        held.extend(self.channels.drain(..).map(|c| (Kind::Channel, c)));
        held.extend(self.patterns.drain(..).map(|p| (Kind::Pattern, p)));
        held.extend(self.shard.drain(..).map(|s| (Kind::Shard, s)));
        self.hub.leave(self.id, &held);
    }
}
