-- Accounts a person can keep: one-time links (a password reset, a sign-up's verification,
-- an email change), mail that tells the owner what happened, and the owner's choice of
-- whether a sign-in from a new address is mailed.

-- A one-time link as the server keeps it: only the SHA-256 digest of its secret. It works
-- once (used_at) until expires_at. A sign-up's link holds the email and the password's
-- argon2id hash until it creates the account; an email change's, the new address.
create table account_links (
    id integer primary key autoincrement,
    purpose text not null,
    digest blob not null,
    account_id integer references accounts (id) on delete cascade,
    email text,
    password_hash text,
    expires_at integer not null,
    used_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index account_links_digest_key on account_links (digest);
create index account_links_expires_idx on account_links (expires_at);

-- Mail waiting to go out, claimed before it is sent like an expiry notice: 'queued', then
-- 'sending' under a lease (taken over once it runs out), then 'sent'. What the mail says
-- is sealed with the server's key (it may hold a one-time link) and wiped once sent. The
-- address and language are kept from when it was queued: a mail about an account deleted
-- since still goes out.
create table mail_outbox (
    id integer primary key autoincrement,
    account_id integer references accounts (id) on delete set null,
    to_address text not null,
    language text not null,
    kind text not null,
    payload text,
    state text not null,
    attempts integer not null default 0,
    lease_until integer,
    last_error text,
    sent_at integer,
    created_at integer not null,
    updated_at integer not null
);
create index mail_outbox_state_idx on mail_outbox (state, lease_until);

-- Whether the owner is mailed about a sign-in from an address the account has not used in
-- 90 days (1, the default) or not (0).
alter table accounts add column notify_new_signin integer not null default 1;

-- Every `password.*` entry (a reset, a change, the operator's reset link) belongs with the
-- sign-ins in the Security Log, as the confirmation always did.
update audit_events set category = 'signins' where substr(action, 1, 9) = 'password.';
