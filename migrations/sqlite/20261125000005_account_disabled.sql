-- An operator can disable an account: its sessions end and its tokens stop working
-- until it is enabled again. Null: enabled.
alter table accounts add column disabled_at integer;
