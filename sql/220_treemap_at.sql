-- ledger.treemap_at: open issues at one CL by path levels 1-8 (the treemap panel at
-- any CL; ledger.v_treemap_cl_levels8_latest is the same at each latest CL).

drop function if exists ledger.treemap_at(text, bigint, text, text);
create function ledger.treemap_at(project text, cl bigint, stream text default 'main', team text default null)
returns table (level1 text, level2 text, level3 text, level4 text, level5 text, level6 text, level7 text,
               level8 text, issue_count bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  -- At or after the timeline's latest applied CL every open run has started, so the
  -- open issues per treemap node are ledger_private.open_node_count: one row per node
  -- instead of one look-up per open issue. At an earlier CL, from the intervals.
  with h as materialized (
    select t.timeline_id,
           treemap_at.cl >= coalesce(ledger_private.head_cl(treemap_at.project, treemap_at.stream), treemap_at.cl) as at_head
      from ledger_private.timeline t
     where t.project = treemap_at.project and t.stream = treemap_at.stream
       and ledger_private.require_timeline(treemap_at.project, treemap_at.stream)
       and ledger_private.require_cl('cl', treemap_at.cl)
  ), counted as (
    -- one row per treemap node: at the head the kept counts (their paths are the
    -- nodes: 8 segments at most, one row each), elsewhere the open issues grouped by
    -- their first 8 segments
    select o.path collate "default" as path, o.open_count::bigint as n
      from h
      join ledger_private.open_node_count o on o.timeline_id = h.timeline_id and o.open_count > 0
     where h.at_head
    union all
    select array_to_string((string_to_array(o.path, '/'))[1:8], '/'), count(*)
      from h
     cross join lateral ledger.open_issues_at(treemap_at.project, treemap_at.cl, treemap_at.stream) o
     where not h.at_head
     group by 1
  )
  -- (split_part, not string_to_array and subscripts: five times faster per row;
  -- segments are never empty, so '' means "no such level")
  select nullif(split_part(c.path, '/', 1), ''), nullif(split_part(c.path, '/', 2), ''),
         nullif(split_part(c.path, '/', 3), ''), nullif(split_part(c.path, '/', 4), ''),
         nullif(split_part(c.path, '/', 5), ''), nullif(split_part(c.path, '/', 6), ''),
         nullif(split_part(c.path, '/', 7), ''), nullif(split_part(c.path, '/', 8), ''),
         c.n
    from counted c
   where (treemap_at.team is null or split_part(c.path, '/', 3) = treemap_at.team)
     -- (checked here too, as a condition of the whole query: PostgreSQL 18 plans a SQL
     -- function with its arguments' values, folds h's "stream = NULL" to false and drops
     -- h's checks with it, and an empty h no longer runs open_issues_at's)
     and ledger_private.require_timeline(treemap_at.project, treemap_at.stream)
     and ledger_private.require_cl('cl', treemap_at.cl)
   order by c.n desc
$$;
comment on function ledger.treemap_at(text, bigint, text, text) is
  'Open issues at changelist cl of (project, stream), counted per path prefix of up to 8 segments (level1 = server ... level8; NULL past a path''s depth), optionally for one team. Feeds the treemap.';
