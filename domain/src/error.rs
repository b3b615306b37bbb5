//! The result codes of the platform API and the one error type the domain returns.

use serde::{Deserialize, Serialize};

/// A result code as the platform API reports it in `result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i32", try_from = "i32")]
pub enum ResultCode {
    Ok,
    ErrorUnknown,
    InvalidParam,
    NotFound,
    EnvNotExist,
    EnvAlreadyExists,
    UserNotAuthenticated,
    WrongPassword,
    TooManyAttempts,
    TwoFactorCode,
    NotAllowedForStatus,
    PermissionDenied,
}

impl ResultCode {
    pub const ALL: [ResultCode; 12] = [
        Self::Ok,
        Self::ErrorUnknown,
        Self::InvalidParam,
        Self::NotFound,
        Self::EnvNotExist,
        Self::EnvAlreadyExists,
        Self::UserNotAuthenticated,
        Self::WrongPassword,
        Self::TooManyAttempts,
        Self::TwoFactorCode,
        Self::NotAllowedForStatus,
        Self::PermissionDenied,
    ];

    pub const fn number(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::ErrorUnknown => 1,
            Self::InvalidParam => 3,
            Self::NotFound => 5,
            Self::EnvNotExist => 11,
            Self::EnvAlreadyExists => 12,
            Self::UserNotAuthenticated => 701,
            Self::WrongPassword => 702,
            Self::TooManyAttempts => 703,
            Self::TwoFactorCode => 704,
            Self::NotAllowedForStatus => 2212,
            Self::PermissionDenied => 8202,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::ErrorUnknown => "ERROR_UNKNOWN",
            Self::InvalidParam => "INVALID_PARAM",
            Self::NotFound => "NOT_FOUND",
            Self::EnvNotExist => "ENV_NOT_EXIST",
            Self::EnvAlreadyExists => "ENV_ALREADY_EXISTS",
            Self::UserNotAuthenticated => "USER_NOT_AUTHENTICATED",
            Self::WrongPassword => "WRONG_PASSWORD",
            Self::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Self::TwoFactorCode => "TWO_FACTOR_CODE",
            Self::NotAllowedForStatus => "NOT_ALLOWED_FOR_STATUS",
            Self::PermissionDenied => "PERMISSION_DENIED",
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            Self::Ok => "Success.",
            Self::ErrorUnknown => "Unexpected server fault; the details are in the server log.",
            Self::InvalidParam => {
                "A parameter is missing, malformed, too long or out of range; `error` names it."
            }
            Self::NotFound => "No such method, token, file or app.",
            Self::EnvNotExist => "No environment of that name on this account.",
            Self::EnvAlreadyExists => "The environment name is taken.",
            Self::UserNotAuthenticated => {
                "No credential, or an unknown, expired, removed or signed-out one."
            }
            Self::WrongPassword => "The password is wrong.",
            Self::TooManyAttempts => {
                "Too many password or code checks; `error` says when to retry."
            }
            Self::TwoFactorCode => {
                "The account signs in with two-factor: the `code` parameter (6 digits from the authenticator app, or a recovery code) is missing, wrong or already used."
            }
            Self::NotAllowedForStatus => "The environment's status does not allow this action.",
            Self::PermissionDenied => "The token's API set does not include this method, or the environment named is outside the token's scope.",
        }
    }
}

impl From<ResultCode> for i32 {
    fn from(code: ResultCode) -> i32 {
        code.number()
    }
}

impl TryFrom<i32> for ResultCode {
    type Error = String;
    fn try_from(n: i32) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.number() == n)
            .ok_or_else(|| format!("unknown result code {n}"))
    }
}

/// Everything a domain operation can refuse with. Each variant carries its API result
/// code; internal causes are logged where they happen and never carried here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DomainError {
    #[error("{0}")]
    InvalidParam(String),
    #[error("{0}")]
    NotFound(String),
    #[error("environment \"{0}\" does not exist")]
    EnvNotExist(String),
    #[error("environment \"{0}\" already exists")]
    EnvAlreadyExists(String),
    #[error("user is not authenticated: sign in or pass a valid token")]
    NotAuthenticated,
    #[error("this account is disabled; ask the server's operator")]
    AccountDisabled,
    #[error("wrong password")]
    WrongPassword,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The account has two-factor on and the code was missing, wrong or used before.
    #[error("{0}")]
    TwoFactorCode(String),
    #[error("{0}")]
    NotAllowedForStatus(String),
    #[error("Permission denied, required permissions: {0}")]
    PermissionDenied(String),
    /// A token limited to environments named another one, or one that does not exist.
    #[error("Permission denied, environment outside this token's scope: {0}")]
    OutsideScope(String),
    #[error("internal server error")]
    Internal,
}

impl DomainError {
    pub fn code(&self) -> ResultCode {
        match self {
            Self::InvalidParam(_) => ResultCode::InvalidParam,
            Self::NotFound(_) => ResultCode::NotFound,
            Self::EnvNotExist(_) => ResultCode::EnvNotExist,
            Self::EnvAlreadyExists(_) => ResultCode::EnvAlreadyExists,
            Self::NotAuthenticated | Self::AccountDisabled => ResultCode::UserNotAuthenticated,
            Self::WrongPassword => ResultCode::WrongPassword,
            Self::TooManyAttempts { .. } => ResultCode::TooManyAttempts,
            Self::TwoFactorCode(_) => ResultCode::TwoFactorCode,
            Self::NotAllowedForStatus(_) => ResultCode::NotAllowedForStatus,
            Self::PermissionDenied(_) | Self::OutsideScope(_) => ResultCode::PermissionDenied,
            Self::Internal => ResultCode::ErrorUnknown,
        }
    }

    /// `INVALID_PARAM` naming the parameter.
    pub fn param(name: &str, problem: impl std::fmt::Display) -> Self {
        Self::InvalidParam(format!("{name}: {problem}"))
    }
}

#[cfg(feature = "server")]
impl From<anyhow::Error> for DomainError {
    fn from(error: anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "internal error");
        Self::Internal
    }
}

#[cfg(feature = "server")]
impl From<sqlx::Error> for DomainError {
    fn from(error: sqlx::Error) -> Self {
        anyhow::Error::new(error).context("database").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_number() {
        for code in ResultCode::ALL {
            assert_eq!(ResultCode::try_from(code.number()), Ok(code));
        }
        assert!(ResultCode::try_from(42).is_err());
    }

    #[test]
    fn permission_denied_names_the_method_as_the_contract_says() {
        let e = DomainError::PermissionDenied("environment.control.StartEnv".into());
        assert_eq!(e.code().number(), 8202);
        assert_eq!(
            e.to_string(),
            "Permission denied, required permissions: environment.control.StartEnv"
        );
    }
}
