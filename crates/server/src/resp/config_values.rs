//! Checking a `CONFIG SET` value the way Redis 7.0.15 does (`config.c`), with its error texts,
//! and turning it into the text `CONFIG GET` shows afterwards (Redis shows the parsed value:
//! `1kb` reads back as `1024`, `KEA` as `AKE`).

use super::config_params::{Kind, Num, Unit};

/// Redis's `memtoull`: digits with an optional unit `b`, `k`, `kb`, `m`, `mb`, `g`, `gb`
/// (case-insensitive; `k` = 1000, `kb` = 1024). No sign; no digits reads as 0 (glibc's
/// `strtoull("")`); too many digits saturate, and the unit then wraps, as in C.
pub(crate) fn memtoull(text: &str) -> Option<u64> {
    if text.starts_with('-') {
        return None;
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let value = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(value.wrapping_mul(mul))
}

/// Redis `string2ll`: a strict decimal integer.
fn string2ll(text: &str) -> Option<i64> {
    crate::resp::server_cmds::parse_i64(text.as_bytes())
}

/// The text GET shows for `raw` set on a parameter of this kind, or Redis's error text.
pub(crate) fn normalize(kind: Kind, raw: &str) -> Result<String, String> {
    match kind {
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Str | Kind::Dir | Kind::ReplicaOf => Ok(raw.to_string()),
        Kind::Num(num) => number(num, raw),
        Kind::Enum(names) => enumeration(names, &[raw], false),
        Kind::Flags(names) => enumeration(names, &words(raw), true),
        Kind::Save => save(&words(raw)),
        Kind::ClientOutputBufferLimit => client_output_buffer_limit(&words(raw)),
        Kind::OomScoreAdjValues => oom_score_adj_values(&words(raw)),
        Kind::NotifyKeyspaceEvents => notify_keyspace_events(raw),
        Kind::Bind => bind(&words(raw)),
        Kind::LatencyTrackingInfoPercentiles => percentiles(&words(raw)),
    }
}

/// Redis `sdssplitlen(value, " ")` for `MULTI_ARG_CONFIG`: "" is no word, "a  b" has an empty
/// one in the middle.
fn words(raw: &str) -> Vec<&str> {
    if raw.is_empty() {
        Vec::new()
    } else {
        raw.split(' ').collect()
    }
}

/// Redis `numericParseString` + `numericBoundaryCheck` + `numericConfigGet`.
fn number(num: Num, raw: &str) -> Result<String, String> {
    let value = parse_number(num.unit, raw).ok_or_else(|| {
        match num.unit {
            Unit::MemPercent => "argument must be a memory or percent value",
            Unit::Mem => "argument must be a memory value",
            Unit::Octal => "argument couldn't be parsed as an octal number",
            Unit::Int => "argument couldn't be parsed into an integer",
        }
        .to_string()
    })?;
    let between = || {
        if num.unit == Unit::Octal {
            format!(
                "argument must be between {:o} and {:o} inclusive",
                num.min, num.max
            )
        } else {
            format!(
                "argument must be between {} and {} inclusive",
                num.min, num.max
            )
        }
    };
    if num.unsigned {
        let unsigned = i128::from(value as u64);
        if unsigned < num.min || unsigned > num.max {
            return Err(between());
        }
    } else if num.unit == Unit::MemPercent && value < 0 {
        if i128::from(value) < num.min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -num.min
            ));
        }
    } else if i128::from(value) < num.min || i128::from(value) > num.max {
        return Err(between());
    }
    Ok(match num.unit {
        Unit::MemPercent if value < 0 => format!("{}%", -i128::from(value)),
        Unit::Mem | Unit::MemPercent => (value as u64).to_string(),
        Unit::Octal => format!("{value:o}"),
        Unit::Int => value.to_string(),
    })
}

/// The number as Redis holds it in a `long long` (memory values wrap, as the C cast does);
/// percentages come back negative.
fn parse_number(unit: Unit, raw: &str) -> Option<i64> {
    if matches!(unit, Unit::Mem | Unit::MemPercent) {
        if let Some(bytes) = memtoull(raw) {
            return Some(bytes as i64);
        }
    }
    if unit == Unit::MemPercent && raw.len() > 1 {
        if let Some(pct) = raw.strip_suffix('%').and_then(string2ll) {
            if pct >= 0 {
                return Some(-pct);
            }
        }
    }
    match unit {
        Unit::Octal => {
            let digits = raw.strip_prefix('+').unwrap_or(raw);
            if digits.is_empty() {
                return Some(0);
            }
            i64::from_str_radix(digits, 8).ok()
        }
        Unit::Int => string2ll(raw),
        Unit::Mem | Unit::MemPercent => None,
    }
}

