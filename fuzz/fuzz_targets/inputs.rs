//! The parsers behind `apiList`, `ids`, `expiresAt`, `tokenTemplate`, descriptions,
//! environment names, emails and share links (id, ciphertext, lifetime): never a panic,
//! and what they accept obeys the rules.
#![no_main]

use chrono::{TimeZone, Utc};
use domain::accounts::Email;
use domain::environments::EnvName;
use domain::shares::{Sealed, ShareId, ShareLifetime, SEALED_LEN, SHARE_ID_LEN};
use domain::tokens::{parse_expiry, Description, Grant};
use wire::{parse_ids, split_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    if let Ok(items) = split_list("apiList", text) {
        assert!(items.iter().all(|i| !i.is_empty() && i.trim() == i));
    }
    if let Ok(ids) = parse_ids("ids", text) {
        assert!(!ids.is_empty() && ids.len() <= 1000 && ids.iter().all(|id| *id > 0));
    }
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    if let Ok(Some(expiry)) = parse_expiry(text, now) {
        assert!(expiry > now);
    }
    let list = split_list("apiList", text).ok();
    if let Ok(grant) = Grant::from_list(None, list) {
        assert!(!grant.custom.is_empty());
        assert!(grant.custom.windows(2).all(|w| w[0] < w[1]));
    }
    let _ = Grant::from_list(Some(text), None);
    if let Ok(d) = Description::parse(text) {
        assert!(!d.as_str().is_empty() && d.as_str().chars().count() <= 255);
    }
    if let Ok(name) = EnvName::parse(text) {
        assert!((2..=40).contains(&name.as_str().len()));
    }
    if let Ok(email) = Email::parse(text) {
        assert!(email.as_str().contains('@'));
    }
    if let Ok(id) = ShareId::parse(text) {
        assert_eq!(id.as_str().len(), SHARE_ID_LEN);
    }
    if let Ok(sealed) = Sealed::parse(text) {
        assert_eq!(sealed.bytes().len(), SEALED_LEN);
        assert_eq!(Sealed::parse(&sealed.to_text()).ok(), Some(sealed));
    }
    let _ = ShareLifetime::parse(text);
});
