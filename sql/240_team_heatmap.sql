-- ledger.team_heatmap: new issues per team and CL over the last CLs of a timeline.

drop function if exists ledger.team_heatmap(text, text, integer);
create function ledger.team_heatmap(project text, stream text default 'main', last_n integer default 60)
returns table ("time" timestamptz, cl bigint, team text, new_issues bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  with cls as (
    select m.cl from ledger.changelist_metrics m
     where ledger_private.require_timeline(team_heatmap.project, team_heatmap.stream)
       and m.project = team_heatmap.project and m.stream = team_heatmap.stream
     order by m.cl desc limit greatest(1, least(team_heatmap.last_n, 2000))
  ), teams as (
    select t.team from ledger.v_team t where t.project = team_heatmap.project
  ), news as (
    select i.start_cl as cl, split_part(ii.path, '/', 3) as team, count(*) as n
      from ledger.issue_presence_interval i
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
     where i.project = team_heatmap.project and i.stream = team_heatmap.stream
       and i.start_cl >= (select min(cl) from cls)
     group by 1, 2
  )
  select ledger_private.cl_time(team_heatmap.project, team_heatmap.stream, c.cl), c.cl, t.team, coalesce(n.n, 0)
    from cls c cross join teams t
    left join news n on n.cl = c.cl and n.team = t.team
   order by 1, 3
$$;
comment on function ledger.team_heatmap(text, text, integer) is
  'New issues per team (third path segment) at each of the last_n CLs with a build of (project, stream), zeros included: rows (time, cl, team, new_issues). Feeds the team heatmap.';
