//! The small CLIENT subcommands: REPLY, NO-EVICT, UNBLOCK, GETREDIR, TRACKINGINFO, CACHING,
//! and CLIENT HELP.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use meridian_types::Reply;

use super::{subcommand_syntax_error, syntax_error, Unblock};
use crate::resp::connection::Connection;
use crate::resp::server_cmds::{help, parse_i64};

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]` parsed.
pub(crate) fn parse_unblock(argv: &[Bytes]) -> Result<(u64, Unblock), Reply> {
    if argv.len() > 4 {
        return Err(subcommand_syntax_error(&argv[1]));
    }
    let why = match argv.get(3).map(|a| a.to_ascii_lowercase()) {
        None => Unblock::Timeout,
        Some(r) if r == b"timeout" => Unblock::Timeout,
        Some(r) if r == b"error" => Unblock::Error,
        Some(_) => {
            return Err(Reply::Error(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into(),
            ))
        }
    };
    match parse_i64(&argv[2]) {
        // A negative id names no client.
        Some(id) => Ok((u64::try_from(id).unwrap_or(0), why)),
        None => Err(Reply::Error(
            "ERR value is not an integer or out of range".into(),
        )),
    }
}

fn on_off(arg: &[u8]) -> Option<bool> {
    match arg.to_ascii_lowercase().as_slice() {
        b"on" => Some(true),
        b"off" => Some(false),
        _ => None,
    }
}

fn bulk(text: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(text.as_bytes()))
}

impl Connection {
    /// `CLIENT REPLY ON|OFF|SKIP`; OFF and SKIP answer nothing (`dispatch_admin` drops it).
    pub(crate) fn client_reply(&mut self, argv: &[Bytes]) -> Reply {
        let admin = &mut self.session.admin;
        match argv[2].to_ascii_lowercase().as_slice() {
            b"on" => {
                admin.reply_off = false;
                admin.skip_next = false;
                admin.skip = false;
            }
            b"off" => admin.reply_off = true,
            b"skip" if !admin.reply_off => admin.skip_next = true,
            b"skip" => {}
            _ => return syntax_error(),
        }
        Reply::ok()
    }

    /// `CLIENT NO-EVICT ON|OFF` (Meridian evicts no clients; the flag shows in CLIENT LIST).
    pub(crate) fn client_no_evict(&mut self, argv: &[Bytes]) -> Reply {
        let Some(on) = on_off(&argv[2]) else {
            return syntax_error();
        };
        let view = self
            .registered
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        view.control.no_evict.store(on, Ordering::Relaxed);
        Reply::ok()
    }

    /// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: :1 when the client was blocked and is released.
    pub(crate) fn client_unblock(&mut self, argv: &[Bytes]) -> Reply {
        let (id, why) = match parse_unblock(argv) {
            Ok(parsed) => parsed,
            Err(e) => return e,
        };
        let released = self
            .shared
            .clients
            .list(Some(&[id]))
            .first()
            .is_some_and(|view| view.control.unblock(why));
        Reply::Integer(i64::from(released))
    }
}

/// `CLIENT GETREDIR`: -1, tracking being off.
pub(crate) fn client_getredir() -> Reply {
    Reply::Integer(-1)
}

/// `CLIENT TRACKINGINFO` of a client without tracking.
pub(crate) fn client_trackinginfo() -> Reply {
    Reply::Map(vec![
        (bulk("flags"), Reply::Set(vec![bulk("off")])),
        (bulk("redirect"), Reply::Integer(-1)),
        (bulk("prefixes"), Reply::Array(vec![])),
    ])
}

/// `CLIENT CACHING YES|NO`: only valid with tracking, which is never on.
pub(crate) fn client_caching() -> Reply {
    Reply::Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
         or OPTOUT mode enabled"
            .into(),
    )
}

/// CLIENT HELP: Redis 7.0's text (without TRACKING, which Meridian lacks) plus SETINFO.
pub(crate) fn client_help() -> Reply {
    help(&[
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Print this help.",
    ])
}
