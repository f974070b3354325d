//! `RegionPair`: an unordered pair of two different regions, the key of the latency table.

use std::fmt;
use std::str::FromStr;

use crate::WanProxyError;

/// Two different regions, stored in sorted order so `a:b` and `b:a` are the same pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionPair {
    a: String,
    b: String,
}

impl RegionPair {
    /// The pair of `x` and `y` in either order; refuses `x == y`.
    pub fn new(x: &str, y: &str) -> Result<RegionPair, WanProxyError> {
        if x == y {
            return Err(WanProxyError::SameRegionPair {
                region: x.to_string(),
            });
        }
        let (a, b) = if x < y { (x, y) } else { (y, x) };
        Ok(RegionPair {
            a: a.to_string(),
            b: b.to_string(),
        })
    }

    /// The region that sorts first.
    pub fn a(&self) -> &str {
        &self.a
    }

    /// The region that sorts second.
    pub fn b(&self) -> &str {
        &self.b
    }

    /// Both regions, sorted.
    pub fn regions(&self) -> [&str; 2] {
        [&self.a, &self.b]
    }
}

/// Parses `REGION_A:REGION_B` (either order; surrounding spaces ignored).
impl FromStr for RegionPair {
    type Err = WanProxyError;

    fn from_str(s: &str) -> Result<RegionPair, WanProxyError> {
        let malformed = || WanProxyError::MalformedPair {
            input: s.to_string(),
        };
        let (x, y) = s.split_once(':').ok_or_else(malformed)?;
        let (x, y) = (x.trim(), y.trim());
        if x.is_empty() || y.is_empty() || y.contains(':') {
            return Err(malformed());
        }
        RegionPair::new(x, y)
    }
}

/// `a:b`, the form [`RegionPair::from_str`] reads.
impl fmt::Display for RegionPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.a, self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_unordered() {
        let p: RegionPair = "us-east-1:eu-west-1".parse().unwrap();
        let q: RegionPair = "eu-west-1:us-east-1".parse().unwrap();
        assert_eq!(p, q);
        assert_eq!(p.to_string(), "eu-west-1:us-east-1");
    }

    #[test]
    fn bad_pairs_are_refused() {
        for bad in ["", "a", "a:", ":b", "a:b:c"] {
            let err = bad.parse::<RegionPair>().unwrap_err();
            assert!(matches!(err, WanProxyError::MalformedPair { .. }), "{bad}");
        }
        let err = "a:a".parse::<RegionPair>().unwrap_err();
        assert!(matches!(err, WanProxyError::SameRegionPair { .. }));
    }
}
