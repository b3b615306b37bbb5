-- Networks a token may be used from, separated by commas; empty means anywhere.
alter table tokens add column allowed_ips text not null default '';
