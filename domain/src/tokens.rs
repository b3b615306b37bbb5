//! Personal access tokens: the value format, the parsed inputs a token is made from,
//! and the summary the dashboard and the API show. Storage lives in `tokens::service`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::{self, ApiSet};
use crate::error::DomainError;

pub const PREFIX: &str = "patio_";
const ENTROPY_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
/// The whole value: prefix, entropy, checksum.
pub const TOKEN_LEN: usize = PREFIX.len() + ENTROPY_LEN + CHECKSUM_LEN;
/// How many leading characters the dashboard shows to tell tokens apart.
pub const HINT_LEN: usize = 10;
pub const DESCRIPTION_MAX: usize = 255;

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
        if value.len() != TOKEN_LEN || !rest.bytes().all(|b| BASE62.contains(&b)) {
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

/// What a token is for: trimmed, 1 to 255 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(DomainError::param("description", "is required"));
        }
        if text.chars().count() > DESCRIPTION_MAX {
            return Err(DomainError::param(
                "description",
                format!("is longer than {DESCRIPTION_MAX} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(DomainError::param(
                "description",
                "contains control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The last moment a token is valid, in whole seconds, UTC.
pub type Expiry = DateTime<Utc>;

pub const API_DATE_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// `yyyy-MM-dd HH:mm:ss` (UTC) or `yyyy-MM-dd` (valid through the end of that day).
/// Empty means no expiry. A moment already past is refused.
pub fn parse_expiry(raw: &str, now: DateTime<Utc>) -> Result<Option<Expiry>, DomainError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let moment = if let Ok(t) = NaiveDateTime::parse_from_str(text, API_DATE_TIME) {
        t
    } else if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
    } else {
        return Err(DomainError::param(
            "expiresAt",
            "must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (UTC)",
        ));
    };
    if text.len() > 19 || !(1970..=9999).contains(&chrono::Datelike::year(&moment)) {
        return Err(DomainError::param("expiresAt", "is out of range"));
    }
    let moment = moment.and_utc();
    if moment <= now {
        return Err(DomainError::param("expiresAt", "is in the past"));
    }
    Ok(Some(moment))
}

/// Is a token with this expiry still valid at `now`?
pub fn is_live(expires_at: Option<Expiry>, now: DateTime<Utc>) -> bool {
    expires_at.is_none_or(|e| now.timestamp() <= e.timestamp())
}

/// Splits a list parameter: a JSON array of strings or numbers, the same in Python's
/// `repr` (`['a', 'b']`, as py-jelastic sends lists), or values separated by `,` (and
/// `;`). Blank entries are dropped.
pub fn split_list(name: &str, raw: &str) -> Result<Vec<String>, DomainError> {
    let text = raw.trim();
    let items: Vec<String> = if text.starts_with('[') {
        let parsed: Vec<serde_json_lite::Item> = serde_json_lite::parse_array(text)
            .ok_or_else(|| DomainError::param(name, "is not an array of strings or numbers"))?;
        parsed.into_iter().map(|i| i.0).collect()
    } else {
        text.split([',', ';']).map(str::to_owned).collect()
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A JSON array of strings or numbers, read without pulling a JSON library into the
/// browser build. Strings may also be quoted with `'`, as Python's `repr` writes them.
mod serde_json_lite {
    pub struct Item(pub String);

    pub fn parse_array(text: &str) -> Option<Vec<Item>> {
        let inner = text.strip_prefix('[')?.strip_suffix(']')?;
        let mut out = Vec::new();
        let mut chars = inner.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek() {
                None => break,
                Some(&quote @ ('"' | '\'')) => {
                    chars.next();
                    let mut s = String::new();
                    loop {
                        match chars.next()? {
                            c if c == quote => break,
                            '\\' => match chars.next()? {
                                '"' => s.push('"'),
                                '\'' => s.push('\''),
                                '\\' => s.push('\\'),
                                '/' => s.push('/'),
                                _ => return None,
                            },
                            c => s.push(c),
                        }
                    }
                    out.push(Item(s));
                }
                Some(c) if c.is_ascii_digit() => {
                    let mut s = String::new();
                    while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                        s.extend(chars.next());
                    }
                    out.push(Item(s));
                }
                _ => return None,
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.next() {
                None => break,
                Some(',') => continue,
                _ => return None,
            }
        }
        Some(out)
    }
}

/// Numeric ids from an `ids` parameter.
pub fn parse_ids(name: &str, raw: &str) -> Result<Vec<i64>, DomainError> {
    ids(name, split_list(name, raw)?)
}

/// Numeric ids from the items of a list parameter.
pub fn ids(name: &str, items: Vec<String>) -> Result<Vec<i64>, DomainError> {
    if items.is_empty() {
        return Err(DomainError::param(name, "is required"));
    }
    if items.len() > 1000 {
        return Err(DomainError::param(name, "lists more than 1000 ids"));
    }
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| DomainError::param(name, format!("\"{}\" is not an id", clip(&item))))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// At most 40 characters of user input, for quoting it back in an error.
pub fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A token's grant: a predefined set, or Custom with its methods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub set: ApiSet,
    /// The Custom methods, sorted; empty for a predefined set.
    pub custom: Vec<String>,
}

impl Grant {
    /// From the API's `tokenTemplate` and `apiList`: exactly one of them.
    pub fn parse(template: Option<&str>, api_list: Option<&str>) -> Result<Self, DomainError> {
        let api_list = api_list
            .map(|list| split_list("apiList", list))
            .transpose()?;
        Self::from_list(template, api_list)
    }

    /// The same, with `apiList` already split into its items.
    pub fn from_list(
        template: Option<&str>,
        api_list: Option<Vec<String>>,
    ) -> Result<Self, DomainError> {
        let template = template.map(str::trim).filter(|t| !t.is_empty());
        let api_list = api_list.filter(|l| !l.is_empty());
        match (template, api_list) {
            (Some(t), None) => match ApiSet::parse(t) {
                Some(set) if set.is_predefined() => Ok(Self {
                    set,
                    custom: Vec::new(),
                }),
                Some(_) => Err(DomainError::param(
                    "tokenTemplate",
                    "Custom takes its methods in apiList",
                )),
                None => Err(DomainError::param(
                    "tokenTemplate",
                    format!("\"{}\" is not an API set", clip(t)),
                )),
            },
            (None, Some(list)) => Self::custom(list),
            (Some(t), Some(list)) if ApiSet::parse(t) == Some(ApiSet::Custom) => Self::custom(list),
            (Some(_), Some(_)) => Err(DomainError::InvalidParam(
                "give tokenTemplate or apiList, not both".into(),
            )),
            (None, None) => Err(DomainError::InvalidParam(
                "tokenTemplate or apiList is required".into(),
            )),
        }
    }

    /// A Custom grant of exactly these methods, each a grantable catalogue method.
    pub fn custom(ids: Vec<String>) -> Result<Self, DomainError> {
        let mut custom = Vec::with_capacity(ids.len());
        for id in ids {
            let method = catalogue::method(&id).ok_or_else(|| {
                DomainError::param("apiList", format!("\"{}\" is not an API method", clip(&id)))
            })?;
            if !method.grantable() {
                return Err(DomainError::param(
                    "apiList",
                    format!("{} cannot be granted to a token", method.id),
                ));
            }
            custom.push(method.id.to_owned());
        }
        custom.sort();
        custom.dedup();
        if custom.is_empty() {
            return Err(DomainError::param("apiList", "names no method"));
        }
        Ok(Self {
            set: ApiSet::Custom,
            custom,
        })
    }

    pub fn predefined(set: ApiSet) -> Self {
        Self {
            set,
            custom: Vec::new(),
        }
    }

    /// The methods this grant allows today.
    pub fn methods(&self) -> Vec<String> {
        match self.set {
            ApiSet::Custom => self.custom.clone(),
            set => set.methods().into_iter().map(str::to_owned).collect(),
        }
    }

    pub fn allows(&self, method: &catalogue::Method) -> bool {
        self.set.allows(&self.custom, method)
    }
}

/// When and from where a token was last used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUse {
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    /// The client's User-Agent, clipped to `USER_AGENT_MAX` characters.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The longest User-Agent kept for a token's last use.
pub const USER_AGENT_MAX: usize = 256;

/// How many days of calls the detail panel draws.
pub const USAGE_DAYS: i64 = 30;
/// How long per-day call counts are kept; also the longest Tighten window.
pub const USAGE_RETENTION_DAYS: i64 = 90;

/// Calls on one day (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCalls {
    pub day: NaiveDate,
    pub calls: u64,
}

/// Calls to one method over the usage window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodCalls {
    pub method: String,
    pub calls: u64,
    pub last_day: NaiveDate,
}

