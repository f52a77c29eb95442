-- ledger.flaky_issues: issues whose presence flips among the builds that cover them.
-- Used by the quality gate (ledger.gate), GraphQL and Grafana.
--
-- For an issue X at path P and a window of the last `window_cls` CLs of the timeline
-- with an applied snapshot (up to `at_cl`), the covering builds are the window's CLs
-- whose applied snapshots cover P (SPEC's S(P) restricted to the window). X is present
-- at such a CL when one of its intervals runs through it. A flip is a change of
-- presence between two consecutive covering builds; the score is flips divided by
-- the number of consecutive pairs (1.0: present, absent, present, ...). A long-lived
-- issue scores 0; one that was fixed once scores 1/(n-1); a flaky one scores high.

drop function if exists ledger_private.flaky_scores(text, text, bigint, integer, integer, bigint[]);
create function ledger_private.flaky_scores(project text, stream text, at_cl bigint, window_cls integer, min_flips integer,
                                            only_issues bigint[])
returns table (issue_id bigint, score numeric, flips integer, covering_builds integer, present_builds integer,
               window_from_cl bigint, window_to_cl bigint, severity text, category text, message text, path text)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  with args as materialized (
    select ledger_private.require_timeline(flaky_scores.project, flaky_scores.stream) as ok,
           case when flaky_scores.window_cls between 2 and 1000 then flaky_scores.window_cls
                else ledger_private.raise_22023('window_cls', format('expected 2 to 1000, got %s', coalesce(flaky_scores.window_cls::text, 'NULL')))::int end as w,
           case when flaky_scores.min_flips >= 1 then flaky_scores.min_flips
                else ledger_private.raise_22023('min_flips', format('expected at least 1, got %s', coalesce(flaky_scores.min_flips::text, 'NULL')))::int end as mf
  ),
  win as materialized (        -- the window: the last w CLs with an applied snapshot
    select c.cl from (
      select distinct s.cl from ledger.snapshot s, args
       where args.ok and s.project = flaky_scores.project and s.stream = flaky_scores.stream
         and s.applied_seq is not null and (flaky_scores.at_cl is null or s.cl <= flaky_scores.at_cl)
       order by s.cl desc limit (select w from args)) c
  ),
  bounds as materialized (select min(cl) as lo, max(cl) as hi from win),
  snaps as materialized (      -- per window CL: covered in full, or the prefixes its applied snapshots cover
    select s.cl, bool_or(s.applied_covered_paths is null) as full_cover,
           array_agg(p.prefix) filter (where p.prefix is not null) as prefixes
      from ledger.snapshot s cross join bounds b
      left join lateral unnest(s.applied_covered_paths) as p(prefix) on true
     where s.project = flaky_scores.project and s.stream = flaky_scores.stream
       and s.applied_seq is not null and s.cl between b.lo and b.hi
     group by s.cl
  ),
  cand_some as materialized (  -- some issues only (the gate): those of them whose presence changed inside the window
    select distinct i.issue_id from unnest(flaky_scores.only_issues) as u(id)
      join ledger.issue_presence_interval i
        on i.project = flaky_scores.project and i.stream = flaky_scores.stream and i.issue_id = u.id
     cross join bounds b
     where flaky_scores.only_issues is not null
       and ((i.start_cl > b.lo and i.start_cl <= b.hi) or (i.resolved_cl > b.lo and i.resolved_cl <= b.hi))
  ),
  runs as materialized (       -- the intervals that touch the window, of the issues whose presence changed in it
    -- All issues: the runs that start or are resolved inside the window, read by the
    -- start and resolved indexes. They are all such an issue has there: a run that
    -- touches the window with neither end inside it spans the window, and then its
    -- issue has no other run there. (Probing each changed issue's intervals instead
    -- cost 7 us an issue: 110 ms for the 16k issues that change in 20 CLs at 5% churn.)
    -- (two range scans, one per index; a run with both ends inside comes from the first)
    -- (through timeline_intervals: the last CL of the open runs once, not once per run)
    -- (the bounds as parameters, so that they reach the index scans)
    select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl
      from ledger_private.timeline_intervals(flaky_scores.project, flaky_scores.stream) i
     where flaky_scores.only_issues is null
       and i.start_cl > (select b.lo from bounds b) and i.start_cl <= (select b.hi from bounds b)
    union all
    select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl
      from ledger_private.timeline_intervals(flaky_scores.project, flaky_scores.stream) i
     where flaky_scores.only_issues is null
       and i.resolved_cl > (select b.lo from bounds b) and i.resolved_cl <= (select b.hi from bounds b)
       and i.start_cl <= (select b.lo from bounds b) and i.last_seen_cl >= (select b.lo from bounds b)
    union all
    -- some issues: each one's own intervals by key
    select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl
      from cand_some c cross join bounds b
     cross join lateral (select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl
                           from ledger_private.timeline_intervals(flaky_scores.project, flaky_scores.stream) i
                          where i.issue_id = c.issue_id and i.start_cl <= b.hi offset 0) i
     where i.last_seen_cl >= b.lo
  ),
  cand as materialized (       -- the issues whose presence changed inside the window (with a run there)
    select distinct r.issue_id from runs r
  ),
  fast as materialized (       -- every window CL covered in full (the usual case)
    select coalesce(bool_and(w.full_cover), false) and count(*) = (select count(*) from win) as yes,
           (select array_agg(x.cl order by x.cl) from win x) as cls
      from snaps w
  ),
  -- Then every window CL covers every path, so the consecutive covering builds are the
  -- window's CLs, and the runs alone give the answer: a flip is a run that starts or
  -- is resolved inside the window after its first CL (runs are maximal over those
  -- CLs), and the builds present are the window's CLs inside the runs (counted by
  -- binary search, width_bucket). No row per issue and CL.
  scored_fast as (
    select r.issue_id,
           (count(*) filter (where r.start_cl > b.lo and r.start_cl <= b.hi)
            + count(*) filter (where r.resolved_cl > b.lo and r.resolved_cl <= b.hi))::int as flips,
           cardinality(f.cls) as n,
           sum(width_bucket(least(r.last_seen_cl, b.hi), f.cls)
               - width_bucket(greatest(r.start_cl, b.lo) - 1, f.cls))::int as present_n
      from runs r cross join bounds b cross join fast f
     where f.yes
     group by r.issue_id, f.cls
  ),
  -- Otherwise (partial builds in the window) presence is laid out per covering build:
  covering as materialized (   -- per candidate: the window CLs whose builds cover its path
    select c.issue_id, w.cl
      from cand c
     cross join lateral (select ii.path from ledger_private.issue_instance ii where ii.issue_id = c.issue_id offset 0) ii
     cross join snaps w
     where case when w.full_cover then true else ledger.path_covered(ii.path, coalesce(w.prefixes, '{}')) end
  ),
  present as materialized (    -- the window CLs at which a candidate's interval runs
    select r.issue_id, w.cl from runs r join snaps w on w.cl between r.start_cl and r.last_seen_cl
  ),
  points as (                  -- covering builds, present or not (a grouping, not a join: no plan can go quadratic)
    select u.issue_id, u.cl, bool_or(u.k = 'p') as present
      from (select issue_id, cl, 'c' as k from covering union all select issue_id, cl, 'p' from present) u
     group by u.issue_id, u.cl
    having bool_or(u.k = 'c')
  ),
  flips as (
    select p.issue_id, p.present, lag(p.present) over (partition by p.issue_id order by p.cl) as before
      from points p
  ),
  scored as (
    select f.issue_id, count(*) filter (where f.present <> f.before)::int as flips, count(*)::int as n,
           count(*) filter (where f.present)::int as present_n
      from flips f group by f.issue_id
  )
  select s.issue_id, round(s.flips::numeric / greatest(s.n - 1, 1), 3), s.flips, s.n, s.present_n,
         b.lo, b.hi, ii.severity, ii.category, ii.message, ii.path collate "default"
    from (select * from scored_fast
          union all
          -- (not evaluated at all when the fast way applies: a one-time filter)
          select * from scored where not (select f.yes from fast f)) s
   cross join bounds b
   cross join lateral (select ii.* from ledger_private.issue_instance ii where ii.issue_id = s.issue_id offset 0) ii
   where s.flips >= (select mf from args)
   order by 2 desc, s.flips desc, s.issue_id
