//! Connection commands: PING, HELLO, AUTH, CLIENT, RESET.

use bytes::Bytes;
use meridian_resp::Protocol;
use meridian_types::Reply;

use crate::resp::acl::{LogContext, LogReason};
use crate::resp::client_admin;
use crate::resp::connection::Connection;
use crate::resp::dispatch::{Answer, Step};
use crate::resp::server_cmds::parse_i64;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, \
otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
select the RESP protocol version at the same time";

fn error(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

/// Redis `validateClientAttr`: printable ASCII without spaces.
fn valid_client_attr(value: &[u8]) -> bool {
    value.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

impl Connection {
    pub(super) fn ping(&self, argv: &[Bytes]) -> Reply {
        match argv.len() {
            1 => Reply::Status("PONG".into()),
            2 => Reply::Bulk(argv[1].clone()),
            _ => meridian_keyspace::wrong_arity("ping"),
        }
    }

    /// `ACLAuthenticateUser`: on success the connection becomes `user`; a failure is
    /// logged in `ACL LOG` (reason `auth`, object the command name).
    fn authenticate(&mut self, user: &[u8], pass: &[u8], command: &Bytes) -> bool {
        let users = self.users();
        if let Ok(u) = users.authenticate(user, pass) {
            self.session.user = u.name().clone();
            self.session.authenticated = true;
            return true;
        }
        let context = if self.session.multi.is_some() {
            LogContext::Multi
        } else {
            LogContext::Toplevel
        };
        let object = Bytes::copy_from_slice(command);
        self.add_acl_log(
            LogReason::Auth,
            context,
            object,
            Bytes::copy_from_slice(user),
        );
        false
    }

    pub(super) fn auth(&mut self, argv: &[Bytes]) -> Reply {
        let (user, pass) = match argv.len() {
            2 => {
                if crate::resp::acl::default_open(&self.users()) {
                    return error(
                        "ERR AUTH <password> called without any password configured for the \
                         default user. Are you sure your configuration is correct?",
                    );
                }
                (&b"default"[..], &argv[1][..])
            }
            3 => (&argv[1][..], &argv[2][..]),
            _ => return error("ERR syntax error"),
        };
        let (user, pass) = (user.to_vec(), pass.to_vec());
        if self.authenticate(&user, &pass, &argv[0]) {
            Reply::ok()
        } else {
            error(WRONGPASS)
        }
    }

    pub(super) fn hello(&mut self, argv: &[Bytes]) -> Step {
        let fail = |r: Reply| Step::Answer(Answer::Reply(r));
        let mut proto = None;
        let mut i = 1;
        if argv.len() >= 2 {
            match parse_i64(&argv[1]) {
                None => {
                    return fail(error(
                        "ERR Protocol version is not an integer or out of range",
                    ))
                }
                Some(2) => proto = Some(Protocol::Resp2),
                Some(3) => proto = Some(Protocol::Resp3),
                Some(_) => return fail(error("NOPROTO unsupported protocol version")),
            }
            i = 2;
        }
        let mut auth = None;
        let mut setname = None;
        while i < argv.len() {
            let more = argv.len() - i - 1;
            let opt = &argv[i];
            if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
                auth = Some((argv[i + 1].clone(), argv[i + 2].clone()));
                i += 3;
            } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
                setname = Some(argv[i + 1].clone());
                i += 2;
            } else {
                return fail(Reply::Error(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(opt)
                )));
            }
        }
        if let Some((user, pass)) = auth {
            if !self.authenticate(&user, &pass, &argv[0]) {
                return fail(error(WRONGPASS));
            }
        }
        if self.auth_required() {
            return fail(error(HELLO_NOAUTH));
        }
        if let Some(name) = setname {
            if let Err(e) = self.set_name(&name) {
                return fail(e);
            }
        }
        if let Some(p) = proto {
            self.session.proto = p;
        }
        let version = match self.session.proto {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        };
        let s = |t: &str| Reply::bulk(Bytes::copy_from_slice(t.as_bytes()));
        Step::Answer(Answer::Reply(Reply::Map(vec![
            (s("server"), s("redis")),
            (s("version"), s(crate::resp::info::REDIS_VERSION)),
            (s("proto"), Reply::Integer(version)),
            (s("id"), Reply::Integer(self.session.id as i64)),
            (s("mode"), s("standalone")),
            (s("role"), s("master")),
            (s("modules"), Reply::Array(vec![])),
        ])))
    }

    fn set_name(&mut self, name: &[u8]) -> Result<(), Reply> {
        if !valid_client_attr(name) {
            return Err(error(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ));
        }
        self.session.name = String::from_utf8_lossy(name).into_owned();
        Ok(())
    }

    pub(super) fn client(&mut self, argv: &[Bytes]) -> Step {
        let sub = argv[1].to_ascii_lowercase();
        let reply = match sub.as_slice() {
            b"id" => Reply::Integer(self.session.id as i64),
            b"setname" => match self.set_name(&argv[2]) {
                Ok(()) => Reply::ok(),
                Err(e) => e,
            },
            b"getname" if self.session.name.is_empty() => Reply::Nil,
            b"getname" => Reply::bulk(self.session.name.clone()),
            b"info" => {
                let line = self
                    .shared
                    .clients
                    .list(Some(&[self.session.id]))
                    .first()
                    .map(|v| v.line())
                    .unwrap_or_default();
                return Step::Answer(Answer::Verbatim(format!("{line}\n")));
            }
            b"list" => return self.client_list(&argv[2..]),
            b"kill" => return self.client_kill(argv),
            b"pause" => self.client_pause(argv),
            b"unpause" => self.client_unpause(),
            b"unblock" => self.client_unblock(argv),
            b"no-evict" => self.client_no_evict(argv),
            b"reply" => self.client_reply(argv),
            b"getredir" => client_admin::client_getredir(),
            b"trackinginfo" => client_admin::client_trackinginfo(),
            b"caching" => client_admin::client_caching(),
            b"setinfo" => {
                let attr = argv[2].to_ascii_lowercase();
                let value = &argv[3];
                let shown = String::from_utf8_lossy(&argv[2]).into_owned();
                if attr != b"lib-name" && attr != b"lib-ver" {
                    Reply::Error(format!("ERR Unrecognized option '{shown}'"))
                } else if !valid_client_attr(value) {
                    Reply::Error(format!(
                        "ERR {} cannot contain spaces, newlines or special characters.",
                        String::from_utf8_lossy(&attr)
                    ))
                } else {
                    let value = String::from_utf8_lossy(value).into_owned();
                    if attr == b"lib-name" {
                        self.session.lib_name = value;
                    } else {
                        self.session.lib_ver = value;
                    }
                    Reply::ok()
                }
            }
            _ => client_admin::client_help(),
        };
        Step::Answer(Answer::Reply(reply))
    }

    fn client_list(&self, opts: &[Bytes]) -> Step {
        let syntax = || Step::Answer(Answer::Reply(error("ERR syntax error")));
        let mut ids: Option<Vec<u64>> = None;
        let mut none = false;
        match opts.first().map(|o| o.to_ascii_lowercase()) {
            None => {}
            Some(o) if o == b"type" && opts.len() == 2 => {
                match opts[1].to_ascii_lowercase().as_slice() {
                    b"normal" => {}
                    b"master" | b"replica" | b"slave" | b"pubsub" => none = true,
                    _ => {
                        return Step::Answer(Answer::Reply(Reply::Error(format!(
                            "ERR Unknown client type '{}'",
                            String::from_utf8_lossy(&opts[1])
                        ))))
                    }
                }
            }
            Some(o) if o == b"id" && opts.len() >= 2 => {
                let mut list = Vec::new();
                for raw in &opts[1..] {
                    match parse_i64(raw) {
                        Some(id) if id > 0 => list.push(id as u64),
                        _ => return Step::Answer(Answer::Reply(error("ERR Invalid client ID"))),
                    }
                }
                ids = Some(list);
            }
            Some(_) => return syntax(),
        }
        let mut text = String::new();
        if !none {
            for view in self.shared.clients.list(ids.as_deref()) {
                text.push_str(&view.line());
                text.push('\n');
            }
        }
        Step::Answer(Answer::Verbatim(text))
    }

    pub(super) fn reset(&mut self) -> Reply {
        let required = !crate::resp::acl::default_open(&self.users());
        self.session.reset(required);
        self.admin_reset();
        Reply::Status("RESET".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_attrs_reject_spaces_and_controls() {
        assert!(valid_client_attr(b"redis-py"));
        assert!(!valid_client_attr(b"a b"));
        assert!(!valid_client_attr(b"a\nb"));
    }
}