/// What a token did lately: its last use, its calls per day for `USAGE_DAYS` days (oldest
/// first, days without calls included) and the methods it called in that time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub token_id: i64,
    pub last_used: Option<LastUse>,
    pub days: Vec<DayCalls>,
    pub methods: Vec<MethodCalls>,
}

impl TokenUsage {
    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| d.calls).sum()
    }
}

/// A least-privilege proposal: the methods a token called in the last `days` days that
/// its grant still allows, as a Custom set, beside what it holds now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tightening {
    pub token_id: i64,
    pub days: i64,
    pub current: Grant,
    /// Sorted; empty when the token called nothing it needs a grant for.
    pub proposed: Vec<String>,
}

impl Tightening {
    pub fn new(token_id: i64, days: i64, current: Grant, used: &[String]) -> Self {
        let held = current.methods();
        let mut proposed: Vec<String> = used
            .iter()
            .filter(|m| held.contains(m))
            .filter(|m| catalogue::method(m).is_some_and(|m| m.grantable()))
            .cloned()
            .collect();
        proposed.sort();
        proposed.dedup();
        Self {
            token_id,
            days,
            current,
            proposed,
        }
    }

    /// Methods the token holds and would give up.
    pub fn removed(&self) -> Vec<String> {
        let mut held = self.current.methods();
        held.retain(|m| !self.proposed.contains(m));
        held.sort();
        held
    }

