--! Previous: sha1:01b798d221f3885279521a592b88c3166f0a799b
--! Hash: sha1:6bb6f0db5f3451b18e386ee75023e41a393edbc0
--! Message: team-daily-dirty-queue

-- Marks of days to refresh become an append-only queue (no unique key): marking
-- never waits for a refresh that is taking marks at the same moment.
alter table ledger_private.team_daily_dirty drop constraint if exists team_daily_dirty_pkey;
alter table ledger_private.team_daily_dirty add column if not exists mark_id bigint generated always as identity;
create index if not exists team_daily_dirty_timeline_idx on ledger_private.team_daily_dirty (project, stream, mark_id);
