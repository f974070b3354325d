//! DEBUG DIGEST / DIGEST-VALUE: Redis's `computeDatasetDigest` and `xorObjectDigest`, so
//! equal datasets give equal digests (order-free for keys, sets and hashes, ordered for lists).

use bytes::Bytes;
use meridian_keyspace::{Databases, Entry, Keyspace, Value};
use meridian_resp::format_double;

use super::sha1::sha1;

pub(super) type Digest = [u8; 20];

pub(super) fn xor_digest(digest: &mut Digest, data: &[u8]) {
    let hash = sha1(data);
    digest.iter_mut().zip(hash).for_each(|(d, h)| *d ^= h);
}

/// digest = SHA1(digest xor SHA1(data)): keeps order.
pub(super) fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

/// Redis object type numbers (`OBJ_STRING` …).
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// `xorObjectDigest`: mixes the value (and an expire marker) into `digest`.
pub(super) fn object_digest(digest: &mut Digest, entry: &Entry) {
    mix_digest(digest, &type_code(&entry.value).to_be_bytes());
    match &entry.value {
        Value::Str(s) => mix_digest(digest, s),
        Value::List(l) => l.iter().for_each(|e| mix_digest(digest, e)),
        Value::Set(s) => s.iter().for_each(|e| xor_digest(digest, e)),
        Value::ZSet(z) => {
            for (member, score) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, member);
                mix_digest(&mut ele, format_double(score).as_bytes());
                xor_digest(digest, &ele);
            }
        }
        Value::Hash(h) => {
            for (field, value) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, field);
                mix_digest(&mut ele, value);
                xor_digest(digest, &ele);
            }
        }
        // Entries only, as Redis (consumer groups are not part of the digest).
        Value::Stream(s) => {
            for (id, fields) in &s.entries {
                mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                fields.iter().for_each(|f| mix_digest(digest, f));
            }
        }
    }
    if entry.expire_at_ms().is_some() {
        xor_digest(digest, b"!!expire!!");
    }
}

fn db_digest(final_digest: &mut Digest, id: u32, db: &Keyspace) {
    mix_digest(final_digest, &id.to_be_bytes());
    // Logically expired keys count until removed, as Redis iterates its dict.
    for (key, entry) in db.iter(0) {
        let mut d = [0u8; 20];
        mix_digest(&mut d, key);
        object_digest(&mut d, entry);
        xor_digest(final_digest, &d);
    }
}

/// `computeDatasetDigest`: 40 zeros for an empty dataset.
pub(super) fn dataset_digest(dbs: &Databases) -> Digest {
    let mut out = [0u8; 20];
    for (id, db) in dbs.non_empty() {
        db_digest(&mut out, id, db);
    }
    out
}

/// DIGEST-VALUE of one key: zeros when missing.
pub(super) fn value_digest(db: &Keyspace, key: &Bytes) -> Digest {
    let mut d = [0u8; 20];
    if let Some(entry) = db.get(key, 0) {
        object_digest(&mut d, entry);
    }
    d
}

pub(super) fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}