    /// Whether applying it would change anything (a Custom set of exactly these already
    /// is as tight as it gets; a token that called nothing has nothing to keep).
    pub fn changes(&self) -> bool {
        let already_minimal = self.current.set == ApiSet::Custom && self.removed().is_empty();
        !self.proposed.is_empty() && !already_minimal
    }

    /// The grant to apply: Custom with only the methods used.
    pub fn grant(&self) -> Result<Grant, DomainError> {
        Grant::custom(self.proposed.clone())
    }
}

/// Whole days since 1970-01-01 for a UTC time: how usage is bucketed.
pub fn day_number(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

pub fn day_of_number(day: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(day * 86_400, 0)
        .unwrap_or_default()
        .date_naive()
}

/// A token as shown to its owner: never the value, never the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub description: String,
    pub grant: Grant,
    pub expires_at: Option<Expiry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used: Option<LastUse>,
    pub hint: String,
    /// Where the token may be used from; empty means anywhere.
    #[serde(default)]
    pub allowlist: Allowlist,
}

impl TokenSummary {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        !is_live(self.expires_at, now)
    }

    /// Whole days left (0: it expires today) when a live token expires within
    /// `EXPIRY_WARNING_DAYS`.
    pub fn expires_soon(&self, now: DateTime<Utc>) -> Option<i64> {
        let at = self.expires_at.filter(|_| !self.is_expired(now))?;
        let days = (at.date_naive() - now.date_naive()).num_days();
        (days <= EXPIRY_WARNING_DAYS).then_some(days)
    }
}

/// How far ahead the dashboard warns of an expiry.
pub const EXPIRY_WARNING_DAYS: i64 = 7;

