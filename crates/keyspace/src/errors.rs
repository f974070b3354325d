//! Every error reply of the keyspace, worded byte for byte as Redis 7.0 words it, in one place.
//!
//! Fixed texts are constants, answered as `Err(err(TEXT))`; texts that name a command, an
//! option or a value are built by the functions below. The command tests spell the texts out
//! again (`test_util.rs` and each family's tests) rather than import them, so a change here
//! that departs from Redis's wording fails a test.

use bytes::Bytes;
use meridian_types::Reply;

/// The error reply with `text` (which starts with its Redis error code: `ERR`, `WRONGTYPE`, …).
pub(crate) fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

/// [`WRONGTYPE`] as a reply.
pub(crate) fn wrongtype() -> Reply {
    err(WRONGTYPE)
}

// ---------------------------------------------------------------------------------------------
// Shared by every family

pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
pub(crate) const SYNTAX: &str = "ERR syntax error";
pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
pub(crate) const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// INCRBYFLOAT, HINCRBYFLOAT.
pub(crate) const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";
pub(crate) const NO_SUCH_KEY: &str = "ERR no such key";
pub(crate) const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub(crate) const STRING_TOO_LONG: &str =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
/// HRANDFIELD, SRANDMEMBER, ZRANDMEMBER counts too large to answer.
pub(crate) const OUT_OF_RANGE: &str = "ERR value is out of range";
/// Redis's wording (typo included) for a random count outside `-LONG_MAX..=LONG_MAX`.
pub(crate) const RAND_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// A negative count (LPOP, SPOP, ZPOPMIN, …: `getPositiveLongFromObjectOrReply`).
pub(crate) const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
/// SINTERCARD, ZMPOP, LMPOP.
pub(crate) const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
/// SINTERCARD, ZINTERCARD.
pub(crate) const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
/// SCAN, HSCAN, SSCAN, ZSCAN.
pub(crate) const INVALID_CURSOR: &str = "ERR invalid cursor";

// ---------------------------------------------------------------------------------------------
// Commands and dispatch

/// `ERR unknown command …`, byte for byte as Redis 7 words it.
pub fn unknown_command(argv: &[Bytes]) -> Reply {
    let name = argv
        .first()
        .map(|n| lossy_prefix(n, 128))
        .unwrap_or_default();
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&lossy_prefix(a, room));
        args.push_str("' ");
    }
    let text = format!("ERR unknown command '{name}', with args beginning with: {args}");
    Reply::Error(text.replace(['\r', '\n'], " "))
}

fn lossy_prefix(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

/// `ERR wrong number of arguments for '<name>' command`.
pub fn wrong_arity(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// A write command run as a read (a caller's mistake).
pub(crate) fn write_as_read(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR '{name}' is a write command and must go through the log"
    ))
}

/// A command spanning databases run against a single keyspace (a caller's mistake).
pub(crate) fn spans_databases(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR '{name}' spans databases and must run through Databases"
    ))
}

/// An unknown subcommand of a container command (OBJECT), shown up to 128 bytes.
pub(crate) fn unknown_subcommand(sub: &[u8], command: &str) -> Reply {
    let shown = String::from_utf8_lossy(&sub[..sub.len().min(128)]).replace(['\r', '\n'], " ");
    Reply::Error(format!(
        "ERR unknown subcommand '{shown}'. Try {command} HELP."
    ))
}

// ---------------------------------------------------------------------------------------------
// Keys, TTLs and databases

/// `ERR invalid expire time in '<command>' command` (SET, SETEX, GETEX, EXPIRE, …).
pub(crate) fn invalid_expire(command: &str) -> Reply {
    Reply::Error(format!("ERR invalid expire time in '{command}' command"))
}

/// An unknown option of the EXPIRE family, printed as a C string (up to its first NUL).
pub(crate) fn unsupported_option(option: &[u8]) -> Reply {
    let text = option.split(|&c| c == 0).next().unwrap_or_default();
    Reply::Error(format!(
        "ERR Unsupported option {}",
        String::from_utf8_lossy(text)
    ))
}

pub(crate) const EXPIRE_NX_AND_OTHERS: &str =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
pub(crate) const EXPIRE_GT_AND_LT: &str =
    "ERR GT and LT options at the same time are not compatible";
