-- Passkeys (WebAuthn). An account's passkeys know it by a random handle (never its id or
-- email), which the authenticator gives back when it signs in without an email typed.
alter table accounts add column passkey_handle text;
create unique index accounts_passkey_handle_key on accounts (passkey_handle);

-- A passkey as the server keeps it: the credential's id and public key (webauthn-rs's
-- Passkey, as JSON: no private key ever reaches the server), its sign counter and backup
-- flags, the name its owner gave it.
create table passkeys (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    credential_id blob not null,
    credential text not null,
    name text not null,
    last_used_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index passkeys_credential_id_key on passkeys (credential_id);
create index passkeys_account_idx on passkeys (account_id);

-- A ceremony begun and not yet finished, so that any replica can finish what another
-- began: the challenge's state, used once (deleted as it is read), for five minutes.
create table passkey_ceremonies (
    id integer primary key autoincrement,
    public_id text not null,
    kind text not null,
    account_id integer references accounts (id) on delete cascade,
    state text not null,
    expires_at integer not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index passkey_ceremonies_public_id_key on passkey_ceremonies (public_id);
create index passkey_ceremonies_expires_idx on passkey_ceremonies (expires_at);
