use bytes::Bytes;
use meridian_types::BacklogOp;
use tokio_util::sync::CancellationToken;

use meridian_keyspace::{EventClass, KeyEvent};

use super::*;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn op(argv: &[&str]) -> BacklogOp {
    BacklogOp {
        seq: 1,
        db: 0,
        now_ms: 0,
        seed: 0,
        argv: argv.iter().map(|a| b(a)).collect(),
    }
}

#[test]
fn channel_pattern_and_shard_subscribers_each_get_their_kind_of_message() {
    let hub = PubSubHub::default();
    let (_s1, mut rx1) = hub.join(1, CancellationToken::new());
    let (_s2, mut rx2) = hub.join(2, CancellationToken::new());
    hub.subscribe(1, Kind::Channel, b("news"));
    hub.subscribe(2, Kind::Pattern, b("n*"));
    hub.subscribe(2, Kind::Shard, b("news"));
    assert_eq!(hub.receivers(b"news", false), 2);
    assert_eq!(hub.receivers(b"news", true), 1);
    let ops = [
        op(&["PUBLISH", "news", "hello"]),
        op(&["SET", "k", "v"]),
        op(&["spublish", "news", "sharded"]),
    ];
    hub.deliver(&applied(&ops, &[], 0, 0));
    assert!(matches!(rx1.try_recv(), Ok(Message::Channel { payload, .. }) if payload == "hello"));
    assert!(
        rx1.try_recv().is_err(),
        "a shard message is not a channel message"
    );
    assert!(matches!(rx2.try_recv(), Ok(Message::Pattern { pattern, .. }) if pattern == "n*"));
    assert!(matches!(rx2.try_recv(), Ok(Message::Shard { payload, .. }) if payload == "sharded"));
    assert!(
        rx2.try_recv().is_err(),
        "patterns never match shard channels"
    );
}

fn applied<'a>(
    ops: &'a [BacklogOp],
    events: &'a [(usize, KeyEvent)],
    replayed_ops: usize,
    replayed_events: usize,
) -> meridian_storage::Applied<'a> {
    meridian_storage::Applied {
        ops,
        events,
        replayed_ops,
        replayed_events,
    }
}

fn event(name: &'static str, key: &str) -> KeyEvent {
    KeyEvent {
        class: EventClass::Generic,
        event: name,
        db: 0,
        key: b(key),
    }
}

fn payloads(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Message>) -> Vec<String> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .map(|m| match m {
            Message::Channel { payload, .. } | Message::Shard { payload, .. } => payload,
            Message::Pattern { payload, .. } => payload,
        })
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .collect()
}

#[test]
fn keyspace_events_go_out_in_log_order_with_messages_and_replays_stay_silent() {
    let hub = PubSubHub::default();
    assert!(hub.set_notify_flags(NotifyFlags::parse(b"Eg").unwrap_or_default()));
    let (_s, mut rx) = hub.join(1, CancellationToken::new());
    hub.subscribe(1, Kind::Pattern, b("*"));
    let ops = [
        op(&["DEL", "old"]),
        op(&["DEL", "a"]),
        op(&["PUBLISH", "c", "msg"]),
        op(&["DEL", "b"]),
    ];
    let events = [
        (0, event("del", "old")),
        (1, event("del", "a")),
        (3, event("del", "b")),
        (
            4,
            KeyEvent {
                class: EventClass::Expired,
                ..event("expired", "not-in-Eg")
            },
        ),
    ];
    // The first op and event come from an entry applied again after a restart.
    hub.deliver(&applied(&ops, &events, 1, 1));
    assert_eq!(payloads(&mut rx), ["a", "msg", "b"]);
    assert!(
        !hub.set_notify_flags(NotifyFlags::default()),
        "nothing to publish"
    );
}

#[test]
fn leaving_forgets_every_subscription_and_counts_return_to_zero() {
    let hub = PubSubHub::default();
    let (_s, _rx) = hub.join(7, CancellationToken::new());
    hub.subscribe(7, Kind::Channel, b("a"));
    hub.subscribe(7, Kind::Pattern, b("a*"));
    assert_eq!(hub.counts(), (1, 1, 0));
    assert_eq!(hub.numsub(false, b"a"), 1);
    assert_eq!(hub.numpat(), 1);
    hub.leave(7, &[(Kind::Channel, b("a")), (Kind::Pattern, b("a*"))]);
    assert_eq!(hub.counts(), (0, 0, 0));
    assert_eq!(hub.publish(&b("a"), &b("x"), false), 0);
}

#[test]
fn a_subscriber_past_the_hard_limit_is_disconnected_and_counted() {
    let hub = PubSubHub::default();
    hub.limits.load("pubsub 1024 0 0");
    let kill = CancellationToken::new();
    let (subscriber, _rx) = hub.join(3, kill.clone());
    hub.subscribe(3, Kind::Channel, b("c"));
    let payload = Bytes::from(vec![b'x'; 600]);
    hub.publish(&b("c"), &payload, false);
    assert!(!kill.is_cancelled(), "under the limit");
    hub.publish(&b("c"), &payload, false);
    assert!(kill.is_cancelled(), "past the hard limit");
    assert_eq!(hub.disconnections.load(Ordering::Relaxed), 1);
    assert!(subscriber.queued.load(Ordering::Relaxed) >= 1200);
}

#[test]
fn channels_lists_active_channels_matching_a_pattern() {
    let hub = PubSubHub::default();
    let (_s, _rx) = hub.join(1, CancellationToken::new());
    hub.subscribe(1, Kind::Channel, b("foo"));
    hub.subscribe(1, Kind::Channel, b("bar"));
    hub.subscribe(1, Kind::Shard, b("sfoo"));
    let mut all = hub.channels(false, None);
    all.sort();
    assert_eq!(all, vec![b("bar"), b("foo")]);
    assert_eq!(hub.channels(false, Some(b"f*")), vec![b("foo")]);
    assert_eq!(hub.channels(true, None), vec![b("sfoo")]);
}

#[test]
fn publishes_of_a_batch_are_found_by_position() {
    let commands = vec![
        vec![b("SET"), b("k"), b("v")],
        vec![b("publish"), b("c"), b("m")],
    ];
    let hub = PubSubHub::default();
    let (_s, _rx) = hub.join(1, CancellationToken::new());
    hub.subscribe(1, Kind::Channel, b("c"));
    let mut replies = vec![
        meridian_types::Reply::ok(),
        meridian_types::Reply::Integer(0),
    ];
    Publishes::find(&commands).count(&hub, &mut replies);
    assert_eq!(replies[1], meridian_types::Reply::Integer(1));
    assert_eq!(replies[0], meridian_types::Reply::ok());
}
