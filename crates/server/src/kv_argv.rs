//! Typed KeyValue requests as Redis argv, and Redis replies as typed responses. The keyspace
//! implements each operation once; gRPC and RESP are two doors to it.

use bytes::Bytes;
use meridian_proto::v1 as pb;
use meridian_types::{Consistency, Reply};
use tonic::Status;

use crate::spec::EdgeLimits;
use crate::status::{reply_ok, unexpected};

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

fn num(n: impl ToString) -> Bytes {
    Bytes::from(n.to_string())
}

pub(crate) fn check_key(limits: &EdgeLimits, key: &Bytes) -> Result<(), Status> {
    if key.len() > limits.max_key_bytes {
        return Err(Status::invalid_argument(format!(
            "key is {} bytes; the limit is {} bytes (limits.max_key_bytes)",
            key.len(),
            limits.max_key_bytes
        )));
    }
    Ok(())
}

pub(crate) fn check_value(limits: &EdgeLimits, value: &Bytes) -> Result<(), Status> {
    if value.len() > limits.max_value_bytes {
        return Err(Status::invalid_argument(format!(
            "value is {} bytes; the limit is {} bytes (limits.max_value_bytes)",
            value.len(),
            limits.max_value_bytes
        )));
    }
    Ok(())
}

/// The consistency and min_seq a read asked for; an unknown level is refused.
pub(crate) fn read_options(opts: Option<&pb::ReadOptions>) -> Result<(Consistency, u64), Status> {
    let Some(o) = opts else {
        return Ok((Consistency::Linearizable, 0));
    };
    let level = match pb::Consistency::try_from(o.consistency) {
        Ok(pb::Consistency::Unspecified | pb::Consistency::Linearizable) => {
            Consistency::Linearizable
        }
        Ok(pb::Consistency::Regional) => Consistency::Regional,
        Ok(pb::Consistency::Local) => Consistency::Local,
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "unknown consistency level {}; use 1 (LINEARIZABLE), 2 (REGIONAL) or 3 (LOCAL)",
                o.consistency
            )))
        }
    };
    Ok((level, o.min_seq))
}

pub(crate) fn set_argv(limits: &EdgeLimits, r: &pb::SetRequest) -> Result<Vec<Bytes>, Status> {
    check_key(limits, &r.key)?;
    check_value(limits, &r.value)?;
    let mut argv = vec![b("SET"), r.key.clone(), r.value.clone()];
    match pb::SetCondition::try_from(r.condition) {
        Ok(pb::SetCondition::Always) => {}
        Ok(pb::SetCondition::IfAbsent) => argv.push(b("NX")),
        Ok(pb::SetCondition::IfPresent) => argv.push(b("XX")),
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "unknown set condition {}; use 0 (ALWAYS), 1 (IF_ABSENT) or 2 (IF_PRESENT)",
                r.condition
            )))
        }
    }
    use pb::set_request::Expiry;
    match r.expiry {
        None => {}
        Some(Expiry::ExSeconds(n)) => argv.extend([b("EX"), num(n)]),
        Some(Expiry::PxMillis(n)) => argv.extend([b("PX"), num(n)]),
        Some(Expiry::ExatUnixSeconds(n)) => argv.extend([b("EXAT"), num(n)]),
        Some(Expiry::PxatUnixMillis(n)) => argv.extend([b("PXAT"), num(n)]),
        Some(Expiry::KeepTtl(true)) => argv.push(b("KEEPTTL")),
        Some(Expiry::KeepTtl(false)) => {}
    }
    if r.get {
        argv.push(b("GET"));
    }
    Ok(argv)
}

pub(crate) fn set_response(
    r: &pb::SetRequest,
    reply: Reply,
    seq: u64,
) -> Result<pb::SetResponse, Status> {
    let reply = reply_ok(reply)?;
    let cond = pb::SetCondition::try_from(r.condition).unwrap_or(pb::SetCondition::Always);
    let (old_found, old_value) = match (&reply, r.get) {
        (Reply::Bulk(v), true) => (true, v.clone()),
        _ => (false, Bytes::new()),
    };
    let applied = if r.get {
        match cond {
            pb::SetCondition::Always => true,
            pb::SetCondition::IfAbsent => !old_found,
            pb::SetCondition::IfPresent => old_found,
        }
    } else {
        match reply {
            Reply::Status(_) => true,
            Reply::Nil => false,
            ref other => return Err(unexpected("SET", other)),
        }
    };
    Ok(pb::SetResponse {
        applied,
        old_found,
        old_value,
        seq,
    })
}

pub(crate) fn delete_argv(
    limits: &EdgeLimits,
    r: &pb::DeleteRequest,
) -> Result<Vec<Bytes>, Status> {
    keys_argv("DEL", limits, &r.keys)
}

