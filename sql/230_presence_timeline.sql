-- ledger.presence_timeline: Gantt-style presence of the longest-lived issues, as
-- state changes over CL time (1 = present from here, 0 = resolved from here).

drop function if exists ledger.presence_timeline(text, text, text, text, integer);
create function ledger.presence_timeline(project text, stream text default 'main', team text default null,
                                         severity text default null, top_n integer default 25)
returns table ("time" timestamptz, issue text, present integer)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  with tl as (
    select t.latest_processed_cl as latest
      from ledger.timeline t
     where ledger_private.require_timeline(presence_timeline.project, presence_timeline.stream)
       and t.project = presence_timeline.project and t.stream = presence_timeline.stream
  ), top as (
    select i.issue_id, sum(coalesce(i.resolved_cl, tl.latest + 1) - i.start_cl) as span
      from ledger.issue_presence_interval i
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
      cross join tl
     where i.project = presence_timeline.project and i.stream = presence_timeline.stream
       and (presence_timeline.team is null or split_part(ii.path, '/', 3) = presence_timeline.team)
       and (presence_timeline.severity is null or ii.severity = presence_timeline.severity)
     group by i.issue_id
     order by span desc, i.issue_id
     limit greatest(1, least(presence_timeline.top_n, 500))
  ), label as (
    select top.issue_id, format('#%s %s: %s', top.issue_id, ii.severity, left(ii.message, 70)) as issue
      from top join ledger.issue_instance ii on ii.issue_id = top.issue_id
  ), ev as (
    select i.issue_id, i.start_cl as cl, 1 as present
      from ledger.issue_presence_interval i join top on top.issue_id = i.issue_id
     where i.project = presence_timeline.project and i.stream = presence_timeline.stream
    union all
    select i.issue_id, i.resolved_cl, 0
      from ledger.issue_presence_interval i join top on top.issue_id = i.issue_id
     where i.project = presence_timeline.project and i.stream = presence_timeline.stream and i.resolved_cl is not null
  )
  select ledger_private.cl_time(presence_timeline.project, presence_timeline.stream, ev.cl), l.issue, ev.present
    from ev join label l on l.issue_id = ev.issue_id
   order by 1, 2
$$;
comment on function ledger.presence_timeline(text, text, text, text, integer) is
  'Presence intervals of the top_n issues of (project, stream) with the longest total presence (optionally of one team and severity), as rows (time, issue, present): present = 1 where an interval starts, 0 where it is resolved; time is the CL''s submit time. Feeds the Gantt-style state timeline.';
