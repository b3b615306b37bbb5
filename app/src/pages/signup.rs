//! `/signup`: a new account, signed in straight away.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{signup_open, SignUp};
use crate::components::topbar::ErrorNote;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let open = Resource::new(|| (), |_| signup_open());
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Sign up"/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>"Create your account"</h1>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match open.await {
                            Ok(false) => view! {
                                <p class="note">"Sign-up is closed on this server. Ask its operator for an account."</p>
                            }.into_any(),
                            _ => view! {
                                <ActionForm action=action attr:class="stack">
                                    <label>
                                        <span>"Email"</span>
                                        <input type="email" name="email" autocomplete="username" required autofocus/>
                                    </label>
                                    <label>
                                        <span>"Password"</span>
                                        <input type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="128"/>
                                        <small class="muted">"At least 8 characters."</small>
                                    </label>
                                    <ErrorNote error=Signal::derive(error)/>
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        "Sign up"
                                    </button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
            </div>
        </main>
    }
}
