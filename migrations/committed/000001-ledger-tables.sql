--! Previous: -
--! Hash: sha1:a38800093737758204247a8118fef1aeeb953ef1
--! Message: ledger tables

-- buildledger schema, part 1: the tables.
--
-- Tables change only through committed graphile-migrate migrations. Functions,
-- triggers, views, grants and comments are stateless and live in functions/ and
-- sql/; scripts/db-migrate.ts re-applies them after the migrations (see
-- docs/decisions.md, "How SQL is applied").
--
-- Naming: natural keys (project, stream, cl) are used throughout so the API
-- objects carry the columns SPEC section 5 names; they use the "C" collation so
-- comparisons are byte-wise and cheap.

create extension if not exists btree_gist;

create schema if not exists ledger;
create schema if not exists ledger_private;

-- project ---------------------------------------------------------------------
create table ledger.project (
  project     text collate "C" primary key
              check (project ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
  created_at  timestamptz not null default now()
);

-- timeline = (project, stream): the unit of ordering, locking and watermarks ---
create table ledger.timeline (
  project            text collate "C" not null references ledger.project on delete cascade,
  stream             text collate "C" not null
                     check (stream ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,126}$'),
  created_at         timestamptz not null default now(),
  latest_cl          bigint,
  latest_processed_cl bigint,
  last_processed_at  timestamptz,
  last_received_at   timestamptz,
  primary key (project, stream)
);

-- path hierarchy ----------------------------------------------------------------
create table ledger.path_node (
  path_node_id bigint generated always as identity primary key,
  path         text collate "C" not null unique,
  parent_id    bigint references ledger.path_node,
  name         text collate "C" not null,
  depth        smallint not null check (depth between 1 and 32)
);
create index path_node_parent_idx on ledger.path_node (parent_id);

create table ledger.path_closure (
  ancestor_id   bigint not null references ledger.path_node,
  descendant_id bigint not null references ledger.path_node,
  distance      smallint not null check (distance >= 0),
  primary key (ancestor_id, descendant_id)
);
create index path_closure_descendant_idx on ledger.path_closure (descendant_id, distance);

-- changelists and snapshots -----------------------------------------------------
create table ledger.changelist (
  project      text collate "C" not null,
  stream       text collate "C" not null,
  cl           bigint not null check (cl > 0),
  submitted_at timestamptz,
  author       text,
  description  text,
  primary key (project, stream, cl),
  foreign key (project, stream) references ledger.timeline on delete cascade
);

create sequence ledger_private.received_seq;

create table ledger.snapshot (
  snapshot_id        bigint generated always as identity primary key,
  project            text collate "C" not null,
  stream             text collate "C" not null,
  cl                 bigint not null,
  build_id           text collate "C" not null check (length(build_id) between 1 and 200),
  build_status       text not null check (build_status in ('complete', 'partial', 'failed')),
  covered_paths      text[],            -- NULL = every path
  received_at        timestamptz not null default now(),
  received_seq       bigint not null default nextval('ledger_private.received_seq'),
  content_hash       bytea not null,
  content_version    integer not null default 1,
  processed_version  integer not null default 0,
  state              text not null default 'queued'
                     check (state in ('queued', 'processing', 'done', 'failed')),
  -- what the derived tables currently reflect for this snapshot (NULL applied_seq:
  -- never processed). Neighbour and "latest snapshot at a CL" look-ups use these,
  -- so a staged but unprocessed report never distorts anyone else's intervals.
  applied_seq        bigint,
  applied_covered_paths text[],
  attempts           integer not null default 0,
  raw_issue_count    integer not null default 0,
  issue_count        integer,
  occurrence_count   bigint,
  extra              jsonb not null default '{}',
  error              text,
  processing_started_at timestamptz,
  processed_at       timestamptz,
  processing_ms      numeric,
  unique (project, stream, cl, build_id),
  foreign key (project, stream, cl) references ledger.changelist on delete cascade
);
create index snapshot_applied_idx on ledger.snapshot (project, stream, cl)
  include (applied_seq, applied_covered_paths) where applied_seq is not null;
create index snapshot_state_idx on ledger.snapshot (state) where state <> 'done';

-- staging: raw issues of a staged report, removed once processed ----------------
create table ledger.issues_raw (
  snapshot_id bigint not null references ledger.snapshot on delete cascade,
  ordinal     integer not null,
  path        text not null,
  severity    text not null check (severity in ('error', 'warning', 'info')),
  category    text,
  message     text not null,
  occurrences integer not null check (occurrences >= 1),
  primary key (snapshot_id, ordinal)
);

-- issue identity ------------------------------------------------------------------
create table ledger.issue_instance (
  issue_id           bigint generated always as identity primary key,
  hash               bytea not null unique check (length(hash) = 32),
  normaliser_version smallint not null default 1,
  message            text not null,
  path               text collate "C" not null,
  path_node_id       bigint not null references ledger.path_node,
  severity           text not null check (severity in ('error', 'warning', 'info')),
  category           text,
  example_message    text not null,
  first_seen_at      timestamptz not null default now()
);
create index issue_instance_path_node_idx on ledger.issue_instance (path_node_id);

create table ledger.issue_observation (
  snapshot_id bigint not null references ledger.snapshot on delete cascade,
  issue_id    bigint not null references ledger.issue_instance,
  occurrences integer not null check (occurrences >= 1),
  primary key (snapshot_id, issue_id)
);

-- derived: presence intervals and metrics -------------------------------------------
create table ledger.issue_presence_interval (
  project      text collate "C" not null,
  stream       text collate "C" not null,
  issue_id     bigint not null references ledger.issue_instance,
  start_cl     bigint not null,
  last_seen_cl bigint not null,
  resolved_cl  bigint,
  presence     int8range generated always as (int8range(start_cl, resolved_cl, '[)')) stored,
  primary key (project, stream, issue_id, start_cl),
  foreign key (project, stream) references ledger.timeline on delete cascade,
  check (last_seen_cl >= start_cl and (resolved_cl is null or resolved_cl > last_seen_cl))
) with (fillfactor = 80);
create index ipi_open_idx on ledger.issue_presence_interval (project, stream, issue_id) where resolved_cl is null;
create index ipi_start_idx on ledger.issue_presence_interval (project, stream, start_cl);
create index ipi_resolved_idx on ledger.issue_presence_interval (project, stream, resolved_cl) where resolved_cl is not null;
create index ipi_presence_idx on ledger.issue_presence_interval using gist (project, stream, presence);

create table ledger.changelist_metrics (
  project  text collate "C" not null,
  stream   text collate "C" not null,
  cl       bigint not null,
  total    integer not null check (total >= 0),
  new      integer not null check (new >= 0),
  resolved integer not null check (resolved >= 0),
  refreshed_at timestamptz not null default now(),
  primary key (project, stream, cl),
  foreign key (project, stream, cl) references ledger.changelist on delete cascade
);

-- which revision of functions/ and sql/ this database runs (scripts/db-migrate.ts)
create table ledger_private.sql_state (
  singleton  boolean primary key default true check (singleton),
  checksum   text not null,
  applied_at timestamptz not null default now()
);

-- roles ---------------------------------------------------------------------------
-- buildledger_reader may read the API (tables, views, query functions) and nothing
-- else; dashboards and the read-only GraphQL endpoint use it. Roles are
-- cluster-wide, hence the existence check.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'buildledger_reader') then
    create role buildledger_reader nologin;
  end if;
end
$$;
