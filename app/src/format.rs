//! How dates read in the dashboard: dd-mm-yyyy, UTC, the same on server and browser.
//!
//! Written out by hand rather than with chrono's `format("%d-%m-%Y")`: the pattern
//! parser and formatter that needs are 12 KB of optimised wasm on the signed-in pages.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `dd-mm-yyyy`.
pub fn date(at: impl Datelike) -> String {
    format!("{}-{:04}", day_month(&at), at.year())
}

/// `dd-mm-yyyy HH:MM`.
pub fn date_time(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", date(at), at.hour(), at.minute())
}

/// `dd-mm`, for an axis where the year goes without saying.
pub fn day_month(at: &impl Datelike) -> String {
    format!("{:02}-{:02}", at.day(), at.month())
}

/// `dd-mm-yyyy` (what a person types) to `yyyy-mm-dd` (what the domain parses);
/// `yyyy-mm-dd` passes through. Anything else is returned as typed, to be refused
/// with a clear message.
pub fn form_date_to_iso(text: &str) -> String {
    let t = text.trim();
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => t.to_owned(),
    }
}

/// A `data:` URL holding `text`, for a download the browser makes without a request.
pub fn data_url(mime: &str, text: &str) -> String {
    let encoded: String = text
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("data:{mime};charset=utf-8,{encoded}")
}
