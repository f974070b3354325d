//! The admin protocol's messages: a request is one line of text, a reply one line of JSON.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{RegionPair, Status, WanProxyError};

/// Longest request line the server reads, in bytes (newline included).
pub(crate) const MAX_REQUEST_LINE: u64 = 4096;
/// Longest reply line the client reads, in bytes (newline included).
pub(crate) const MAX_REPLY_LINE: u64 = 1 << 20;

/// One admin request. Its line form is what [`fmt::Display`] writes and [`FromStr`] reads:
/// `SHOW`, or `SET <region_a>:<region_b> <rtt_ms> [<jitter_ms>]` (verb in any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRequest {
    /// The latency table and traffic counters.
    Show,
    /// Set the latency of one pair; without `jitter_ms` the pair keeps its jitter (0 for a
    /// pair without an entry).
    Set {
        pair: RegionPair,
        rtt_ms: u64,
        jitter_ms: Option<u64>,
    },
}

/// The reply to any request: `{"ok": <Status>}` (the table after the request) or
/// `{"error": "<why>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminReply {
    Ok(Status),
    Error(String),
}

impl FromStr for AdminRequest {
    type Err = WanProxyError;

    fn from_str(line: &str) -> Result<AdminRequest, WanProxyError> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let bad = |why: &str| WanProxyError::AdminProtocol(format!("{why} in request {line:?}"));
        match words.as_slice() {
            [verb] if verb.eq_ignore_ascii_case("show") => Ok(AdminRequest::Show),
            [verb, pair, rest @ ..] if verb.eq_ignore_ascii_case("set") && rest.len() <= 2 => {
                let ms = |s: &&str| s.parse::<u64>().map_err(|_| bad("bad milliseconds"));
                let rtt_ms = rest
                    .first()
                    .map(ms)
                    .ok_or_else(|| bad("missing rtt_ms"))??;
                let jitter_ms = rest.get(1).map(ms).transpose()?;
                Ok(AdminRequest::Set {
                    pair: pair.parse()?,
                    rtt_ms,
                    jitter_ms,
                })
            }
            _ => Err(bad(
                "expected SHOW or SET <region_a>:<region_b> <rtt_ms> [<jitter_ms>]",
            )),
        }
    }
}

impl fmt::Display for AdminRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminRequest::Show => write!(f, "SHOW"),
            AdminRequest::Set {
                pair,
                rtt_ms,
                jitter_ms,
            } => {
                write!(f, "SET {pair} {rtt_ms}")?;
                match jitter_ms {
                    Some(j) => write!(f, " {j}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_line_form() {
        let pair = RegionPair::new("us-east-1", "eu-west-1").unwrap();
        for req in [
            AdminRequest::Show,
            AdminRequest::Set {
                pair: pair.clone(),
                rtt_ms: 70,
                jitter_ms: None,
            },
            AdminRequest::Set {
                pair,
                rtt_ms: 70,
                jitter_ms: Some(5),
            },
        ] {
            assert_eq!(req.to_string().parse::<AdminRequest>().unwrap(), req);
        }
        assert_eq!(
            "show\r\n".parse::<AdminRequest>().unwrap(),
            AdminRequest::Show
        );
    }

    #[test]
    fn bad_requests_say_why() {
        for (line, why) in [
            ("", "expected SHOW"),
            ("GET x", "expected SHOW"),
            ("SET a:b", "missing rtt_ms"),
            ("SET a:b ten", "bad milliseconds"),
            ("SET a:b 1 -2", "bad milliseconds"),
            ("SET a:b 1 2 3", "expected SHOW"),
            ("SET ab 1", "not of the form"),
        ] {
            let err = line.parse::<AdminRequest>().unwrap_err().to_string();
            assert!(err.contains(why), "{line:?}: {err}");
        }
    }
}
