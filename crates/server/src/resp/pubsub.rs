//! Pub/sub on one node: who is subscribed to which channel, pattern and shard channel, and
//! delivery of the messages this node applies.
//!
//! How a message travels:
//! - `PUBLISH` / `SPUBLISH` are replicated writes that change no key: the keyspace answers them
//!   with a placeholder, the state machine gives them a seq like any write, so they sit in
//!   the Raft log of the cluster and in its replication backlog.
//! - Every node (leader, followers, and every node of every secondary cluster, which replay
//!   the primary's ops) hands what it applied to [`PubSubHub::deliver`] through the state
//!   machine's observer, so each subscriber hears each message once, from its own node, in
//!   log order (so in order per publisher).
//! - Entries a node applies again when it restarts are not delivered: they were published
//!   before any of its current subscribers connected.
//! - The publisher's reply counts the receivers on the node that serves it, as in Redis
//!   Cluster.
//! - On a secondary cluster (read-only, as a Redis replica) `PUBLISH` reaches the subscribers
//!   of the node that serves it only.
//!
//! A subscriber's messages wait in its own queue until its connection writes them; what waits
//! is bounded by `client-output-buffer-limit pubsub` (`limits.rs`).

pub(crate) mod conn;
pub(crate) mod limits;
pub(crate) mod session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use indexmap::IndexMap;
use meridian_keyspace::NotifyFlags;
use meridian_types::glob::glob_match;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) use limits::BufferLimits;

/// One message on its way to a subscriber.
#[derive(Debug, Clone)]
pub(crate) enum Message {
    /// `message <channel> <payload>`
    Channel { channel: Bytes, payload: Bytes },
    /// `pmessage <pattern> <channel> <payload>`
    Pattern {
        pattern: Bytes,
        channel: Bytes,
        payload: Bytes,
    },
    /// `smessage <channel> <payload>`
    Shard { channel: Bytes, payload: Bytes },
}

impl Message {
    /// What the message occupies in the subscriber's queue, as its encoding roughly weighs.
    pub(crate) fn weight(&self) -> usize {
        const FRAMING: usize = 48;
        FRAMING
            + match self {
                Message::Channel { channel, payload } | Message::Shard { channel, payload } => {
                    channel.len() + payload.len()
                }
                Message::Pattern {
                    pattern,
                    channel,
                    payload,
                } => pattern.len() + channel.len() + payload.len(),
            }
    }
}

/// The hub's side of one subscribed connection.
pub(crate) struct Subscriber {
    tx: mpsc::UnboundedSender<Message>,
    /// Bytes queued and not yet written to the socket.
    pub(crate) queued: AtomicUsize,
    /// Since when the queue has been above the soft limit (`limits.rs`).
    over_soft_since: Mutex<Option<std::time::Instant>>,
    /// Ends the connection (output buffer limit).
    kill: CancellationToken,
}

/// Which of the three namespaces a subscription lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Channel,
    Pattern,
    Shard,
}

/// Subscribers by channel, pattern or shard channel, in the order of first subscription
/// (patterns are matched in that order).
#[derive(Default)]
struct Table(IndexMap<Bytes, Vec<u64>>);

impl Table {
    fn add(&mut self, name: Bytes, id: u64) {
        self.0.entry(name).or_default().push(id);
    }

    fn remove(&mut self, name: &[u8], id: u64) {
        if let Some(ids) = self.0.get_mut(name) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.0.shift_remove(name);
            }
        }
    }
}

#[derive(Default)]
struct Registry {
    channels: Table,
    patterns: Table,
    shard: Table,
    subscribers: HashMap<u64, Arc<Subscriber>>,
}

impl Registry {
    fn table(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn table_of(&self, shard: bool) -> &IndexMap<Bytes, Vec<u64>> {
        if shard {
            &self.shard.0
        } else {
            &self.channels.0
        }
    }
}

/// The node's subscriptions, shared by the RESP connections and the state machine's observer.
#[derive(Default)]
pub(crate) struct PubSubHub {
    registry: Mutex<Registry>,
    /// Subscriptions of every kind: the observer's fast path when nobody listens.
    subscriptions: AtomicUsize,
    /// `client-output-buffer-limit pubsub`.
    pub(crate) limits: BufferLimits,
    /// Clients closed for passing the limit (INFO `client_output_buffer_limit_disconnections`).
    pub(crate) disconnections: AtomicUsize,
    /// `notify-keyspace-events` as `NotifyFlags` bits.
    notify: std::sync::atomic::AtomicU32,
}

impl PubSubHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Enrols a connection; its messages arrive on the returned receiver.
    pub(crate) fn join(
        &self,
        id: u64,
        kill: CancellationToken,
    ) -> (Arc<Subscriber>, mpsc::UnboundedReceiver<Message>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let subscriber = Arc::new(Subscriber {
            tx,
            queued: AtomicUsize::new(0),
            over_soft_since: Mutex::new(None),
            kill,
        });
        self.lock().subscribers.insert(id, subscriber.clone());
        (subscriber, rx)
    }

