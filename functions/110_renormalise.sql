-- The identity migration (buildledger renormalise --to 2): moves a ledger built under
-- normaliser v1 to v2 without losing history. As durable, resumable jobs on the
-- graphile-worker queue "renormalise" (one at a time, in order):
--   1. renormalise_start switches new identities to v2 at once and enqueues one
--      rekey job per chunk of issue ids;
--   2. renormalise_rekey (per chunk): every v1 issue gets its v2 hash; issues whose
--      v2 hashes coincide (with each other or with an issue already under v2) merge
--      into the lowest id: observations move (occurrences add up), the merged
--      issue's old hash stays findable (ledger_private.issue_hash_alias), and every
--      timeline that held a merged issue is marked for a rebuild;
--      the chunk that leaves no v1 issue behind enqueues the planning job. A named
--      queue is not FIFO: graphile-worker takes its jobs by (priority, run_at) only,
--      jobs added in one transaction share run_at, and a failed job is retried after
--      the others; so the chunks run in any order, and only the last one can know
--      that every issue has been re-keyed before any timeline is rebuilt;
--   3. renormalise_rebuild (per marked timeline): intervals, changelist metrics and
--      daily team metrics are recomputed from the observations, so every answer
--      equals a ledger built under v2 from the start. The last one ends the run.
-- Each job is one transaction and idempotent (a v2 issue is not re-keyed; a rebuilt
-- timeline is skipped), so a crash mid-run resumes where it stopped.

create or replace function ledger_private.renormalise_enqueue_plan(p_run bigint)
returns void
language sql volatile
set search_path to pg_catalog, pg_temp
as $$
  select graphile_worker.add_job('renormalise_plan_rebuilds', json_build_object('run_id', p_run),
    queue_name => 'renormalise', job_key => format('renormalise:%s:plan', p_run), max_attempts => 10);
  select null::void;
$$;
comment on function ledger_private.renormalise_enqueue_plan(bigint) is
  'Identity migration: enqueues the job that plans the timeline rebuilds of a run (once all its issues are re-keyed).';

create or replace function ledger_private.renormalise_start(p_to smallint, p_chunk integer default 5000)
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_run bigint;
  v_lo bigint;
  v_hi bigint;
  v_chunks integer;
  i integer;
begin
  if p_to is distinct from 2 then
    raise exception 'to: the only migration is to normaliser version 2 (got %)', p_to using errcode = '22023';
  end if;
  if p_chunk is null or p_chunk < 1 then
    raise exception 'chunk: must be a positive number of issues' using errcode = '22023';
  end if;
  if exists (select 1 from ledger_private.renormalise_run r where r.finished_at is null) then
    raise exception 'renormalise: a run is already in progress' using errcode = '22023';
  end if;
  -- processing in flight finishes under the old version first; processing that starts
  -- after this commits creates v2 issues only (see apply_snapshot)
  perform pg_advisory_xact_lock(hashtext('buildledger:normaliser_version'));
  update ledger_private.normaliser_state set version = p_to, changed_at = now();
  truncate ledger_private.raw_identity; -- cached identities are per version
  select min(issue_id), max(issue_id) into v_lo, v_hi from ledger.issue_instance where normaliser_version < p_to;
  v_chunks := case when v_lo is null then 0 else ((v_hi - v_lo) / p_chunk + 1)::int end;
  insert into ledger_private.renormalise_run (to_version, chunks_total) values (p_to, v_chunks) returning run_id into v_run;
  for i in 0 .. v_chunks - 1 loop
    perform graphile_worker.add_job('renormalise_rekey',
      json_build_object('run_id', v_run, 'from_id', v_lo + i::bigint * p_chunk, 'to_id', v_lo + (i + 1)::bigint * p_chunk - 1),
      queue_name => 'renormalise', job_key => format('renormalise:%s:rekey:%s', v_run, i), max_attempts => 10);
  end loop;
  if v_chunks = 0 then
    perform ledger_private.renormalise_enqueue_plan(v_run);
  end if;
  return v_run;
end
$$;
comment on function ledger_private.renormalise_start(smallint, integer) is
  'Starts the identity migration to normaliser v2: new identities use v2 at once; re-keying of existing issues and rebuilding of affected timelines run as jobs on the "renormalise" queue (progress in ledger_private.renormalise_run). Returns the run id.';

create or replace function ledger_private.renormalise_rekey(p_run bigint, p_from bigint, p_to bigint)
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_rekeyed integer;
  v_merged integer;
  v_done bigint[];
  v_last boolean;
  v_merging bigint[];
