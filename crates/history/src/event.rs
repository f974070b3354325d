//! One line of a history: an invocation or a completion of a client operation.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An invocation or a completion, as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the history, assigned by the recorder.
    pub index: u64,
    /// The client. A process whose op ended `info` never issues another op.
    pub process: u64,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Nanoseconds since the run started, from a monotonic clock.
    pub time: u64,
    #[serde(flatten)]
    pub op: Op,
    /// The node the client talked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u64>,
    /// The cluster (region) of that node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The seq the system returned with a write acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What an event says about its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The client sent the operation.
    Invoke,
    /// It took effect, with this result.
    Ok,
    /// It certainly did not take effect.
    Fail,
    /// Unknown: it may or may not have taken effect (timeout, lost connection).
    Info,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Invoke => "invoke",
            Kind::Ok => "ok",
            Kind::Fail => "fail",
            Kind::Info => "info",
        })
    }
}

/// The operation, tagged by `f` as in Jepsen; its result travels in the completion's copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum Op {
    /// `value`: None on invoke, and for a nil read.
    Read {
        key: String,
        #[serde(default)]
        value: Option<i64>,
    },
    Write {
        key: String,
        value: i64,
    },
    /// `value`: the counter's new value, on ok.
    Incr {
        key: String,
        by: i64,
        #[serde(default)]
        value: Option<i64>,
    },
    /// ok = swapped; fail = the comparison failed (certainly not applied).
    Cas {
        key: String,
        from: i64,
        to: i64,
    },
    /// A list-append transaction (MULTI of RPUSH and LRANGE).
    Txn {
        value: Vec<Micro>,
    },
    /// Several registers read at once (on a secondary); nil is None.
    ReadState {
        #[serde(default)]
        value: BTreeMap<String, Option<i64>>,
    },
}

impl Op {
    /// The `f` tag, as written in the JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Read { .. } => "read",
            Op::Write { .. } => "write",
            Op::Incr { .. } => "incr",
            Op::Cas { .. } => "cas",
            Op::Txn { .. } => "txn",
            Op::ReadState { .. } => "read_state",
        }
    }

    /// The key of a single-key operation.
    pub fn key(&self) -> Option<&str> {
        match self {
            Op::Read { key, .. }
            | Op::Write { key, .. }
            | Op::Incr { key, .. }
            | Op::Cas { key, .. } => Some(key),
            Op::Txn { .. } | Op::ReadState { .. } => None,
        }
    }

    /// The same operation without its results, as it is invoked: reads carry no values and an
    /// increment no new value.
    pub fn invocation(&self) -> Op {
        match self {
            Op::Read { key, .. } => Op::Read {
                key: key.clone(),
                value: None,
            },
            Op::Incr { key, by, .. } => Op::Incr {
                key: key.clone(),
                by: *by,
                value: None,
            },
            Op::Txn { value } => Op::Txn {
                value: value.iter().map(Micro::invocation).collect(),
            },
            Op::ReadState { .. } => Op::ReadState {
                value: BTreeMap::new(),
            },
            Op::Write { .. } | Op::Cas { .. } => self.clone(),
        }
    }

    /// True for an operation that changes state when it takes effect.
    pub fn is_write(&self) -> bool {
        match self {
            Op::Write { .. } | Op::Incr { .. } | Op::Cas { .. } => true,
            Op::Txn { value } => value.iter().any(|m| matches!(m, Micro::Append { .. })),
            Op::Read { .. } | Op::ReadState { .. } => false,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Read { key, value } => write!(f, "read {key} -> {}", Nil(value)),
            Op::Write { key, value } => write!(f, "write {key} = {value}"),
            Op::Incr { key, by, value } => write!(f, "incr {key} by {by} -> {}", Nil(value)),
            Op::Cas { key, from, to } => write!(f, "cas {key} {from} -> {to}"),
            Op::Txn { value } => {
                f.write_str("txn [")?;
                for (i, m) in value.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{m}")?;
                }
                f.write_str("]")
            }
            Op::ReadState { value } => {
                f.write_str("read_state {")?;
                for (i, (k, v)) in value.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{k}: {}", Nil(v))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Displays an optional register value, None as `nil`.
pub(crate) struct Nil<'a>(pub &'a Option<i64>);

impl fmt::Display for Nil<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("nil"),
        }
    }
}

/// One micro-op of a list-append transaction, written as Jepsen does:
/// `["append", "k", 5]`, `["r", "k", [1, 2]]`, `["r", "k", null]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Micro {
    Append {
        key: String,
        value: i64,
    },
    /// `value`: None on invoke (or when unknown); an empty list reads as `[]`.
    Read {
        key: String,
        value: Option<Vec<i64>>,
    },
}

impl Micro {
    pub fn key(&self) -> &str {
        match self {
            Micro::Append { key, .. } | Micro::Read { key, .. } => key,
        }
    }

    /// The micro-op without its result.
    pub fn invocation(&self) -> Micro {
        match self {
            Micro::Append { .. } => self.clone(),
            Micro::Read { key, .. } => Micro::Read {
                key: key.clone(),
                value: None,
            },
        }
    }
}

impl fmt::Display for Micro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Micro::Append { key, value } => write!(f, "append {key} {value}"),
            Micro::Read { key, value: None } => write!(f, "r {key} ?"),
            Micro::Read {
                key,
                value: Some(v),
            } => write!(f, "r {key} {v:?}"),
        }
    }
}

impl Serialize for Micro {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Micro::Append { key, value } => ("append", key, value).serialize(s),
            Micro::Read { key, value } => ("r", key, value).serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Micro {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(MicroVisitor)
    }
}

struct MicroVisitor;

impl<'de> Visitor<'de> for MicroVisitor {
    type Value = Micro;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a micro-op ["append", key, value] or ["r", key, [values] or null]"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Micro, A::Error> {
        let f: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let Key(key) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let micro = match f.as_str() {
            "append" => Micro::Append {
                key,
                value: seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(2, &self))?,
            },
            "r" => Micro::Read {
                key,
                value: seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(2, &self))?,
            },
            other => return Err(de::Error::unknown_variant(other, &["append", "r"])),
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(4, &self));
        }
        Ok(micro)
    }
}

/// A micro-op key: a string, or an integer as Elle writes them (kept as its decimal text).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key (string or integer)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
}
