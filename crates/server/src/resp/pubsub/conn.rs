//! The pub/sub commands on a connection: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBSUB, the RESP2
//! subscribed-mode rule, and writing queued messages out while the client waits.

use std::io;

use bytes::{Bytes, BytesMut};
use meridian_resp::Protocol;
use meridian_types::Reply;
use tokio::io::AsyncWriteExt;

use super::session::PubSubSession;
use super::{Kind, Message};
use crate::resp::connection::Connection;
use crate::resp::dispatch::Answer;

/// Messages written per socket write at most while draining the queue.
const DRAIN_BATCH: usize = 256;

/// A push (`>` in RESP3) or array (`*` in RESP2) header.
fn push_header(len: usize, proto: Protocol, out: &mut BytesMut) {
    let mark = match proto {
        Protocol::Resp2 => '*',
        Protocol::Resp3 => '>',
    };
    out.extend_from_slice(format!("{mark}{len}\r\n").as_bytes());
}

fn bulk(bytes: &[u8], out: &mut BytesMut) {
    meridian_resp::encode_bulk(bytes, out);
}

/// One subscribe/unsubscribe confirmation: `[kind, name or null, count]`.
fn confirmation(
    what: &str,
    name: Option<&[u8]>,
    count: usize,
    proto: Protocol,
    out: &mut BytesMut,
) {
    push_header(3, proto, out);
    bulk(what.as_bytes(), out);
    match (name, proto) {
        (Some(name), _) => bulk(name, out),
        (None, Protocol::Resp2) => out.extend_from_slice(b"$-1\r\n"),
        (None, Protocol::Resp3) => out.extend_from_slice(b"_\r\n"),
    }
    out.extend_from_slice(format!(":{count}\r\n").as_bytes());
}

/// A delivered message as the subscriber's protocol sends it.
pub(crate) fn encode_message(message: &Message, proto: Protocol, out: &mut BytesMut) {
    match message {
        Message::Channel { channel, payload } => {
            push_header(3, proto, out);
            bulk(b"message", out);
            bulk(channel, out);
            bulk(payload, out);
        }
        Message::Shard { channel, payload } => {
            push_header(3, proto, out);
            bulk(b"smessage", out);
            bulk(channel, out);
            bulk(payload, out);
        }
        Message::Pattern {
            pattern,
            channel,
            payload,
        } => {
            push_header(4, proto, out);
            bulk(b"pmessage", out);
            bulk(pattern, out);
            bulk(channel, out);
            bulk(payload, out);
        }
    }
}

fn names(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Channel => ("subscribe", "unsubscribe"),
        Kind::Pattern => ("psubscribe", "punsubscribe"),
        Kind::Shard => ("ssubscribe", "sunsubscribe"),
    }
}

/// The subscription kind of a command name, with whether it subscribes.
pub(crate) fn subscription_command(name: &str) -> Option<(Kind, bool)> {
    Some(match name {
        "subscribe" => (Kind::Channel, true),
        "unsubscribe" => (Kind::Channel, false),
        "psubscribe" => (Kind::Pattern, true),
        "punsubscribe" => (Kind::Pattern, false),
        "ssubscribe" => (Kind::Shard, true),
        "sunsubscribe" => (Kind::Shard, false),
        _ => return None,
    })
}

