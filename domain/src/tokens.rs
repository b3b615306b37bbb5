//! Personal access tokens: the value format, the parsed inputs a token is made from,
//! and the summary the dashboard and the API show. Storage lives in `tokens::service`.

mod allowlist;
mod clip;
mod description;
mod expiry;
mod format;
mod grant;
mod lists;
mod summary;
mod tightening;
mod usage;

pub use allowlist::{Allowlist, IpNet, ALLOWLIST_MAX};
pub use clip::clip;
pub use description::{Description, DESCRIPTION_MAX};
pub use expiry::{is_live, parse_expiry, Expiry, API_DATE_TIME};
pub use format::{looks_like_token, TokenSecret, HINT_LEN, PREFIX, TOKEN_LEN};
pub use grant::Grant;
pub use lists::{ids, unique_ids};
pub use summary::{RevealedKey, RevealedToken, TokenSummary, EXPIRY_WARNING_DAYS};
pub use tightening::Tightening;
pub use usage::{
    day_number, day_of_number, DayCalls, LastUse, MethodCalls, TokenUsage, USAGE_DAYS,
    USAGE_RETENTION_DAYS, USER_AGENT_MAX,
};

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
