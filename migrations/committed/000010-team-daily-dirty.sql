--! Previous: sha1:5456e9f9e9689460fb5b0bcda79b7e15d530f516
--! Hash: sha1:84493e56dd28ba047eb420c7b8057f35b85aee77
--! Message: team-daily-dirty

-- Days whose team metrics a processed snapshot changed, waiting for the debounced
-- refresh job (refresh_team_daily): processing only marks them, so a busy day with
-- hundreds of CLs is recomputed every few seconds, not once per snapshot.
create table if not exists ledger_private.team_daily_dirty (
  project   text collate "C" not null,
  stream    text collate "C" not null,
  day       date not null,
  marked_at timestamptz not null default now(),
  primary key (project, stream, day)
);
