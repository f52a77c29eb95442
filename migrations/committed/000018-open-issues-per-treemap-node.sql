--! Previous: sha1:58a2029108ea6677be32e4ec7dac7de584553a5f
--! Hash: sha1:2e6f6cda4cc5d22c81bd824400b3e2fa8f07181f
--! Message: open issues per treemap node

-- Open issues per treemap node, maintained by processing: the treemap of a timeline's
-- latest CL reads one row per node instead of every open interval with its issue.
-- The treemap node of an issue is its path node, or its ancestor at depth 8 when the
-- path is deeper (the treemap shows 8 levels). path copies path_node.path (never
-- renamed) so that reading the treemap needs no join.
create table if not exists ledger_private.open_node_count (
  timeline_id  int    not null,
  path_node_id bigint not null,
  path         text   collate "C" not null,
  open_count   int    not null check (open_count >= 0),
  primary key (timeline_id, path_node_id)
);
comment on table ledger_private.open_node_count is
  'Per timeline and treemap node (an issue''s path node, or its depth-8 ancestor): how many issues are open (resolved_cl NULL). Maintained by ledger_private.apply_snapshot from the interval changes; recomputed by ledger_private.rebuild_timeline.';

insert into ledger_private.open_node_count (timeline_id, path_node_id, path, open_count)
select i.timeline_id, coalesce(a.path_node_id, n.path_node_id), coalesce(a.path, n.path), count(*)
  from ledger_private.presence_interval i
  join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
  join ledger_private.path_node n on n.path_node_id = ii.path_node_id
  left join ledger_private.path_closure c on n.depth > 8 and c.descendant_id = n.path_node_id and c.distance = n.depth - 8
  left join ledger_private.path_node a on a.path_node_id = c.ancestor_id
 where i.resolved_cl is null
 group by 1, 2, 3
on conflict (timeline_id, path_node_id) do update set open_count = excluded.open_count;