pub(crate) fn keys_argv(
    cmd: &'static str,
    limits: &EdgeLimits,
    keys: &[Bytes],
) -> Result<Vec<Bytes>, Status> {
    if keys.is_empty() {
        return Err(Status::invalid_argument("at least one key is required"));
    }
    let mut argv = vec![b(cmd)];
    for k in keys {
        check_key(limits, k)?;
        argv.push(k.clone());
    }
    Ok(argv)
}

pub(crate) fn integer(what: &str, reply: Reply) -> Result<i64, Status> {
    match reply_ok(reply)? {
        Reply::Integer(n) => Ok(n),
        other => Err(unexpected(what, &other)),
    }
}

pub(crate) fn incr_argv(limits: &EdgeLimits, r: &pb::IncrRequest) -> Result<Vec<Bytes>, Status> {
    check_key(limits, &r.key)?;
    let delta = if r.delta == 0 { 1 } else { r.delta };
    Ok(vec![b("INCRBY"), r.key.clone(), num(delta)])
}

pub(crate) fn expire_argv(
    limits: &EdgeLimits,
    r: &pb::ExpireRequest,
) -> Result<Vec<Bytes>, Status> {
    check_key(limits, &r.key)?;
    use pb::expire_request::When;
    let (cmd, n) = match r.when {
        Some(When::Seconds(n)) => ("EXPIRE", n),
        Some(When::Millis(n)) => ("PEXPIRE", n),
        Some(When::AtUnixSeconds(n)) => ("EXPIREAT", n),
        Some(When::AtUnixMillis(n)) => ("PEXPIREAT", n),
        None => {
            return Err(Status::invalid_argument(
                "expire needs one of seconds, millis, at_unix_seconds or at_unix_millis",
            ))
        }
    };
    let mut argv = vec![b(cmd), r.key.clone(), num(n)];
    match pb::ExpireCondition::try_from(r.condition) {
        Ok(pb::ExpireCondition::Always) => {}
        Ok(pb::ExpireCondition::Nx) => argv.push(b("NX")),
        Ok(pb::ExpireCondition::Xx) => argv.push(b("XX")),
        Ok(pb::ExpireCondition::Gt) => argv.push(b("GT")),
        Ok(pb::ExpireCondition::Lt) => argv.push(b("LT")),
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "unknown expire condition {}; use 0 (ALWAYS), 1 (NX), 2 (XX), 3 (GT) or 4 (LT)",
                r.condition
            )))
        }
    }
    Ok(argv)
}

pub(crate) fn get_value(reply: Reply) -> Result<(bool, Bytes), Status> {
    match reply_ok(reply)? {
        Reply::Bulk(v) => Ok((true, v)),
        Reply::Nil => Ok((false, Bytes::new())),
        other => Err(unexpected("GET", &other)),
    }
}

pub(crate) fn scan_argv(r: &pb::ScanRequest) -> Vec<Bytes> {
    let mut argv = vec![b("SCAN"), num(r.cursor)];
    if !r.r#match.is_empty() {
        argv.extend([b("MATCH"), Bytes::from(r.r#match.clone())]);
    }
    let count = if r.count == 0 { 10 } else { r.count };
    argv.extend([b("COUNT"), num(count)]);
    argv
}

pub(crate) fn scan_response(reply: Reply, seq: u64) -> Result<pb::ScanResponse, Status> {
    let reply = reply_ok(reply)?;
    let Reply::Array(parts) = &reply else {
        return Err(unexpected("SCAN", &reply));
    };
    let (Some(Reply::Bulk(cursor)), Some(Reply::Array(keys))) = (parts.first(), parts.get(1))
    else {
        return Err(unexpected("SCAN", &reply));
    };
    let next_cursor = std::str::from_utf8(cursor)
        .ok()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| unexpected("SCAN", &reply))?;
    let keys = keys
        .iter()
        .filter_map(|k| match k {
            Reply::Bulk(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    Ok(pb::ScanResponse {
        next_cursor,
        keys,
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_request_becomes_redis_set() {
        let r = pb::SetRequest {
            key: Bytes::from_static(b"k"),
            value: Bytes::from_static(b"v"),
            condition: pb::SetCondition::IfAbsent as i32,
            expiry: Some(pb::set_request::Expiry::PxMillis(250)),
            get: true,
        };
        let argv = set_argv(&EdgeLimits::default(), &r).unwrap();
        let text: Vec<_> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        assert_eq!(text, ["SET", "k", "v", "NX", "PX", "250", "GET"]);
    }

    #[test]
    fn unknown_consistency_is_refused() {
        let o = pb::ReadOptions {
            consistency: 9,
            min_seq: 0,
        };
        let e = read_options(Some(&o)).unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert!(e.message().contains("unknown consistency level 9"));
    }

    #[test]
    fn oversized_key_is_refused() {
        let limits = EdgeLimits {
            max_key_bytes: 4,
            ..EdgeLimits::default()
        };
        let e = check_key(&limits, &Bytes::from_static(b"12345")).unwrap_err();
        assert!(e.message().contains("limits.max_key_bytes"));
    }
}