    /// Forgets a connection and every subscription it still had.
    pub(crate) fn leave(&self, id: u64, held: &[(Kind, Bytes)]) {
        let mut registry = self.lock();
        for (kind, name) in held {
            registry.table(*kind).remove(name, id);
        }
        registry.subscribers.remove(&id);
        self.subscriptions.fetch_sub(held.len(), Ordering::Relaxed);
    }

    pub(crate) fn subscribe(&self, id: u64, kind: Kind, name: Bytes) {
        self.lock().table(kind).add(name, id);
        self.subscriptions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unsubscribe(&self, id: u64, kind: Kind, name: &[u8]) {
        self.lock().table(kind).remove(name, id);
        self.subscriptions.fetch_sub(1, Ordering::Relaxed);
    }

    /// Delivers what this node applied: each `PUBLISH` / `SPUBLISH` op, and the keyspace
    /// notifications of the writes (after the writes before them), leaving out those of
    /// entries applied again after a restart.
    pub(crate) fn deliver(&self, applied: &meridian_storage::Applied<'_>) {
        if self.subscriptions.load(Ordering::Relaxed) == 0 {
            return;
        }
        let flags = self.notify_flags();
        let mut events = applied.events[applied.replayed_events.min(applied.events.len())..]
            .iter()
            .peekable();
        for (i, op) in applied.ops.iter().enumerate().skip(applied.replayed_ops) {
            while let Some((_, event)) = events.next_if(|(at, _)| *at <= i) {
                self.notify(flags, event);
            }
            if let Some((shard, channel, payload)) = published(&op.argv) {
                self.publish(channel, payload, shard);
            }
        }
        events.for_each(|(_, event)| self.notify(flags, event));
    }

    /// Publishes one keyspace event as `notify-keyspace-events` asks.
    fn notify(&self, flags: NotifyFlags, event: &meridian_keyspace::KeyEvent) {
        for (channel, message) in flags.messages(event) {
            self.publish(&channel, &message, false);
        }
    }

    /// Publishes events this node fired itself (`keymiss` of the reads it served).
    pub(crate) fn notify_local(&self, events: &[meridian_keyspace::KeyEvent]) {
        let flags = self.notify_flags();
        events.iter().for_each(|e| self.notify(flags, e));
    }

    /// This node's `notify-keyspace-events`.
    pub(crate) fn notify_flags(&self) -> NotifyFlags {
        NotifyFlags(self.notify.load(Ordering::Relaxed))
    }

    /// Sets `notify-keyspace-events`; answers whether any event can be published now.
    pub(crate) fn set_notify_flags(&self, flags: NotifyFlags) -> bool {
        self.notify.store(flags.0, Ordering::Relaxed);
        (flags.keyspace() || flags.keyevent()) && flags.0 & !0b11 != 0
    }

    /// Hands one message to every subscriber of `channel` on this node (and, unless `shard`,
    /// to every matching pattern); answers how many received it.
    pub(crate) fn publish(&self, channel: &Bytes, payload: &Bytes, shard: bool) -> usize {
        let registry = self.lock();
        let mut receivers = 0;
        for id in registry.table_of(shard).get(channel).into_iter().flatten() {
            let message = if shard {
                Message::Shard {
                    channel: channel.clone(),
                    payload: payload.clone(),
                }
            } else {
                Message::Channel {
                    channel: channel.clone(),
                    payload: payload.clone(),
                }
            };
            receivers += self.send(&registry, *id, message);
        }
        if shard {
            return receivers;
        }
        for (pattern, ids) in &registry.patterns.0 {
            if !glob_match(pattern, channel) {
                continue;
            }
            for id in ids {
                let message = Message::Pattern {
                    pattern: pattern.clone(),
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                receivers += self.send(&registry, *id, message);
            }
        }
        receivers
    }

    /// How many subscribers of this node a message on `channel` would reach (the publisher's
    /// reply).
    pub(crate) fn receivers(&self, channel: &[u8], shard: bool) -> usize {
        let registry = self.lock();
        let direct = registry.table_of(shard).get(channel).map_or(0, Vec::len);
        if shard {
            return direct;
        }
        let patterns: usize = registry
            .patterns
            .0
            .iter()
            .filter(|(p, _)| glob_match(p, channel))
            .map(|(_, ids)| ids.len())
            .sum();
        direct + patterns
    }

    fn send(&self, registry: &Registry, id: u64, message: Message) -> usize {
        let Some(subscriber) = registry.subscribers.get(&id) else {
            return 0;
        };
        let weight = message.weight();
        let queued = subscriber.queued.fetch_add(weight, Ordering::AcqRel) + weight;
        if subscriber.tx.send(message).is_err() {
            subscriber.queued.fetch_sub(weight, Ordering::AcqRel);
            return 0;
        }
        if self.limits.exceeded(queued, &subscriber.over_soft_since) {
            self.disconnect(subscriber, queued);
        }
        1
    }

    fn disconnect(&self, subscriber: &Subscriber, queued: usize) {
        if subscriber.kill.is_cancelled() {
            return;
        }
        tracing::warn!(
            queued,
            "closing a pub/sub client that reached client-output-buffer-limit pubsub"
        );
        self.disconnections.fetch_add(1, Ordering::Relaxed);
        subscriber.kill.cancel();
    }

    /// `PUBSUB CHANNELS` / `SHARDCHANNELS`: the active channels matching `pattern`.
    pub(crate) fn channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let registry = self.lock();
        registry
            .table_of(shard)
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect()
    }

    /// `PUBSUB NUMSUB` / `SHARDNUMSUB`: subscribers of one channel.
    pub(crate) fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        self.lock().table_of(shard).get(channel).map_or(0, Vec::len)
    }

