--! Previous: sha1:15d313311dabfa1b5fc6cc20bf8f201a7d04fb49
--! Hash: sha1:2ef44c267b7f98822b2428e03e298d80009760c2
--! Message: new runs per CL and team

-- New runs per CL and team (the third path segment), kept by processing from the runs
-- it changes (+1 for a run it writes, -1 for one it replaces, at the run's start) and
-- recomputed by ledger_private.rebuild_timeline: ledger.team_heatmap reads one row per
-- (CL, team) shown instead of looking up the issue of every run that started in the
-- window (30k look-ups for 60 CLs of a 10k-issue timeline).
create table if not exists ledger_private.cl_team_new (
  timeline_id int not null,
  cl          bigint not null,
  team        text collate "C" not null,
  -- (no check constraint: an upsert checks the row it proposes, and processing adds
  -- negative deltas to existing rows; processing checks the result instead)
  new_count   int not null,
  primary key (timeline_id, cl, team)
);
comment on table ledger_private.cl_team_new is
  'Per timeline, CL and team (third path segment): the number of presence intervals that start at the CL. Kept by processing, recomputed by rebuild_timeline; ledger.team_heatmap reads it.';

-- existing timelines: from their intervals
insert into ledger_private.cl_team_new (timeline_id, cl, team, new_count)
select i.timeline_id, i.start_cl, split_part(ii.path, '/', 3), count(*)
  from ledger_private.presence_interval i
  join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
 group by 1, 2, 3
on conflict do nothing;
