//! The error every server function returns: a domain refusal with its API result code,
//! or a transport fault.

use domain::{DomainError, ResultCode};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Domain { code: i32, message: String },
    #[error("{0}")]
    Transport(ServerFnErrorErr),
}

impl AppError {
    pub fn code(&self) -> Option<ResultCode> {
        match self {
            Self::Domain { code, .. } => ResultCode::try_from(*code).ok(),
            Self::Transport(_) => None,
        }
    }

    /// What the person at the dashboard is told.
    pub fn message(&self) -> String {
        match self {
            Self::Domain { message, .. } => {
                let mut chars = message.chars();
                chars
                    .next()
                    .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
            }
            Self::Transport(_) => {
                "The server could not be reached. Check your connection and try again.".into()
            }
        }
    }

    pub fn is_signed_out(&self) -> bool {
        self.code() == Some(ResultCode::UserNotAuthenticated)
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        Self::Domain {
            code: e.code().number(),
            message: e.to_string(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value)
    }
}