/// Redis's refusal of a command in RESP2 subscribed mode, or None when it may run.
fn subscribed_mode_refusal(name: &str, full_name: &str) -> Option<Reply> {
    let allowed = matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    );
    (!allowed).then(|| {
        Reply::Error(format!(
            "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        ))
    })
}

impl Connection {
    /// True in Redis's `CLIENT_PUBSUB` state.
    pub(crate) fn subscribed(&self) -> bool {
        self.session.pubsub.as_ref().is_some_and(|p| p.active())
    }

    /// Redis's RESP2 rule: a subscribed client may only (un)subscribe, PING, QUIT and RESET.
    pub(crate) fn subscribed_refusal(&self, name: &str, sub: Option<&[u8]>) -> Option<Reply> {
        if !(self.subscribed() && self.session.proto == Protocol::Resp2) {
            return None;
        }
        let full_name = match sub {
            Some(sub) => format!(
                "{name}|{}",
                String::from_utf8_lossy(sub).to_ascii_lowercase()
            ),
            None => name.to_string(),
        };
        subscribed_mode_refusal(name, &full_name)
    }

    /// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE: one confirmation per name (or one for "none" when
    /// unsubscribing from everything while subscribed to nothing).
    pub(crate) fn subscription(&mut self, kind: Kind, subscribe: bool, argv: &[Bytes]) -> Answer {
        let proto = self.session.proto;
        let mut out = BytesMut::new();
        self.take_queued(&mut out);
        let (sub_name, unsub_name) = names(kind);
        if subscribe {
            let hub = self.shared.pubsub.clone();
            let (id, kill) = (self.session.id, self.cancel.clone());
            let session = self
                .session
                .pubsub
                .get_or_insert_with(|| Box::new(PubSubSession::join(&hub, id, kill)));
            for name in &argv[1..] {
                session.add(kind, name);
                confirmation(sub_name, Some(name), session.count(kind), proto, &mut out);
            }
        } else {
            let targets: Vec<Bytes> = match (&self.session.pubsub, argv.len()) {
                (_, n) if n > 1 => argv[1..].to_vec(),
                (Some(session), _) => session.names(kind),
                (None, _) => Vec::new(),
            };
            for name in &targets {
                let count = match self.session.pubsub.as_mut() {
                    Some(session) => {
                        session.remove(kind, name);
                        session.count(kind)
                    }
                    None => 0,
                };
                confirmation(unsub_name, Some(name), count, proto, &mut out);
            }
            if targets.is_empty() {
                let count = self.session.pubsub.as_ref().map_or(0, |s| s.count(kind));
                confirmation(unsub_name, None, count, proto, &mut out);
            }
        }
        if self.session.pubsub.as_ref().is_some_and(|s| !s.active()) {
            self.session.pubsub = None;
        }
        self.update_subscription_view();
        let admin = &self.session.admin;
        if admin.reply_off || admin.skip {
            // Pushes, not replies: CLIENT REPLY OFF|SKIP does not hold them back.
            self.session.pushed.extend_from_slice(&out);
            return Answer::Raw(Bytes::new());
        }
        Answer::Raw(out.freeze())
    }

    /// CLIENT LIST's `sub`, `psub`, `ssub` and the `P` flag.
    pub(crate) fn update_subscription_view(&self) {
        let counts = self.session.pubsub.as_ref().map_or((0, 0, 0), |s| {
            (s.channels.len(), s.patterns.len(), s.shard.len())
        });
        let mut view = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        view.subscriptions = counts;
    }

    /// `PING` of a RESP2 client in subscribed mode: `["pong", message or ""]`.
    pub(crate) fn subscribed_ping(&self, argv: &[Bytes]) -> Option<Answer> {
        if !(self.subscribed() && self.session.proto == Protocol::Resp2) || argv.len() > 2 {
            return None;
        }
        let message = argv.get(1).cloned().unwrap_or_default();
        Some(Answer::Reply(Reply::Array(vec![
            Reply::Bulk(Bytes::from_static(b"pong")),
            Reply::Bulk(message),
        ])))
    }

    /// Moves the messages already queued for this subscriber into `out` (they were published
    /// before whatever reply follows them, so they go first).
    pub(crate) fn take_queued(&mut self, out: &mut BytesMut) {
        let proto = self.session.proto;
        let Some(session) = self.session.pubsub.as_mut() else {
            return;
        };
        while let Ok(message) = session.rx.try_recv() {
            encode_message(&message, proto, out);
            session.subscriber.written(&message);
        }
    }

    /// A subscriber's wait for its next request: forwards messages as they come (a pubsub
    /// client is exempt from the idle `timeout`, as in Redis). False when the connection
    /// should end.
    pub(crate) async fn forward_messages(&mut self) -> io::Result<bool> {
        let Some(mut session) = self.session.pubsub.take() else {
            return self.read_more().await;
        };
        let proto = self.session.proto;
        let cancel = self.cancel.clone();
        let result = loop {
            tokio::select! {
                message = session.rx.recv() => {
                    let Some(first) = message else { break Ok(false) };
                    let mut out = BytesMut::new();
                    let mut weight = first.weight();
                    encode_message(&first, proto, &mut out);
                    for _ in 1..DRAIN_BATCH {
                        let Ok(next) = session.rx.try_recv() else { break };
                        weight += next.weight();
                        encode_message(&next, proto, &mut out);
                    }
                    let wrote = tokio::select! {
                        r = async {
                            self.stream.write_all(&out).await?;
                            self.stream.flush().await
                        } => r,
                        () = cancel.cancelled() => Err(io::ErrorKind::ConnectionAborted.into()),
                    };
                    session.subscriber.written_bytes(weight);
                    if let Err(e) = wrote {
                        break Err(e);
                    }
                }
                more = self.read_more() => break more,
            }
        };
        self.session.pubsub = Some(session);
        result
    }

    /// `keymiss` notifications of a read this node serves (only it knows of the read).
    pub(crate) fn notify_key_misses(&self, argv: &[Bytes], now_ms: u64) {
        let hub = &self.shared.pubsub;
        let flags = hub.notify_flags();
        if !flags.passes(meridian_keyspace::EventClass::KeyMiss)
            || !(flags.keyspace() || flags.keyevent())
        {
            return;
        }
        let db = self.session.db;
        let misses = self
            .shared
            .group
            .sm()
            .read(|dbs| dbs.key_misses(db, argv, now_ms));
        hub.notify_local(&misses);
    }

    /// `PUBLISH` on a secondary cluster (read-only, as a Redis replica): delivered to this
    /// node's subscribers only.
    pub(crate) fn publish_here(&self, argv: &[Bytes]) -> Reply {
        match super::published(argv) {
            Some((shard, channel, payload)) => {
                Reply::Integer(self.shared.pubsub.publish(channel, payload, shard) as i64)
            }
            None => Reply::Error("ERR wrong number of arguments for 'publish' command".into()),
        }
    }

    /// `PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP` (this node's
    /// subscriptions, as each node of a Redis Cluster answers).
    pub(crate) fn pubsub_command(&self, argv: &[Bytes]) -> Reply {
        let hub = &self.shared.pubsub;
        let sub = argv[1].to_ascii_lowercase();
        let channels = |shard: bool| {
            let list = hub.channels(shard, argv.get(2).map(|p| &p[..]));
            Reply::Array(list.into_iter().map(Reply::Bulk).collect())
        };
        let numsub = |shard: bool| {
            let mut out = Vec::new();
            for channel in &argv[2..] {
                out.push(Reply::Bulk(channel.clone()));
                out.push(Reply::Integer(hub.numsub(shard, channel) as i64));
            }
            Reply::Array(out)
        };
        match (sub.as_slice(), argv.len()) {
            (b"help", 2) => crate::resp::server_cmds::help(PUBSUB_HELP),
            (b"channels", 2 | 3) => channels(false),
            (b"shardchannels", 2 | 3) => channels(true),
            (b"numsub", _) => numsub(false),
            (b"shardnumsub", _) => numsub(true),
            (b"numpat", 2) => Reply::Integer(hub.numpat() as i64),
            _ => Reply::Error(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(&argv[1])
            )),
        }
    }
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];