pub(crate) const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";
/// A database index outside C's `int`.
pub(crate) const DB_INDEX_NOT_INT: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
pub(crate) const INVALID_FIRST_DB: &str = "ERR invalid first DB index";
pub(crate) const INVALID_SECOND_DB: &str = "ERR invalid second DB index";
/// MOVE and COPY onto themselves.
pub(crate) const SAME_OBJECT: &str = "ERR source and destination objects are the same";

// ---------------------------------------------------------------------------------------------
// Strings and bitmaps

pub(crate) const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
pub(crate) const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub(crate) const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
pub(crate) const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
pub(crate) const BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";
pub(crate) const BITOP_NOT_SOURCES: &str = "ERR BITOP NOT must be called with a single source key.";
pub(crate) const BITFIELD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. \
                                        Note that u64 is not supported but i64 is.";
pub(crate) const BITFIELD_OVERFLOW_TYPE: &str = "ERR Invalid OVERFLOW type specified";
pub(crate) const BITFIELD_RO_GET_ONLY: &str = "ERR BITFIELD_RO only supports the GET subcommand";
pub(crate) const LCS_NOT_STRINGS: &str = "ERR The specified keys must contain string values";
pub(crate) const LCS_LEN_AND_IDX: &str =
    "ERR If you want both the length and indexes, please just use IDX.";
pub(crate) const LCS_TOO_LONG: &str = "ERR String too long for LCS";
pub(crate) const LCS_TABLE_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

// ---------------------------------------------------------------------------------------------
// Hashes, lists and sets

pub(crate) const HASH_NOT_INTEGER: &str = "ERR hash value is not an integer";
pub(crate) const HASH_NOT_FLOAT: &str = "ERR hash value is not a float";
/// HINCRBYFLOAT's increment is an infinity.
pub(crate) const VALUE_NAN_OR_INFINITY: &str = "ERR value is NaN or Infinity";
pub(crate) const LPOS_RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first \
                                         match, 2 from the second ... or use negative to start \
                                         from the end of the list";
pub(crate) const LPOS_COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
pub(crate) const LPOS_MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
pub(crate) const TOO_MANY_KEYS: &str = "ERR Number of keys can't be greater than number of args";

// ---------------------------------------------------------------------------------------------
// Sorted sets

pub(crate) const ZADD_NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";
pub(crate) const ZADD_XX_AND_NX: &str = "ERR XX and NX options at the same time are not compatible";
pub(crate) const ZADD_GT_LT_NX: &str =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
pub(crate) const ZADD_INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
pub(crate) const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
pub(crate) const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
pub(crate) const LIMIT_NEEDS_BY: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
pub(crate) const WITHSCORES_BYLEX: &str =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
pub(crate) const NOT_FLOAT_WEIGHT: &str = "ERR weight value is not a float";
/// ZMPOP, LMPOP.
pub(crate) const COUNT_NOT_POSITIVE: &str = "ERR count should be greater than 0";

/// `numkeys` below 1 in ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD.
pub(crate) fn no_input_key(command: &str) -> Reply {
    Reply::Error(format!(
        "ERR at least 1 input key is needed for '{command}' command"
    ))
}

// ---------------------------------------------------------------------------------------------
// Blocking commands

pub(crate) const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
pub(crate) const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";

// ---------------------------------------------------------------------------------------------
// Geo

pub(crate) const UNSUPPORTED_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
/// GEOADD found no ZADD to run (never, while ZADD is registered).
pub(crate) const ZADD_UNAVAILABLE: &str = "ERR zadd is not available";
pub(crate) const GEO_NO_MEMBER: &str = "ERR could not decode requested zset member";
pub(crate) const NEED_NUMERIC_RADIUS: &str = "ERR need numeric radius";
pub(crate) const NEGATIVE_RADIUS: &str = "ERR radius cannot be negative";
pub(crate) const NEED_NUMERIC_WIDTH: &str = "ERR need numeric width";
pub(crate) const NEED_NUMERIC_HEIGHT: &str = "ERR need numeric height";
pub(crate) const NEGATIVE_BOX: &str = "ERR height or width cannot be negative";
pub(crate) const GEO_COUNT_NOT_POSITIVE: &str = "ERR COUNT must be > 0";
pub(crate) const ANY_NEEDS_COUNT: &str = "ERR the ANY argument requires COUNT argument";

/// A coordinate pair outside what a geohash covers, printed as `%.6f`.
pub(crate) fn invalid_lon_lat(lon: f64, lat: f64) -> Reply {
    Reply::Error(format!(
        "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
    ))
}

