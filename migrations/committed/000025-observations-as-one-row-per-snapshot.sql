--! Previous: sha1:e9d8f68b07fbae52ddfbbff65f8ce8843b58ab67
--! Hash: sha1:b2ad5cca13d9b69d9609e8dd387189fae06ee511
--! Message: observations as one row per snapshot

-- Observations as one row per snapshot (issue 11). A snapshot's observations were one
-- row per issue, with an index by issue: a 10k-issue build wrote 10k heap rows and
-- 20k index entries, half of them at random places of an index that grows by 10k
-- entries per build (about 1.5 MB per build, the most written of any table; at 1,000
-- builds those writes pushed the raw identity cache and the intervals out of shared
-- buffers and were a quarter of head ingest). Now a snapshot's observations are its
-- sorted issue ids and their occurrences, as two arrays in one row (TOASTed and
-- compressed): one row and one index entry per build. ledger.issue_observation unnests
-- them, with the same columns as before.
-- The views, functions and triggers of functions/ and sql/ are re-created after the
-- migrations; drop the views that depend on the old table.
do $$
declare v record;
begin
  -- (by name: a view dropped by the cascade of an earlier one is skipped)
  for v in select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'ledger' and c.relkind in ('v', 'm') loop
    execute format('drop %s if exists ledger.%I cascade',
                   case when v.relkind = 'm' then 'materialized view' else 'view' end, v.relname);
  end loop;
end $$;

-- (idempotent: a re-run finds the new shape and leaves it)
do $$
declare
  v_b bigint;
begin
  if exists (select 1 from pg_attribute a
              where a.attrelid = 'ledger_private.issue_observation'::regclass and a.attname = 'issue_ids' and not a.attisdropped) then
    return;
  end if;
  create temp table _bl_obs_carry on commit drop as
  select o.timeline_id, o.snapshot_id, min(o.cl) as cl,
         array_agg(o.issue_id order by o.issue_id) as issue_ids,
         array_agg(o.occurrences order by o.issue_id) as occurrences
    from ledger_private.issue_observation o
   group by o.timeline_id, o.snapshot_id;
  drop table ledger_private.issue_observation cascade;
  create table ledger_private.issue_observation (
    timeline_id int not null,
    snapshot_id bigint not null,
    cl          bigint not null,
    issue_ids   bigint[] not null,
    occurrences integer[] not null,
    primary key (timeline_id, snapshot_id),
    check (cardinality(issue_ids) = cardinality(occurrences)),
    check (array_ndims(issue_ids) = 1 or cardinality(issue_ids) = 0)
  ) partition by range (snapshot_id);
  -- (lz4 where the server has it: a third of pglz's time for a 10k-issue build)
  begin
    alter table ledger_private.issue_observation alter column issue_ids set compression lz4,
                                                 alter column occurrences set compression lz4;
  exception when feature_not_supported or invalid_parameter_value then
    null;
  end;
  create index issue_observation_snapshot_idx on ledger_private.issue_observation (snapshot_id);
  create table ledger_private.issue_observation_default partition of ledger_private.issue_observation default;
  for v_b in select 0 union select distinct c.snapshot_id / 65536 from _bl_obs_carry c order by 1 loop
    execute format('create table ledger_private.%I partition of ledger_private.issue_observation for values from (%s) to (%s)',
                   'issue_observation_p' || v_b, v_b * 65536, (v_b + 1) * 65536);
  end loop;
  insert into ledger_private.issue_observation (timeline_id, snapshot_id, cl, issue_ids, occurrences)
  select c.timeline_id, c.snapshot_id, c.cl, c.issue_ids, c.occurrences from _bl_obs_carry c;
end $$;
