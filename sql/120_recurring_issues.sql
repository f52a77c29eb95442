-- ledger.recurring_issues: issues that came back after being resolved, most recurring
-- first, optionally only one team's and only the top_n.

drop function if exists ledger.recurring_issues(text, text);
drop function if exists ledger.recurring_issues(text, text, integer, text);
create function ledger.recurring_issues(project text, stream text default 'main',
                                        top_n integer default null, team text default null)
returns table (issue_id bigint, interval_count bigint, first_start_cl bigint, last_seen_cl bigint,
               is_open boolean, present_cls_span bigint, severity text, message text, path text)
language sql stable
as $$
  -- from the per-issue run statistics processing keeps (issue_run_stats, partial index
  -- on recurring ones by interval count): no scan of the timeline's intervals, and with
  -- top_n the most recurring are read first and the rest not at all; the open run's
  -- last CL is derived as in ledger_private.timeline_intervals
  with c as materialized (
    select h.*
      from ledger_private.timeline_head(recurring_issues.project, recurring_issues.stream) h
     where ledger_private.require_timeline(recurring_issues.project, recurring_issues.stream)
  ), r as (
    select r.*, ii.severity, ii.message, ii.path,
           case when r.open_start_cl is null then null
                when c.simple then c.lf
                else (select max(s.cl) from ledger_private.snapshot s
                       where s.timeline_id = r.timeline_id and s.applied_seq is not null and s.cl >= r.open_start_cl
                         and ledger.path_covered(ii.path, s.applied_covered_paths)) end as open_last
      from c
      -- (the timeline id as a parameter of the index scan)
      join ledger_private.issue_run_stats r
        on r.timeline_id = (select c2.timeline_id from c c2) and r.interval_count > 1
      join ledger_private.issue_instance ii on ii.issue_id = r.issue_id
     where recurring_issues.team is null or split_part(ii.path, '/', 3) = recurring_issues.team
  )
  select r.issue_id, r.interval_count::bigint, r.first_start_cl, coalesce(r.open_last, r.closed_last_seen),
         r.open_start_cl is not null, r.closed_span + coalesce(r.open_last - r.open_start_cl + 1, 0),
         r.severity, r.message, r.path collate "default"
    from r
   order by r.interval_count desc, coalesce(r.open_last, r.closed_last_seen) desc, r.issue_id
   limit case when recurring_issues.top_n < 0
              then ledger_private.raise_22023('top_n', format('expected 0 or more, got %s', recurring_issues.top_n))::int
              else recurring_issues.top_n end
$$;
comment on function ledger.recurring_issues(text, text, integer, text) is
  'Issues of a timeline with more than one presence interval (they were resolved and came back): how many intervals, first start, last sighting, whether open now. Most intervals first, then the latest seen; team (the third path segment) filters, top_n (NULL: all) bounds the rows.';
