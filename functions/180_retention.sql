-- Bounded storage (issue 11): observation partitions made ahead of the snapshot ids,
-- retention per project, and the raw identity cache pruned to what is still reported.
-- Run by every worker's maintenance pass (ledger_private.storage_maintenance, single
-- flight). What retention keeps exact: presence intervals and changelist metrics are
-- never removed, so every point-in-time answer (open_issues_at, diff, rollup, trends,
-- the gate) stays exact for the whole history; what goes is the observations (which
-- snapshot reported what, with counts) of CLs before the timeline's horizon. A report
-- for a CL before the horizon is refused (its presence could not be decided without
-- its neighbours' observations), and so is a backfill or a rebuild from scratch that
-- would need them.

create or replace function ledger_private.observation_block()
returns bigint
language sql immutable parallel safe
as $$ select 65536::bigint $$;
comment on function ledger_private.observation_block() is
  'Snapshot ids per partition of ledger_private.issue_observation.';

create or replace function ledger_private.ensure_observation_partitions()
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_block constant bigint := ledger_private.observation_block();
  v_cur bigint := (select coalesce(max(s.snapshot_id), 0) from ledger_private.snapshot s);
  v_b bigint;
  v_name text;
  v_n integer := 0;
begin
  /* The partition of the block holding the newest snapshot id and the next one exist,
     so observations land in a partition of their own range, not in the default one.
     Rows that did land in the default partition for a block are moved into it. */
  for v_b in select generate_series(0, v_cur / v_block + 1) loop
    v_name := format('issue_observation_p%s', v_b);
    continue when to_regclass('ledger_private.' || v_name) is not null;
    continue when v_b < v_cur / v_block
              and not exists (select 1 from ledger_private.issue_observation_default d
                               where d.snapshot_id >= v_b * v_block and d.snapshot_id < (v_b + 1) * v_block);
    execute format('create table ledger_private.%I (like ledger_private.issue_observation including defaults including constraints including compression)', v_name);
    execute format('insert into ledger_private.%I select * from ledger_private.issue_observation_default d where d.snapshot_id >= %s and d.snapshot_id < %s',
                   v_name, v_b * v_block, (v_b + 1) * v_block);
    delete from ledger_private.issue_observation_default d
     where d.snapshot_id >= v_b * v_block and d.snapshot_id < (v_b + 1) * v_block;
    execute format('alter table ledger_private.issue_observation attach partition ledger_private.%I for values from (%s) to (%s)',
                   v_name, v_b * v_block, (v_b + 1) * v_block);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.ensure_observation_partitions() is
  'Creates the observation partitions of the current and the next block of snapshot ids (moving rows the default partition caught); returns how many were created.';

create or replace function ledger.set_retention(project text, keep_days integer)
returns void
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  /* keep_days NULL removes the policy (observations are kept for ever). */
  if not exists (select 1 from ledger_private.project p where p.project = set_retention.project) then
    raise exception 'project: unknown project "%"', set_retention.project using errcode = '22023';
  end if;
  if keep_days is null then
    delete from ledger_private.retention_policy r where r.project = set_retention.project;
    return;
  end if;
  if keep_days < 1 then
    raise exception 'keep_days: expected a positive number of days, got %', keep_days using errcode = '22023';
  end if;
  insert into ledger_private.retention_policy as r (project, keep_days) values (set_retention.project, keep_days)
  on conflict on constraint retention_policy_pkey do update set keep_days = excluded.keep_days, updated_at = now();
end
$$;
comment on function ledger.set_retention(text, integer) is
  'Keeps the observations of a project''s builds for keep_days days (by the time the builds were received); older ones are removed by the worker''s maintenance, while presence intervals and metrics keep the whole history exact. Reports for CLs before the retention horizon are then refused. NULL removes the policy.';

create or replace function ledger_private.apply_retention(p_project text default null, p_now timestamptz default now())
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_t record;
  v_horizon bigint;
  v_n bigint := 0;
  v_d bigint;
begin
  /* For each timeline of a project with a policy: the horizon is the lowest CL that
     still has a snapshot received within keep_days, or one not processed yet (that
     one still needs its CL's other observations); observations of snapshots below it
     are deleted and the horizon is recorded (staging refuses reports below it).
     The timeline's processing lock is taken (a busy timeline is skipped), so this
     never interleaves with processing and never waits for it. Returns the number of observations removed. */
  for v_t in
    select t.timeline_id, r.keep_days
      from ledger_private.retention_policy r join ledger_private.timeline t on t.project = r.project
     where p_project is null or r.project = p_project
     order by t.timeline_id
  loop
    -- a timeline busy processing is skipped (the next pass takes it)
    perform 1 from ledger_private.timeline_progress g where g.timeline_id = v_t.timeline_id for update skip locked;
    continue when not found;
    select min(s.cl) into v_horizon from ledger_private.snapshot s
     where s.timeline_id = v_t.timeline_id
       and (s.received_at >= p_now - make_interval(days => v_t.keep_days) or s.state <> 'done');
    if v_horizon is null then        -- everything is old: keep the latest CL's observations
      select max(s.cl) into v_horizon from ledger_private.snapshot s where s.timeline_id = v_t.timeline_id;
    end if;
    continue when v_horizon is null;
    continue when v_horizon <= coalesce((select g.retained_from_cl from ledger_private.timeline_progress g
                                          where g.timeline_id = v_t.timeline_id), 0);
    with gone as (
      delete from ledger_private.issue_observation o
       using ledger_private.snapshot s
       where s.timeline_id = v_t.timeline_id and s.cl < v_horizon
         and o.timeline_id = s.timeline_id and o.snapshot_id = s.snapshot_id
      returning cardinality(o.issue_ids) as n)
    select coalesce(sum(g.n), 0) into v_d from gone g;
    v_n := v_n + v_d;
    update ledger_private.timeline_progress g set retained_from_cl = v_horizon where g.timeline_id = v_t.timeline_id;
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.apply_retention(text, timestamptz) is
  'Removes the observations that retention policies let go (see ledger.set_retention) and records each timeline''s horizon; returns how many were removed.';

create or replace function ledger_private.drop_empty_observation_partitions()
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_block constant bigint := ledger_private.observation_block();
  v_cur bigint := (select coalesce(max(s.snapshot_id), 0) from ledger_private.snapshot s);
  v_p record;
  v_rows boolean;
  v_n integer := 0;
begin
  /* A partition of an old block (below the newest snapshot id's block) that retention
     emptied is dropped: its space goes back to the file system at once (a re-post of
     an old snapshot later lands in the default partition). */
  for v_p in
    select c.relname, (regexp_match(c.relname, '^issue_observation_p(\d+)$'))[1]::bigint as b
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'ledger_private.issue_observation'::regclass and c.relname ~ '^issue_observation_p\d+$'
     order by 2
  loop
    continue when v_p.b >= v_cur / v_block;
    execute format('select exists (select 1 from ledger_private.%I)', v_p.relname) into strict v_rows;
    continue when v_rows;
    execute format('alter table ledger_private.issue_observation detach partition ledger_private.%I', v_p.relname);
    execute format('drop table ledger_private.%I', v_p.relname);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.drop_empty_observation_partitions() is
  'Drops observation partitions of old snapshot-id blocks that retention emptied; returns how many.';

create or replace function ledger_private.cache_day()
returns integer
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  /* Today as the raw identity cache counts days (days since 2000-01-01): the date in
     the setting buildledger.cache_today when a session sets one (bench:core replays a
     calendar of builds with it, so the cache is stamped and pruned as on the days the
     builds were made), else current_date. The cache only saves normaliser work: a day
     set wrongly costs a text a normaliser pass, never its identity. */
  select (coalesce(nullif(current_setting('buildledger.cache_today', true), '')::date, current_date)
          - date '2000-01-01')
$$;
comment on function ledger_private.cache_day() is
  'Today for the raw identity cache''s stamps and pruning, in days since 2000-01-01 (the setting buildledger.cache_today when set, else current_date).';

create or replace function ledger_private.cache_restamp_days()
returns integer
language sql immutable
set search_path to pg_catalog, pg_temp
as $$
  /* A cached text still reported is stamped again once its stamp is this many days
     old, not every day: each stamp rewrites the entry (its day is in the index), so
     a 10k-issue build a day would rewrite 10k entries daily. A text reported every day
     keeps a stamp at most 2 days old, so it is never near the 7 days prune_raw_identity
     keeps by default; a text no longer reported goes 6 to 8 days after its last use. */
  select 3
$$;
comment on function ledger_private.cache_restamp_days() is
  'How old (in days) a raw identity cache entry''s stamp gets before processing stamps it again (3).';

create or replace function ledger_private.prune_raw_identity(p_keep_days integer default 7)
returns bigint
language sql volatile
set search_path to pg_catalog, pg_temp
as $$
  /* Entries not used for p_keep_days days go (processing stamps a used entry with the
     day once its stamp is ledger_private.cache_restamp_days() old, so p_keep_days must
     be larger): the cache holds the raw texts still reported, not every noisy
     message ever seen. */
  with d as (
    delete from ledger_private.raw_identity r
     where r.used_day < (select ledger_private.cache_day() - p_keep_days)   -- (once, not per row)
    returning 1)
  select count(*) from d
$$;
comment on function ledger_private.prune_raw_identity(integer) is
  'Deletes raw identity cache entries unused for p_keep_days days; returns how many.';

create or replace function ledger_private.storage_maintenance()
returns jsonb
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_parts int;
  v_obs bigint;
  v_dropped int;
  v_raw bigint;
begin
  /* One pass, single flight across workers (a pass already running elsewhere makes
     this a no-op). */
  if not pg_try_advisory_xact_lock(hashtext('buildledger:storage_maintenance')) then
    return jsonb_build_object('skipped', true);
  end if;
  v_parts := ledger_private.ensure_observation_partitions();
  v_obs := ledger_private.apply_retention();
  v_dropped := ledger_private.drop_empty_observation_partitions();
  v_raw := ledger_private.prune_raw_identity();
  return jsonb_build_object('partitions_created', v_parts, 'observations_removed', v_obs,
                            'partitions_dropped', v_dropped, 'raw_identities_pruned', v_raw);
end
$$;
comment on function ledger_private.storage_maintenance() is
  'The worker''s storage pass: observation partitions ahead, retention, empty old partitions dropped, raw identity cache pruned; returns what it did.';

create or replace view ledger.retention as
  select t.project, t.stream, r.keep_days, g.retained_from_cl,
         (select coalesce(sum(cardinality(o.issue_ids)), 0) from ledger_private.issue_observation o
           where o.timeline_id = t.timeline_id) as observations_kept
    from ledger_private.timeline t
    left join ledger_private.retention_policy r on r.project = t.project
    left join ledger_private.timeline_progress g on g.timeline_id = t.timeline_id;
comment on view ledger.retention is
  E'@primaryKey project,stream\nRetention per timeline: the project''s policy (keep_days NULL = keep every observation), the horizon (observations of CLs before retained_from_cl are gone; reports for them are refused) and how many observations are kept.';
