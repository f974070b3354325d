//! Lookups, TTLs and SCAN of the keyspace.

use super::*;

fn s(v: &str) -> Value {
    Value::Str(SmallBytes::new(v.as_bytes()))
}

#[test]
fn expired_keys_are_invisible_and_dropped_on_write() {
    let mut ks = Keyspace::new();
    let k = Bytes::from_static(b"k");
    ks.insert(k.clone(), s("v"));
    assert!(ks.set_expire(&k, Some(100)));
    assert!(ks.get(&k, 99).is_some());
    assert!(ks.get(&k, 100).is_none());
    assert_eq!(ks.expired_keys(100, 10), vec![k.clone()]);
    assert!(ks.get_value_mut(&k, 100).is_none());
    assert_eq!(ks.len(), 0);
    assert_eq!(ks.expires_count(), 0);
}

#[test]
fn scan_visits_every_key_once() {
    let mut ks = Keyspace::new();
    for i in 0..1000 {
        ks.insert(Bytes::from(format!("key:{i}")), s("v"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    loop {
        let (next, keys) = ks.scan(cursor, 7, 0);
        for (k, _) in keys {
            assert!(seen.insert(k.clone()), "key returned twice");
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn short_and_long_keys_are_found_updated_and_removed() {
    let mut ks = Keyspace::new();
    let keys: Vec<Bytes> = [INLINE_MAX - 1, INLINE_MAX, INLINE_MAX + 1, 300]
        .iter()
        .map(|&n| Bytes::from(vec![b'k'; n]))
        .collect();
    for k in &keys {
        ks.insert(k.clone(), s("v"));
        assert!(ks.set_expire(k, Some(1_000)));
    }
    for k in &keys {
        assert_eq!(ks.expire_at(k, 0), Some(Some(1_000)), "{}", k.len());
        ks.insert_keep_ttl(k.clone(), s("w"), 0);
        assert_eq!(ks.get_value(k, 0), Some(&s("w")));
    }
    assert_eq!(ks.expires_count(), keys.len());
    for k in &keys {
        assert!(ks.remove(k, 0).is_some(), "{}", k.len());
        assert!(ks.get(k, 0).is_none());
    }
    assert!(ks.is_empty() && ks.expires_count() == 0);
}

#[test]
fn set_clears_ttl_and_keepttl_keeps_it() {
    let mut ks = Keyspace::new();
    let k = Bytes::from_static(b"k");
    ks.insert(k.clone(), s("a"));
    ks.set_expire(&k, Some(500));
    ks.insert_keep_ttl(k.clone(), s("b"), 0);
    assert_eq!(ks.expire_at(&k, 0), Some(Some(500)));
    ks.insert(k.clone(), s("c"));
    assert_eq!(ks.expire_at(&k, 0), Some(None));
    assert_eq!(ks.expires_count(), 0);
}