/// STORE (`what`: GEOSEARCHSTORE or "STORE option in GEORADIUS") with WITHDIST, WITHHASH or
/// WITHCOORD.
pub(crate) fn store_with_fields(what: &str) -> Reply {
    Reply::Error(format!(
        "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
    ))
}

/// GEOSEARCH without FROMMEMBER or FROMLONLAT; `command` as the client spelled it.
pub(crate) fn geo_no_from(command: &str) -> Reply {
    Reply::Error(format!(
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {command}"
    ))
}

/// GEOSEARCH without BYRADIUS or BYBOX; `command` as the client spelled it.
pub(crate) fn geo_no_by(command: &str) -> Reply {
    Reply::Error(format!(
        "ERR exactly one of BYRADIUS and BYBOX can be specified for {command}"
    ))
}

// ---------------------------------------------------------------------------------------------
// HyperLogLog

pub(crate) const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
pub(crate) const INVALID_HLL: &str = "INVALIDOBJ Corrupted HLL object detected";
pub(crate) const HLL_NO_SUCH_KEY: &str = "ERR The specified key does not exist";
pub(crate) const HLL_NOT_SPARSE: &str = "ERR HLL encoding is not sparse";

/// An unknown PFDEBUG subcommand (CR and LF shown as spaces, as in every Redis error).
pub(crate) fn unknown_pfdebug(sub: &[u8]) -> Reply {
    let name = String::from_utf8_lossy(sub).replace(['\r', '\n'], " ");
    Reply::Error(format!("ERR Unknown PFDEBUG subcommand '{name}'"))
}

/// PFSELFTEST found `what` wrong.
pub(crate) fn selftest_failed(what: &str) -> Reply {
    Reply::Error(format!("ERR TESTFAILED {what}"))
}

// ---------------------------------------------------------------------------------------------
// Streams

pub(crate) const STREAM_INVALID_ID: &str =
    "ERR Invalid stream ID specified as stream command argument";
pub(crate) const STREAM_BAD_START_ID: &str = "ERR invalid start ID for the interval";
pub(crate) const STREAM_BAD_END_ID: &str = "ERR invalid end ID for the interval";
pub(crate) const MAXLEN_AND_MINID: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
pub(crate) const MAXLEN_NEGATIVE: &str = "ERR The MAXLEN argument must be >= 0.";
pub(crate) const TRIM_LIMIT_NEGATIVE: &str = "ERR The LIMIT argument must be >= 0.";
pub(crate) const LIMIT_WITHOUT_STRATEGY: &str =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
pub(crate) const XTRIM_WITHOUT_STRATEGY: &str =
    "ERR syntax error, XTRIM must be called with a trimming strategy";
pub(crate) const LIMIT_WITHOUT_APPROX: &str =
    "ERR syntax error, LIMIT cannot be used without the special ~ option";
pub(crate) const XADD_ZERO_ID: &str = "ERR The ID specified in XADD must be greater than 0-0";
pub(crate) const STREAM_EXHAUSTED: &str =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
pub(crate) const XADD_ID_TOO_SMALL: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
pub(crate) const XREAD_UNBALANCED: &str = "ERR Unbalanced XREAD list of streams: for each \
                                           stream key an ID or '$' must be specified.";
pub(crate) const GROUP_NEEDS_XREADGROUP: &str =
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
pub(crate) const NOACK_NEEDS_XREADGROUP: &str =
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
pub(crate) const XREADGROUP_WITHOUT_GROUP: &str = "ERR Missing GROUP option for XREADGROUP";
pub(crate) const XREADGROUP_DOLLAR: &str = "ERR The $ ID is meaningless in the context of \
                                            XREADGROUP: you want to read the history of this \
                                            consumer by specifying a proper ID, or use the > ID \
                                            to get new messages. The $ ID would just return an \
                                            empty result set.";
pub(crate) const XREAD_GREATER_ID: &str = "ERR The > ID can be specified only when calling \
                                           XREADGROUP using the GROUP <group> <consumer> \
                                           option.";
/// XREAD's BLOCK milliseconds.
pub(crate) const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
pub(crate) const ENTRIESREAD_RANGE: &str = "ERR value for ENTRIESREAD must be positive or -1";
pub(crate) const XGROUP_NEEDS_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. \
                                           Note that for CREATE you may want to use the \
                                           MKSTREAM option to create an empty stream \
                                           automatically.";
