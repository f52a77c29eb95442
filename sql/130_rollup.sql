-- ledger.rollup: open/new/resolved counts per hierarchy node at one CL, through each
-- node's stored ancestors (no recursion, no join at read time: the ancestor at depth d
-- of a node is ancestors[d]).

-- (one probe each, offset 0: joined, the planner may hash every issue or node there is)
create or replace function ledger_private.ancestor_at(p_path_node_id bigint, p_depth integer)
returns table (ancestor_id bigint)
language sql stable
as $$
  select case when n.depth = p_depth then n.path_node_id else n.ancestors[p_depth] end
    from ledger_private.path_node n
   where n.path_node_id = p_path_node_id and n.depth >= p_depth
  offset 0
$$;
comment on function ledger_private.ancestor_at(bigint, integer) is
  'The ancestor-or-self at depth p_depth of a path node (no row when the node is shallower): one index probe, inlined into the caller.';

create or replace function ledger_private.issue_node_under(p_issue_id bigint, p_under text)
returns table (path_node_id bigint)
language sql stable
as $$
  select ii.path_node_id
    from ledger_private.issue_instance ii
   where ii.issue_id = p_issue_id
     and (p_under is null or ii.path = p_under or left(ii.path, length(p_under) + 1) = p_under || '/')
  offset 0
$$;
comment on function ledger_private.issue_node_under(bigint, text) is
  'The path node of an issue when its path is p_under or below it (any issue when p_under is NULL): one index probe, inlined into the caller.';

drop function if exists ledger.rollup(text, bigint, integer, text, text);
create function ledger.rollup(project text, cl bigint, depth integer, stream text default 'main',
                              under text default null)
returns table (path_node_id bigint, path text, depth smallint, open_count bigint,
               new_count bigint, resolved_count bigint)
language sql stable   -- (no SET clause: inlined into the caller, so its filters reach the scans)
as $$
  -- Each counted run is mapped to its node's ancestor at the depth. Two ways, the same
  -- answer:
  --  * at the head (cl at or after the timeline's latest applied CL, depth and under
  --    within the 8 levels of ledger_private.open_node_count): the open runs are the
  --    counts kept per treemap node (one row per node, not per issue), and only the
  --    runs that start or end at cl are read one by one;
  --  * elsewhere: every run that holds cl or ends at it, each with one issue look-up
  --    (the subtree filter inside it) and one node look-up.
  with tl as materialized (
    select t.timeline_id, u.under,
           rollup.depth <= 8
             and coalesce(length(u.under) - length(replace(u.under, '/', '')) + 1, 0) <= 8
             and rollup.cl >= coalesce(ledger_private.head_cl(rollup.project, rollup.stream), rollup.cl) as at_head,
           -- (cl's fork lists, once: see ledger_private.open_at)
           ledger_private.run_forks_after(rollup.cl) as fa, ledger_private.run_forks_upto(rollup.cl) as fu
      from ledger_private.timeline t
     cross join lateral (select ledger.normalise_path(rollup.under) as under) u
     where t.timeline_id = ledger_private.timeline_id(rollup.project, rollup.stream)
       and ledger_private.require_timeline(rollup.project, rollup.stream)
       and ledger_private.require_cl('cl', rollup.cl)
       and ledger_private.require_depth(rollup.depth)
  ), counted as (
    -- the head: open runs per treemap node ...
    select n.ancestor_id, o.open_count::bigint as open_count, 0::bigint as new_count, 0::bigint as resolved_count
      from tl
      join ledger_private.open_node_count o
        on o.timeline_id = tl.timeline_id and o.open_count > 0
       and (tl.under is null or o.path = tl.under or left(o.path, length(tl.under) + 1) = tl.under || '/')
     cross join lateral ledger_private.ancestor_at(o.path_node_id, rollup.depth) n
     where tl.at_head
    union all
    -- ... and the runs that start or end at cl
    select n.ancestor_id, 0, (iv.start_cl = rollup.cl)::int, coalesce(iv.resolved_cl = rollup.cl, false)::int
      from tl
      join ledger_private.presence_interval iv
        on iv.timeline_id = (select tl2.timeline_id from tl tl2)
       and (iv.start_cl = rollup.cl or iv.resolved_cl = rollup.cl)
     cross join lateral ledger_private.issue_node_under(iv.issue_id, tl.under) ii
     cross join lateral ledger_private.ancestor_at(ii.path_node_id, rollup.depth) n
     where tl.at_head
    union all
    -- elsewhere: every run that holds cl or ends at it
    select n.ancestor_id, (iv.resolved_cl is null or iv.resolved_cl > rollup.cl)::int,
           (iv.start_cl = rollup.cl)::int, coalesce(iv.resolved_cl = rollup.cl, false)::int
      from tl
      -- (the timeline id as a parameter of the index scans, never joined by hash)
      join ledger_private.presence_interval iv
        on iv.timeline_id = (select tl2.timeline_id from tl tl2)
       and (ledger_private.open_at(iv.start_cl, iv.resolved_cl, rollup.cl,
                                   (select tl2.fa from tl tl2), (select tl2.fu from tl tl2)) or iv.resolved_cl = rollup.cl)
     cross join lateral ledger_private.issue_node_under(iv.issue_id, tl.under) ii
     cross join lateral ledger_private.ancestor_at(ii.path_node_id, rollup.depth) n
     where not tl.at_head
  )
  select a.path_node_id, a.path collate "default", a.depth, c.open_count, c.new_count, c.resolved_count
    from (select c.ancestor_id, sum(c.open_count)::bigint as open_count, sum(c.new_count)::bigint as new_count,
                 sum(c.resolved_count)::bigint as resolved_count
            from counted c group by 1) c
   cross join lateral (select a.path_node_id, a.path, a.depth from ledger_private.path_node a
                        where a.path_node_id = c.ancestor_id offset 0) a
$$;
comment on function ledger.rollup(text, bigint, integer, text, text) is
  'Roll-up at changelist cl: for every hierarchy node at the given depth (1 = server), the issues below it that are open, new (an interval starts at cl) and resolved (an interval ends at cl). Optional under restricts to one subtree, e.g. a team folder.';
