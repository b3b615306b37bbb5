pub mod dialog;
pub mod password;
pub mod recovery_codes;
pub mod reveal;
pub mod share;
pub mod token_form;
pub mod token_usage;
pub mod topbar;
