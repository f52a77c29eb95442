--! Previous: sha1:335300297ddf4118cad3f794a405ad8c73442316
--! Hash: sha1:5456e9f9e9689460fb5b0bcda79b7e15d530f516
--! Message: team-daily

-- Daily metrics per team (ledger.team_daily / refresh_team_daily / team_trends): one
-- row per (timeline, team, day with a build). Maintained by the worker for the days a
-- processed snapshot can change, and rebuilt for a date range on demand. The
-- durations of the intervals resolved that day are kept so that windows of any
-- length can answer exact medians.
create table if not exists ledger_private.team_daily (
  project       text collate "C" not null,
  stream        text collate "C" not null,
  team          text collate "C" not null,
  day           date not null,
  last_cl       bigint not null,
  open          integer not null,
  new           integer not null,
  resolved      integer not null,
  regressions   integer not null,
  resolve_cls   bigint[] not null default '{}',
  resolve_hours double precision[] not null default '{}',
  refreshed_at  timestamptz not null default now(),
  primary key (project, stream, day, team)
);
create index if not exists team_daily_team_idx on ledger_private.team_daily (project, stream, team, day);