begin
  /* Re-keys the v1 issues with ids in [p_from, p_to]; returns how many. A chunk done
     already (its job runs again: the worker died after the commit) is skipped. */
  select r.done_chunks into v_done from ledger_private.renormalise_run r where r.run_id = p_run for update;
  if not found then
    -- (a job naming no run re-keys nothing: only a migration started by renormalise_start may)
    raise exception 'run_id: no identity migration run %', p_run using errcode = '22023';
  end if;
  if p_from = any(v_done) then
    return 0;
  end if;
  perform ledger_private.size_work_memory();
  create temp table if not exists _bl_rk (issue_id bigint primary key, old_hash bytea, new_hash bytea,
                                          new_message text, target bigint) on commit drop;
  truncate _bl_rk;
  insert into _bl_rk (issue_id, old_hash, new_hash, new_message)
  select i.issue_id, i.hash, ledger.issue_hash_v2(ledger.normalise_message_v2(i.message), i.path),
         ledger.normalise_message_v2(i.message)
    from ledger_private.issue_instance i
   where i.issue_id between p_from and p_to and i.normaliser_version < 2
   for update;
  -- the survivor: an issue that already has the v2 hash, else the lowest id of the group
  update _bl_rk k set target = coalesce(
      (select j.issue_id from ledger_private.issue_instance j where j.hash = k.new_hash),
      (select min(k2.issue_id) from _bl_rk k2 where k2.new_hash = k.new_hash));
  insert into ledger_private.issue_hash_alias (old_hash, issue_id, normaliser_version)
  select k.old_hash, k.target, 1 from _bl_rk k
  on conflict (old_hash) do update set issue_id = excluded.issue_id;
  -- earlier aliases that pointed at an issue merged now follow it
  update ledger_private.issue_hash_alias a set issue_id = k.target
    from _bl_rk k where a.issue_id = k.issue_id and k.target <> k.issue_id;
  -- timelines that held a merged issue are rebuilt at the end
  insert into ledger_private.renormalise_timeline (run_id, project, stream)
  select distinct p_run, t.project, t.stream
    from ledger_private.presence_interval iv join _bl_rk k on k.issue_id = iv.issue_id
    join ledger_private.timeline t on t.timeline_id = iv.timeline_id
   where k.target <> k.issue_id
  on conflict do nothing;
  -- observations of merged issues move to the survivor (occurrences add up): the
  -- snapshots that hold one are rewritten (a scan of every snapshot's ids, only for a
  -- chunk that merges anything)
  v_merging := array(select k.issue_id from _bl_rk k where k.target <> k.issue_id order by 1);
  if cardinality(v_merging) > 0 then
    update ledger_private.issue_observation o
       set issue_ids = x.ids, occurrences = x.occs
      from ledger_private.issue_observation o2
     cross join lateral (
       select array_agg(m.id) as ids, array_agg(m.occ) as occs
         from (select coalesce(k.target, u.id) as id, least(sum(u.occ), 2147483647)::int as occ
                 from unnest(o2.issue_ids, o2.occurrences) as u(id, occ)
                 left join _bl_rk k on k.issue_id = u.id and k.target <> k.issue_id
                group by 1 order by 1) m) x   -- (sorted once: both arrays follow this order)
     where o2.issue_ids && v_merging
       and o.timeline_id = o2.timeline_id and o.snapshot_id = o2.snapshot_id;
  end if;
  delete from ledger_private.presence_interval iv using _bl_rk k where iv.issue_id = k.issue_id and k.target <> k.issue_id;
  delete from ledger_private.issue_run_stats r using _bl_rk k where r.issue_id = k.issue_id and k.target <> k.issue_id;
  delete from ledger_private.issue_instance i using _bl_rk k where i.issue_id = k.issue_id and k.target <> k.issue_id;
  get diagnostics v_merged = row_count;
  update ledger_private.issue_instance i set hash = k.new_hash, message = k.new_message, normaliser_version = 2
    from _bl_rk k where i.issue_id = k.issue_id and k.target = k.issue_id;
  get diagnostics v_rekeyed = row_count;
  -- the open issues' copies follow (a merged issue's row goes; its timeline's rebuild
  -- gives the survivor its open run)
  delete from ledger_private.open_issue o using _bl_rk k where o.issue_id = k.issue_id and k.target <> k.issue_id;
  update ledger_private.open_issue o set hash = k.new_hash, message = k.new_message
    from _bl_rk k where o.issue_id = k.issue_id and k.target = k.issue_id;
  update ledger_private.renormalise_run r
     set chunks_done = r.chunks_done + 1, done_chunks = r.done_chunks || p_from,
         issues_rekeyed = r.issues_rekeyed + v_rekeyed,
         issues_merged = r.issues_merged + v_merged
   where r.run_id = p_run
  returning r.chunks_done >= r.chunks_total into v_last;
  -- the last chunk to be re-keyed, in whatever order they ran, plans the rebuilds
  -- (issues made since the start are v2: renormalise_start waited for the processing in
  -- flight), once no v1 issue is left (a scan, only at the last chunk)
  if v_last and not exists (select 1 from ledger_private.issue_instance i where i.normaliser_version < 2) then
    perform ledger_private.renormalise_enqueue_plan(p_run);
  end if;
  return v_rekeyed + v_merged;
