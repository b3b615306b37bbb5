//! The server actions that send the change waiting for the password, and what follows
//! each answer. They are made by the password step, the first time it opens, so their
//! code (each call's encoding, each answer's decoding) is in the tools' part, not in
//! the page's.

use leptos::prelude::*;

use super::pending::Pending;
use super::state::TokensPage;
use crate::api::{
    DeleteTokens, RegenerateToken, RevokeAllTokens, SaveToken, TightenToken, TokenForm,
};
use crate::components::action::{follow, Notice};
use crate::i18n::td_string;

/// One action for each kind of change; every field a handle, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct Sending {
    save: ServerAction<SaveToken>,
    regenerate: ServerAction<RegenerateToken>,
    remove: ServerAction<DeleteTokens>,
    tighten: ServerAction<TightenToken>,
    revoke_all: ServerAction<RevokeAllTokens>,
}

impl Sending {
    /// Makes the actions, for as long as the page is open, and follows their answers.
    pub fn new(page: TokensPage) -> Self {
        let sending = Self {
            save: ServerAction::new(),
            regenerate: ServerAction::new(),
            remove: ServerAction::new(),
            tighten: ServerAction::new(),
            revoke_all: ServerAction::new(),
        };
        sending.count_answers(page);
        sending.follow_answers(page);
        sending
    }

    /// Whether a change is on its way to the server.
    pub fn busy(self) -> Signal<bool> {
        Signal::derive(move || {
            self.save.pending().get()
                || self.regenerate.pending().get()
                || self.remove.pending().get()
                || self.tighten.pending().get()
                || self.revoke_all.pending().get()
        })
    }

    /// Every answer, a success or a refusal, loads the list again.
    fn count_answers(self, page: TokensPage) {
        Effect::new(move |_| {
            let answered = self.save.version().get()
                + self.regenerate.version().get()
                + self.remove.version().get()
                + self.tighten.version().get()
                + self.revoke_all.version().get();
            if answered > 0 {
                page.answered.update(|n| *n += 1);
            }
        });
    }

    /// Each success closes the password step; a refusal stays in view.
    fn follow_answers(self, page: TokensPage) {
        let TokensPage {
            password_open,
            selected,
            revealed,
            notice,
            error,
            ..
        } = page;
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

    /// Sends the change waiting for the password, with it.
    pub fn confirm(self, page: TokensPage, password: String) {
        match page.pending.get_untracked() {
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
