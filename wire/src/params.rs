//! The parameters of one API call, gathered from the query string and the body alike,
//! with the accessors the credential and the decoder read them through.

use domain::DomainError;

/// Longest value accepted for any text parameter.
pub const VALUE_MAX: usize = 64 * 1024;

#[derive(Default)]
pub struct Params {
    /// Every name and value, decoded, one after another: a call's parameters take two
    /// allocations, not two for each pair.
    text: String,
    /// Where each pair's name and value end in `text`; a pair starts where the one
    /// before it ends.
    ends: Vec<(usize, usize)>,
}

impl Params {
    /// Decodes `a=1&b=2`; malformed escapes, bytes that are not UTF-8 and over-long
    /// values are refused rather than guessed at.
    pub fn from_urlencoded(text: &str) -> Result<Self, DomainError> {
        let mut params = Self::default();
        params.add_urlencoded(text)?;
        Ok(params)
    }

    /// Adds the pairs of `a=1&b=2` (a form body's, after the query string's).
    pub fn add_urlencoded(&mut self, text: &str) -> Result<(), DomainError> {
        // Decoding never makes a part longer.
        self.text.reserve(text.len());
        let mut scratch = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let start = self.text.len();
            let mut name_end = start;
            let decoded = decode_onto(name, &mut self.text, &mut scratch).and_then(|()| {
                name_end = self.text.len();
                decode_onto(value, &mut self.text, &mut scratch)
            });
            if let Err(error) = decoded {
                self.text.truncate(start);
                return Err(error);
            }
            self.end_pair(start, name_end)?;
        }
        Ok(())
    }

    pub fn push(&mut self, name: &str, value: &str) -> Result<(), DomainError> {
        let start = self.text.len();
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.end_pair(start, name_end)
    }

    /// Keeps the pair written in `text` from `start`, or refuses an over-long value.
    fn end_pair(&mut self, start: usize, name_end: usize) -> Result<(), DomainError> {
        if self.text.len() - name_end > VALUE_MAX {
            let error = DomainError::param(
                &self.text[start..name_end],
                format!("is longer than {VALUE_MAX} bytes"),
            );
            self.text.truncate(start);
            return Err(error);
        }
        self.ends.push((name_end, self.text.len()));
        Ok(())
    }

    /// The values given for `name`, whose case does not matter (`envname` = `envName`).
    fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        let mut start = 0;
        self.ends
            .iter()
            .map(move |&(name_end, end)| {
                let pair = (&self.text[start..name_end], &self.text[name_end..end]);
                start = end;
                pair
            })
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every value given for `name`, whose case does not matter.
    pub(crate) fn values_of(&self, name: &str) -> Vec<&str> {
        self.all(name).collect()
    }

    /// The one value of `name`; a parameter given twice is refused.
    pub fn single(&self, name: &str) -> Result<Option<&str>, DomainError> {
        let mut found = self.all(name);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(DomainError::param(name, "is given more than once")),
            (first, _) => Ok(first),
        }
    }
}

