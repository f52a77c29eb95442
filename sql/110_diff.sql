-- ledger.diff: what changed between two CLs of a timeline (SPEC section 3).

drop function if exists ledger.diff(text, bigint, bigint, text);
create function ledger.diff(project text, from_cl bigint, to_cl bigint, stream text default 'main')
returns table (issue_id bigint, status text, severity text, message text, path text)
language sql stable   -- (no SET clause: inlined into the caller, so its filters reach the scans)
as $$
  -- (the timeline id as a parameter of the index scans; ledger_private.open_at so the
  -- open runs come from their own index)
  with a as (
    select i.issue_id from ledger_private.presence_interval i
     where i.timeline_id = (select ledger_private.timeline_id(diff.project, diff.stream))
       and ledger_private.open_at(i.start_cl, i.resolved_cl, diff.from_cl)
  ), b as (
    select i.issue_id from ledger_private.presence_interval i
     where i.timeline_id = (select ledger_private.timeline_id(diff.project, diff.stream))
       and ledger_private.open_at(i.start_cl, i.resolved_cl, diff.to_cl)
  )
  select x.issue_id, x.status, ii.severity, ii.message, ii.path collate "default"
    from (select coalesce(a.issue_id, b.issue_id) as issue_id,
                 case when a.issue_id is null then 'new'
                      when b.issue_id is null then 'resolved'
                      else 'unchanged' end as status
            from a full join b on a.issue_id = b.issue_id
           order by 1) x
    -- (one probe per issue, in id order so consecutive probes share pages: a join may
    -- be planned as a hash over every issue ever seen)
   cross join lateral (select ii.* from ledger_private.issue_instance ii where ii.issue_id = x.issue_id offset 0) ii
   where ledger_private.require_timeline(diff.project, diff.stream)
     and ledger_private.require_cl('from_cl', diff.from_cl)
     and ledger_private.require_cl('to_cl', diff.to_cl)
     and ledger_private.require_cl_order(diff.from_cl, diff.to_cl)
$$;
comment on function ledger.diff(text, bigint, bigint, text) is
  'Issues open at from_cl or to_cl with their status: new (open at to_cl only), resolved (open at from_cl only) or unchanged (open at both). Requires from_cl <= to_cl.';
