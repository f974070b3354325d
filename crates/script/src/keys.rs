//! The `numkeys key … arg …` tail of EVAL, EVALSHA and FCALL.

use bytes::Bytes;

use crate::error::ScriptError;

/// Which command the arguments belong to: they word a bad `numkeys` differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysOf {
    Eval,
    Fcall,
}

/// Splits `numkeys key … arg …` (the arguments after the script, SHA1 or function name) into
/// keys and args, with Redis's errors. FCALL looks the function up first (`ERR Function not
/// found` wins over a bad `numkeys`); EVALSHA checks `numkeys` before the cache.
pub fn split_keys(rest: &[Bytes], of: KeysOf) -> Result<(&[Bytes], &[Bytes]), ScriptError> {
    let Some((numkeys, tail)) = rest.split_first() else {
        return Err(ScriptError::Function(
            "ERR wrong number of arguments".to_string(),
        ));
    };
    let parsed = std::str::from_utf8(numkeys)
        .ok()
        .filter(|s| !(s.starts_with('+') || (s.len() > 1 && s.starts_with('0'))))
        .and_then(|s| s.parse::<i64>().ok());
    let Some(n) = parsed else {
        let msg = match of {
            KeysOf::Eval => "ERR value is not an integer or out of range",
            KeysOf::Fcall => "ERR Bad number of keys provided",
        };
        return Err(ScriptError::Function(msg.to_string()));
    };
    if n > tail.len() as i64 {
        let msg = "ERR Number of keys can't be greater than number of args";
        return Err(ScriptError::Function(msg.to_string()));
    }
    let n = usize::try_from(n)
        .map_err(|_| ScriptError::Function("ERR Number of keys can't be negative".to_string()))?;
    Ok(tail.split_at(n))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{split_keys, KeysOf};

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn splits_and_words_errors_as_redis() {
        let a = args(&["1", "k", "a", "b"]);
        let (keys, rest) = split_keys(&a, KeysOf::Eval).unwrap();
        assert_eq!((keys.len(), rest.len()), (1, 2));
        let err = |v: &[&str], of| split_keys(&args(v), of).unwrap_err().to_string();
        assert_eq!(
            err(&["2", "k"], KeysOf::Eval),
            "ERR Number of keys can't be greater than number of args"
        );
        assert_eq!(
            err(&["-1"], KeysOf::Eval),
            "ERR Number of keys can't be negative"
        );
        assert_eq!(
            err(&["x"], KeysOf::Eval),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            err(&["x"], KeysOf::Fcall),
            "ERR Bad number of keys provided"
        );
    }
}
