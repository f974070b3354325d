//! The `ACL` command (Redis 7.0.15's `aclCommand`). SETUSER and DELUSER are replicated
//! writes; the rest read this node's view of the users.

use bytes::Bytes;
use meridian_acl::{AclReply, Users};
use meridian_types::Reply;

use crate::resp::connection::Connection;
use crate::resp::errors::write_error;
use crate::resp::server_cmds::{help, parse_i64};

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you \
have a Redis configuration file set) in order to store users in the Redis configuration.";

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
];

fn bulk(s: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// `addReplySubcommandSyntaxError`.
fn syntax_error(sub: &[u8]) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)])
    ))
}

fn acl_reply(r: AclReply) -> Reply {
    match r {
        AclReply::Null => Reply::Nil,
        AclReply::Bulk(b) => Reply::Bulk(b),
        AclReply::Array(items) => Reply::Array(items.into_iter().map(acl_reply).collect()),
        AclReply::Set(items) => Reply::Set(items.into_iter().map(acl_reply).collect()),
        AclReply::Map(pairs) => Reply::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (acl_reply(k), acl_reply(v)))
                .collect(),
        ),
    }
}

impl Connection {
    /// `ACL <subcommand> ...` (existence and arity were checked by the dispatcher).
    pub(crate) async fn acl(&mut self, argv: &[Bytes]) -> Reply {
        let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        let argc = argv.len();
        match (sub.as_str(), argc) {
            ("setuser" | "deluser", _) => self.acl_write(argv).await,
            ("getuser", 3) => {
                let users = self.users();
                acl_reply(users.getuser(&*self.shared.acl.table, &argv[2]))
            }
            ("list", 2) => {
                let users = self.users();
                let lines = users.list(&*self.shared.acl.table);
                Reply::Array(lines.into_iter().map(Reply::Bulk).collect())
            }
            ("users", 2) => Reply::Array(
                self.users()
                    .usernames()
                    .into_iter()
                    .map(Reply::Bulk)
                    .collect(),
            ),
            ("whoami", 2) => Reply::Bulk(self.session.user.clone()),
            ("load" | "save", _) => Reply::Error(NO_ACL_FILE.into()),
            ("cat", 2) => Reply::Array(
                meridian_acl::category_names()
                    .into_iter()
                    .map(bulk)
                    .collect(),
            ),
            ("cat", 3) => self.acl_cat(&argv[2]),
            ("genpass", 2 | 3) => genpass(argv.get(2)),
            ("log", 2 | 3) => self.acl_log(argv),
            ("dryrun", _) => self.acl_dryrun(argv),
            ("help", 2) => help(HELP),
            _ => syntax_error(&argv[1]),
        }
    }

    /// SETUSER / DELUSER: proposed as a write, so every node (and every secondary cluster)
    /// applies it in log order; the reply is the apply's.
    async fn acl_write(&mut self, argv: &[Bytes]) -> Reply {
        match self
            .shared
            .group
            .write_in(self.session.db, vec![argv.to_vec()], Vec::new())
            .await
        {
            Ok(result) => {
                self.session.last_write_seq = self.session.last_write_seq.max(result.seq);
                // This node's own table must hold the change before the next command is
                // checked against it (a follower applies after the leader answered).
                let local = meridian_types::Consistency::Local;
                if let Err(e) = self.shared.group.read_barrier(local, result.seq).await {
                    // Applied by the cluster all the same: the reply says what it did.
                    tracing::debug!(error = %e, "ACL change not yet applied on this node");
                }
                result
                    .replies
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Reply::Error("ERR the write produced no reply".into()))
            }
            Err(e) => write_error(&e),
        }
    }

    fn acl_cat(&self, category: &[u8]) -> Reply {
        let name = String::from_utf8_lossy(category);
        match meridian_acl::commands_in_category(&*self.shared.acl.table, &name) {
            Ok(names) => Reply::Array(names.iter().map(|n| bulk(n)).collect()),
            Err(e) => Reply::Error(format!("ERR {e}")),
        }
    }

    /// `ACL DRYRUN user command [arg ...]`.
    fn acl_dryrun(&self, argv: &[Bytes]) -> Reply {
        let users: std::sync::Arc<Users> = self.users();
        let Some(user) = users.get(&argv[2]) else {
            return Reply::Error(format!(
                "ERR User '{}' not found",
                String::from_utf8_lossy(&argv[2])
            ));
        };
        let cmd = &argv[3..];
        // Arity as Meridian's tables know it; a Redis command Meridian lacks is known only by
        // name (the ACL table is Redis's whole table).
        if let Err(Reply::Error(e)) = crate::resp::dispatch::resolve(cmd) {
            if e.starts_with("ERR wrong number") {
                return Reply::Error(e);
            }
        }
        if super::check::table_fullname(&*self.shared.acl.table, cmd).is_none() {
            return Reply::Error(format!(
                "ERR Command '{}' not found",
                String::from_utf8_lossy(&argv[3])
            ));
        }
        match super::check::check_user(&*self.shared.acl.table, user, cmd) {
            Ok(()) => Reply::ok(),
            Err((denied, _)) => {
                let args: Vec<&[u8]> = cmd.iter().map(|a| &a[..]).collect();
                Reply::Bulk(Bytes::from(denied.dryrun_message(&args)))
            }
        }
    }
}

/// `ACL GENPASS [bits]`: random hex, 256 bits by default.
fn genpass(bits: Option<&Bytes>) -> Reply {
    let bits = match bits.map(|b| parse_i64(b)) {
        None => 256,
        Some(Some(n)) => n,
        Some(None) => return Reply::Error("ERR value is not an integer or out of range".into()),
    };
    if !(1..=4096).contains(&bits) {
        return Reply::Error(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096"
                .into(),
        );
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    Reply::bulk(Bytes::from(hex))
}
