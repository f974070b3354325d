//! Keyspace notifications (Redis `notify-keyspace-events`): the events a write fires, in the
//! order Redis calls `notifyKeyspaceEvent`, and the flag set that decides which of them a node
//! publishes.
//!
//! Commands record events while they run (`WriteCtx::notify`, `DbsCtx::notify`); keys that a
//! write finds past their TTL and deletes, and keys it creates, are journaled by the keyspace
//! itself (`expired`, `new`) and merged in where they happened. The state machine collects
//! the events of each command with `Databases::execute_write_with_events` and of active
//! expiry with `Databases::expire_if_due_with_events`; every node that applies a write gets
//! the same events, and the server publishes them as
//! `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` when [`NotifyFlags`] let them pass.

use bytes::Bytes;

/// The class of an event (Redis's `NOTIFY_*`), which `notify-keyspace-events` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventClass {
    /// `g`: commands on any type (DEL, EXPIRE, RENAME, …).
    Generic,
    /// `$`
    String,
    /// `l`
    List,
    /// `s`
    Set,
    /// `h`
    Hash,
    /// `z`
    Zset,
    /// `x`: a key deleted because its TTL passed.
    Expired,
    /// `e`: a key evicted for memory (Meridian never evicts).
    Evicted,
    /// `t`
    Stream,
    /// `m`: a read of a missing key.
    KeyMiss,
    /// `n`: a key created.
    New,
    /// `d`: module events (Meridian has no modules).
    Module,
}

impl EventClass {
    /// The class's bit in a [`NotifyFlags`] (Redis's `NOTIFY_*` values).
    pub const fn bit(self) -> u32 {
        match self {
            EventClass::Generic => 1 << 2,
            EventClass::String => 1 << 3,
            EventClass::List => 1 << 4,
            EventClass::Set => 1 << 5,
            EventClass::Hash => 1 << 6,
            EventClass::Zset => 1 << 7,
            EventClass::Expired => 1 << 8,
            EventClass::Evicted => 1 << 9,
            EventClass::Stream => 1 << 10,
            EventClass::KeyMiss => 1 << 11,
            EventClass::Module => 1 << 13,
            EventClass::New => 1 << 14,
        }
    }
}

/// One keyspace event: `event` happened to `key` of database `db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub class: EventClass,
    /// Redis's event name (`set`, `lpush`, `del`, `expired`, …).
    pub event: &'static str,
    pub db: u32,
    pub key: Bytes,
}

impl KeyEvent {
    /// `__keyspace@<db>__:<key>`, whose message is the event name.
    pub fn keyspace_channel(&self) -> Bytes {
        let mut c = format!("__keyspace@{}__:", self.db).into_bytes();
        c.extend_from_slice(&self.key);
        Bytes::from(c)
    }

    /// `__keyevent@<db>__:<event>`, whose message is the key.
    pub fn keyevent_channel(&self) -> Bytes {
        Bytes::from(format!("__keyevent@{}__:{}", self.db, self.event))
    }
}

/// A `notify-keyspace-events` setting, as Redis keeps it (an OR of `NOTIFY_*` bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifyFlags(pub u32);

const KEYSPACE: u32 = 1 << 0;
const KEYEVENT: u32 = 1 << 1;
/// `A`: every class except `m` and `n`.
const ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13);

/// Class letters in the order Redis writes them back (`A` standing for all of them).
const CLASS_LETTERS: [(u8, EventClass); 11] = [
    (b'g', EventClass::Generic),
    (b'$', EventClass::String),
    (b'l', EventClass::List),
    (b's', EventClass::Set),
    (b'h', EventClass::Hash),
    (b'z', EventClass::Zset),
    (b'x', EventClass::Expired),
    (b'e', EventClass::Evicted),
    (b't', EventClass::Stream),
    (b'd', EventClass::Module),
    (b'n', EventClass::New),
];

impl NotifyFlags {
    /// Nothing published (Redis's default, `""`).
    pub const NONE: NotifyFlags = NotifyFlags(0);

