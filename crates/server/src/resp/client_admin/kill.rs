//! CLIENT KILL, in both of Redis's forms: `CLIENT KILL ip:port` (+OK, or "No such client";
//! it may kill the caller) and `CLIENT KILL <filter> <value> …` (how many were killed;
//! SKIPME yes by default).

use bytes::Bytes;
use meridian_types::Reply;

use super::syntax_error;
use crate::resp::clients::ClientView;
use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use crate::resp::server_cmds::parse_i64;

/// Redis client types; Meridian's clients (monitors included, as on Redis) are all normal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientType {
    Normal,
    Master,
    Replica,
    PubSub,
}

/// Redis `getClientTypeByName`.
pub(crate) fn client_type(name: &[u8]) -> Option<ClientType> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Some(ClientType::Normal),
        b"slave" | b"replica" => Some(ClientType::Replica),
        b"pubsub" => Some(ClientType::PubSub),
        b"master" => Some(ClientType::Master),
        _ => None,
    }
}

/// Redis `getClientType`: a subscribed client is `pubsub`, every other one `normal` (a
/// monitor counts as a replica in Redis; it is `normal` here).
fn client_type_of(view: &crate::resp::clients::ClientView) -> ClientType {
    let (sub, psub, ssub) = view.subscriptions;
    if sub + psub + ssub > 0 {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// Which clients one CLIENT KILL matches.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct KillFilter {
    pub addr: Option<String>,
    pub laddr: Option<String>,
    pub kind: Option<ClientType>,
    pub id: Option<u64>,
    /// An ACL user's name (checked to exist by the caller).
    pub user: Option<String>,
    pub skipme: bool,
    /// `CLIENT KILL ip:port`: answers +OK / "No such client".
    pub old_form: bool,
}

/// Parses `CLIENT KILL …` (argv from `client`), with Redis's error replies.
pub(crate) fn parse_kill(argv: &[Bytes]) -> Result<KillFilter, Reply> {
    let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    if argv.len() == 3 {
        return Ok(KillFilter {
            addr: Some(text(&argv[2])),
            old_form: true,
            ..KillFilter::default()
        });
    }
    if argv.len() < 3 {
        return Err(syntax_error());
    }
    let mut filter = KillFilter {
        skipme: true,
        ..KillFilter::default()
    };
    let mut i = 2;
    while i < argv.len() {
        let (opt, value) = (argv[i].to_ascii_lowercase(), argv.get(i + 1));
        let Some(value) = value else {
            return Err(syntax_error());
        };
        match opt.as_slice() {
            b"id" => match parse_i64(value) {
                Some(id) if id >= 1 => filter.id = Some(id as u64),
                _ => {
                    return Err(Reply::Error(
                        "ERR client-id should be greater than 0".into(),
                    ))
                }
            },
            b"type" => match client_type(value) {
                Some(kind) => filter.kind = Some(kind),
                None => {
                    return Err(Reply::Error(format!(
                        "ERR Unknown client type '{}'",
                        text(value)
                    )))
                }
            },
            b"addr" => filter.addr = Some(text(value)),
            b"laddr" => filter.laddr = Some(text(value)),
            b"user" => filter.user = Some(text(value)),
            b"skipme" => match value.to_ascii_lowercase().as_slice() {
                b"yes" => filter.skipme = true,
                b"no" => filter.skipme = false,
                _ => return Err(syntax_error()),
            },
            _ => return Err(syntax_error()),
        }
        i += 2;
    }
    Ok(filter)
}

impl KillFilter {
    /// True when the filter selects `view` (`me`: the caller's id).
    pub(crate) fn matches(&self, view: &ClientView, me: u64) -> bool {
        if self
            .addr
            .as_ref()
            .is_some_and(|a| *a != view.addr.to_string())
        {
            return false;
        }
        if self
            .laddr
            .as_ref()
            .is_some_and(|a| *a != view.laddr.to_string())
        {
            return false;
        }
        if self.kind.is_some_and(|k| k != client_type_of(view)) {
            return false;
        }
        if self.id.is_some_and(|id| id != view.id) {
            return false;
        }
        if self.user.as_ref().is_some_and(|u| *u != view.user) {
            return false;
        }
        !(self.skipme && view.id == me)
    }
}

impl Connection {
    /// `CLIENT KILL …`: closes the matching clients; the caller itself after its reply.
    pub(crate) fn client_kill(&mut self, argv: &[Bytes]) -> Step {
        let filter = match parse_kill(argv) {
            Ok(f) => f,
            Err(e) => return Step::Answer(Answer::Reply(e)),
        };
        if let Some(user) = &filter.user {
            if self.users().get(user.as_bytes()).is_none() {
                let reply = Reply::Error(format!("ERR No such user '{user}'"));
                return Step::Answer(Answer::Reply(reply));
            }
        }
        let me = self.session.id;
        let mut killed = 0;
        let mut close_me = false;
        for view in self.shared.clients.list(None) {
            if !filter.matches(&view, me) {
                continue;
            }
            killed += 1;
            if view.id == me {
                close_me = true;
            } else {
                view.control.kill();
            }
        }
        let reply = match (filter.old_form, killed) {
            (true, 0) => Reply::Error("ERR No such client".into()),
            (true, _) => Reply::ok(),
            (false, n) => Reply::Integer(n),
        };
        match close_me {
            true => Step::Close(Answer::Reply(reply)),
            false => Step::Answer(Answer::Reply(reply)),
        }
    }
}
