--! Previous: sha1:00be76d07e8688bc9ddcbe8ff1d5ed7ce22abb60
--! Hash: sha1:db950cf6b86efd46df630ba2f0b69f782ed65a86
--! Message: storage-split

-- Storage split (issue 11): the tables move to ledger_private, and the timeline-scoped
-- ones are keyed by a compact timeline id (int) that is also their distribution column
-- (docs/scale-out.md). ledger keeps the SPEC-named objects as views over them
-- (sql/005_storage_views.sql), so psql, PostGraphile and Grafana read what they read
-- before.
--
-- What changes besides the names:
--   * open presence intervals store last_seen_cl NULL (the API view derives it: the
--     last CL whose applied snapshots cover the issue's path), so a head CL no longer
--     rewrites every open interval;
--   * staged raw issues are one row of arrays per snapshot (snapshot_input) instead of
--     one row per issue inserted then deleted;
--   * processing serialises on timeline_progress, a row staging never touches, so an
--     upload never waits for the processing of its timeline;
--   * issue_observation carries timeline_id and cl and is partitioned by snapshot id
--     ranges, so retention (ledger.set_retention) can drop or empty whole partitions;
--   * raw_identity entries carry the generation (day) they were last used in, so the
--     cache can be pruned to its working set.
-- Existing data is carried over.

-- the views, functions and triggers of functions/ and sql/ are re-created after the
-- migrations; drop the views that depend on the old tables
do $$
declare v record;
begin
  for v in select c.oid::regclass as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'ledger' and c.relkind in ('v', 'm') loop
    execute format('drop view if exists %s cascade', v.name);
  end loop;
end $$;

-- reference tables (small, read everywhere): moved as they are ------------------------
alter table ledger.project set schema ledger_private;
alter table ledger.path_node set schema ledger_private;
alter table ledger.path_closure set schema ledger_private;
alter table ledger.issue_instance set schema ledger_private;

-- timeline: identity and what staging writes ------------------------------------------
create table ledger_private.timeline (
  timeline_id      int generated always as identity primary key,
  project          text collate "C" not null references ledger_private.project on delete cascade,
  stream           text collate "C" not null check (stream ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,126}$'),
  created_at       timestamptz not null default now(),
  latest_cl        bigint,
  last_received_at timestamptz,
  unique (project, stream)
);
insert into ledger_private.timeline (project, stream, created_at, latest_cl, last_received_at)
select project, stream, created_at, latest_cl, last_received_at from ledger.timeline order by created_at, project, stream;

-- what processing writes, and the row it serialises on (staging never locks it)
create table ledger_private.timeline_progress (
  timeline_id         int primary key references ledger_private.timeline on delete cascade,
  latest_processed_cl bigint,
  last_processed_at   timestamptz,
  -- observations of snapshots below this CL may have been removed by retention;
  -- reports for older CLs are refused
  retained_from_cl    bigint
);
insert into ledger_private.timeline_progress (timeline_id, latest_processed_cl, last_processed_at)
select t.timeline_id, o.latest_processed_cl, o.last_processed_at
  from ledger_private.timeline t join ledger.timeline o using (project, stream);

-- changelists --------------------------------------------------------------------------
create table ledger_private.changelist (
  timeline_id  int not null,
  cl           bigint not null check (cl > 0),
  submitted_at timestamptz,
  author       text,
  description  text,
  primary key (timeline_id, cl)
);
insert into ledger_private.changelist
select t.timeline_id, c.cl, c.submitted_at, c.author, c.description
  from ledger.changelist c join ledger_private.timeline t using (project, stream);

create table ledger_private.changelist_file_new (
  timeline_id int not null,
  cl          bigint not null,
  path        text collate "C" not null,
  primary key (timeline_id, cl, path)
);
insert into ledger_private.changelist_file_new
select t.timeline_id, f.cl, f.path from ledger_private.changelist_file f join ledger_private.timeline t using (project, stream);
drop table ledger_private.changelist_file;
alter table ledger_private.changelist_file_new rename to changelist_file;
alter index ledger_private.changelist_file_new_pkey rename to changelist_file_pkey;
create index changelist_file_path_idx on ledger_private.changelist_file (timeline_id, path);

-- snapshots ----------------------------------------------------------------------------
create table ledger_private.snapshot (
  timeline_id        int not null,
  snapshot_id        bigint not null,
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
  primary key (timeline_id, snapshot_id),
  unique (timeline_id, cl, build_id)
);
create sequence ledger_private.snapshot_id_seq owned by ledger_private.snapshot.snapshot_id;
alter table ledger_private.snapshot alter column snapshot_id set default nextval('ledger_private.snapshot_id_seq');
-- look-ups by id alone (status URL, the job payload): one index probe
create index snapshot_id_idx on ledger_private.snapshot (snapshot_id);
create index snapshot_applied_idx on ledger_private.snapshot (timeline_id, cl)
  include (applied_seq, applied_covered_paths) where applied_seq is not null;
create index snapshot_state_idx on ledger_private.snapshot (state) where state <> 'done';
insert into ledger_private.snapshot
select t.timeline_id, s.snapshot_id, s.cl, s.build_id, s.build_status, s.covered_paths, s.received_at,
       s.received_seq, s.content_hash, s.content_version, s.processed_version, s.state, s.applied_seq,
       s.applied_covered_paths, s.attempts, s.raw_issue_count, s.issue_count, s.occurrence_count, s.extra,
       s.error, s.processing_started_at, s.processed_at, s.processing_ms
  from ledger.snapshot s join ledger_private.timeline t using (project, stream);
select setval('ledger_private.snapshot_id_seq', coalesce((select max(snapshot_id) from ledger_private.snapshot), 0) + 1, false);

-- staged input: one row of arrays per staged snapshot, deleted once processed
create table ledger_private.snapshot_input (
  timeline_id  int not null,
  snapshot_id  bigint not null,
  content_version int not null,     -- the snapshot's content version this input is
  paths        text[] not null,
  severities   text[] not null,
  categories   text[] not null,
  messages     text[] not null,
  occurrences  int[] not null,
  primary key (timeline_id, snapshot_id)
);
insert into ledger_private.snapshot_input
select s.timeline_id, r.snapshot_id, min(s.content_version), array_agg(r.path order by r.ordinal), array_agg(r.severity order by r.ordinal),
       array_agg(r.category order by r.ordinal), array_agg(r.message order by r.ordinal),
       array_agg(r.occurrences order by r.ordinal)
  from ledger.issues_raw r join ledger_private.snapshot s using (snapshot_id)
 group by s.timeline_id, r.snapshot_id;

-- observations: partitioned by ranges of snapshot ids (ledger_private.observation_block
-- ids per partition; ledger_private.ensure_observation_partitions adds them ahead) ----
create table ledger_private.issue_observation (
  timeline_id int not null,
  snapshot_id bigint not null,
  issue_id    bigint not null,
  cl          bigint not null,
  occurrences integer not null check (occurrences >= 1),
  primary key (timeline_id, snapshot_id, issue_id)
) partition by range (snapshot_id);
create table ledger_private.issue_observation_default partition of ledger_private.issue_observation default;
create table ledger_private.issue_observation_p0 partition of ledger_private.issue_observation
  for values from (0) to (65536);
insert into ledger_private.issue_observation
select s.timeline_id, o.snapshot_id, o.issue_id, s.cl, o.occurrences
  from ledger.issue_observation o join ledger_private.snapshot s using (snapshot_id);
create index issue_observation_issue_idx on ledger_private.issue_observation (timeline_id, issue_id);

-- presence intervals: last_seen_cl is NULL while the run is open ----------------------
create table ledger_private.presence_interval (
  timeline_id  int not null,
  issue_id     bigint not null,
  start_cl     bigint not null,
  last_seen_cl bigint,
  resolved_cl  bigint,
  primary key (timeline_id, issue_id, start_cl),
  check ((resolved_cl is null) = (last_seen_cl is null)),
  check (last_seen_cl >= start_cl and resolved_cl > last_seen_cl)
) with (fillfactor = 90);
insert into ledger_private.presence_interval
select t.timeline_id, i.issue_id, i.start_cl, case when i.resolved_cl is not null then i.last_seen_cl end, i.resolved_cl
  from ledger.issue_presence_interval i join ledger_private.timeline t using (project, stream);
create index presence_interval_open_idx on ledger_private.presence_interval (timeline_id, issue_id) where resolved_cl is null;
create index presence_interval_start_idx on ledger_private.presence_interval (timeline_id, start_cl);
create index presence_interval_resolved_idx on ledger_private.presence_interval (timeline_id, resolved_cl) where resolved_cl is not null;
create index presence_interval_range_idx on ledger_private.presence_interval
  using gist (timeline_id, int8range(start_cl, resolved_cl, '[)'));

-- per issue and timeline: its runs summed up, kept by processing for the issues whose
-- runs changed, so recurring issues are read without scanning the timeline's history
create table ledger_private.issue_run_stats (
  timeline_id      int not null,
  issue_id         bigint not null,
  interval_count   int not null check (interval_count >= 1),
  first_start_cl   bigint not null,
  open_start_cl    bigint,            -- start of the open run, if any
  closed_last_seen bigint,            -- last_seen_cl of the latest closed run
  closed_span      bigint not null,   -- sum of (last_seen_cl - start_cl + 1) over closed runs
  primary key (timeline_id, issue_id)
);
create index issue_run_stats_recurring_idx on ledger_private.issue_run_stats (timeline_id) where interval_count > 1;
insert into ledger_private.issue_run_stats
select i.timeline_id, i.issue_id, count(*), min(i.start_cl), max(i.start_cl) filter (where i.resolved_cl is null),
       max(i.last_seen_cl), coalesce(sum(i.last_seen_cl - i.start_cl + 1), 0)
  from ledger_private.presence_interval i group by 1, 2;

-- per-CL metrics --------------------------------------------------------------------------
create table ledger_private.changelist_metrics (
  timeline_id  int not null,
  cl           bigint not null,
  total        integer not null check (total >= 0),
  new          integer not null check (new >= 0),
  resolved     integer not null check (resolved >= 0),
  refreshed_at timestamptz not null default now(),
  primary key (timeline_id, cl)
);
insert into ledger_private.changelist_metrics
select t.timeline_id, m.cl, m.total, m.new, m.resolved, m.refreshed_at
  from ledger.changelist_metrics m join ledger_private.timeline t using (project, stream);

-- the old tables ----------------------------------------------------------------------------
drop table ledger.issues_raw, ledger.issue_observation, ledger.issue_presence_interval,
           ledger.changelist_metrics, ledger.snapshot, ledger.changelist, ledger.timeline cascade;

-- raw identity cache: generations, so it can be pruned to what is still reported -------
alter table ledger_private.raw_identity add column if not exists used_day int not null default 0;

-- retention per project: observations older than keep_days (by the CL's build time)
-- are removed; intervals and metrics stay --------------------------------------------------
create table ledger_private.retention_policy (
  project          text collate "C" primary key references ledger_private.project on delete cascade,
  keep_days        int not null check (keep_days >= 1),
  updated_at       timestamptz not null default now()
);