/// Writes `part` decoded onto `text`: `+` is a space and `%XX` a byte; the bytes must
/// form UTF-8, and a `%` not followed by two hex digits is refused, not passed through.
/// A part with neither is copied as it is; others are decoded in `scratch` first.
fn decode_onto(part: &str, text: &mut String, scratch: &mut Vec<u8>) -> Result<(), DomainError> {
    if !part.contains(['%', '+']) {
        text.push_str(part);
        return Ok(());
    }
    let malformed =
        || DomainError::InvalidParam("the parameters are not valid URL encoding".into());
    let bytes = part.as_bytes();
    scratch.clear();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => scratch.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(malformed)?;
                let digit = |b: u8| char::from(b).to_digit(16).ok_or_else(malformed);
                scratch.push((digit(hex[0])? * 16 + digit(hex[1])?) as u8);
                i += 2;
            }
            b => scratch.push(b),
        }
        i += 1;
    }
    let decoded = std::str::from_utf8(scratch)
        .map_err(|_| DomainError::InvalidParam("the parameters are not UTF-8".into()))?;
    text.push_str(decoded);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> Result<String, DomainError> {
        let mut text = String::new();
        decode_onto(part, &mut text, &mut Vec::new()).map(|()| text)
    }

    #[test]
    fn the_query_the_body_and_multipart_fields_read_as_one() {
        let mut p = Params::from_urlencoded("session=s1&envName=my%2Dproject").unwrap();
        p.add_urlencoded("nodeGroup=cp&ENVNAME=").unwrap();
        p.push("file", "x y").unwrap();
        assert_eq!(p.single("SESSION").unwrap(), Some("s1"));
        assert_eq!(p.single("nodegroup").unwrap(), Some("cp"));
        assert_eq!(p.single("file").unwrap(), Some("x y"));
        assert_eq!(p.values_of("envname"), ["my-project", ""]);
        assert!(
            p.single("envName").is_err(),
            "given in the query and the body"
        );

        // A refused part adds nothing, and what came before still reads whole.
        assert!(p.add_urlencoded("a=1&b=%FF").is_err());
        assert!(p.push("long", &"v".repeat(VALUE_MAX + 1)).is_err());
        assert!(p
            .add_urlencoded(&format!("c={}", "v".repeat(VALUE_MAX + 1)))
            .is_err());
        p.push("last", "é").unwrap();
        assert_eq!(p.single("a").unwrap(), Some("1"));
        assert_eq!(p.single("b").unwrap(), None);
        assert_eq!(p.single("long").unwrap(), None);
        assert_eq!(p.single("c").unwrap(), None);
        assert_eq!(p.single("last").unwrap(), Some("é"));
        assert_eq!(p.single("file").unwrap(), Some("x y"));
        assert_eq!(p.single("session").unwrap(), Some("s1"));
    }

    #[test]
    fn values_decode_and_duplicates_are_refused() {
        let p = Params::from_urlencoded("a=1&b=x%20y&c=&c=2").unwrap();
        assert_eq!(p.single("a").unwrap(), Some("1"));
        assert_eq!(p.single("b").unwrap(), Some("x y"));
        assert!(p.single("c").is_err());
        assert_eq!(p.single("missing").unwrap(), None);
        assert!(Params::from_urlencoded("a=%FF").is_err());
        assert!(Params::from_urlencoded("a=%zz").is_err());
        assert!(Params::from_urlencoded("a=%4").is_err());
        assert!(Params::from_urlencoded("a=%+1").is_err());
        assert_eq!(
            Params::from_urlencoded("a=caf%C3%A9+au+lait")
                .unwrap()
                .single("a")
                .unwrap(),
            Some("café au lait")
        );
        assert_eq!(
            Params::from_urlencoded("flag&&b=")
                .unwrap()
                .single("flag")
                .unwrap(),
            Some("")
        );
        assert!(Params::from_urlencoded(&format!("a={}", "x".repeat(VALUE_MAX + 1))).is_err());
    }

    /// The decoder agrees with `+` as a space then `percent-encoding`, on values made of
    /// the characters that matter: escapes whole, cut short or not hex, and UTF-8 split
    /// across them.
    #[test]
    fn values_decode_as_the_common_decoder_does() {
        let pieces = [
            "a",
            "+",
            "%",
            "%2",
            "%20",
            "%2B",
            "%2b",
            "%zz",
            "%C3",
            "%A9",
            "%e2%82%ac",
            "%FF",
            "é",
            "%%",
            "%+",
            "=",
            "0",
            "f",
        ];
        let mut state = 0x2545_f491_u64;
        for _ in 0..20_000 {
            let mut value = String::new();
            for _ in 0..(state % 7) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                value.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let whole = value.split('%').skip(1).all(|after| {
                after.len() >= 2 && after.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit)
            });
            let expected = whole
                .then(|| {
                    percent_encoding::percent_decode_str(&value.replace('+', " "))
                        .decode_utf8()
                        .ok()
                        .map(|v| v.into_owned())
                })
                .flatten();
            assert_eq!(decode(&value).ok(), expected, "{value:?}");
        }
    }

    #[test]
    fn names_match_without_regard_to_case() {
        let p = Params::from_urlencoded("envname=a&SESSION=s&envName2=x").unwrap();
        assert_eq!(p.single("envName").unwrap(), Some("a"));
        assert_eq!(p.single("session").unwrap(), Some("s"));
        assert!(Params::from_urlencoded("envName=a&envname=b")
            .unwrap()
            .single("envName")
            .is_err());
    }
}
