-- Two-factor sign-in: one TOTP secret per account, encrypted with the server's key
-- file (a copy of the database alone does not reveal it), and ten recovery codes kept
-- as digests.
create table two_factor (
    account_id integer primary key references accounts (id) on delete cascade,
    -- "v1.<key id>.<nonce>.<ciphertext>", AES-256-GCM bound to the account.
    secret text not null,
    -- Null while enrolment waits for the first correct code.
    enabled_at integer,
    -- The newest 30-second step a code was accepted for: no code works twice.
    last_step integer not null default 0,
    created_at integer not null,
    updated_at integer not null
);

create table recovery_codes (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    digest blob not null,
    used_at integer,
    created_at integer not null
);
create index recovery_codes_account_idx on recovery_codes (account_id);
