//! Quoting user input back in an error message without echoing all of it.

/// At most 40 characters of user input, for quoting it back in an error.
pub fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}
