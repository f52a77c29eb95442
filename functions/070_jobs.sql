-- Job bookkeeping for the worker (worker/index.ts): processing state and failures
-- made visible on the snapshot, and chunked backfills with progress.
-- A job's SQL is idempotent: process_snapshot is a no-op for an already processed
-- content version, and a backfill chunk re-applies snapshots from their stored input
-- (or observations), so a job retried after a crash leaves the same state.

create or replace function ledger_private.mark_processing(p_snapshot_id bigint, p_attempt integer)
returns void
language sql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  update ledger_private.snapshot s
     set state = 'processing', attempts = p_attempt, processing_started_at = clock_timestamp()
   where s.snapshot_id = p_snapshot_id and s.processed_version is distinct from s.content_version;
$$;
comment on function ledger_private.mark_processing(bigint, integer) is
  'Shows a snapshot as processing (committed before the job''s processing transaction starts), with its attempt number.';

create or replace function ledger_private.record_failure(p_snapshot_id bigint, p_attempt integer,
                                                         p_max_attempts integer, p_error text)
returns void
language sql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  update ledger_private.snapshot s
     set state = case when p_attempt >= p_max_attempts then 'failed' else 'queued' end,
         attempts = p_attempt,
         error = format('attempt %s of %s: %s', p_attempt, p_max_attempts, p_error)
   where s.snapshot_id = p_snapshot_id and s.processed_version is distinct from s.content_version;
$$;
comment on function ledger_private.record_failure(bigint, integer, integer, text) is
  'Records a failed processing attempt on the snapshot; after the last attempt the snapshot is failed, never silently dropped.';

create or replace function ledger_private.reprocess_snapshot(p_snapshot_id bigint)
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_tl int;
  v_ver int;
begin
  /* Re-applies a snapshot without changing when it was received (so which snapshot
     is latest at its CL does not change). A processed snapshot's input is gone, so it
     is re-created from its observations (one entry per issue, with the issue's example
     message and the observed count); raw_issue_count then counts distinct issues.
     Lock order as everywhere: the timeline's progress row, then the snapshot. */
  select s.timeline_id into v_tl from ledger_private.snapshot s where s.snapshot_id = p_snapshot_id;
  if not found then
    raise exception 'snapshot_id: no snapshot %', p_snapshot_id using errcode = '22023';
  end if;
  perform 1 from ledger_private.timeline_progress g where g.timeline_id = v_tl for update;
  if exists (select 1 from ledger_private.timeline_progress g join ledger_private.snapshot s on s.timeline_id = g.timeline_id
              where g.timeline_id = v_tl and s.snapshot_id = p_snapshot_id and s.cl < g.retained_from_cl) then
    raise exception 'snapshot_id: snapshot % lies before the retention horizon of its timeline; its observations are gone', p_snapshot_id
      using errcode = '22023';
  end if;
  update ledger_private.snapshot s
     set content_version = s.content_version + 1, state = 'queued', error = null
   where s.timeline_id = v_tl and s.snapshot_id = p_snapshot_id
  returning s.content_version into v_ver;
  update ledger_private.snapshot_input si set content_version = v_ver
   where si.timeline_id = v_tl and si.snapshot_id = p_snapshot_id;
  if not found then
    insert into ledger_private.snapshot_input (timeline_id, snapshot_id, content_version, paths, severities, categories, messages, occurrences)
    select v_tl, p_snapshot_id, v_ver,
           coalesce(array_agg(i.path order by u.issue_id), '{}'), coalesce(array_agg(i.severity order by u.issue_id), '{}'),
           coalesce(array_agg(i.category order by u.issue_id), '{}'), coalesce(array_agg(i.example_message order by u.issue_id), '{}'),
           coalesce(array_agg(u.occurrences order by u.issue_id), '{}')
      from ledger_private.issue_observation o
     cross join lateral unnest(o.issue_ids, o.occurrences) as u(issue_id, occurrences)
      join ledger_private.issue_instance i on i.issue_id = u.issue_id
     where o.timeline_id = v_tl and o.snapshot_id = p_snapshot_id;
    update ledger_private.snapshot s
       set raw_issue_count = (select cardinality(si.paths) from ledger_private.snapshot_input si
                               where si.timeline_id = v_tl and si.snapshot_id = p_snapshot_id)
     where s.timeline_id = v_tl and s.snapshot_id = p_snapshot_id;
  end if;
  perform ledger.process_snapshot(p_snapshot_id);
end
$$;
comment on function ledger_private.reprocess_snapshot(bigint) is
  'Re-runs processing of one snapshot (backfill), from its raw issues or, once processed, from its observations.';

create or replace function ledger_private.backfill_start(p_project text, p_stream text, p_from_cl bigint,
                                                         p_to_cl bigint, p_chunk_cls integer default 50)
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_id bigint;
  v_bounds bigint[];
  v_chunks int := 0;
  i int;
