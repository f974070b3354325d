//! Replies captured from redis-server 7.0.15 (the process `redis-7.0.15-commands.txt` was
//! listed from), pasted as data.

/// `ACL SETUSER uN <rules>` on redis-server 7.0.15, then its `ACL LIST` line and its
/// `ACL GETUSER` reply (flattened as JSON: maps and sets as arrays).
pub(super) const CASES: &[(&[&str], &str, &str)] = &[
    (
        &[],
        r#"user u0 off resetchannels -@all"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &[
            "on",
            ">p1",
            "~k*",
            "%R~r*",
            "%W~w*",
            "&ch*",
            "+get",
            "+config|get",
            "+select|0",
            "-@all",
            "+@read",
            "-hget",
            "(~x* +set)",
        ],
        r#"user u1 on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* %R~r* %W~w* resetchannels &ch* -@all +@read -hget (~x* resetchannels -@all +set)"#,
        r#"["flags", ["on"], "passwords", ["f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"], "commands", "-@all +@read -hget", "keys", "~k* %R~r* %W~w*", "channels", "&ch*", "selectors", [["commands", "-@all +set", "keys", "~x*", "channels", ""]]]"#,
    ),
    (
        &[
            "on",
            ">p1",
            ">p2",
            "<p1",
            "~a",
            "%R~b",
            "%W~b",
            "&c",
            "+@all",
            "-@dangerous",
            "-get",
        ],
        r#"user u2 on #3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693 ~a ~b resetchannels &c +@all -@dangerous -get"#,
        r#"["flags", ["on"], "passwords", ["3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693"], "commands", "+@all -@dangerous -get", "keys", "~a ~b", "channels", "&c", "selectors", []]"#,
    ),
    (
        &["-@all", "+@read", "+@write", "-@string"],
        r#"user u3 off resetchannels -@all +@sortedset +@hash +@geo +@bitmap +@keyspace +@hyperloglog +@list +@stream +@set +memory|usage -xgroup|help +lolwut -pfselftest +function|load +function|restore +function|delete +function|flush -xinfo|help -object|help"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +@sortedset +@hash +@geo +@bitmap +@keyspace +@hyperloglog +@list +@stream +@set +memory|usage -xgroup|help +lolwut -pfselftest +function|load +function|restore +function|delete +function|flush -xinfo|help -object|help", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["-@all", "+config", "-config|get"],
        r#"user u4 off resetchannels -@all +config -config|get"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +config -config|get", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["+@all", "-config|set", "+select|0"],
        r#"user u5 off resetchannels +@all -config|set"#,
        r#"["flags", ["off"], "passwords", [], "commands", "+@all -config|set", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["-@all", "+select|0", "+SELECT|1", "+client|list"],
        r#"user u6 off resetchannels -@all +client|list +select|0 +select|1"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +client|list +select|0 +select|1", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["nocommands", "+@hash", "+@set", "+@sortedset", "+get"],
        r#"user u7 off resetchannels -@all +@sortedset +@hash +@set +get"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +@sortedset +@hash +@set +get", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["allcommands", "-@slow"],
        r#"user u8 off resetchannels +@all -@slow"#,
        r#"["flags", ["off"], "passwords", [], "commands", "+@all -@slow", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["-@all", "+@fast", "-@write"],
        r#"user u9 off resetchannels -@all +@transaction +bitfield_ro +zmscore +hmget +asking +getbit +hstrlen +quit +dbsize +smismember +reset +lastsave -exec +type +llen +get +zrevrank +strlen +auth +hlen +zrank +zcount +sismember +touch +time +pttl +ping +mget +hello +readwrite +ttl +role +pexpiretime +exists +scard +xlen +lolwut +zlexcount +hexists +publish +expiretime +select +hget +readonly +spublish +zscore +echo +zcard"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +@transaction +bitfield_ro +zmscore +hmget +asking +getbit +hstrlen +quit +dbsize +smismember +reset +lastsave -exec +type +llen +get +zrevrank +strlen +auth +hlen +zrank +zcount +sismember +touch +time +pttl +ping +mget +hello +readwrite +ttl +role +pexpiretime +exists +scard +xlen +lolwut +zlexcount +hexists +publish +expiretime +select +hget +readonly +spublish +zscore +echo +zcard", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["on", "nopass", "~*", "+@all", "reset"],
        r#"user u10 off sanitize-payload resetchannels -@all"#,
        r#"["flags", ["off", "sanitize-payload"], "passwords", [], "commands", "-@all", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["(~x* +set)", "(%R~y &ch +@read)", "(&a &b -@all)"],
        r#"user u11 off resetchannels -@all (~x* resetchannels -@all +set) (%R~y resetchannels &ch -@all +@read) (resetchannels &a &b -@all)"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all", "keys", "", "channels", "", "selectors", [["commands", "-@all +set", "keys", "~x*", "channels", ""], ["commands", "-@all +@read", "keys", "%R~y", "channels", "&ch"], ["commands", "-@all", "keys", "", "channels", "&a &b"]]]"#,
    ),
    (
        &[
            "(~x* +set)",
            "clearselectors",
            "%RW~q",
            "~q",
            "%R~z",
            "%W~z",
        ],
        r#"user u12 off ~q ~z resetchannels -@all"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all", "keys", "~q ~z", "channels", "", "selectors", []]"#,
    ),
    (
        &["allkeys", "allchannels", "skip-sanitize-payload", "nopass"],
        r#"user u13 off nopass skip-sanitize-payload ~* &* -@all"#,
        r#"["flags", ["off", "nopass", "skip-sanitize-payload"], "passwords", [], "commands", "-@all", "keys", "~*", "channels", "&*", "selectors", []]"#,
    ),
    (
        &["-@all", "+@admin", "-@dangerous"],
        r#"user u14 off resetchannels -@all"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &["+@all", "-@keyspace", "+del"],
        r#"user u15 off resetchannels +@all -@keyspace +del"#,
        r#"["flags", ["off"], "passwords", [], "commands", "+@all -@keyspace +del", "keys", "", "channels", "", "selectors", []]"#,
    ),
    (
        &[
            "-@all",
            "+@pubsub",
            "+@connection",
            "+@transaction",
            "+@scripting",
        ],
        r#"user u16 off resetchannels -@all +@connection +@scripting +@pubsub +@transaction"#,
        r#"["flags", ["off"], "passwords", [], "commands", "-@all +@connection +@scripting +@pubsub +@transaction", "keys", "", "channels", "", "selectors", []]"#,
    ),
];

