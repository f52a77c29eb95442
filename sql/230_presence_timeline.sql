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
       and t.project = presence_timeline.project and t.stream = presence_timeline.stream
  ), top as (
    -- ranked by the CLs spanned while present, from the per-issue run statistics
    -- (one row per issue, not per interval)
    select r.issue_id, r.closed_span + coalesce(tl.latest - r.open_start_cl + 1, 0) as span
      from tl
      join ledger_private.issue_run_stats r on r.timeline_id = tl.timeline_id
      join ledger_private.issue_instance ii on ii.issue_id = r.issue_id
     where (presence_timeline.team is null or split_part(ii.path, '/', 3) = presence_timeline.team)
       and (presence_timeline.severity is null or ii.severity = presence_timeline.severity)
     order by span desc, r.issue_id
     limit greatest(1, least(presence_timeline.top_n, 500))
  ), label as (
    select top.issue_id, format('#%s %s: %s', top.issue_id, ii.severity, left(ii.message, 70)) as issue
      from top join ledger_private.issue_instance ii on ii.issue_id = top.issue_id
  ), ev as (
    select i.issue_id, i.start_cl as cl, 1 as present
      from tl join ledger_private.presence_interval i on i.timeline_id = tl.timeline_id
      join top on top.issue_id = i.issue_id
    union all
    select i.issue_id, i.resolved_cl, 0
      from tl join ledger_private.presence_interval i on i.timeline_id = tl.timeline_id
      join top on top.issue_id = i.issue_id
     where i.resolved_cl is not null
  )
  select ledger_private.cl_time(presence_timeline.project, presence_timeline.stream, ev.cl), l.issue, ev.present
    from ev join label l on l.issue_id = ev.issue_id
   order by 1, 2
$$;
comment on function ledger.presence_timeline(text, text, text, text, integer) is
  'Presence intervals of the top_n issues of (project, stream) with the longest total presence (CLs spanned while present) (optionally of one team and severity), as rows (time, issue, present): present = 1 where an interval starts, 0 where it is resolved; time is the CL''s submit time. Feeds the Gantt-style state timeline.';