    /// `PUBSUB NUMPAT`: patterns with at least one subscriber.
    pub(crate) fn numpat(&self) -> usize {
        self.lock().patterns.0.len()
    }

    /// INFO `pubsub_channels` / `pubsub_patterns` / `pubsubshard_channels`.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let registry = self.lock();
        (
            registry.channels.0.len(),
            registry.patterns.0.len(),
            registry.shard.0.len(),
        )
    }
}

impl Subscriber {
    /// The connection wrote a message out of the queue.
    pub(crate) fn written(&self, message: &Message) {
        self.written_bytes(message.weight());
    }

    /// The connection wrote messages weighing `weight` out of the queue.
    pub(crate) fn written_bytes(&self, weight: usize) {
        self.queued.fetch_sub(weight, Ordering::AcqRel);
    }
}

/// The `PUBLISH` / `SPUBLISH` commands of a batch, by position: their replies are this node's
/// receiver counts, not the state machine's placeholder.
pub(crate) struct Publishes(Vec<(usize, bool, Bytes)>);

impl Publishes {
    pub(crate) fn find(commands: &[Vec<Bytes>]) -> Publishes {
        Publishes(
            commands
                .iter()
                .enumerate()
                .filter_map(|(i, argv)| published(argv).map(|(s, c, _)| (i, s, c.clone())))
                .collect(),
        )
    }

    /// Puts the receiver counts in place of the placeholders (errors stay).
    pub(crate) fn count(&self, hub: &PubSubHub, replies: &mut [meridian_types::Reply]) {
        for (i, shard, channel) in &self.0 {
            if let Some(reply @ meridian_types::Reply::Integer(_)) = replies.get_mut(*i) {
                *reply = meridian_types::Reply::Integer(hub.receivers(channel, *shard) as i64);
            }
        }
    }
}

/// `PUBLISH channel message` or `SPUBLISH shardchannel message`: (shard, channel, message).
pub(crate) fn published(argv: &[Bytes]) -> Option<(bool, &Bytes, &Bytes)> {
    let [name, channel, payload] = argv else {
        return None;
    };
    if name.eq_ignore_ascii_case(b"publish") {
        Some((false, channel, payload))
    } else if name.eq_ignore_ascii_case(b"spublish") {
        Some((true, channel, payload))
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