$$;
comment on function ledger_private.flaky_scores(text, text, bigint, integer, integer, bigint[]) is
  'ledger.flaky_issues, optionally for some issues only (only_issues; NULL = all): what the gate asks about the issues new at a CL.';

drop function if exists ledger.flaky_issues(text, text, bigint, integer, integer);
create function ledger.flaky_issues(project text, stream text default 'main', at_cl bigint default null,
                                    window_cls integer default 20, min_flips integer default 3)
returns table (issue_id bigint, score numeric, flips integer, covering_builds integer, present_builds integer,
               window_from_cl bigint, window_to_cl bigint, severity text, category text, message text, path text)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select flaky_issues.at_cl is null or ledger_private.require_cl('at_cl', flaky_issues.at_cl);
  select * from ledger_private.flaky_scores(flaky_issues.project, flaky_issues.stream, flaky_issues.at_cl,
                                            flaky_issues.window_cls, flaky_issues.min_flips, null)
$$;
comment on function ledger.flaky_issues(text, text, bigint, integer, integer) is
  'Issues of a timeline whose presence flips among the builds covering their path, within the last window_cls CLs with a build up to at_cl (default: the latest): flips, covering builds, builds present, and score = flips / (covering builds - 1), highest first; only issues with at least min_flips flips.';
