-- The client that last used a token, as its User-Agent named it.
alter table tokens add column last_used_agent text;

-- Calls a token made, by day (days since 1970-01-01, UTC) and method.
create table token_usage (
    token_id integer not null references tokens (id) on delete cascade,
    day integer not null,
    method_id text not null,
    calls integer not null,
    primary key (token_id, day, method_id)
) without rowid;
