//! Tests against outputs captured from redis-server 7.0.15.
//!
//! `tests/redis-7.0.15-commands.txt` is that server's command table as `COMMAND` listed it
//! (full name, ACL categories, `no_auth`), in the server's own dictionary order, which is
//! the order Redis prints single command rules in; every capture (`captures.rs` and the
//! strings below) came from that same server process, so the orders agree.

mod captures;

use bytes::Bytes;

use captures::{CASES, DRYRUN, SETUSER_ERRORS};

use crate::{
    category_names, check, commands_in_category, AclError, AclReply, Category, CategorySet,
    ChannelRef, CommandInfo, CommandTable, Denied, KeyRef, RuleError, Users, WrongPass,
};

fn redis_table() -> Vec<CommandInfo> {
    let mut table: Vec<CommandInfo> = Vec::new();
    for line in include_str!("redis-7.0.15-commands.txt").lines() {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap();
        let cats = parts.next().unwrap();
        let no_auth = parts.next().unwrap() == "no_auth";
        let categories = CategorySet::of(
            &cats
                .split(',')
                .filter(|c| *c != "-")
                .map(|c| Category::from_name(c).unwrap())
                .collect::<Vec<_>>(),
        );
        let info = CommandInfo {
            fullname: name.to_owned(),
            categories,
            no_auth,
            subcommands: Vec::new(),
        };
        if line.starts_with(' ') {
            table.last_mut().unwrap().subcommands.push(info);
        } else {
            table.push(info);
        }
    }
    table
}

/// The reply flattened as the capture script printed it (Python's `json.dumps`).
fn to_json(r: &AclReply) -> String {
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    match r {
        AclReply::Null => "null".to_owned(),
        AclReply::Bulk(b) => format!("\"{}\"", String::from_utf8_lossy(b)),
        AclReply::Array(v) | AclReply::Set(v) => list(v.iter().map(to_json).collect()),
        AclReply::Map(kv) => list(
            kv.iter()
                .flat_map(|(k, v)| [to_json(k), to_json(v)])
                .collect(),
        ),
    }
}

fn setuser(
    users: &mut Users,
    table: &Vec<CommandInfo>,
    name: &str,
    rules: &[&str],
) -> Result<(), AclError> {
    let rules: Vec<&[u8]> = rules.iter().map(|r| r.as_bytes()).collect();
    users.setuser(table, name.as_bytes(), &rules)
}

fn list_line(users: &Users, table: &Vec<CommandInfo>, name: &str) -> String {
    let prefix = format!("user {name} ");
    users
        .list(table)
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .find(|l| l.starts_with(&prefix))
        .unwrap()
}

#[test]
fn setuser_list_and_getuser_match_redis() {
    let table = redis_table();
    let mut users = Users::default();
    for (i, (rules, list, getuser)) in CASES.iter().enumerate() {
        let name = format!("u{i}");
        setuser(&mut users, &table, &name, rules).unwrap();
        assert_eq!(list_line(&users, &table, &name), *list, "rules {rules:?}");
        let reply = users.getuser(&table, name.as_bytes());
        assert_eq!(to_json(&reply), *getuser, "rules {rules:?}");
    }
}

#[test]
fn default_user_matches_redis() {
    let table = redis_table();
    let users = Users::default();
    assert_eq!(
        users.list(&table),
        vec![Bytes::from_static(b"user default on nopass ~* &* +@all")]
    );
    assert_eq!(
        to_json(&users.getuser(&table, b"default")),
        r#"["flags", ["on", "nopass"], "passwords", [], "commands", "+@all", "keys", "~*", "channels", "&*", "selectors", []]"#
    );
    assert_eq!(users.getuser(&table, b"nosuch"), AclReply::Null);
}

