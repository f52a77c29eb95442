-- ledger.diff: what changed between two CLs of a timeline (SPEC section 3).

drop function if exists ledger.diff(text, bigint, bigint, text);
create function ledger.diff(project text, from_cl bigint, to_cl bigint, stream text default 'main')
returns table (issue_id bigint, status text, severity text, message text, path text)
language sql stable   -- (no SET clause: inlined into the caller, so its filters reach the scans)
as $$
  -- (the timeline id as a parameter of the index scans; ledger_private.open_at so the
  -- open runs come from their own index)
  with h as materialized (
    select ledger_private.timeline_id(diff.project, diff.stream) as timeline_id,
           ledger_private.head_cl(diff.project, diff.stream) as top,
           -- (the fork lists of from_cl and to_cl, once: see ledger_private.open_at)
           ledger_private.run_forks_after(diff.from_cl) as fa_from, ledger_private.run_forks_upto(diff.from_cl) as fu_from,
           ledger_private.run_forks_after(diff.to_cl) as fa_to, ledger_private.run_forks_upto(diff.to_cl) as fu_to
  ), a as (
    select i.issue_id from ledger_private.presence_interval i
     where i.timeline_id = (select h.timeline_id from h)
       and ledger_private.open_at(i.start_cl, i.resolved_cl, diff.from_cl,
                                  (select h.fa_from from h), (select h.fu_from from h))
  ), b as (
    -- at or after the latest build, what is open is kept with what is shown of it
    -- (ledger_private.open_issue): no probe for those; before it, the runs that hold to_cl
    select o.issue_id, o.severity, o.message, o.path from ledger_private.open_issue o
     where o.timeline_id = (select h.timeline_id from h)
       and diff.to_cl >= (select h.top from h)
    union all
    select i.issue_id, null, null, null from ledger_private.presence_interval i
     where i.timeline_id = (select h.timeline_id from h)
       and ledger_private.open_at(i.start_cl, i.resolved_cl, diff.to_cl,
                                  (select h.fa_to from h), (select h.fu_to from h))
       and not coalesce(diff.to_cl >= (select h.top from h), false)
  )
  select x.issue_id, x.status, coalesce(x.severity, ii.severity), coalesce(x.message, ii.message),
         coalesce(x.path, ii.path) collate "default"
    from (select coalesce(a.issue_id, b.issue_id) as issue_id,
                 case when a.issue_id is null then 'new'
                      when b.issue_id is null then 'resolved'
                      else 'unchanged' end as status,
                 b.severity, b.message, b.path
            from a full join b on a.issue_id = b.issue_id
           order by 1) x
    -- (one probe per issue not shown by b, in id order so consecutive probes share pages:
    -- a join may be planned as a hash over every issue ever seen)
    left join lateral (select ii.severity, ii.message, ii.path from ledger_private.issue_instance ii
                        where x.message is null and ii.issue_id = x.issue_id offset 0) ii on true
   where ledger_private.require_timeline(diff.project, diff.stream)
     and ledger_private.require_cl('from_cl', diff.from_cl)
     and ledger_private.require_cl('to_cl', diff.to_cl)
     and ledger_private.require_cl_order(diff.from_cl, diff.to_cl)
$$;
comment on function ledger.diff(text, bigint, bigint, text) is
  'Issues open at from_cl or to_cl with their status: new (open at to_cl only), resolved (open at from_cl only) or unchanged (open at both). Requires from_cl <= to_cl.';
