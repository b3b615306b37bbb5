-- One-time share links and expiry notices by email.

-- A share link holds only what the owner's browser encrypted: the nonce and AES-256-GCM
-- ciphertext of a token value. The key stays in the link's fragment and never reaches the
-- server. The ciphertext is set to null when the link is opened, cancelled or expires;
-- the row stays (for the owner's panel and the "already used" page) until it is pruned.
create table token_shares (
    id integer primary key autoincrement,
    public_id text not null,
    token_id integer not null references tokens (id) on delete cascade,
    account_id integer not null references accounts (id) on delete cascade,
    ciphertext blob,
    expires_at integer not null,
    opened_at integer,
    opened_ip text,
    cancelled_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index token_shares_public_id_key on token_shares (public_id);
create index token_shares_token_idx on token_shares (token_id);
create index token_shares_expires_idx on token_shares (expires_at);

-- The session a token's value was just revealed to, and until when it may share it.
alter table tokens add column share_session_id integer;
alter table tokens add column share_until integer;

-- The expiry-notice pass reads the tokens near their expiry.
create index tokens_expires_idx on tokens (expires_at);

-- The language the owner last used in the dashboard ('en', 'id'); null: English.
alter table accounts add column language text;

-- Each expiry notice (7 days, 1 day before, expired) of each token expiry, claimed by
-- one replica before it is sent: 'sending' under a lease (taken over once it runs out,
-- after a crash or a failed attempt), then 'sent'.
create table expiry_notices (
    id integer primary key autoincrement,
    token_id integer not null references tokens (id) on delete cascade,
    kind text not null,
    expires_at integer not null,
    state text not null,
    attempts integer not null default 0,
    lease_until integer,
    last_error text,
    sent_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index expiry_notices_token_kind_key on expiry_notices (token_id, kind, expires_at);
