//! `/signin`: email and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::SignIn;
use crate::components::topbar::ErrorNote;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Sign in"/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>"Sign in"</h1>
                <ActionForm action=action attr:class="stack">
                    <label>
                        <span>"Email"</span>
                        <input type="email" name="email" autocomplete="username" required autofocus/>
                    </label>
                    <label>
                        <span>"Password"</span>
                        <input type="password" name="password" autocomplete="current-password" required/>
                    </label>
                    <ErrorNote error=Signal::derive(error)/>
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        "Sign in"
                    </button>
                </ActionForm>
                <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
            </div>
        </main>
    }
}
