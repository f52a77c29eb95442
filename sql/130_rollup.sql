-- ledger.rollup: open/new/resolved counts per hierarchy node at one CL, through each
-- node's stored ancestors (no recursion, no join at read time: the ancestor at depth d
-- of a node is ancestors[d]).

drop function if exists ledger.rollup(text, bigint, integer, text, text);
create function ledger.rollup(project text, cl bigint, depth integer, stream text default 'main',
                              under text default null)
returns table (path_node_id bigint, path text, depth smallint, open_count bigint,
               new_count bigint, resolved_count bigint)
language sql stable   -- (no SET clause: inlined into the caller, so its filters reach the scans)
as $$
  -- The intervals that count at cl (open at it, or resolved at it), each mapped to its
  -- node's ancestor at the depth. With under, an issue outside the subtree is dropped by
  -- its path before any hierarchy lookup, so a team folder costs one issue lookup per
  -- counted interval plus the hierarchy of its own issues.
  with tl as materialized (
    select ledger.normalise_path(rollup.under) as under
     where ledger_private.require_timeline(rollup.project, rollup.stream)
       and ledger_private.require_cl('cl', rollup.cl)
       and ledger_private.require_depth(rollup.depth)
  )
  select a.path_node_id, a.path collate "default", a.depth, c.open_count, c.new_count, c.resolved_count
    from (select case when n.depth = rollup.depth then n.path_node_id
                      else n.ancestors[rollup.depth] end as ancestor_id,
                 count(*) filter (where iv.resolved_cl is null or iv.resolved_cl > rollup.cl) as open_count,
                 count(*) filter (where iv.start_cl = rollup.cl) as new_count,
                 count(*) filter (where iv.resolved_cl = rollup.cl) as resolved_count
            from tl
            -- (the timeline id as a parameter of the index scans, never joined by hash)
            join ledger_private.presence_interval iv
              on iv.timeline_id = (select ledger_private.timeline_id(rollup.project, rollup.stream))
            -- (one probe per interval, the subtree filter inside it: a join may be planned
            -- as a hash over every issue ever seen)
           cross join lateral (select ii.path_node_id from ledger_private.issue_instance ii
                                where ii.issue_id = iv.issue_id
                                  and (tl.under is null or ii.path = tl.under
                                       or left(ii.path, length(tl.under) + 1) = tl.under || '/')
                               offset 0) ii
           cross join lateral (select n.depth, n.path_node_id, n.ancestors from ledger_private.path_node n
                                where n.path_node_id = ii.path_node_id offset 0) n
           where (ledger_private.open_at(iv.start_cl, iv.resolved_cl, rollup.cl) or iv.resolved_cl = rollup.cl)
             and n.depth >= rollup.depth
           group by 1) c
   cross join lateral (select a.path_node_id, a.path, a.depth from ledger_private.path_node a
                        where a.path_node_id = c.ancestor_id offset 0) a
$$;
comment on function ledger.rollup(text, bigint, integer, text, text) is
  'Roll-up at changelist cl: for every hierarchy node at the given depth (1 = server), the issues below it that are open, new (an interval starts at cl) and resolved (an interval ends at cl). Optional under restricts to one subtree, e.g. a team folder.';