#[test]
fn setuser_errors_match_redis_and_change_nothing() {
    let table = redis_table();
    let mut users = Users::default();
    for (rules, want) in SETUSER_ERRORS {
        let err = setuser(&mut users, &table, "x", rules).unwrap_err();
        assert_eq!(format!("ERR {err}"), *want);
        assert!(users.get(b"x").is_none(), "{rules:?} created the user");
    }
    let err = setuser(&mut users, &table, "a b", &[]).unwrap_err();
    assert_eq!(
        format!("ERR {err}"),
        "ERR Usernames can't contain spaces or null characters"
    );
    assert!(matches!(
        setuser(&mut users, &table, "x", &["on", "foo"]),
        Err(AclError::Rule {
            source: RuleError::Syntax,
            ..
        })
    ));
}

/// Rules applied in steps to one user, each `ACL LIST` line captured from redis-server 7.0.15.
#[test]
fn rules_captured_one_by_one_match_redis() {
    let table = redis_table();
    let mut users = Users::default();
    let steps: &[(&[&str], &str)] = &[
        (&["+get|x"], "user x off resetchannels -@all +get|x"),
        (
            &["%rw~x", "~x", "%R~z", "%W~z", "%W~w", "%R", "allcommands", "-get", "+get|a", "+config|get", "+select|0"],
            "user x off ~x ~z %W~w %R~ resetchannels +@all -get +get|a",
        ),
        (&["-@all", "+select|0", "+Select|A", "+@read", "-@read", "+SELECT|0"], "user x off ~x ~z %W~w %R~ resetchannels -@all +select|0 +select|A"),
        (&["-select", "+@all", "-get", "-config|get"], "user x off ~x ~z %W~w %R~ resetchannels +@all -get -config|get"),
        (&["-@all", "+config", "-config|get"], "user x off ~x ~z %W~w %R~ resetchannels -@all +config -config|get"),
        (&["reset"], "user x off sanitize-payload resetchannels -@all"),
        (&["sanitize-payload", ">a", ">b", "<a", "nopass"], "user x off nopass sanitize-payload resetchannels -@all"),
        (
            &["skip-sanitize-payload", "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
            "user x off skip-sanitize-payload #e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 resetchannels -@all",
        ),
    ];
    for (rules, want) in steps {
        setuser(&mut users, &table, "x", rules).unwrap();
        assert_eq!(list_line(&users, &table, "x"), *want, "after {rules:?}");
    }
}

#[test]
fn cat_matches_redis() {
    let table = redis_table();
    assert_eq!(
        category_names().join(" "),
        "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin fast slow blocking dangerous connection transaction scripting"
    );
    assert_eq!(
        commands_in_category(&table, "hyperloglog")
            .unwrap()
            .join(" "),
        "pfcount pfmerge pfdebug pfadd pfselftest"
    );
    assert_eq!(
        commands_in_category(&table, "Transaction")
            .unwrap()
            .join(" "),
        "discard exec watch multi unwatch"
    );
    let err = commands_in_category(&table, "nosuch").unwrap_err();
    assert_eq!(format!("ERR {err}"), "ERR Unknown category 'nosuch'");
}

#[test]
fn users_deluser_and_auth_match_redis() {
    let table = redis_table();
    let mut users = Users::default();
    setuser(&mut users, &table, "u0", &[]).unwrap();
    setuser(&mut users, &table, "pw", &["on", ">secret"]).unwrap();
    let err = users.deluser(&[b"default", b"u0"]).unwrap_err();
    assert_eq!(
        format!("ERR {err}"),
        "ERR The 'default' user cannot be removed"
    );
    assert_eq!(users.deluser(&[b"u0", b"zz"]).unwrap(), 1);
    assert_eq!(
        users.usernames(),
        vec![Bytes::from_static(b"default"), Bytes::from_static(b"pw")]
    );

    let wrongpass = "WRONGPASS invalid username-password pair or user is disabled.";
    assert_eq!(
        users.authenticate(b"nosuch", b"x").unwrap_err().to_string(),
        wrongpass
    );
    assert_eq!(users.authenticate(b"pw", b"bad").unwrap_err(), WrongPass);
    assert_eq!(
        users
            .authenticate(b"pw", b"secret")
            .unwrap()
            .name()
            .as_ref(),
        b"pw"
    );
    assert!(users.authenticate(b"default", b"anything").is_ok());
    setuser(&mut users, &table, "pw", &["off"]).unwrap();
    assert_eq!(users.authenticate(b"pw", b"secret").unwrap_err(), WrongPass);
}

/// What the server would extract from each command (positions and key-spec access).
fn refs(argv: &[&str]) -> (Vec<KeyRef>, Vec<ChannelRef>) {
    let read = |pos| KeyRef {
        pos,
        read: true,
        write: false,
    };
    let write = |pos| KeyRef {
        pos,
        read: false,
        write: true,
    };
    let chan = |pos, pattern| ChannelRef { pos, pattern };
    match argv[0] {
        "get" | "hget" => (vec![read(1)], vec![]),
        "set" => (vec![write(1)], vec![]),
        "copy" => (vec![read(1), write(2)], vec![]),
        "mset" => ((1..argv.len()).step_by(2).map(write).collect(), vec![]),
        "publish" => (vec![], vec![chan(1, false)]),
        "subscribe" => (vec![], (1..argv.len()).map(|p| chan(p, false)).collect()),
        "psubscribe" => (vec![], (1..argv.len()).map(|p| chan(p, true)).collect()),
        _ => (vec![], vec![]),
    }
}

fn dryrun_users(table: &Vec<CommandInfo>) -> Users {
    let mut users = Users::default();
    let k = [
        "on",
        "nopass",
        "~k*",
        "%R~r*",
        "%W~w*",
        "&ch*",
        "-@all",
        "+get",
        "+set",
        "+copy",
        "+publish",
        "+psubscribe",
        "+subscribe",
        "+select|0",
        "+mset",
        "+config|get",
        "+auth",
    ];
    setuser(&mut users, table, "k", &k).unwrap();
    setuser(
        &mut users,
        table,
        "sel",
        &["on", "nopass", "-@all", "+get", "~a", "(+set ~b)"],
    )
    .unwrap();
    let ms = [
        "on",
        "nopass",
        "-@all",
        "+mset",
        "~a*",
        "(+mset ~b*)",
        "(+get ~c*)",
    ];
    setuser(&mut users, table, "ms", &ms).unwrap();
    users
}

fn run_check(
    users: &Users,
    table: &Vec<CommandInfo>,
    user: &str,
    argv: &[&str],
) -> Result<(), Denied> {
    let user = users.get(user.as_bytes()).unwrap();
    let name = if argv.len() > 1 {
        format!("{}|{}", argv[0], argv[1])
    } else {
        String::new()
    };
    let cmd = table
        .lookup(&name)
        .filter(|c| c.is_subcommand())
        .or_else(|| table.lookup(argv[0]))
        .unwrap();
    let (keys, channels) = refs(argv);
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    check(user, cmd, &bytes, &keys, &channels)
}

#[test]
fn dryrun_matches_redis() {
    let table = redis_table();
    let users = dryrun_users(&table);
    for (user, argv, want) in DRYRUN {
        let got = match run_check(&users, &table, user, argv) {
            Ok(()) => "OK".to_owned(),
            Err(d) => {
                let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
                String::from_utf8(d.dryrun_message(&bytes)).unwrap()
            }
        };
        assert_eq!(got, *want, "{user} {argv:?}");
    }
}

/// The error replies a connection authenticated as `k` got from redis-server 7.0.15.
#[test]
fn noperm_errors_match_redis() {
    let table = redis_table();
    let users = dryrun_users(&table);
    let cases: &[(&[&str], &str)] = &[
        (
            &["get", "x"],
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        (
            &["hget", "k", "a"],
            "NOPERM this user has no permissions to run the 'hget' command",
        ),
        (
            &["publish", "x", "m"],
            "NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
        (
            &["config", "set", "a", "b"],
            "NOPERM this user has no permissions to run the 'config|set' command",
        ),
        (
            &["select", "1"],
            "NOPERM this user has no permissions to run the 'select' command",
        ),
    ];
    for (argv, want) in cases {
        let err = run_check(&users, &table, "k", argv).unwrap_err();
        assert_eq!(err.to_string(), *want);
    }
}

#[test]
fn user_table_round_trips_through_bincode() {
    let table = redis_table();
    let users = dryrun_users(&table);
    let encoded = bincode::serialize(&users).unwrap();
    let decoded: Users = bincode::deserialize(&encoded).unwrap();
    assert_eq!(decoded, users);
    assert_eq!(decoded.list(&table), users.list(&table));
}

/// Selector words split as `sdssplitargs` splits them; captured from redis-server 7.0.15.
#[test]
fn selector_words_match_redis() {
    let table = redis_table();
    let mut users = Users::default();
    setuser(&mut users, &table, "q1", &["(~\"a)"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "q1"),
        "user q1 off resetchannels -@all (resetchannels -@all)"
    );
    let err = setuser(&mut users, &table, "q2", &["(~\"a b\")"]).unwrap_err();
    assert_eq!(
        format!("ERR {err}"),
        "ERR Error in ACL SETUSER modifier '(~\"a b\")': Syntax error"
    );
    setuser(&mut users, &table, "q3", &["(\"~a\" '&b' \"+g\\x65t\")"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "q3"),
        "user q3 off resetchannels -@all (~a resetchannels &b -@all +get)"
    );
    setuser(&mut users, &table, "q4", &["(  ~a   +get  )"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "q4"),
        "user q4 off resetchannels -@all (~a resetchannels -@all +get)"
    );
}

/// `CONFIG SET acl-pubsub-default allchannels`, then captured from redis-server 7.0.15.
#[test]
fn pubsub_default_allchannels_matches_redis() {
    let table = redis_table();
    let mut users = Users::new(true);
    setuser(&mut users, &table, "p1", &["(~x)"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "p1"),
        "user p1 off &* -@all (~x &* -@all)"
    );
    setuser(&mut users, &table, "p1", &["reset"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "p1"),
        "user p1 off sanitize-payload &* -@all"
    );
    let err = setuser(&mut users, &table, "p2", &["&x"]).unwrap_err();
    assert_eq!(
        err,
        AclError::Rule {
            rule: "&x".to_owned(),
            source: RuleError::ChannelAfterAllChannels
        }
    );
    setuser(&mut users, &table, "p3", &["resetchannels", "&x"]).unwrap();
    assert_eq!(
        list_line(&users, &table, "p3"),
        "user p3 off resetchannels &x -@all"
    );
}

/// Categories from command flags, against the categories redis-server 7.0.15's `COMMAND`
/// lists (the commands' flags and declared categories are from Redis's command JSON files).
#[test]
fn implicit_categories_match_redis() {
    use crate::{implicit_categories, CommandFlags};
    let names = |set: CategorySet| set.iter().map(Category::name).collect::<Vec<_>>().join(",");
    let get = CommandFlags {
        readonly: true,
        fast: true,
        ..CommandFlags::default()
    };
    assert_eq!(
        names(implicit_categories(
            CategorySet::of(&[Category::String]),
            get
        )),
        "read,string,fast"
    );
    let eval_ro = CommandFlags {
        readonly: true,
        ..CommandFlags::default()
    };
    assert_eq!(
        names(implicit_categories(
            CategorySet::of(&[Category::Scripting]),
            eval_ro
        )),
        "slow,scripting"
    );
    let blpop = CommandFlags {
        write: true,
        blocking: true,
        ..CommandFlags::default()
    };
    assert_eq!(
        names(implicit_categories(
            CategorySet::of(&[Category::List]),
            blpop
        )),
        "write,list,slow,blocking"
    );
    let config_set = CommandFlags {
        admin: true,
        ..CommandFlags::default()
    };
    assert_eq!(
        names(implicit_categories(CategorySet::empty(), config_set)),
        "admin,slow,dangerous"
    );
    let subscribe = CommandFlags {
        pubsub: true,
        ..CommandFlags::default()
    };
    assert_eq!(
        names(implicit_categories(CategorySet::empty(), subscribe)),
        "pubsub,slow"
    );
}