/// Error replies of `ACL SETUSER x <rule>` (with the `ERR ` prefix the server adds).
pub(super) const SETUSER_ERRORS: &[(&[&str], &str)] = &[
    (&["~a*", "allkeys", "~b"], "ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
    (&["&*", "&b"], "ERR Error in ACL SETUSER modifier '&b': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"),
    (&["+nosuch"], "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
    (&["+@nosuch"], "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"),
    (&["foo"], "ERR Error in ACL SETUSER modifier 'foo': Syntax error"),
    (&["<nope"], "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"),
    (&["#abc"], "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
    (&["+config|get|x"], "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"),
    (&["(+get"], "ERR Unmatched parenthesis in acl selector starting at '(+get'."),
    (&["(", "foo)"], "ERR Error in ACL SETUSER modifier '( foo)': Syntax error"),
    (&["%X~a"], "ERR Error in ACL SETUSER modifier '%X~a': Syntax error"),
    (&["%R~a b"], "ERR Error in ACL SETUSER modifier '%R~a b': Syntax error"),
    (&["%~x"], "ERR Error in ACL SETUSER modifier '%~x': Syntax error"),
    (&["%RR~x"], "ERR Error in ACL SETUSER modifier '%RR~x': Syntax error"),
    (&["%"], "ERR Error in ACL SETUSER modifier '%': Syntax error"),
    (&["+"], "ERR Error in ACL SETUSER modifier '+': Unknown command or category name in ACL"),
    (&["+config|"], "ERR Error in ACL SETUSER modifier '+config|': Syntax error"),
    (&["-get|x"], "ERR Error in ACL SETUSER modifier '-get|x': Unknown command or category name in ACL"),
];

/// `ACL DRYRUN <user> <argv...>` on redis-server 7.0.15 (users as `dryrun_users` sets them up;
/// `ms` shows which denial is reported when every selector refuses).
pub(super) const DRYRUN: &[(&str, &[&str], &str)] = &[
    ("k", &["get", "k1"], "OK"),
    (
        "k",
        &["get", "x"],
        "This user has no permissions to access the 'x' key",
    ),
    (
        "k",
        &["set", "r1", "v"],
        "This user has no permissions to access the 'r1' key",
    ),
    ("k", &["set", "w1", "v"], "OK"),
    ("k", &["set", "k1", "v"], "OK"),
    ("k", &["copy", "r1", "w1"], "OK"),
    (
        "k",
        &["copy", "w1", "r1"],
        "This user has no permissions to access the 'w1' key",
    ),
    (
        "k",
        &["hget", "k", "a"],
        "This user has no permissions to run the 'hget' command",
    ),
    (
        "k",
        &["mset", "k1", "v", "x", "v"],
        "This user has no permissions to access the 'x' key",
    ),
    (
        "k",
        &["mset", "x", "v", "y", "v"],
        "This user has no permissions to access the 'x' key",
    ),
    ("k", &["publish", "ch1", "m"], "OK"),
    (
        "k",
        &["publish", "x", "m"],
        "This user has no permissions to access the 'x' channel",
    ),
    ("k", &["psubscribe", "ch*"], "OK"),
    (
        "k",
        &["psubscribe", "c*"],
        "This user has no permissions to access the 'c*' channel",
    ),
    (
        "k",
        &["subscribe", "ch1", "zz"],
        "This user has no permissions to access the 'zz' channel",
    ),
    ("k", &["select", "0"], "OK"),
    (
        "k",
        &["select", "1"],
        "This user has no permissions to run the 'select' command",
    ),
    ("k", &["config", "get", "x"], "OK"),
    (
        "k",
        &["config", "set", "x", "y"],
        "This user has no permissions to run the 'config|set' command",
    ),
    ("k", &["auth", "a", "b"], "OK"),
    (
        "sel",
        &["get", "b"],
        "This user has no permissions to access the 'b' key",
    ),
    (
        "sel",
        &["set", "a", "v"],
        "This user has no permissions to access the 'a' key",
    ),
    (
        "sel",
        &["get", "c"],
        "This user has no permissions to access the 'c' key",
    ),
    ("sel", &["set", "b", "v"], "OK"),
    (
        "sel",
        &["hget", "a", "f"],
        "This user has no permissions to run the 'hget' command",
    ),
    (
        "ms",
        &["mset", "a1", "v", "b1", "v"],
        "This user has no permissions to access the 'b1' key",
    ),
    (
        "ms",
        &["mset", "b1", "v", "a1", "v"],
        "This user has no permissions to access the 'a1' key",
    ),
    (
        "ms",
        &["mset", "c1", "v", "a1", "v"],
        "This user has no permissions to access the 'c1' key",
    ),
    (
        "ms",
        &["get", "a1"],
        "This user has no permissions to access the 'a1' key",
    ),
    ("ms", &["get", "c1"], "OK"),
];
