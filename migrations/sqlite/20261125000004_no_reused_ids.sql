-- Ids are never handed out twice (AUTOINCREMENT), so a late write that names a removed
-- row can never land on a newer one. SQLite cannot change a key in place: each table is
-- rebuilt (SQLite's documented procedure: the migration connection runs with foreign
-- keys off, so dropping an old table cascades to nothing).
-- Sign-in, confirmation and sign-up attempts get their own table, reserved before a
-- password is hashed; audit entries carry a count, so a flood of denied calls is one
-- row a minute.

create table accounts_new (
    id integer primary key autoincrement,
    email text not null,
    password_hash text not null,
    created_at integer not null,
    updated_at integer not null
);
insert into accounts_new (id, email, password_hash, created_at, updated_at)
    select id, email, password_hash, created_at, updated_at from accounts;
drop table accounts;
alter table accounts_new rename to accounts;
create unique index accounts_email_key on accounts (email);

create table sessions_new (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    digest blob not null,
    ip text,
    user_agent text,
    expires_at integer not null,
    last_used_at integer not null,
    created_at integer not null,
    updated_at integer not null
);
insert into sessions_new (id, account_id, digest, ip, user_agent, expires_at, last_used_at, created_at, updated_at)
    select id, account_id, digest, ip, user_agent, expires_at, last_used_at, created_at, updated_at from sessions;
drop table sessions;
alter table sessions_new rename to sessions;
create unique index sessions_digest_key on sessions (digest);
create index sessions_account_idx on sessions (account_id);

create table tokens_new (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    description text not null,
    digest blob not null,
    hint text not null,
    api_set text not null,
    expires_at integer,
    last_used_at integer,
    last_used_ip text,
    created_at integer not null,
    updated_at integer not null,
    allowed_ips text not null default '',
    last_used_agent text
);
insert into tokens_new (id, account_id, description, digest, hint, api_set, expires_at, last_used_at, last_used_ip, created_at, updated_at, allowed_ips, last_used_agent)
    select id, account_id, description, digest, hint, api_set, expires_at, last_used_at, last_used_ip, created_at, updated_at, allowed_ips, last_used_agent from tokens;
drop table tokens;
alter table tokens_new rename to tokens;
create unique index tokens_digest_key on tokens (digest);
create index tokens_account_idx on tokens (account_id);

drop table auth_failures;
-- Password checks and sign-ups: a row is written before the password is hashed and
-- kept when the check fails; while the check runs it counts as pending. `login` is the SHA-256 of the lower-cased login tried, so
-- an unknown email and an account are limited alike without storing what was typed.
create table attempts (
    id integer primary key autoincrement,
    kind text not null,
    login blob,
    account_id integer references accounts (id) on delete cascade,
    ip text,
    -- 0 while the password is being checked, 1 once it failed (or for a sign-up).
    settled integer not null default 0,
    created_at integer not null,
    updated_at integer not null
);
create index attempts_login_idx on attempts (kind, login, created_at);
create index attempts_account_idx on attempts (kind, account_id, created_at);
create index attempts_ip_idx on attempts (kind, ip, created_at);

create table environments_new (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    name text not null,
    display_name text not null,
    status integer not null,
    app_id text,
    created_at integer not null,
    updated_at integer not null
);
insert into environments_new (id, account_id, name, display_name, status, app_id, created_at, updated_at)
    select id, account_id, name, display_name, status, app_id, created_at, updated_at from environments;
drop table environments;
alter table environments_new rename to environments;
create unique index environments_name_key on environments (name);
create index environments_account_idx on environments (account_id);

create table nodes_new (
    id integer primary key autoincrement,
    environment_id integer not null references environments (id) on delete cascade,
    node_group text not null,
    node_type text not null,
    count integer not null,
    restarted_at integer,
    created_at integer not null,
    updated_at integer not null
);
insert into nodes_new (id, environment_id, node_group, node_type, count, restarted_at, created_at, updated_at)
    select id, environment_id, node_group, node_type, count, restarted_at, created_at, updated_at from nodes;
drop table nodes;
alter table nodes_new rename to nodes;
create unique index nodes_group_key on nodes (environment_id, node_group);

create table deployments_new (
    id integer primary key autoincrement,
    environment_id integer not null references environments (id) on delete cascade,
    context text not null,
    file_name text not null,
    file_url text not null,
    created_at integer not null,
    updated_at integer not null
);
insert into deployments_new (id, environment_id, context, file_name, file_url, created_at, updated_at)
    select id, environment_id, context, file_name, file_url, created_at, updated_at from deployments;
drop table deployments;
alter table deployments_new rename to deployments;
create unique index deployments_context_key on deployments (environment_id, context);

create table uploads_new (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id) on delete cascade,
    public_id text not null,
    file_name text not null,
    size integer not null,
    created_at integer not null,
    updated_at integer not null
);
insert into uploads_new (id, account_id, public_id, file_name, size, created_at, updated_at)
    select id, account_id, public_id, file_name, size, created_at, updated_at from uploads;
drop table uploads;
alter table uploads_new rename to uploads;
create unique index uploads_public_id_key on uploads (public_id);
create index uploads_account_idx on uploads (account_id);

create table audit_events_new (
    id integer primary key autoincrement,
    account_id integer references accounts (id) on delete cascade,
    action text not null,
    outcome text not null,
    target text,
    actor text not null,
    ip text,
    created_at integer not null,
    updated_at integer not null,
    count integer not null default 1
);
insert into audit_events_new (id, account_id, action, outcome, target, actor, ip, created_at, updated_at)
    select id, account_id, action, outcome, target, actor, ip, created_at, updated_at from audit_events;
drop table audit_events;
alter table audit_events_new rename to audit_events;
create index audit_events_account_idx on audit_events (account_id, created_at);
create index audit_events_created_idx on audit_events (created_at);

