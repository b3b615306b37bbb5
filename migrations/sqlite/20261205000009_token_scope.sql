-- Environment scope: a token may be limited to some environments. `env_scoped` 0 reaches
-- every environment (as before); 1 reaches only what token_scope lists: environments by
-- identity (a deleted one leaves with its row) and name prefixes (`ci-*` is 'ci-').
alter table tokens add column env_scoped integer not null default 0;

create table token_scope (
    id integer primary key autoincrement,
    token_id integer not null references tokens (id) on delete cascade,
    environment_id integer references environments (id) on delete cascade,
    prefix text,
    created_at integer not null,
    updated_at integer not null
);
create index token_scope_token_idx on token_scope (token_id);
create index token_scope_environment_idx on token_scope (environment_id);

-- Calls a token made to each environment, by day: what Tighten proposes to keep.
create table token_env_usage (
    token_id integer not null references tokens (id) on delete cascade,
    day integer not null,
    env_name text not null,
    calls integer not null,
    primary key (token_id, day, env_name)
);
