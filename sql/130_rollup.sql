-- ledger.rollup: open/new/resolved counts per hierarchy node at one CL, through each
-- node's stored ancestors (no recursion, no join at read time: the ancestor at depth d
-- of a node is ancestors[d]).

drop function if exists ledger.rollup(text, bigint, integer, text, text);
create function ledger.rollup(project text, cl bigint, depth integer, stream text default 'main',
                              under text default null)
returns table (path_node_id bigint, path text, depth smallint, open_count bigint,
               new_count bigint, resolved_count bigint)
language sql stable
set search_path to pg_catalog, pg_temp
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
            join ledger_private.issue_instance ii on ii.issue_id = iv.issue_id
            join ledger_private.path_node n on n.path_node_id = ii.path_node_id
           where (int8range(iv.start_cl, iv.resolved_cl, '[)') @> rollup.cl or iv.resolved_cl = rollup.cl)
             and n.depth >= rollup.depth
             and (rollup.under is null
                  or ii.path = tl.under or left(ii.path, length(tl.under) + 1) = tl.under || '/')
           group by 1) c
    join ledger_private.path_node a on a.path_node_id = c.ancestor_id
$$;
comment on function ledger.rollup(text, bigint, integer, text, text) is
  'Roll-up at changelist cl: for every hierarchy node at the given depth (1 = server), the issues below it that are open, new (an interval starts at cl) and resolved (an interval ends at cl). Optional under restricts to one subtree, e.g. a team folder.';
