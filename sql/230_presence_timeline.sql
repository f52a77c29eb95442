-- ledger.presence_timeline: Gantt-style presence of the longest-lived issues, as
-- state changes over CL time (1 = present from here, 0 = resolved from here).

drop function if exists ledger.presence_timeline(text, text, text, text, integer);
create function ledger.presence_timeline(project text, stream text default 'main', team text default null,
                                         severity text default null, top_n integer default 25)
returns table ("time" timestamptz, issue text, present integer)
language sql stable
as $$
  with tl as materialized (
    select t.timeline_id, g.latest_processed_cl as latest
      from ledger_private.timeline t
      left join ledger_private.timeline_progress g on g.timeline_id = t.timeline_id
     where ledger_private.require_timeline(presence_timeline.project, presence_timeline.stream)
       and (presence_timeline.top_n between 1 and 500
            or ledger_private.raise_22023('top_n', format('expected 1 to 500, got %s', coalesce(presence_timeline.top_n::text, 'NULL'))) is null)
       and t.timeline_id = ledger_private.timeline_id(presence_timeline.project, presence_timeline.stream)
  ), top as (
    -- ranked by the CLs spanned while present, from the per-issue run statistics, in
    -- index order (migration 000021): the closed issues by their span, the open ones
    -- by span minus the start of the open run (the latest CL adds the same to all),
    -- each side stopping at top_n matches of the filters
    select x.issue_id, x.span from (
      (select r.issue_id, r.closed_span as span
         from tl
         join ledger_private.issue_run_stats r
           on r.timeline_id = (select tl2.timeline_id from tl tl2) and r.open_start_cl is null
        cross join lateral (select ii.path, ii.severity from ledger_private.issue_instance ii
                             where ii.issue_id = r.issue_id offset 0) ii
        where (presence_timeline.team is null or split_part(ii.path, '/', 3) = presence_timeline.team)
          and (presence_timeline.severity is null or ii.severity = presence_timeline.severity)
        order by r.closed_span desc, r.issue_id
        limit (case when presence_timeline.top_n between 1 and 500 then presence_timeline.top_n
                   else ledger_private.raise_22023('top_n', format('expected 1 to 500, got %s', coalesce(presence_timeline.top_n::text, 'NULL')))::int end))
      union all
      (select r.issue_id, r.closed_span - r.open_start_cl + 1 + tl.latest
         from tl
         join ledger_private.issue_run_stats r
           on r.timeline_id = (select tl2.timeline_id from tl tl2) and r.open_start_cl is not null
        cross join lateral (select ii.path, ii.severity from ledger_private.issue_instance ii
                             where ii.issue_id = r.issue_id offset 0) ii
        where (presence_timeline.team is null or split_part(ii.path, '/', 3) = presence_timeline.team)
          and (presence_timeline.severity is null or ii.severity = presence_timeline.severity)
        order by r.closed_span - r.open_start_cl desc, r.issue_id
        limit (case when presence_timeline.top_n between 1 and 500 then presence_timeline.top_n
                   else ledger_private.raise_22023('top_n', format('expected 1 to 500, got %s', coalesce(presence_timeline.top_n::text, 'NULL')))::int end))) x
     order by x.span desc, x.issue_id
     limit (case when presence_timeline.top_n between 1 and 500 then presence_timeline.top_n
                   else ledger_private.raise_22023('top_n', format('expected 1 to 500, got %s', coalesce(presence_timeline.top_n::text, 'NULL')))::int end)
  ), label as (
    select top.issue_id, format('#%s %s: %s', top.issue_id, ii.severity, left(ii.message, 70)) as issue
      from top join ledger_private.issue_instance ii on ii.issue_id = top.issue_id
  ), ev as (
    -- (the top issues' own intervals, by key)
    select i.issue_id, i.start_cl as cl, 1 as present
      from top cross join tl
     cross join lateral (select i.issue_id, i.start_cl from ledger_private.presence_interval i
                          where i.timeline_id = tl.timeline_id and i.issue_id = top.issue_id offset 0) i
    union all
    select i.issue_id, i.resolved_cl, 0
      from top cross join tl
     cross join lateral (select i.issue_id, i.resolved_cl from ledger_private.presence_interval i
                          where i.timeline_id = tl.timeline_id and i.issue_id = top.issue_id
                            and i.resolved_cl is not null offset 0) i
  )
  select ledger_private.cl_time(presence_timeline.project, presence_timeline.stream, ev.cl), l.issue, ev.present
    from ev join label l on l.issue_id = ev.issue_id
   order by 1, 2
$$;
comment on function ledger.presence_timeline(text, text, text, text, integer) is
  'Presence intervals of the top_n (1 to 500) issues of (project, stream) with the longest total presence (CLs spanned while present) (optionally of one team and severity), as rows (time, issue, present): present = 1 where an interval starts, 0 where it is resolved; time is the CL''s submit time. Feeds the Gantt-style state timeline.';
