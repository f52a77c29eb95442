-- ledger.v_treemap_cl_levels8_latest: open issues at each timeline's latest CL,
-- grouped by the first 8 path segments (levels past a path's depth are NULL).

drop view if exists ledger.v_treemap_cl_levels8_latest;
create view ledger.v_treemap_cl_levels8_latest as
select t.project collate "default" as project, t.stream collate "default" as stream, t.latest_processed_cl as cl,
       s[1] as level1, s[2] as level2, s[3] as level3, s[4] as level4,
       s[5] as level5, s[6] as level6, s[7] as level7, s[8] as level8,
       count(*) as issue_count
  from ledger.timeline t
  join ledger.issue_presence_interval i
    on i.project = t.project and i.stream = t.stream and i.resolved_cl is null
  join ledger.issue_instance ii on ii.issue_id = i.issue_id
  cross join lateral (select string_to_array(ii.path collate "default", '/') as s) p
 group by t.project, t.stream, t.latest_processed_cl, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8];
comment on view ledger.v_treemap_cl_levels8_latest is
  'Open issues at each timeline''s latest processed CL, counted per path prefix of up to 8 segments (level1 = server ... level8); feeds the treemap.';
