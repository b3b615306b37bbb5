-- Accounts, sessions, tokens, environments, uploads and the audit log.
-- Times are unix seconds, UTC.

create table accounts (
    id integer primary key,
    email text not null,
    password_hash text not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index accounts_email_key on accounts (email);

create table sessions (
    id integer primary key,
    account_id integer not null references accounts (id) on delete cascade,
    digest blob not null,
    ip text,
    user_agent text,
    expires_at integer not null,
    last_used_at integer not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index sessions_digest_key on sessions (digest);
create index sessions_account_idx on sessions (account_id);

create table tokens (
    id integer primary key,
    account_id integer not null references accounts (id) on delete cascade,
    description text not null,
    digest blob not null,
    hint text not null,
    api_set text not null,
    expires_at integer,
    last_used_at integer,
    last_used_ip text,
    created_at integer not null,
    updated_at integer not null
);
create unique index tokens_digest_key on tokens (digest);
create index tokens_account_idx on tokens (account_id);

create table token_methods (
    token_id integer not null references tokens (id) on delete cascade,
    method_id text not null,
    created_at integer not null,
    updated_at integer not null,
    primary key (token_id, method_id)
) without rowid;

-- Failed password checks, for rate limiting by account and by address.
create table auth_failures (
    id integer primary key,
    account_id integer references accounts (id) on delete cascade,
    ip text,
    created_at integer not null,
    updated_at integer not null
);
create index auth_failures_account_idx on auth_failures (account_id, created_at);
create index auth_failures_ip_idx on auth_failures (ip, created_at);

create table environments (
    id integer primary key,
    account_id integer not null references accounts (id) on delete cascade,
    name text not null,
    display_name text not null,
    status integer not null,
    app_id text,
    created_at integer not null,
    updated_at integer not null
);
create unique index environments_name_key on environments (name);
create index environments_account_idx on environments (account_id);

create table nodes (
    id integer primary key,
    environment_id integer not null references environments (id) on delete cascade,
    node_group text not null,
    node_type text not null,
    count integer not null,
    restarted_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index nodes_group_key on nodes (environment_id, node_group);

create table deployments (
    id integer primary key,
    environment_id integer not null references environments (id) on delete cascade,
    context text not null,
    file_name text not null,
    file_url text not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index deployments_context_key on deployments (environment_id, context);

create table uploads (
    id integer primary key,
    account_id integer not null references accounts (id) on delete cascade,
    public_id text not null,
    file_name text not null,
    size integer not null,
    created_at integer not null,
    updated_at integer not null
);
create unique index uploads_public_id_key on uploads (public_id);

create table audit_events (
    id integer primary key,
    account_id integer references accounts (id) on delete cascade,
    action text not null,
    outcome text not null,
    target text,
    actor text not null,
    ip text,
    created_at integer not null,
    updated_at integer not null
);
create index audit_events_account_idx on audit_events (account_id, created_at);