    /// Redis's `keyspaceEventsStringToFlags`: `None` if a character names no class.
    pub fn parse(s: &[u8]) -> Option<NotifyFlags> {
        let mut flags = 0;
        for c in s {
            flags |= match c {
                b'A' => ALL,
                b'K' => KEYSPACE,
                b'E' => KEYEVENT,
                b'm' => EventClass::KeyMiss.bit(),
                _ => CLASS_LETTERS.iter().find(|(l, _)| l == c)?.1.bit(),
            };
        }
        Some(NotifyFlags(flags))
    }

    /// Redis's `keyspaceEventsFlagsToString` (what `CONFIG GET` answers).
    pub fn to_flag_string(self) -> String {
        let mut out = String::new();
        if self.0 & ALL == ALL {
            out.push('A');
        } else {
            for (letter, class) in CLASS_LETTERS {
                if self.0 & class.bit() != 0 {
                    out.push(char::from(letter));
                }
            }
        }
        for (bit, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E')] {
            if self.0 & bit != 0 {
                out.push(letter);
            }
        }
        if self.0 & EventClass::KeyMiss.bit() != 0 {
            out.push('m');
        }
        out
    }

    /// Whether events of `class` are published at all.
    pub fn passes(self, class: EventClass) -> bool {
        self.0 & class.bit() != 0
    }

    /// Whether `__keyspace@…` messages are published (`K`).
    pub fn keyspace(self) -> bool {
        self.0 & KEYSPACE != 0
    }

    /// Whether `__keyevent@…` messages are published (`E`).
    pub fn keyevent(self) -> bool {
        self.0 & KEYEVENT != 0
    }

    /// The `(channel, message)` pairs Redis publishes for `event` under these flags, in
    /// Redis's order (keyspace first).
    pub fn messages(self, event: &KeyEvent) -> Vec<(Bytes, Bytes)> {
        let mut out = Vec::new();
        if !self.passes(event.class) {
            return out;
        }
        if self.keyspace() {
            let name = Bytes::from_static(event.event.as_bytes());
            out.push((event.keyspace_channel(), name));
        }
        if self.keyevent() {
            out.push((event.keyevent_channel(), event.key.clone()));
        }
        out
    }
}

/// A key a write created or found expired and deleted, as the keyspace saw it.
#[derive(Debug, Clone)]
enum Journaled {
    Expired(Bytes),
    /// `replaced_ttl`: the TTL of a stored entry the new one replaced (expired, or live and
    /// then not a creation), `None` when nothing was stored.
    Created {
        key: Bytes,
        replaced_ttl: Option<u64>,
    },
}

/// The keyspace's side of the events: what `Keyspace::insert` and lazy expiry saw during the
/// current command, turned into `expired` / `new` events where the command's own events are
/// recorded, so they come out in the order Redis fires them. It records only while a command
/// whose events are wanted runs (not while a full sync imports keys, say).
#[derive(Debug, Clone, Default)]
pub(crate) struct Journal {
    on: bool,
    log: Vec<Journaled>,
}

/// A journal that grew past this many entries (one huge MSET) gives its memory back.
const JOURNAL_KEEP: usize = 64;

impl Journal {
    /// Starts (`true`) or stops recording; stopping forgets what was not drained.
    pub(crate) fn record(&mut self, on: bool) {
        self.on = on;
        if !on {
            self.log.clear();
            if self.log.capacity() > JOURNAL_KEEP {
                self.log = Vec::new();
            }
        }
    }

    pub(crate) fn expired(&mut self, key: &Bytes) {
        if self.on {
            self.log.push(Journaled::Expired(key.clone()));
        }
    }

    pub(crate) fn created(&mut self, key: &Bytes, replaced_ttl: Option<u64>) {
        if self.on {
            let key = key.clone();
            self.log.push(Journaled::Created { key, replaced_ttl });
        }
    }

    pub(crate) fn drain_into(&mut self, db: u32, now_ms: u64, out: &mut Vec<KeyEvent>) {
        let event = |class, event, key: Bytes| KeyEvent {
            class,
            event,
            db,
            key,
        };
        for j in self.log.drain(..) {
            match j {
                Journaled::Expired(key) => out.push(event(EventClass::Expired, "expired", key)),
                Journaled::Created { key, replaced_ttl } => {
                    match replaced_ttl {
                        Some(t) if t > now_ms => continue,
                        Some(_) => out.push(event(EventClass::Expired, "expired", key.clone())),
                        None => {}
                    }
                    out.push(event(EventClass::New, "new", key));
                }
            }
        }
    }
}
