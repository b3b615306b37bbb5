-- The Security Log filters and pages in SQL, newest first by id (keyset pages), so
-- every entry of an account is reachable however many there are. Each entry keeps the
-- part of the log its action belongs to (`audit::category` writes it), so the filters
-- read an index instead of every entry.
alter table audit_events add column category text not null default 'other';
update audit_events set category = case
    when substr(action, 1, 6) = 'token.' then 'tokens'
    when action in ('signin', 'password.confirm')
        or substr(action, 1, 10) = 'twofactor.'
        or substr(action, 1, 8) = 'session.'
        or substr(action, 1, 8) = 'account.' then 'signins'
    else 'other'
end;
create index audit_events_page_idx on audit_events (account_id, id);
create index audit_events_category_idx on audit_events (account_id, category, id);
create index audit_events_outcome_idx on audit_events (account_id, outcome, id);
-- Whether an account signed in from an address lately (the sign-in limits ask).
create index audit_events_signin_idx on audit_events (account_id, action, ip, created_at);
