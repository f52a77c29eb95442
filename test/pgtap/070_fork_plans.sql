-- The reads at a past CL find the closed runs that hold it through the fork indexes
-- (migration 000029), for the owner and, with a generic plan, for the reader role:
-- a change to ledger_private.open_at or run_fork that the planner can no longer match
-- to those indexes fails here instead of silently scanning the timeline.
begin;
select plan(8);

-- 60 CLs of 200 issues, each absent one CL in ten (about 1,200 closed runs)
select count(ledger.ingest_report(jsonb_build_object(
         'project', 'forkplans', 'changelist', c, 'build', jsonb_build_object('id', 'b' || c),
         'issues', (select jsonb_agg(jsonb_build_object('path', 'srv/forkplans/team' || (i % 4) || '/f' || i || '.cpp',
                                                        'severity', 'warning', 'message', 'w' || i))
                      from generate_series(1, 200) i where (i * 7 + c) % 10 <> 0))))
  from generate_series(1, 60) c;
analyze ledger_private.presence_interval;
set local enable_seqscan = off;

create function pg_temp.plan_of(p_sql text) returns text language plpgsql as $$
declare r text; v text := '';
begin
  for r in execute 'explain ' || p_sql loop v := v || r || E'\n'; end loop;
  return v;
end $$;
create function pg_temp.uses_forks(p_plan text) returns boolean language sql as $$
  select p_plan like '%presence_interval_closed_fork_start_idx%'
     and p_plan like '%presence_interval_closed_fork_resolved_idx%'
$$;

select ok(pg_temp.uses_forks(pg_temp.plan_of($$select * from ledger.open_issues_at('forkplans', 25)$$)),
  'open_issues_at at a past CL reads the closed runs by their fork');
select ok(pg_temp.uses_forks(pg_temp.plan_of($$select * from ledger.diff('forkplans', 20, 25)$$)),
  'diff between past CLs reads the closed runs by their fork');
select ok(pg_temp.uses_forks(pg_temp.plan_of($$select * from ledger.rollup('forkplans', 25, 3)$$)),
  'rollup at a past CL reads the closed runs by their fork');

-- the same as the reader role (Grafana's), with generic plans: the CL a parameter
set local plan_cache_mode = force_generic_plan;
set local role buildledger_reader;
prepare oia(bigint) as select * from ledger.open_issues_at('forkplans', $1);
prepare dif(bigint, bigint) as select * from ledger.diff('forkplans', $1, $2);
select ok(pg_temp.uses_forks(pg_temp.plan_of('execute oia(25)')),
  'open_issues_at, generic plan, reader role: fork indexes');
select ok(pg_temp.uses_forks(pg_temp.plan_of('execute dif(20, 25)')),
  'diff, generic plan, reader role: fork indexes');
-- and the answers agree with range containment
select is((select count(*)::int from ledger.open_issues_at('forkplans', 25)),
          (select count(*)::int from ledger_private.presence_interval i
            where i.timeline_id = ledger_private.timeline_id('forkplans', 'main')
              and int8range(i.start_cl, i.resolved_cl, '[)') @> 25::bigint),
  'open_issues_at at a past CL: the runs that hold it');
reset role;
select is((select count(*)::int from ledger.open_issues_at('forkplans', 25)),
          (select count(*)::int from generate_series(1, 200) i where (i * 7 + 25) % 10 <> 0),
  'open_issues_at at a past CL: the issues reported there');
select is((select count(*)::int from ledger.diff('forkplans', 20, 25) where status <> 'unchanged'),
          (select count(*)::int from generate_series(1, 200) i
            where ((i * 7 + 20) % 10 <> 0) <> ((i * 7 + 25) % 10 <> 0)),
  'diff between past CLs: the issues whose presence differs');

select * from finish();
rollback;
