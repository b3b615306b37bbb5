//! A change waiting for the password, and how the password step names it.

use domain::tokens::TokenSummary;

use crate::components::token_form::FormValues;
use crate::i18n::td_string;
use crate::locale::I18n;

/// A change waiting for the password.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    Save(FormValues),
    Regenerate {
        id: i64,
        description: String,
        expires: Option<String>,
    },
    Remove(Vec<TokenSummary>),
    Tighten {
        id: i64,
        description: String,
        methods: Vec<String>,
        /// The environments to keep; `None` leaves them as they are.
        environments: Option<Vec<String>>,
    },
    /// Every token of the account; the count shown.
    RevokeAll(usize),
}

impl Pending {
    pub fn title(&self, i18n: I18n) -> String {
        match self {
            Self::Save(v) if v.id.is_some() => td_string!(i18n.get(), tokens.confirm_changes),
            Self::Save(_) => td_string!(i18n.get(), tokens.confirm_new),
            Self::Regenerate { .. } => td_string!(i18n.get(), tokens.confirm_regenerate),
            Self::Remove(_) => td_string!(i18n.get(), tokens.confirm_removal),
            Self::Tighten { .. } => td_string!(i18n.get(), tokens.confirm_tighten),
            Self::RevokeAll(_) => td_string!(i18n.get(), tokens.confirm_revoke_all),
        }
        .to_owned()
    }

    pub fn detail(&self, i18n: I18n) -> String {
        match self {
            Self::Save(v) => {
                td_string!(i18n.get(), tokens.save_detail, name = v.description.trim()).to_string()
            }
            Self::Regenerate { description, .. } => {
                td_string!(i18n.get(), tokens.regenerate_detail, name = description).to_string()
            }
            Self::Remove(tokens) if tokens.len() == 1 => td_string!(
                i18n.get(),
                tokens.remove_one_detail,
                name = &tokens[0].description
            )
            .to_string(),
            Self::Remove(tokens) => {
                td_string!(i18n.get(), tokens.remove_many_detail, n = tokens.len()).to_string()
            }
            Self::Tighten {
                description,
                methods,
                environments: Some(_),
                ..
            } => td_string!(
                i18n.get(),
                tokens.tighten_envs_detail,
                name = description,
                n = methods.len()
            )
            .to_string(),
            Self::Tighten {
                description,
                methods,
                ..
            } => td_string!(
                i18n.get(),
                tokens.tighten_detail,
                name = description,
                n = methods.len()
            )
            .to_string(),
            Self::RevokeAll(n) => {
                td_string!(i18n.get(), tokens.revoke_all_detail, n = *n).to_string()
            }
        }
    }
}
