//! Key specs of the commands Meridian implements, as redis-server 7.0.15 reports them in
//! `COMMAND INFO` (begin search, find keys, flags); generated from a running redis-server.

use super::getkeys::{Begin, Find, Spec};

pub(super) const SPECS: &[(&str, &[Spec])] = &[
    (
        "append",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "bitcount",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "bitfield",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update", "variable_flags"],
        }],
    ),
    (
        "bitfield_ro",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "bitop",
        &[
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(3),
                find: Find::Range(-1, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "bitpos",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "blmove",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "insert"],
            },
        ],
    ),
    (
        "blmpop",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Keynum(0, 1, 1),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "blpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-2, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "brpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-2, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "brpoplpush",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "insert"],
            },
        ],
    ),
    (
        "bzmpop",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Keynum(0, 1, 1),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "bzpopmax",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-2, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "bzpopmin",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-2, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "copy",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
        ],
    ),
    (
        "decr",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "decrby",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "del",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RM", "delete"],
        }],
    ),
    (
        "dump",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "exists",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "expire",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "expireat",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "expiretime",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "geoadd",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "geodist",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "geohash",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "geopos",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "georadius",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Keyword("STORE", 6),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Keyword("STOREDIST", 6),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
        ],
    ),
    (
        "georadius_ro",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "georadiusbymember",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Keyword("STORE", 5),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Keyword("STOREDIST", 5),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
        ],
    ),
    (
        "georadiusbymember_ro",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "geosearch",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "geosearchstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "get",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "getbit",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "getdel",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "getex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "getrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "getset",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "hdel",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "hexists",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "hget",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hgetall",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hincrby",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "hincrbyfloat",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "hkeys",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hlen",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "hmget",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hmset",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "hrandfield",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hscan",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "hset",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "hsetnx",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "hstrlen",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "hvals",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "incr",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "incrby",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "incrbyfloat",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "lcs",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(1, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "lindex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "linsert",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "llen",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "lmove",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "insert"],
            },
        ],
    ),
    (
        "lmpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "lpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "lpos",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "lpush",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "lpushx",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "lrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "lrem",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "lset",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "ltrim",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "mget",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "move",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "mset",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 2, 0),
            flags: &["OW", "update"],
        }],
    ),
    (
        "msetnx",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 2, 0),
            flags: &["OW", "insert"],
        }],
    ),
    (
        "object|encoding",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "object|freq",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "object|idletime",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "object|refcount",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "persist",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "pexpire",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "pexpireat",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "pexpiretime",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "pfadd",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "pfcount",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RW", "access"],
        }],
    ),
    (
        "pfdebug",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access"],
        }],
    ),
    (
        "pfmerge",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "insert"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(-1, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "psetex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["OW", "update"],
        }],
    ),
    (
        "pttl",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "rename",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
        ],
    ),
    (
        "renamenx",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "insert"],
            },
        ],
    ),
    (
        "restore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["OW", "update"],
        }],
    ),
    (
        "rpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "rpoplpush",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "insert"],
            },
        ],
    ),
    (
        "rpush",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "rpushx",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "sadd",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "scard",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "sdiff",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "sdiffstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(-1, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "set",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update", "variable_flags"],
        }],
    ),
    (
        "setbit",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "setex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["OW", "update"],
        }],
    ),
    (
        "setnx",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["OW", "insert"],
        }],
    ),
    (
        "setrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "sinter",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "sintercard",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RO", "access"],
        }],
    ),
    (
        "sinterstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(-1, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "sismember",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "smembers",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "smismember",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "smove",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "access", "delete"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RW", "insert"],
            },
        ],
    ),
    (
        "sort",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Unknown,
                find: Find::Unknown,
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Unknown,
                find: Find::Unknown,
                flags: &["OW", "update"],
            },
        ],
    ),
    (
        "sort_ro",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
            Spec {
                begin: Begin::Unknown,
                find: Find::Unknown,
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "spop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "srandmember",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "srem",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "sscan",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "strlen",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "substr",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "sunion",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "sunionstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(-1, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "touch",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "ttl",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "type",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "unlink",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RM", "delete"],
        }],
    ),
    (
        "zadd",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "zcard",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "zcount",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zdiff",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zdiffstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Keynum(0, 1, 1),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "zincrby",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "update"],
        }],
    ),
    (
        "zinter",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zintercard",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zinterstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Keynum(0, 1, 1),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "zlexcount",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zmpop",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "zmscore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zpopmax",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "zpopmin",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "access", "delete"],
        }],
    ),
    (
        "zrandmember",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrangebylex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrangebyscore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrangestore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Range(0, 1, 0),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "zrank",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrem",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "zremrangebylex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "zremrangebyrank",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "zremrangebyscore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "zrevrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrevrangebylex",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrevrangebyscore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zrevrank",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zscan",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zscore",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zunion",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Keynum(0, 1, 1),
            flags: &["RO", "access"],
        }],
    ),
    (
        "zunionstore",
        &[
            Spec {
                begin: Begin::Index(1),
                find: Find::Range(0, 1, 0),
                flags: &["OW", "update"],
            },
            Spec {
                begin: Begin::Index(2),
                find: Find::Keynum(0, 1, 1),
                flags: &["RO", "access"],
            },
        ],
    ),
    (
        "watch",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "memory|usage",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "xack",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "xadd",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "xautoclaim",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "xclaim",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "xdel",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "xlen",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO"],
        }],
    ),
    (
        "xpending",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xread",
        &[Spec {
            begin: Begin::Keyword("STREAMS", 1),
            find: Find::Range(-1, 1, 2),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xreadgroup",
        &[Spec {
            begin: Begin::Keyword("STREAMS", 4),
            find: Find::Range(-1, 1, 2),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xrevrange",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xsetid",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "xtrim",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "spublish",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(0, 1, 0),
            flags: &["not_key"],
        }],
    ),
    (
        "xgroup|create",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "xgroup|createconsumer",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "insert"],
        }],
    ),
    (
        "xgroup|delconsumer",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "xgroup|destroy",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "delete"],
        }],
    ),
    (
        "xgroup|setid",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RW", "update"],
        }],
    ),
    (
        "xinfo|consumers",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xinfo|groups",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "xinfo|stream",
        &[Spec {
            begin: Begin::Index(2),
            find: Find::Range(0, 1, 0),
            flags: &["RO", "access"],
        }],
    ),
    (
        "ssubscribe",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["not_key"],
        }],
    ),
    (
        "sunsubscribe",
        &[Spec {
            begin: Begin::Index(1),
            find: Find::Range(-1, 1, 0),
            flags: &["not_key"],
        }],
    ),
];
