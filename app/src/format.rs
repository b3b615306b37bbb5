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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_first_dates_become_iso() {
        assert_eq!(form_date_to_iso("31-12-2026"), "2026-12-31");
        assert_eq!(form_date_to_iso("1/2/2027"), "2027-02-01");
        assert_eq!(form_date_to_iso("2026-12-31"), "2026-12-31");
        assert_eq!(form_date_to_iso(""), "");
    }
}
