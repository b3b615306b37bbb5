//! The token value's format: `patio_`, 32 base62 characters of entropy and a six-digit
//! base62 CRC32 checksum, so a mistyped or made-up value is refused before any lookup.

use crate::error::DomainError;

pub const PREFIX: &str = "patio_";
const ENTROPY_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
/// The whole value: prefix, entropy, checksum.
pub const TOKEN_LEN: usize = PREFIX.len() + ENTROPY_LEN + CHECKSUM_LEN;
/// How many leading characters the dashboard shows to tell tokens apart.
pub const HINT_LEN: usize = 10;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 of `body`, as six base62 digits (62^6 > 2^32, so it always fits).
fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// A token value in its one well-formed shape. It neither prints nor serialises, so it
/// cannot end up in a log line or a response by accident; `expose` is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenSecret({}…)", self.hint())
    }
}

impl TokenSecret {
    /// A new value from `entropy`: 32 characters drawn uniformly from base62.
    pub fn from_entropy(entropy: &str) -> Result<Self, DomainError> {
        if entropy.len() != ENTROPY_LEN || !entropy.bytes().all(|b| BASE62.contains(&b)) {
            return Err(DomainError::Internal);
        }
        let body = format!("{PREFIX}{entropy}");
        let sum = checksum(&body);
        let sum = std::str::from_utf8(&sum).map_err(|_| DomainError::Internal)?;
        Ok(Self(format!("{body}{sum}")))
    }

    /// Accepts only a value of the right prefix, length, alphabet and checksum, so that
    /// garbage is refused without touching the database.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix(PREFIX)?;
        // The base62 alphabet is exactly the ASCII letters and digits.
        if value.len() != TOKEN_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (body, sum) = value.split_at(TOKEN_LEN - CHECKSUM_LEN);
        (checksum(body) == sum.as_bytes()).then(|| Self(value.to_owned()))
    }

    pub fn hint(&self) -> &str {
        &self.0[..HINT_LEN]
    }

    /// The value itself, for the one response that reveals it and for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Does `value` look like a token rather than a session (by its prefix)?
pub fn looks_like_token(value: &str) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTROPY: &str = "abcdefghijABCDEFGHIJ0123456789xy";

    #[test]
    fn a_generated_value_has_the_contract_shape_and_parses_back() {
        let secret = TokenSecret::from_entropy(ENTROPY).unwrap();
        let value = secret.expose();
        assert_eq!(value.len(), TOKEN_LEN);
        assert_eq!(value.len(), 44);
        assert!(value.starts_with("patio_abcdefghij"));
        assert_eq!(secret.hint(), "patio_abcd");
        assert_eq!(TokenSecret::parse(value), Some(secret.clone()));
        assert!(!format!("{secret:?}").contains(ENTROPY));
    }

    #[test]
    fn malformed_values_are_refused() {
        // `parse` checks the alphabet as ASCII letters and digits.
        for b in 0..=u8::MAX {
            assert_eq!(BASE62.contains(&b), b.is_ascii_alphanumeric(), "{b}");
        }
        let good = TokenSecret::from_entropy(ENTROPY)
            .unwrap()
            .expose()
            .to_owned();
        let mut flipped = good.clone().into_bytes();
        flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
        for bad in [
            String::new(),
            good.replacen("patio_", "pat_", 1),
            good[..good.len() - 1].to_owned(),
            format!("{good}0"),
            good.replacen('a', "-", 1),
            String::from_utf8(flipped).unwrap(),
            "patio_".repeat(8)[..44].to_owned(),
        ] {
            assert_eq!(TokenSecret::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn checksum_catches_every_single_character_change() {
        let good = TokenSecret::from_entropy(ENTROPY)
            .unwrap()
            .expose()
            .to_owned();
        for i in PREFIX.len()..TOKEN_LEN {
            for &c in BASE62.iter() {
                let mut v = good.clone().into_bytes();
                if v[i] == c {
                    continue;
                }
                v[i] = c;
                let v = String::from_utf8(v).unwrap();
                assert_eq!(TokenSecret::parse(&v), None, "{v}");
            }
        }
    }
}
