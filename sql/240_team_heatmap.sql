-- ledger.team_heatmap: new issues per team and CL over the last CLs of a timeline.

drop function if exists ledger.team_heatmap(text, text, integer);
create function ledger.team_heatmap(project text, stream text default 'main', last_n integer default 60)
returns table ("time" timestamptz, cl bigint, team text, new_issues bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(team_heatmap.project, team_heatmap.stream)
     and (team_heatmap.last_n between 1 and 2000
          or ledger_private.raise_22023('last_n', format('expected 1 to 2000, got %s', coalesce(team_heatmap.last_n::text, 'NULL'))) is null);
  with cls as (
    select m.cl from ledger.changelist_metrics m
     where ledger_private.require_timeline(team_heatmap.project, team_heatmap.stream)
       and m.project = team_heatmap.project and m.stream = team_heatmap.stream
     order by m.cl desc limit team_heatmap.last_n
  ), teams as (
    select t.team from ledger.v_team t where t.project = team_heatmap.project
  ), news as (
    -- (kept per CL and team by processing: one row per cell shown)
    select n.cl, n.team collate "default" as team, n.new_count::bigint as n
      from ledger_private.cl_team_new n
     where n.timeline_id = (select ledger_private.timeline_id(team_heatmap.project, team_heatmap.stream))
       and n.cl >= (select min(cl) from cls)
  )
  select ledger_private.cl_time(team_heatmap.project, team_heatmap.stream, c.cl), c.cl, t.team, coalesce(n.n, 0)
    from cls c cross join teams t
    left join news n on n.cl = c.cl and n.team = t.team
   order by 1, 3
$$;
comment on function ledger.team_heatmap(text, text, integer) is
  'New issues per team (third path segment) at each of the last_n (1 to 2000) CLs with a build of (project, stream), zeros included: rows (time, cl, team, new_issues). Feeds the team heatmap.';
