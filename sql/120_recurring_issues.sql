-- ledger.recurring_issues: issues that came back after being resolved.

drop function if exists ledger.recurring_issues(text, text);
create function ledger.recurring_issues(project text, stream text default 'main')
returns table (issue_id bigint, interval_count bigint, first_start_cl bigint, last_seen_cl bigint,
               is_open boolean, present_cls_span bigint, severity text, message text, path text)
language sql stable
as $$
  -- from the per-issue run statistics processing keeps (issue_run_stats, partial index
  -- on recurring ones): no scan of the timeline's intervals; the open run's last CL is
  -- derived as in ledger_private.timeline_intervals
  with c as materialized (
    select h.* from ledger_private.timeline_head(recurring_issues.project, recurring_issues.stream) h
     where ledger_private.require_timeline(recurring_issues.project, recurring_issues.stream)
  ), r as (
    select r.*, ii.severity, ii.message, ii.path,
           case when r.open_start_cl is null then null
                when c.simple then c.lf
                else (select max(s.cl) from ledger_private.snapshot s
                       where s.timeline_id = r.timeline_id and s.applied_seq is not null and s.cl >= r.open_start_cl
                         and ledger.path_covered(ii.path, s.applied_covered_paths)) end as open_last
      from c
      join ledger_private.issue_run_stats r on r.timeline_id = c.timeline_id and r.interval_count > 1
      join ledger_private.issue_instance ii on ii.issue_id = r.issue_id
  )
  select r.issue_id, r.interval_count::bigint, r.first_start_cl, coalesce(r.open_last, r.closed_last_seen),
         r.open_start_cl is not null, r.closed_span + coalesce(r.open_last - r.open_start_cl + 1, 0),
         r.severity, r.message, r.path collate "default"
    from r
$$;
comment on function ledger.recurring_issues(text, text) is
  'Issues of a timeline with more than one presence interval (they were resolved and came back): how many intervals, first start, last sighting, and whether open now.';
