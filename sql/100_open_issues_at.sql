-- ledger.open_issues_at: the issues open at one CL of a timeline (SPEC section 3).

drop function if exists ledger.open_issues_at(text, bigint, text);
create function ledger.open_issues_at(project text, cl bigint, stream text default 'main')
returns table (issue_id bigint, hash bytea, severity text, category text, message text,
               path text, start_cl bigint, last_seen_cl bigint)
language sql stable
as $$
  -- the timeline once: its id, latest full build, whether a partial one followed, and
  -- its latest build of any kind
  with h as materialized (
    select t.timeline_id, t.lf, t.simple,
           ledger_private.head_cl(open_issues_at.project, open_issues_at.stream) as top,
           -- (cl's fork lists, once: see ledger_private.open_at)
           ledger_private.run_forks_after(open_issues_at.cl) as fa,
           ledger_private.run_forks_upto(open_issues_at.cl) as fu
      from ledger_private.timeline_head(open_issues_at.project, open_issues_at.stream) t
  )
  -- at or after the latest build (the usual question): the open runs are what is open,
  -- kept with what is shown of their issues (ledger_private.open_issue): one index
  -- range, in issue id order, no probe per issue
  select * from (
    select o.issue_id, o.hash, o.severity, o.category, o.message, o.path collate "default", o.start_cl,
           case when (select h.simple from h) then (select h.lf from h)
                else (select max(s.cl) from ledger_private.snapshot s
                       where s.timeline_id = o.timeline_id and s.applied_seq is not null and s.cl >= o.start_cl
                         and ledger.path_covered(o.path, s.applied_covered_paths)) end
      from ledger_private.open_issue o
     where o.timeline_id = (select h.timeline_id from h)
       and open_issues_at.cl >= (select h.top from h)
     order by o.issue_id) head
  union all
  -- before it: the runs that hold cl, each with its issue
  select i.issue_id, ii.hash, ii.severity, ii.category, ii.message, ii.path collate "default", i.start_cl, i.last_seen_cl
    -- (distinct: an issue has at most one run open at a CL. Saying so tells the planner
    -- that no issue id repeats, so it does not put a cache in front of the probes below
    -- that never hits: 8% of the query at 10k open issues)
    from (select distinct on (i.issue_id) i.*
            from ledger_private.timeline_intervals(open_issues_at.project, open_issues_at.stream) i
           where ledger_private.open_at(i.start_cl, i.resolved_cl, open_issues_at.cl,
                                       (select h.fa from h), (select h.fu from h))
           order by i.issue_id) i
    -- (one probe per open issue, in id order so consecutive probes share pages: a join
    -- may be planned as a hash over every issue ever seen, which grows with the history)
   cross join lateral (select ii.* from ledger_private.issue_instance ii where ii.issue_id = i.issue_id offset 0) ii
   where not coalesce(open_issues_at.cl >= (select h.top from h), false)
     and ledger_private.require_timeline(open_issues_at.project, open_issues_at.stream)
     and ledger_private.require_cl('cl', open_issues_at.cl)
$$;
comment on function ledger.open_issues_at(text, bigint, text) is
  'The issues open at changelist cl of (project, stream): an interval started at or before cl and is not resolved at or before it. CLs without a build show the state of the last build before them.';