end
$$;
comment on function ledger_private.renormalise_rekey(bigint, bigint, bigint) is
  'Identity migration, one chunk: gives the v1 issues with ids in the range their v2 hash, merging issues whose v2 hashes coincide into the lowest id (observations move, old hashes stay findable) and marking their timelines for a rebuild.';

create or replace function ledger_private.renormalise_plan_rebuilds(p_run bigint)
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_n integer;
  v_t record;
begin
  /* After the last chunk: one rebuild job per timeline that held a merged issue.
     Idempotent: a second run enqueues only the timelines not rebuilt yet. */
  if not exists (select 1 from ledger_private.renormalise_run r where r.run_id = p_run) then
    raise exception 'run_id: no identity migration run %', p_run using errcode = '22023';
  end if;
  if exists (select 1 from ledger_private.issue_instance i where i.normaliser_version < 2) then
    raise exception 'renormalise: run % still has issues to re-key; the rebuilds wait for them', p_run
      using errcode = '55000';
  end if;
  select count(*) into v_n from ledger_private.renormalise_timeline t where t.run_id = p_run;
  update ledger_private.renormalise_run r set timelines_total = v_n,
         finished_at = coalesce(r.finished_at, case when v_n = 0 then now() end) where r.run_id = p_run;
  for v_t in select t.project, t.stream from ledger_private.renormalise_timeline t
              where t.run_id = p_run and not t.rebuilt order by 1, 2 loop
    perform graphile_worker.add_job('renormalise_rebuild',
      json_build_object('run_id', p_run, 'project', v_t.project, 'stream', v_t.stream),
      queue_name => 'renormalise', job_key => format('renormalise:%s:rebuild:%s/%s', p_run, v_t.project, v_t.stream),
      max_attempts => 10);
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.renormalise_plan_rebuilds(bigint) is
  'Identity migration: enqueues one rebuild per timeline that held a merged issue (or ends the run when none did).';

create or replace function ledger_private.renormalise_rebuild(p_run bigint, p_project text, p_stream text)
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  /* Identity migration: recomputes one timeline from its observations. */
  if exists (select 1 from ledger_private.renormalise_timeline t
              where t.run_id = p_run and t.project = p_project and t.stream = p_stream and not t.rebuilt) then
    perform ledger_private.rebuild_timeline(p_project, p_stream);
    perform ledger.refresh_team_daily(p_project, p_stream);
    update ledger_private.renormalise_timeline t set rebuilt = true
     where t.run_id = p_run and t.project = p_project and t.stream = p_stream;
    update ledger_private.renormalise_run r
       set timelines_done = r.timelines_done + 1,
           finished_at = case when r.timelines_done + 1 >= r.timelines_total then now() end
     where r.run_id = p_run;
  end if;
end
$$;
comment on function ledger_private.renormalise_rebuild(bigint, text, text) is
  'Identity migration: rebuilds one timeline''s intervals, changelist metrics and daily team metrics from its observations; the last one ends the run.';

drop view if exists ledger.issue_alias;
create view ledger.issue_alias as
select encode(a.old_hash, 'hex') as old_hash, a.issue_id, a.normaliser_version, encode(i.hash, 'hex') as hash
  from ledger_private.issue_hash_alias a join ledger.issue_instance i on i.issue_id = a.issue_id;
comment on view ledger.issue_alias is
  'Old identities of re-keyed issues: an issue''s hash under an earlier normaliser version (hex) and the issue it now belongs to.';
