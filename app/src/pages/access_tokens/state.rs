//! The Access Tokens page's state, provided once by the page and read by its parts: the
//! token list and the selection in it, the change waiting for the password, and the
//! answers to the changes sent (`sending`, in the tools' part, sends them).

use domain::tokens::{RevealedToken, TokenSummary};
use leptos::prelude::*;

use super::pending::Pending;
use crate::api::list_tokens;
use crate::components::action::Notice;
use crate::components::token_form::FormMode;
use crate::error::AppError;
use crate::loaded::{loaded, Loaded};

/// What the parts of the page share; every field a handle, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct TokensPage {
    /// How many changes have been answered, a success or a refusal.
    pub answered: RwSignal<u64>,
    refreshes: RwSignal<u32>,
    /// The token list, loaded again after every change and every Refresh.
    pub tokens: Loaded<Result<Vec<TokenSummary>, AppError>>,
    /// The last list loaded, for the toolbar and the keyboard (outside the Transition).
    pub list: RwSignal<Vec<TokenSummary>>,
    /// The ids of the selected tokens, in the order they were picked.
    pub selected: RwSignal<Vec<i64>>,
    /// The token form, while it is open.
    pub form: RwSignal<Option<FormMode>>,
    /// The change waiting for the password.
    pub pending: RwSignal<Option<Pending>>,
    pub password_open: RwSignal<bool>,
    /// A new token value, shown once.
    pub revealed: RwSignal<Option<RevealedToken>>,
    pub notice: RwSignal<Option<Notice>>,
    /// The last refusal: in the password step while it is open, on the page after.
    pub error: RwSignal<Option<AppError>>,
    /// Changes whenever the list is reloaded or a token changes.
    pub changes: Signal<u64>,
}

/// Makes the page's state and provides it to the components below.
pub fn provide_tokens_page() -> TokensPage {
    let answered = RwSignal::new(0u64);
    let refreshes = RwSignal::new(0u32);
    let tokens = loaded(move || (answered.get(), refreshes.get()), |_| list_tokens());
    let changes = Signal::derive(move || answered.get() + u64::from(refreshes.get()));
    let page = TokensPage {
        answered,
        refreshes,
        tokens,
        list: RwSignal::new(Vec::new()),
        selected: RwSignal::new(Vec::new()),
        form: RwSignal::new(None),
        pending: RwSignal::new(None),
        password_open: RwSignal::new(false),
        revealed: RwSignal::new(None),
        notice: RwSignal::new(None),
        error: RwSignal::new(None),
        changes,
    };
    page.keep_the_list();
    provide_context(page);
    page
}

/// The page's state, from any component of it.
pub fn use_tokens_page() -> TokensPage {
    expect_context()
}

impl TokensPage {
    /// Keeps the last list loaded, and the selection to tokens that still exist.
    fn keep_the_list(self) {
        Effect::new(move |_| {
            if let Some(Ok(fresh)) = self.tokens.get() {
                self.selected
                    .update(|s| s.retain(|id| fresh.iter().any(|t| t.id == *id)));
                self.list.set(fresh);
            }
        });
    }

    /// Loads the list again.
    pub fn reload(self) {
        self.refreshes.update(|n| *n += 1);
    }

    /// The selected tokens, in list order.
    pub fn chosen(self) -> Vec<TokenSummary> {
        let selected = self.selected.get();
        self.list
            .get()
            .into_iter()
            .filter(|t| selected.contains(&t.id))
            .collect()
    }

    /// The selected token, when exactly one is.
    pub fn one(self) -> Option<TokenSummary> {
        let chosen = self.chosen();
        (chosen.len() == 1).then(|| chosen[0].clone())
    }

    /// Opens the password step for `change`.
    pub fn ask_password(self, change: Pending) {
        self.pending.set(Some(change));
        self.password_open.set(true);
    }
}
