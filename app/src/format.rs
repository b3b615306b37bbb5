//! How dates read in the dashboard: dd-mm-yyyy, UTC, the same on server and browser.

use chrono::{DateTime, Utc};

pub fn date(at: DateTime<Utc>) -> String {
    at.format("%d-%m-%Y").to_string()
}

pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%d-%m-%Y %H:%M").to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_escape_everything_but_plain_characters() {
        assert_eq!(
            data_url("text/csv", "a,b\r\n"),
            "data:text/csv;charset=utf-8,a%2Cb%0D%0A"
        );
    }

    #[test]
    fn day_first_dates_become_iso() {
        assert_eq!(form_date_to_iso("31-12-2026"), "2026-12-31");
        assert_eq!(form_date_to_iso("1/2/2027"), "2027-02-01");
        assert_eq!(form_date_to_iso("2026-12-31"), "2026-12-31");
        assert_eq!(form_date_to_iso(""), "");
    }
}
