-- Daily metrics per team (table ledger_private.team_daily, migration 000009).
-- A CL belongs to the UTC day of its time (ledger_private.cl_time: submit time, else
-- first arrival); a team is the third path segment. Per (timeline, team, day with an
-- applied build): open issues at the day's last CL, intervals started (new) and
-- resolved that day, regressions (new after an earlier interval of the same issue),
-- and the resolve durations in CLs and hours of the intervals resolved that day.
-- process_snapshot marks the days whose CLs its changes touch, and the debounced job
-- refresh_team_daily (worker) recomputes them within seconds (incremental);
-- ledger.refresh_team_daily rebuilds a date range on demand (forced). Both compute a
-- day from the intervals, so they always agree with a from-scratch computation.

create or replace function ledger_private.team_days_refresh(p_project text, p_stream text, p_days date[])
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_n integer;
begin
  /* Recomputes the rows of the given days of one timeline (deleting days that no
     longer have a build). Returns the number of rows written. */
  delete from ledger_private.team_daily d
   where d.project = p_project and d.stream = p_stream and d.day = any (p_days);
  with cls as materialized (   -- CL times as ledger_private.cl_time defines them, set-based
    select s.cl, coalesce(min(c.submitted_at), min(s.received_at)) as t
      from ledger.snapshot s
      left join ledger.changelist c on c.project = s.project and c.stream = s.stream and c.cl = s.cl
     where s.project = p_project and s.stream = p_stream and s.applied_seq is not null
     group by s.cl
  ), days as materialized (
    select (c.t at time zone 'UTC')::date as day, max(c.cl) as last_cl, array_agg(c.cl) as day_cls
      from cls c
     where (c.t at time zone 'UTC')::date = any (p_days)
     group by 1
  ), started_raw as materialized (
    select d.day, coalesce(nullif(split_part(ii.path, '/', 3), ''), '(none)') as team, i.issue_id, i.start_cl
      from days d
      cross join lateral unnest(d.day_cls) as dc(cl)
      join ledger.issue_presence_interval i
        on i.project = p_project and i.stream = p_stream and i.start_cl = dc.cl
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
  ), firsts as materialized (   -- each issue's first start: a later start is a regression
    select i.issue_id, min(i.start_cl) as first_start
      from ledger.issue_presence_interval i
     where i.project = p_project and i.stream = p_stream
       and i.issue_id in (select sr.issue_id from started_raw sr)
     group by i.issue_id
  ), started as materialized (
    select sr.day, sr.team, count(*)::int as n, count(*) filter (where sr.start_cl > f.first_start)::int as regressions
      from started_raw sr join firsts f on f.issue_id = sr.issue_id
     group by 1, 2
  ), ended as materialized (
    select d.day, coalesce(nullif(split_part(ii.path, '/', 3), ''), '(none)') as team, count(*)::int as n,
           array_agg(i.resolved_cl - i.start_cl order by i.resolved_cl - i.start_cl) as cls,
           array_agg(extract(epoch from (cr.t - cs.t)) / 3600.0 order by extract(epoch from (cr.t - cs.t))) as hours
      from days d
      cross join lateral unnest(d.day_cls) as dc(cl)
      join ledger.issue_presence_interval i
        on i.project = p_project and i.stream = p_stream and i.resolved_cl = dc.cl
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
      join cls cs on cs.cl = i.start_cl
      join cls cr on cr.cl = i.resolved_cl
     group by 1, 2
  ), opened as materialized (
    select d.day, coalesce(nullif(split_part(ii.path, '/', 3), ''), '(none)') as team, count(*)::int as n
      from days d
      join ledger.issue_presence_interval i
        on i.project = p_project and i.stream = p_stream and i.start_cl <= d.last_cl
       and (i.resolved_cl is null or i.resolved_cl > d.last_cl)
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
     group by 1, 2
  ), teams as (
    select day, team from opened union select day, team from started union select day, team from ended
  )
  insert into ledger_private.team_daily (project, stream, team, day, last_cl, open, new, resolved, regressions,
                                         resolve_cls, resolve_hours)
  select p_project, p_stream, k.team, k.day, d.last_cl, coalesce(o.n, 0), coalesce(s.n, 0), coalesce(e.n, 0),
         coalesce(s.regressions, 0), coalesce(e.cls, '{}'), coalesce(e.hours, '{}')
    from teams k
    join days d on d.day = k.day
    left join opened o on o.day = k.day and o.team = k.team
    left join started s on s.day = k.day and s.team = k.team
    left join ended e on e.day = k.day and e.team = k.team;
  get diagnostics v_n = row_count;
  return v_n;
end
$$;
comment on function ledger_private.team_days_refresh(text, text, date[]) is
  'Recomputes the daily team metrics of the given days of one timeline from its intervals; returns the rows written.';

