--! Previous: sha1:84493e56dd28ba047eb420c7b8057f35b85aee77
--! Hash: sha1:01b798d221f3885279521a592b88c3166f0a799b
--! Message: normaliser-versions

-- Normaliser versions (SPEC section 2): which version new identities are computed
-- with, the old hashes of re-keyed issues (still findable), and the runs of the
-- identity migration (buildledger renormalise) with their progress.
create table if not exists ledger_private.normaliser_state (
  singleton boolean primary key default true check (singleton),
  version   smallint not null default 1 check (version in (1, 2)),
  changed_at timestamptz not null default now()
);
insert into ledger_private.normaliser_state (singleton) values (true) on conflict do nothing;

create table if not exists ledger_private.issue_hash_alias (
  old_hash           bytea primary key check (length(old_hash) = 32),
  issue_id           bigint not null,
  normaliser_version smallint not null,
  created_at         timestamptz not null default now()
);
create index if not exists issue_hash_alias_issue_idx on ledger_private.issue_hash_alias (issue_id);

create table if not exists ledger_private.renormalise_run (
  run_id          bigint generated always as identity primary key,
  to_version      smallint not null,
  chunks_total    integer not null,
  chunks_done     integer not null default 0,
  issues_rekeyed  bigint not null default 0,
  issues_merged   bigint not null default 0,
  timelines_total integer,
  timelines_done  integer not null default 0,
  started_at      timestamptz not null default now(),
  finished_at     timestamptz
);
create table if not exists ledger_private.renormalise_timeline (
  run_id  bigint not null references ledger_private.renormalise_run on delete cascade,
  project text collate "C" not null,
  stream  text collate "C" not null,
  rebuilt boolean not null default false,
  primary key (run_id, project, stream)
);
