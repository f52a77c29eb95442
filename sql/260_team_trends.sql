-- The read side of the daily team metrics (functions/100_team_daily.sql maintains
-- them): a view of the days and window queries over them.

drop view if exists ledger.team_daily;
create view ledger.team_daily as
select d.project collate "default" as project, d.stream collate "default" as stream, d.team collate "default" as team,
       d.day, d.last_cl, d.open, d.new, d.resolved, d.regressions,
       (select percentile_cont(0.5) within group (order by x) from unnest(d.resolve_cls) x) as median_resolve_cls,
       (select percentile_cont(0.5) within group (order by x) from unnest(d.resolve_hours) x) as median_resolve_hours
  from ledger_private.team_daily d;
comment on view ledger.team_daily is
  'Daily metrics per team and timeline: open issues at the day''s last CL, new, resolved, regressions, and median time to resolve (in CLs and hours) of the intervals resolved that day.';

drop function if exists ledger.team_trends(text, text, integer, date);
create function ledger.team_trends(project text, stream text default 'main', window_days integer default 7,
                                   as_of date default null)
returns table (team text, from_day date, to_day date, days_with_builds bigint, open integer, new bigint,
               resolved bigint, regressions bigint, median_resolve_cls double precision,
               median_resolve_hours double precision)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(team_trends.project, team_trends.stream);
  with args as materialized (
    select ledger_private.require_timeline(team_trends.project, team_trends.stream) as ok,
           case when team_trends.window_days between 1 and 366 then team_trends.window_days
                else ledger_private.raise_22023('window_days', format('expected 1 to 366, got %s', coalesce(team_trends.window_days::text, 'NULL')))::int end as w,
           coalesce(team_trends.as_of,
                    (select max(d.day) from ledger_private.team_daily d
                      where d.project = team_trends.project and d.stream = team_trends.stream)) as upto
  ), win as (
    select d.* from ledger_private.team_daily d, args a
     where a.ok and d.project = team_trends.project and d.stream = team_trends.stream
       and d.day > a.upto - a.w and d.day <= a.upto
  )
  select w.team collate "default", (select a.upto - a.w + 1 from args a), (select a.upto from args a),
         count(*), (array_agg(w.open order by w.day desc))[1],
         sum(w.new), sum(w.resolved), sum(w.regressions),
         (select percentile_cont(0.5) within group (order by x) from win w2, unnest(w2.resolve_cls) x where w2.team = w.team),
         (select percentile_cont(0.5) within group (order by x) from win w2, unnest(w2.resolve_hours) x where w2.team = w.team)
    from win w
   group by w.team
   order by w.team
$$;
comment on function ledger.team_trends(text, text, integer, date) is
  'Team metrics over a window of window_days days (7, 14, 30, 90, …) ending at as_of (default: the latest day with a build), from the daily table: new, resolved, regressions, open at the window''s last day with a build, and exact median time to resolve in CLs and hours.';