create or replace function ledger_private.team_days_of_cls(p_project text, p_stream text, p_lo bigint, p_hi bigint)
returns date[]
language plpgsql stable
set search_path to pg_catalog, pg_temp
as $$
begin
  return (select coalesce(array_agg(distinct (x.t at time zone 'UTC')::date), '{}')
            from (select coalesce(min(c.submitted_at), min(s.received_at)) as t
                    from ledger.snapshot s
                    left join ledger.changelist c on c.project = s.project and c.stream = s.stream and c.cl = s.cl
                   where s.project = p_project and s.stream = p_stream and s.cl between p_lo and p_hi
                   group by s.cl) x);
end
$$;
comment on function ledger_private.team_days_of_cls(text, text, bigint, bigint) is
  'The days (UTC) of the CLs of a timeline between two CL numbers: what a change of intervals in that range touches.';

create or replace function ledger.refresh_team_daily(project text, stream text default 'main',
                                                     from_day date default null, to_day date default null)
returns integer
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
#variable_conflict use_column
declare
  v_days date[];
begin
  /* Forced refresh: rebuilds the daily team metrics of [from_day, to_day] (default:
     the whole history) of one timeline from its intervals. Returns rows written. */
  perform ledger_private.require_timeline(refresh_team_daily.project, refresh_team_daily.stream);
  if from_day is not null and to_day is not null and from_day > to_day then
    raise exception 'from_day: % is after to_day %', from_day, to_day using errcode = '22023';
  end if;
  select array_agg(distinct d) into v_days
    from unnest(ledger_private.team_days_of_cls(refresh_team_daily.project, refresh_team_daily.stream, 1, 9223372036854775807)) d
   where (from_day is null or d >= from_day) and (to_day is null or d <= to_day);
  -- days in the range that no longer have a build lose their rows too
  delete from ledger_private.team_daily t
   where t.project = refresh_team_daily.project and t.stream = refresh_team_daily.stream
     and (from_day is null or t.day >= from_day) and (to_day is null or t.day <= to_day);
  return ledger_private.team_days_refresh(refresh_team_daily.project, refresh_team_daily.stream, coalesce(v_days, '{}'));
end
$$;
comment on function ledger.refresh_team_daily(text, text, date, date) is
  'Forced refresh: rebuilds the daily team metrics of a timeline for [from_day, to_day] (default: all days) from its presence intervals; returns rows written. Processing keeps them current on its own.';


create or replace function ledger_private.mark_team_days(p_project text, p_stream text, p_days date[])
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  /* Marks days of a timeline for the refresh job and enqueues it once per timeline:
     the job runs two seconds after the first mark and takes every day marked by then. */
  if cardinality(p_days) = 0 then
    return;
  end if;
  insert into ledger_private.team_daily_dirty (project, stream, day)
  select p_project, p_stream, d from unnest(p_days) d;
  -- its own queue per timeline: two refreshes of one timeline never run at once (a job
  -- still locked by a worker that died gets a second job under the same key, and the
  -- two would contend for the same rows); a timeline's refreshes take one worker slot at most
  perform graphile_worker.add_job('refresh_team_daily', json_build_object('project', p_project, 'stream', p_stream),
            queue_name => 'team_daily:' || p_project || '/' || p_stream,
            job_key => format('refresh_team_daily:%s/%s', p_project, p_stream), job_key_mode => 'preserve_run_at',
            run_at => now() + interval '2 seconds', max_attempts => 10);
end
$$;
comment on function ledger_private.mark_team_days(text, text, date[]) is
  'Marks days of a timeline whose daily team metrics must be recomputed and enqueues the debounced refresh job.';

create or replace function ledger_private.refresh_dirty_team_days(p_project text, p_stream text)
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_days date[];
  v_upto bigint;
begin
  /* Job body of refresh_team_daily: recomputes the days of one timeline marked up to
     now and clears those marks, in one transaction (a failed run leaves them marked;
     marks made meanwhile wait for the next run, and marking never waits for this).
     Returns the number of days refreshed. */
  select max(d.mark_id), array_agg(distinct d.day) into v_upto, v_days
    from ledger_private.team_daily_dirty d where d.project = p_project and d.stream = p_stream;
  if v_upto is null then
    return 0;
  end if;
  perform ledger_private.team_days_refresh(p_project, p_stream, v_days);
  delete from ledger_private.team_daily_dirty d
   where d.project = p_project and d.stream = p_stream and d.mark_id <= v_upto;
  return cardinality(v_days);
end
$$;
comment on function ledger_private.refresh_dirty_team_days(text, text) is
  'Job body of refresh_team_daily: recomputes the daily team metrics of the days processing marked for one timeline; returns how many days.';
