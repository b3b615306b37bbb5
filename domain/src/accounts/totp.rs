//! One-time codes: RFC 6238 TOTP (HMAC-SHA-1, 30-second steps, 6 digits), the
//! `otpauth://` URI authenticator apps read, and recovery codes.

use crate::error::DomainError;
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds a code stands for.
pub const STEP: i64 = 30;

/// Steps either side of now that are still accepted (a phone's clock a little off).
pub(super) const DRIFT: i64 = 1;

pub(super) const SECRET_BYTES: usize = 20;

/// Recovery code letters: no 0/o, 1/l/i to misread.
pub(super) const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

pub(super) const RECOVERY_LEN: usize = 10;

pub(super) const ISSUER: &str = "Patio";

/// HOTP (RFC 4226): the `digits`-digit code for `counter`.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The 6-digit code an authenticator app shows at `unix_time` for a base32 secret.
pub fn totp(secret_base32: &str, unix_time: i64) -> Option<String> {
    let secret = decode_secret(secret_base32)?;
    Some(format!("{:06}", hotp(&secret, step_of(unix_time), 6)))
}

pub(super) fn step_of(unix_time: i64) -> u64 {
    u64::try_from(unix_time.div_euclid(STEP)).unwrap_or(0)
}

pub(super) fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    BASE32_NOPAD
        .decode(clean.trim_end_matches('=').as_bytes())
        .ok()
}

/// What was typed in the code field.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Code {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, lower-case without its dash.
    Recovery(String),
}

impl Code {
    pub(super) fn parse(raw: &str) -> Result<Self, DomainError> {
        let clean: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if clean.len() == 6 && clean.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self::Totp(clean))
        } else if clean.len() == RECOVERY_LEN
            && clean.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
        {
            Ok(Self::Recovery(clean))
        } else {
            Err(DomainError::param(
                "code",
                "is neither a 6-digit code nor a recovery code",
            ))
        }
    }
}

pub(super) fn new_recovery_code() -> String {
    let mut bytes = [0u8; RECOVERY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // 256 is not a multiple of 31: draw again where a byte would favour a letter.
    let mut out = String::with_capacity(RECOVERY_LEN + 1);
    let limit = 256 - 256 % RECOVERY_ALPHABET.len();
    let mut source = bytes.to_vec();
    while out.len() < RECOVERY_LEN + 1 {
        if source.is_empty() {
            source = vec![0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut source);
        }
        let b = usize::from(source.pop().unwrap_or_default());
        if b >= limit {
            continue;
        }
        if out.len() == RECOVERY_LEN / 2 {
            out.push('-');
        }
        out.push(char::from(RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.len()]));
    }
    out
}

/// `otpauth://totp/Patio:ann%40example.com?secret=…&issuer=Patio&…`.
pub(super) fn otpauth_uri(email: &str, secret_base32: &str) -> String {
    let label: String = format!("{ISSUER}:{email}")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b':' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "otpauth://totp/{label}?secret={secret_base32}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP}"
    )
}

pub(super) fn grouped(secret_base32: &str) -> String {
    secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 rows (8 digits, key "12345678901234567890").
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let key = b"12345678901234567890";
        for (time, expected) in [
            (59_i64, 94_287_082_u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(hotp(key, step_of(time), 8), expected, "T = {time}");
        }
        // The 6-digit codes apps show are the last six of the same number.
        let base32 = BASE32_NOPAD.encode(key);
        assert_eq!(totp(&base32, 59).as_deref(), Some("287082"));
        assert_eq!(
            totp(&grouped(&base32).to_lowercase(), 59).as_deref(),
            Some("287082")
        );
    }

    /// RFC 4226, appendix D.
    #[test]
    fn hotp_matches_the_rfc_4226_test_vectors() {
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64, 6), code);
        }
    }

    #[test]
    fn codes_are_told_apart_and_normalised() {
        assert!(matches!(Code::parse(" 123 456 "), Ok(Code::Totp(d)) if d == "123456"));
        let recovery = new_recovery_code();
        assert_eq!(recovery.len(), RECOVERY_LEN + 1);
        assert_eq!(&recovery[5..6], "-");
        assert!(
            matches!(Code::parse(&recovery.to_uppercase()), Ok(Code::Recovery(r)) if r == recovery.replace('-', ""))
        );
        for bad in ["", "12345", "1234567", "abcdefghi0", "hello"] {
            assert!(Code::parse(bad).is_err(), "{bad}");
        }
        let codes: std::collections::HashSet<String> =
            (0..200).map(|_| new_recovery_code()).collect();
        assert_eq!(codes.len(), 200);
    }

    #[test]
    fn the_uri_is_what_authenticator_apps_read() {
        assert_eq!(
            otpauth_uri("ann+ops@example.com", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Patio:ann%2Bops%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Patio&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
    }
}
