//! [`ErrorCause`]: the error beneath a regional or control-plane error, shared by
//! `meridian-region` and `meridian-coord`.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The error beneath a `RegionError` or `CoordError`: the real one, shared by the error's
/// clones (a failed entry fails every write gathered into it). Those errors cross the
/// forwarding hop serialized and their cause travels as text, so on the far side the cause
/// shows the same `Display` but is no longer the original type.
///
/// It stands for the error it holds: its `Display` and `source()` are that error's, and
/// [`ErrorCause::downcast_ref`] reaches it.
#[derive(Clone)]
pub struct ErrorCause(Arc<dyn Error + Send + Sync>);

impl ErrorCause {
    /// `error` itself.
    pub fn new(error: impl Error + Send + Sync + 'static) -> ErrorCause {
        ErrorCause(Arc::new(error))
    }

    /// `error`, met while doing `what`: shown as `what: error`, with `error` as its source.
    pub fn context(what: &'static str, error: impl Error + Send + Sync + 'static) -> ErrorCause {
        ErrorCause::new(Context {
            what,
            source: Box::new(error),
        })
    }

    /// A cause that is no other error, only what went wrong.
    pub fn msg(text: impl Into<String>) -> ErrorCause {
        ErrorCause::new(Text(text.into()))
    }

    /// The error held, when it is a `T` (never after a forwarding hop).
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for ErrorCause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// On the wire: the text (what a `String` field carried before).
impl serde::Serialize for ErrorCause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ErrorCause::msg)
    }
}

/// [`ErrorCause::context`]: what was being done, and the error.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
struct Context {
    what: &'static str,
    source: Box<dyn Error + Send + Sync>,
}

/// [`ErrorCause::msg`], and every cause that came over the wire.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Text(String);

#[cfg(test)]
mod tests {
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;
    use serde::Deserialize;

    use super::*;

    #[test]
    fn a_cause_shows_its_error_and_reaches_it() {
        let cause = ErrorCause::new(std::io::Error::other("disk on fire"));
        assert_eq!(cause.to_string(), "disk on fire");
        assert!(cause.downcast_ref::<std::io::Error>().is_some());
        assert!(cause.source().is_none());
        assert_eq!(cause.clone().to_string(), cause.to_string());
    }

    #[test]
    fn context_shows_what_was_done_and_keeps_the_error_as_source() {
        let cause = ErrorCause::context("opening storage", std::io::Error::other("disk on fire"));
        assert_eq!(cause.to_string(), "opening storage: disk on fire");
        let source = cause.source();
        assert!(source.is_some_and(|e| e.downcast_ref::<std::io::Error>().is_some()));
        assert!(cause.downcast_ref::<std::io::Error>().is_none());
    }

    #[test]
    fn a_message_is_only_its_text() {
        let cause = ErrorCause::msg("the group is shutting down");
        assert_eq!(cause.to_string(), "the group is shutting down");
        assert!(cause.source().is_none());
        assert_eq!(
            format!("{cause:?}"),
            r#"Text("the group is shutting down")"#
        );
    }

    /// Across the wire a cause is its text: it comes back as a message with the same `Display`.
    /// (The bytes are checked against a `String`'s in `meridian-region`'s error tests.)
    #[test]
    fn a_cause_comes_back_from_the_wire_as_its_text() {
        let de: StrDeserializer<'_, DeError> = "opening storage: disk on fire".into_deserializer();
        let back = ErrorCause::deserialize(de).unwrap();
        assert_eq!(back.to_string(), "opening storage: disk on fire");
        assert!(back.source().is_none());
        assert!(back.downcast_ref::<std::io::Error>().is_none());
    }
}
