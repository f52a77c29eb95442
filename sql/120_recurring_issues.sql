-- ledger.recurring_issues: issues that came back after being resolved.

drop function if exists ledger.recurring_issues(text, text);
create function ledger.recurring_issues(project text, stream text default 'main')
returns table (issue_id bigint, interval_count bigint, first_start_cl bigint, last_seen_cl bigint,
               is_open boolean, present_cls_span bigint, severity text, message text, path text)
language sql stable
as $$
  select r.issue_id, r.n, r.first_start, r.last_seen, r.is_open, r.span, ii.severity, ii.message, ii.path collate "default"
    from (select i.issue_id, count(*) as n, min(i.start_cl) as first_start,
                 max(i.last_seen_cl) as last_seen, bool_or(i.resolved_cl is null) as is_open,
                 sum(i.last_seen_cl - i.start_cl + 1) as span
            from ledger_private.timeline_intervals(recurring_issues.project, recurring_issues.stream) i
           group by i.issue_id
          having count(*) > 1) r
    join ledger_private.issue_instance ii on ii.issue_id = r.issue_id
   where ledger_private.require_timeline(recurring_issues.project, recurring_issues.stream)
$$;
comment on function ledger.recurring_issues(text, text) is
  'Issues of a timeline with more than one presence interval (they were resolved and came back): how many intervals, first start, last sighting, and whether open now.';