begin
  /* Splits the CLs with snapshots in [from, to] into chunks of p_chunk_cls CLs and
     enqueues one backfill_chunk job per chunk on the timeline's queue. */
  perform ledger_private.require_timeline(p_project, p_stream);
  if p_from_cl is null or p_to_cl is null or p_from_cl > p_to_cl then
    raise exception 'from_cl: must be <= to_cl (got % and %)', p_from_cl, p_to_cl using errcode = '22023';
  end if;
  if p_chunk_cls is null or p_chunk_cls < 1 then
    raise exception 'chunk: must be a positive number of CLs' using errcode = '22023';
  end if;
  if p_from_cl < (select g.retained_from_cl from ledger_private.timeline_progress g
                   where g.timeline_id = ledger_private.timeline_id(p_project, p_stream)) then
    raise exception 'from_cl: CL % lies before the retention horizon (CL %); observations before it are gone',
      p_from_cl, (select g.retained_from_cl from ledger_private.timeline_progress g
                   where g.timeline_id = ledger_private.timeline_id(p_project, p_stream)) using errcode = '22023';
  end if;
  select array_agg(cl order by cl) into v_bounds
    from (select c.cl, row_number() over (order by c.cl) - 1 as rn
            from (select distinct s.cl from ledger_private.snapshot s
                   where s.timeline_id = ledger_private.timeline_id(p_project, p_stream)
                     and s.cl between p_from_cl and p_to_cl) c) x
   where rn % p_chunk_cls = 0;
  insert into ledger_private.backfill (project, stream, from_cl, to_cl, chunks_total)
  values (p_project, p_stream, p_from_cl, p_to_cl, coalesce(array_length(v_bounds, 1), 0))
  returning backfill_id into v_id;
  if v_bounds is not null then
    for i in 1 .. array_length(v_bounds, 1) loop
      perform graphile_worker.add_job('backfill_chunk',
        -- (CLs as decimal strings: a JSON number above 2^53 loses digits in the worker)
        json_build_object('backfill_id', v_id, 'from_cl', v_bounds[i]::text,
                          'to_cl', coalesce(v_bounds[i + 1] - 1, p_to_cl)::text),
        queue_name => ledger_private.timeline_queue(p_project, p_stream),
        job_key => format('backfill:%s:%s', v_id, i), max_attempts => 6);
      v_chunks := v_chunks + 1;
    end loop;
  else
    update ledger_private.backfill b set finished_at = now() where b.backfill_id = v_id;
  end if;
  return v_id;
end
$$;
comment on function ledger_private.backfill_start(text, text, bigint, bigint, integer) is
  'Starts a backfill: re-processes every snapshot of a timeline''s CL range in chunks, one durable job per chunk; returns the backfill id (progress in ledger_private.backfill).';

create or replace function ledger_private.backfill_chunk(p_backfill_id bigint, p_from_cl bigint, p_to_cl bigint)
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_b ledger_private.backfill;
  v_n int := 0;
  v_id bigint;
  v_tl int;
begin
  select * into v_b from ledger_private.backfill b where b.backfill_id = p_backfill_id;
  if not found then
    raise exception 'backfill_id: no backfill %', p_backfill_id using errcode = '22023';
  end if;
  -- lock order: the timeline's progress row first (as processing), then the backfill row
  v_tl := ledger_private.timeline_id(v_b.project, v_b.stream);
  perform 1 from ledger_private.timeline_progress g where g.timeline_id = v_tl for update;
  select * into v_b from ledger_private.backfill b where b.backfill_id = p_backfill_id for update;
  -- a chunk done already (its job runs again: the worker died after the commit) is skipped
  if p_from_cl = any(v_b.done_chunks) then
    return 0;
  end if;
  for v_id in
    select s.snapshot_id from ledger_private.snapshot s
     where s.timeline_id = v_tl and s.cl between p_from_cl and p_to_cl
     order by s.cl, s.received_seq
  loop
    perform ledger_private.reprocess_snapshot(v_id);
    v_n := v_n + 1;
  end loop;
  update ledger_private.backfill b
     set chunks_done = b.chunks_done + 1, snapshots_done = b.snapshots_done + v_n,
         done_chunks = b.done_chunks || p_from_cl,
         finished_at = case when b.chunks_done + 1 >= b.chunks_total then now() end
   where b.backfill_id = p_backfill_id;
  return v_n;
end
$$;
comment on function ledger_private.backfill_chunk(bigint, bigint, bigint) is
  'Job body of one backfill chunk: re-processes the snapshots of CLs [from, to] and records progress, in one transaction; a chunk already done is skipped (returns 0).';

create or replace function ledger_private.retry_snapshots(p_snapshot_id bigint default null, p_project text default null)
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_n integer := 0;
  v_s record;
begin
  /* Puts failed snapshots back in the queue: one by id, or every failed snapshot (of
     one project when p_project is given). A failed snapshot keeps its input (it is
     deleted only by a successful processing), so after the cause is fixed
     it is processed as if it had just arrived, with fresh attempts. Refuses a snapshot
     that is not failed. Returns how many were queued. */
  if p_snapshot_id is not null then
    select s.snapshot_id, s.state into v_s from ledger_private.snapshot s where s.snapshot_id = p_snapshot_id;
    if not found then
      raise exception 'snapshot_id: no snapshot %', p_snapshot_id using errcode = '22023';
    elsif v_s.state <> 'failed' then
      raise exception 'snapshot_id: snapshot % is %, not failed', p_snapshot_id, v_s.state using errcode = '22023';
    end if;
  end if;
  for v_s in
    select s.snapshot_id, t.project, t.stream from ledger_private.snapshot s
      join ledger_private.timeline t on t.timeline_id = s.timeline_id
     where s.state = 'failed' and (p_snapshot_id is null or s.snapshot_id = p_snapshot_id)
       and (p_project is null or t.project = p_project)
     order by s.snapshot_id
     for update of s
  loop
    update ledger_private.snapshot s set state = 'queued', attempts = 0, error = null where s.snapshot_id = v_s.snapshot_id;
    perform graphile_worker.add_job('process_snapshot', json_build_object('snapshot_id', v_s.snapshot_id),
              queue_name => ledger_private.timeline_queue(v_s.project, v_s.stream),
              job_key => 'process_snapshot:' || v_s.snapshot_id, job_key_mode => 'replace', max_attempts => 6);
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
comment on function ledger_private.retry_snapshots(bigint, text) is
  'Re-queues failed snapshots (one by id, or all, optionally of one project) from the input they kept, with fresh attempts; returns how many (buildledger retry).';