pub(crate) const BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";
pub(crate) const ENTRIES_ADDED_NEGATIVE: &str = "ERR entries_added must be positive";
pub(crate) const XSETID_BELOW_MAX_DELETED: &str =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
pub(crate) const XSETID_BELOW_TOP: &str =
    "ERR The ID specified in XSETID is smaller than the target stream top item";
pub(crate) const XSETID_ADDED_BELOW_LEN: &str =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";
pub(crate) const XCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XCLAIM";
pub(crate) const XCLAIM_IDLE: &str = "ERR Invalid IDLE option argument for XCLAIM";
pub(crate) const XCLAIM_TIME: &str = "ERR Invalid TIME option argument for XCLAIM";
pub(crate) const XCLAIM_RETRYCOUNT: &str = "ERR Invalid RETRYCOUNT option argument for XCLAIM";
pub(crate) const XAUTOCLAIM_MIN_IDLE: &str = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
pub(crate) const XAUTOCLAIM_COUNT: &str = "ERR COUNT must be > 0";
/// A blocked XREADGROUP whose stream key was deleted (or overwritten by another type).
pub(crate) const UNBLOCKED_NO_KEY: &str = "UNBLOCKED the stream key no longer exists";
/// A blocked XREADGROUP whose group was destroyed.
pub(crate) const UNBLOCKED_NO_GROUP: &str =
    "NOGROUP the consumer group this client was blocked on no longer exists";

/// A string argument in an error, as `%s` prints it: up to its first NUL.
fn c_text(b: &[u8]) -> String {
    let text = b.split(|&c| c == 0).next().unwrap_or_default();
    String::from_utf8_lossy(text).into_owned()
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>` (XPENDING, XCLAIM,
/// XAUTOCLAIM; XREADGROUP adds " in XREADGROUP with GROUP option").
pub(crate) fn no_group(key: &[u8], group: &[u8], suffix: &str) -> Reply {
    Reply::Error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        c_text(key),
        c_text(group)
    ))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'` (XGROUP, XINFO).
pub(crate) fn no_group_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::Error(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        c_text(group),
        c_text(key)
    ))
}

pub(crate) fn unrecognized_xclaim_option(opt: &[u8]) -> Reply {
    Reply::Error(format!("ERR Unrecognized XCLAIM option '{}'", c_text(opt)))
}

/// `addReplySubcommandSyntaxError`: `command` upper-cased, the subcommand up to 128 bytes.
pub(crate) fn subcommand_syntax(sub: &[u8], command: &str) -> Reply {
    let sub = c_text(&sub[..sub.len().min(128)]);
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {command} HELP."
    ))
}

// ---------------------------------------------------------------------------------------------
// DUMP, RESTORE, OBJECT and SORT

pub(crate) const BAD_DATA_FORMAT: &str = "ERR Bad data format";
pub(crate) const BAD_DUMP_FOOTER: &str = "ERR DUMP payload version or checksum are wrong";
pub(crate) const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub(crate) const INVALID_IDLETIME: &str = "ERR Invalid IDLETIME value, must be >= 0";
pub(crate) const INVALID_FREQ: &str = "ERR Invalid FREQ value, must be >= 0 and <= 255";
pub(crate) const INVALID_TTL: &str = "ERR Invalid TTL value, must be >= 0";
pub(crate) const NO_LFU: &str = "ERR An LFU maxmemory policy is not selected, access frequency \
                                 not tracked. Please note that when switching between policies \
                                 at runtime LRU and LFU data will take some time to adjust.";
pub(crate) const SORT_NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::argv;

    #[test]
    fn unknown_command_error_matches_redis() {
        assert_eq!(
            unknown_command(&argv(&["foo", "a", "b"])),
            Reply::Error("ERR unknown command 'foo', with args beginning with: 'a' 'b' ".into())
        );
        assert_eq!(
            unknown_command(&argv(&["foo"])),
            Reply::Error("ERR unknown command 'foo', with args beginning with: ".into())
        );
    }

    #[test]
    fn long_texts_are_joined_with_single_spaces() {
        for text in [LPOS_RANK_ZERO, NO_LFU, BITFIELD_TYPE] {
            assert!(!text.contains("  "), "{text}");
        }
        assert_eq!(
            LPOS_RANK_ZERO,
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list"
        );
    }
}
