pub mod access_tokens;
pub mod docs;
pub mod home;
pub mod not_found;
pub mod security_log;
pub mod sessions;
pub mod signin;
pub mod signup;
