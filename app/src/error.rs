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
                chars.next().map_or_else(String::new, |c| {
                    // The server's messages start with an ASCII letter: ASCII case is
                    // exact for them, and needs no Unicode tables in the wasm.
                    std::iter::once(c.to_ascii_uppercase())
                        .chain(chars)
                        .collect()
                })
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
        // A refusal answers with the HTTP status that says what kind it is, never 500;
        // a plain HTML form post keeps the redirect back to its page that Leptos gives it.
        #[cfg(feature = "ssr")]
        {
            use leptos::prelude::use_context;
            // Only a server function's own answer: a page that loads data while it renders
            // keeps its status.
            let parts = use_context::<http::request::Parts>();
            let called = parts
                .as_ref()
                .is_some_and(|p| p.uri.path().starts_with("/api/"));
            let redirected = parts.is_some_and(|parts| {
                let html = parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("text/html"));
                html && parts.headers.contains_key(http::header::REFERER)
            });
            if let (true, false, Some(response)) = (
                called,
                redirected,
                use_context::<leptos_axum::ResponseOptions>(),
            ) {
                response.set_status(http_status(e.code()));
            }
        }
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

/// The HTTP status of a server function's refusal.
#[cfg(feature = "ssr")]
pub fn http_status(code: ResultCode) -> http::StatusCode {
    use http::StatusCode;
    match code {
        ResultCode::Ok => StatusCode::OK,
        ResultCode::ErrorUnknown => StatusCode::INTERNAL_SERVER_ERROR,
        ResultCode::InvalidParam => StatusCode::BAD_REQUEST,
        ResultCode::NotFound | ResultCode::EnvNotExist => StatusCode::NOT_FOUND,
        ResultCode::EnvAlreadyExists | ResultCode::NotAllowedForStatus => StatusCode::CONFLICT,
        ResultCode::UserNotAuthenticated => StatusCode::UNAUTHORIZED,
        ResultCode::WrongPassword | ResultCode::PermissionDenied | ResultCode::TwoFactorCode => {
            StatusCode::FORBIDDEN
        }
        ResultCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
    }
}