/// Redis `configEnumGetValue` + `configEnumGetName`.
fn enumeration(names: &[(&str, u32)], args: &[&str], flags: bool) -> Result<String, String> {
    let invalid = || {
        let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        format!(
            "argument(s) must be one of the following: {}",
            all.join(", ")
        )
    };
    if args.is_empty() || (!flags && args.len() != 1) {
        return Err(invalid());
    }
    let mut value = 0;
    for arg in args {
        let matched: Vec<u32> = names
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(arg))
            .map(|(_, v)| *v)
            .collect();
        if matched.is_empty() {
            return Err(invalid());
        }
        value |= matched.iter().fold(0, |acc, v| acc | v);
    }
    // Redis's only multi-word enum (shutdown-on-sig*) refuses SAVE with NOSAVE.
    if flags && value & 1 != 0 && value & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(enum_name(names, value, flags))
}

fn enum_name(names: &[(&str, u32)], value: u32, flags: bool) -> String {
    if let Some((name, _)) = names.iter().find(|(_, v)| *v == value) {
        return (*name).to_string();
    }
    let mut unmatched = value;
    let mut shown = Vec::new();
    for (name, v) in names {
        if flags && *v != 0 && *v == unmatched & *v {
            shown.push(*name);
            unmatched &= !*v;
        }
    }
    if shown.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    shown.join(" ")
}

/// C `strtoll(s, &end, 10)` with `*end == '\0'` required: leading blanks and a sign allowed,
/// "" reads as 0.
fn strtoll_whole(text: &str) -> Option<i64> {
    let t = text.trim_start();
    if t.is_empty() {
        return Some(0);
    }
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        t.parse::<i128>()
            .ok()?
            .clamp(i64::MIN.into(), i64::MAX.into()) as i64,
    )
}

fn save(args: &[&str]) -> Result<String, String> {
    let invalid = || "Invalid save parameters".to_string();
    if !args.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let mut shown = Vec::new();
    for (j, arg) in args.iter().enumerate() {
        let value = strtoll_whole(arg).ok_or_else(invalid)?;
        if (j % 2 == 0 && value < 1) || (j % 2 == 1 && value < 0) {
            return Err(invalid());
        }
        shown.push(value.to_string());
    }
    Ok(shown.join(" "))
}

const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Redis `updateClientOutputBufferLimit`: `<class> <hard> <soft> <seconds>` groups, where a
/// class not named keeps its limits (the caller merges with the current value).
fn client_output_buffer_limit(args: &[&str]) -> Result<String, String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut groups = Vec::new();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(group[1]);
        let soft = memtoull(group[2]);
        let seconds = strtoll_whole(group[3]).filter(|s| *s >= 0);
        let (Some(hard), Some(soft), Some(seconds)) = (hard, soft, seconds) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        groups.push(format!("{} {hard} {soft} {seconds}", OBUF_CLASSES[class]));
    }
    Ok(groups.join(" "))
}

/// Merges the classes named in `update` (already normalized) into `current`.
pub(crate) fn merge_output_buffer_limits(current: &str, update: &str) -> String {
    let cur: Vec<&str> = current.split(' ').collect();
    let upd: Vec<&str> = update.split(' ').collect();
    OBUF_CLASSES
        .iter()
        .map(|class| {
            let pick = |v: &[&str]| {
                v.chunks(4)
                    .rev()
                    .find(|g| g.first() == Some(class))
                    .map(|g| g.join(" "))
            };
            pick(&upd)
                .or_else(|| pick(&cur))
                .unwrap_or_else(|| format!("{class} 0 0 0"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn oom_score_adj_values(args: &[&str]) -> Result<String, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut shown = Vec::new();
    for arg in args {
        match strtoll_whole(arg) {
            Some(v) if (-2000..=2000).contains(&v) => shown.push(v.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    Ok(shown.join(" "))
}

/// Event classes in the order `keyspaceEventsFlagsToString` prints them; `A` is all of
/// `g$lshzxetd`.
const EVENT_CLASSES: &str = "g$lshzxetdn";
const ALL_EVENTS: &str = "g$lshzxetd";

fn notify_keyspace_events(raw: &str) -> Result<String, String> {
    let mut set = String::new();
    for c in raw.chars() {
        match c {
            'A' => set.push_str(ALL_EVENTS),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'd' | 'n' | 'K' | 'E' | 'm' => {
                set.push(c)
            }
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    }
    let mut shown = String::new();
    if ALL_EVENTS.chars().all(|c| set.contains(c)) {
        // As Redis: `n` is not shown next to `A`.
        shown.push('A');
    } else {
        shown.extend(EVENT_CLASSES.chars().filter(|c| set.contains(*c)));
    }
    shown.extend("KEm".chars().filter(|c| set.contains(*c)));
    Ok(shown)
}

fn bind(args: &[&str]) -> Result<String, String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".into());
    }
    Ok(args.join(" "))
}

fn percentiles(args: &[&str]) -> Result<String, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(String::new());
    }
    let mut shown = Vec::new();
    for arg in args {
        let value: f64 = match arg.parse() {
            Ok(v) if !arg.is_empty() && !arg.starts_with(char::is_whitespace) => v,
            _ => return Err("Invalid latency-tracking-info-percentiles parameters".into()),
        };
        if !(0.0..=100.0).contains(&value) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        shown.push(format_percentile(value));
    }
    Ok(shown.join(" "))
}

/// `%f` then `trimDoubleString`: six decimals, trailing zeros (and a bare point) dropped.
fn format_percentile(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
