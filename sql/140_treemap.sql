-- ledger.v_treemap_cl_levels8_latest: open issues at each timeline's latest CL,
-- grouped by the first 8 path segments (levels past a path's depth are NULL).

drop view if exists ledger.v_treemap_cl_levels8_latest;
-- from the open counts per treemap node that processing keeps (one row per node, no
-- scan of the open intervals); every node is its own group (paths are distinct)
create view ledger.v_treemap_cl_levels8_latest as
select t.project collate "default" as project, t.stream collate "default" as stream, g.latest_processed_cl as cl,
       s[1] as level1, s[2] as level2, s[3] as level3, s[4] as level4,
       s[5] as level5, s[6] as level6, s[7] as level7, s[8] as level8,
       o.open_count::bigint as issue_count
  from ledger_private.timeline t
  join ledger_private.timeline_progress g on g.timeline_id = t.timeline_id
  join ledger_private.open_node_count o on o.timeline_id = t.timeline_id and o.open_count > 0
  cross join lateral (select string_to_array(o.path collate "default", '/') as s) p;
comment on view ledger.v_treemap_cl_levels8_latest is
  'Open issues at each timeline''s latest processed CL, counted per path prefix of up to 8 segments (level1 = server ... level8); feeds the treemap.';