/// A token value shown once, beside the token it belongs to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevealedToken {
    pub token: TokenSummary,
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const ENTROPY: &str = "abcdefghijABCDEFGHIJ0123456789xy";

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| (*m).to_owned()).collect()
    }

    #[test]
    fn tightening_keeps_only_the_methods_used_that_the_grant_holds() {
        let used = ids(&[
            "environment.control.StopEnv",
            "environment.control.GetEnvInfo",
            // Every token may ask about itself: nothing to grant.
            "users.authentication.VerifyToken",
            // Called when the token still held it; it does not any more.
            "marketplace.app.GetList",
        ]);
        let tight = Tightening::new(7, 30, Grant::predefined(ApiSet::IdePlugins), &used);
        assert_eq!(
            tight.proposed,
            ids(&[
                "environment.control.GetEnvInfo",
                "environment.control.StopEnv"
            ])
        );
        let removed = tight.removed();
        assert!(!removed.is_empty());
        assert!(removed.iter().all(|m| !tight.proposed.contains(m)));
        assert_eq!(
            removed.len() + tight.proposed.len(),
            ApiSet::IdePlugins.methods().len()
        );
        assert!(tight.changes());
        let grant = tight.grant().unwrap();
        assert_eq!(grant.set, ApiSet::Custom);
        assert_eq!(grant.custom, tight.proposed);
    }

    #[test]
    fn tightening_an_unused_or_already_minimal_token_changes_nothing() {
        let unused = Tightening::new(1, 30, Grant::predefined(ApiSet::ExtendedAccess), &[]);
        assert!(unused.proposed.is_empty());
        assert!(!unused.changes());
        assert!(unused.grant().is_err());

        let custom = Grant::custom(ids(&["environment.control.StopEnv"])).unwrap();
        let minimal = Tightening::new(1, 30, custom, &ids(&["environment.control.StopEnv"]));
        assert!(minimal.removed().is_empty());
        assert!(!minimal.changes());
    }

    #[test]
    fn usage_days_are_utc_calendar_days() {
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 59).unwrap();
        let early = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
        assert_eq!(day_number(early) - day_number(late), 1);
        assert_eq!(day_of_number(day_number(late)), late.date_naive());
        assert_eq!(day_of_number(day_number(early)), early.date_naive());
    }

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

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(Description::parse("  ci  ").unwrap().as_str(), "ci");
        assert!(Description::parse("   ").is_err());
        assert!(Description::parse(&"x".repeat(255)).is_ok());
        assert!(Description::parse(&"x".repeat(256)).is_err());
        assert!(Description::parse("a\u{0}b").is_err());
        assert!(Description::parse(&"é".repeat(255)).is_ok());
    }

    #[test]
    fn expiry_dates_run_through_the_end_of_the_day() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let e = parse_expiry("2026-12-31", now).unwrap().unwrap();
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap());
        let e = parse_expiry("2026-11-23 12:30:00", now).unwrap().unwrap();
        assert_eq!(e.format(API_DATE_TIME).to_string(), "2026-11-23 12:30:00");
        assert_eq!(parse_expiry("", now).unwrap(), None);
        assert!(parse_expiry("2026-11-23 11:00:00", now).is_err());
        assert!(parse_expiry("2026-11-22", now).is_err());
        assert!(parse_expiry("23-11-2026", now).is_err());
        assert!(parse_expiry("2026-02-30", now).is_err());
        assert!(parse_expiry("tomorrow", now).is_err());
        // Today's date is still valid until midnight.
        assert!(parse_expiry("2026-11-23", now).is_ok());
    }

    #[test]
    fn expiry_warnings_cover_the_next_seven_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let token = |expires_at| TokenSummary {
            id: 1,
            description: "t".into(),
            grant: Grant::predefined(ApiSet::Marketplace),
            expires_at,
            created_at: now,
            updated_at: now,
            last_used: None,
            hint: "patio_abcd".into(),
            allowlist: Allowlist::default(),
        };
        let day = |d| parse_expiry(d, now).unwrap();
        assert_eq!(token(day("2026-11-23")).expires_soon(now), Some(0));
        assert_eq!(token(day("2026-11-30")).expires_soon(now), Some(7));
        assert_eq!(token(day("2026-12-01")).expires_soon(now), None);
        assert_eq!(token(None).expires_soon(now), None);
        let later = now + chrono::Duration::days(1);
        assert_eq!(
            token(day("2026-11-23")).expires_soon(later),
            None,
            "expired is not expiring"
        );
    }

    #[test]
    fn liveness_includes_the_last_second() {
        let e = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert!(is_live(Some(e), e));
        assert!(!is_live(Some(e), e + chrono::Duration::seconds(1)));
        assert!(is_live(None, e));
    }

    #[test]
    fn lists_split_on_commas_semicolons_or_json() {
        assert_eq!(split_list("ids", "1, 2;3").unwrap(), ["1", "2", "3"]);
        assert_eq!(
            split_list("ids", r#"["a.b.C", "d"]"#).unwrap(),
            ["a.b.C", "d"]
        );
        assert_eq!(split_list("ids", "[1, 2]").unwrap(), ["1", "2"]);
        assert!(split_list("ids", "[1, 2").is_err());
        // py-jelastic sends a Python list as its repr().
        assert_eq!(
            split_list("apiList", "['a.b.C', \"d'e\", 'f\\'g']").unwrap(),
            ["a.b.C", "d'e", "f'g"]
        );
        assert!(split_list("ids", "['a\", 'b']").is_err());
        assert_eq!(parse_ids("ids", "3,3,4").unwrap(), [3, 4]);
        assert!(parse_ids("ids", "").is_err());
        assert!(parse_ids("ids", "1,x").is_err());
        assert!(parse_ids("ids", "-1").is_err());
    }

    #[test]
    fn grants_need_exactly_one_valid_source() {
        let g = Grant::parse(Some("IDE Plugins"), None).unwrap();
        assert_eq!(g.set, ApiSet::IdePlugins);
        let g = Grant::parse(
            None,
            Some("environment.control.StopEnv,environment.control.GetEnvInfo"),
        )
        .unwrap();
        assert_eq!(g.set, ApiSet::Custom);
        assert_eq!(
            g.custom,
            [
                "environment.control.GetEnvInfo",
                "environment.control.StopEnv"
            ]
        );
        assert!(Grant::parse(None, None).is_err());
        assert!(Grant::parse(Some("nope"), None).is_err());
        assert!(Grant::parse(None, Some("environment.control.Explode")).is_err());
        assert!(Grant::parse(None, Some("users.authentication.CreateToken")).is_err());
        assert!(Grant::parse(Some("marketplace"), Some("environment.control.StopEnv")).is_err());
    }
}

