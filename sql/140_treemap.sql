-- ledger.v_treemap_cl_levels8_latest: open issues at each timeline's latest CL,
-- grouped by the first 8 path segments (levels past a path's depth are NULL).

drop view if exists ledger.v_treemap_cl_levels8_latest;
-- from the open counts per treemap node that processing keeps (one row per node, no
-- scan of the open intervals); every node is its own group (paths are distinct)
create view ledger.v_treemap_cl_levels8_latest as
select t.project collate "default" as project, t.stream collate "default" as stream, g.latest_processed_cl as cl,
       -- (split_part, not string_to_array and subscripts: five times faster per row;
       -- segments are never empty, so '' means "no such level")
       nullif(split_part(o.path, '/', 1), '') collate "default" as level1,
       nullif(split_part(o.path, '/', 2), '') collate "default" as level2,
       nullif(split_part(o.path, '/', 3), '') collate "default" as level3,
       nullif(split_part(o.path, '/', 4), '') collate "default" as level4,
       nullif(split_part(o.path, '/', 5), '') collate "default" as level5,
       nullif(split_part(o.path, '/', 6), '') collate "default" as level6,
       nullif(split_part(o.path, '/', 7), '') collate "default" as level7,
       nullif(split_part(o.path, '/', 8), '') collate "default" as level8,
       o.open_count::bigint as issue_count
  from ledger_private.timeline t
  join ledger_private.timeline_progress g on g.timeline_id = t.timeline_id
  join ledger_private.open_node_count o on o.timeline_id = t.timeline_id and o.open_count > 0;
comment on view ledger.v_treemap_cl_levels8_latest is
  'Open issues at each timeline''s latest processed CL, counted per path prefix of up to 8 segments (level1 = server ... level8); feeds the treemap.';
