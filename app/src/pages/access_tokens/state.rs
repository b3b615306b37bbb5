//! The Access Tokens page's state, provided once by the page and read by its parts: the
//! token list and the selection in it, the change waiting for the password, and the
//! actions that make the changes, with what follows each one's answer.

use domain::tokens::{RevealedToken, TokenSummary};
use leptos::prelude::*;

use super::pending::Pending;
use crate::api::{
    list_tokens, DeleteTokens, RegenerateToken, RevokeAllTokens, SaveToken, TightenToken, TokenForm,
};
use crate::components::action::{follow, Notice};
use crate::components::token_form::FormMode;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::loaded::{loaded, Loaded};

/// What the parts of the page share; every field a handle, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct TokensPage {
    save: ServerAction<SaveToken>,
    regenerate: ServerAction<RegenerateToken>,
    remove: ServerAction<DeleteTokens>,
    tighten: ServerAction<TightenToken>,
    revoke_all: ServerAction<RevokeAllTokens>,
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
    /// Whether a change is on its way to the server.
    pub busy: Signal<bool>,
}

/// Makes the page's state and provides it to the components below.
pub fn provide_tokens_page() -> TokensPage {
    let save = ServerAction::<SaveToken>::new();
    let regenerate = ServerAction::<RegenerateToken>::new();
    let remove = ServerAction::<DeleteTokens>::new();
    let tighten = ServerAction::<TightenToken>::new();
    let revoke_all = ServerAction::<RevokeAllTokens>::new();
    let refreshes = RwSignal::new(0u32);
    let tokens = loaded(
        move || {
            (
                save.version().get(),
                regenerate.version().get(),
                remove.version().get(),
                tighten.version().get(),
                revoke_all.version().get(),
                refreshes.get(),
            )
        },
        |_| list_tokens(),
    );
    let changes = Signal::derive(move || {
        (save.version().get()
            + regenerate.version().get()
            + remove.version().get()
            + tighten.version().get()
            + revoke_all.version().get()) as u64
            + u64::from(refreshes.get())
    });
    let busy = Signal::derive(move || {
        save.pending().get()
            || regenerate.pending().get()
            || remove.pending().get()
            || tighten.pending().get()
            || revoke_all.pending().get()
    });
    let page = TokensPage {
        save,
        regenerate,
        remove,
        tighten,
        revoke_all,
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
        busy,
    };
    page.keep_the_list();
    page.follow_answers();
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

    /// Each success closes the password step; a refusal stays in view.
    fn follow_answers(self) {
        let TokensPage {
            password_open,
            selected,
            revealed,
            notice,
            error,
            ..
        } = self;
        follow(self.save, error, move |reveal| {
            password_open.set(false);
            let edited = reveal.is_none();
            revealed.set(reveal);
            if edited {
                notice.set(Some(Notice::new(|locale| {
                    td_string!(locale, tokens.saved).into()
                })));
            }
        });
        follow(self.regenerate, error, move |r| {
            password_open.set(false);
            revealed.set(Some(r));
        });
        follow(self.remove, error, move |n| {
            password_open.set(false);
            selected.set(Vec::new());
            notice.set(Some(Notice::new(move |locale| {
                if n == 1 {
                    td_string!(locale, tokens.removed_one).into()
                } else {
                    td_string!(locale, tokens.removed_many, n).to_string()
                }
            })));
        });
        follow(self.tighten, error, move |t| {
            password_open.set(false);
            let n = t.grant.custom.len();
            notice.set(Some(Notice::new(move |locale| {
                td_string!(locale, tokens.tightened, name = &t.description, n).to_string()
            })));
        });
        follow(self.revoke_all, error, move |n| {
            password_open.set(false);
            selected.set(Vec::new());
            notice.set(Some(Notice::new(move |locale| {
                td_string!(locale, tokens.revoked_all, n).to_string()
            })));
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

    /// Sends the change waiting for the password, with it.
    pub fn confirm(self, password: String) {
        match self.pending.get_untracked() {
            Some(Pending::Save(v)) => {
                self.save.dispatch(SaveToken {
                    form: TokenForm {
                        id: v.id,
                        description: v.description,
                        api_set: v.api_set,
                        methods: v.methods,
                        expires: v.expires,
                        allowed_ips: v.allowed_ips,
                        environments: v.environments,
                        password,
                    },
                });
            }
            Some(Pending::Regenerate { id, expires, .. }) => {
                self.regenerate.dispatch(RegenerateToken {
                    id,
                    password,
                    expires,
                });
            }
            Some(Pending::Remove(list)) => {
                self.remove.dispatch(DeleteTokens {
                    ids: list.iter().map(|t| t.id).collect(),
                    password,
                });
            }
            Some(Pending::Tighten {
                id,
                methods,
                environments,
                ..
            }) => {
                self.tighten.dispatch(TightenToken {
                    id,
                    methods,
                    environments,
                    password,
                });
            }
            Some(Pending::RevokeAll(_)) => {
                self.revoke_all.dispatch(RevokeAllTokens { password });
            }
            None => {}
        }
    }
}
