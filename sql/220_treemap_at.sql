-- ledger.treemap_at: open issues at one CL by path levels 1-8 (the treemap panel at
-- any CL; ledger.v_treemap_cl_levels8_latest is the same at each latest CL).

drop function if exists ledger.treemap_at(text, bigint, text, text);
create function ledger.treemap_at(project text, cl bigint, stream text default 'main', team text default null)
returns table (level1 text, level2 text, level3 text, level4 text, level5 text, level6 text, level7 text,
               level8 text, issue_count bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], count(*)
    from ledger.open_issues_at(treemap_at.project, treemap_at.cl, treemap_at.stream) o
    cross join lateral (select string_to_array(o.path, '/') as s) p
   where treemap_at.team is null or s[3] = treemap_at.team
   group by 1, 2, 3, 4, 5, 6, 7, 8
   order by 9 desc
$$;
comment on function ledger.treemap_at(text, bigint, text, text) is
  'Open issues at changelist cl of (project, stream), counted per path prefix of up to 8 segments (level1 = server ... level8; NULL past a path''s depth), optionally for one team. Feeds the treemap.';