#[cfg(feature = "server")]
mod cache;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
mod usage_service;
#[cfg(feature = "server")]
mod uses;
#[cfg(feature = "server")]
pub use cache::LastUsedLog;
#[cfg(feature = "server")]
pub(crate) use cache::TokenCache;
#[cfg(feature = "server")]
pub use cache::TokenGrant;
#[cfg(feature = "server")]
pub use service::*;
#[cfg(feature = "server")]
pub use usage_service::*;
#[cfg(feature = "server")]
pub use uses::*;

/// One network of an allowlist: an address and a prefix length (`203.0.113.0/24`,
/// `2001:db8::/32`; a bare address is a single host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad = || {
            DomainError::param(
                "allowedIps",
                format!("\"{}\" is not an IP address or CIDR network", clip(raw)),
            )
        };
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: std::net::IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
        };
        Ok(Self { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        // A v4 client seen through a v6 socket still counts as that v4 address.
        let ip = match ip {
            V6(v6) => v6.to_ipv4_mapped().map_or(ip, V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// Where a token may be used from; empty means anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowlist(Vec<IpNet>);

pub const ALLOWLIST_MAX: usize = 50;

impl Allowlist {
    /// Networks separated by commas, semicolons, spaces or new lines.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let mut nets = Vec::new();
        for part in raw
            .split([',', ';', ' ', '\n', '\r', '\t'])
            .filter(|p| !p.is_empty())
        {
            let net = IpNet::parse(part)?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > ALLOWLIST_MAX {
            return Err(DomainError::param(
                "allowedIps",
                format!("lists more than {ALLOWLIST_MAX} networks"),
            ));
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// May a call from `ip` use the token? An unknown address never passes a list.
    pub fn allows(&self, ip: Option<std::net::IpAddr>) -> bool {
        self.0.is_empty() || ip.is_some_and(|ip| self.0.iter().any(|n| n.contains(ip)))
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// The stored form: entries separated by commas.
    pub fn to_text(&self) -> String {
        self.entries().join(",")
    }
}

#[cfg(test)]
mod allowlist_tests {
    use super::*;

    fn ip(s: &str) -> Option<std::net::IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn networks_match_their_addresses() {
        let list = Allowlist::parse("10.0.0.0/8, 192.168.1.7\n2001:db8::/32").unwrap();
        assert!(list.allows(ip("10.200.3.4")));
        assert!(list.allows(ip("192.168.1.7")));
        assert!(!list.allows(ip("192.168.1.8")));
        assert!(list.allows(ip("2001:db8:1::5")));
        assert!(!list.allows(ip("2001:db9::1")));
        assert!(list.allows(ip("::ffff:10.1.1.1")), "v4-mapped v6");
        assert!(!list.allows(None));
        assert_eq!(list.to_text(), "10.0.0.0/8,192.168.1.7,2001:db8::/32");
        assert!(Allowlist::parse("").unwrap().allows(ip("8.8.8.8")));
        assert!(Allowlist::parse("0.0.0.0/0").unwrap().allows(ip("8.8.8.8")));
        assert!(Allowlist::parse("::/0").unwrap().allows(ip("2001:db8::1")));
    }

    #[test]
    fn malformed_networks_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0",
            "::/129",
            "host.example",
            "10.0.0.0/x",
            "1.2.3.4/",
        ] {
            assert!(Allowlist::parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..51).map(|i| format!("10.0.0.{i}")).collect();
        assert!(Allowlist::parse(&many.join(",")).is_err());
    }
}
