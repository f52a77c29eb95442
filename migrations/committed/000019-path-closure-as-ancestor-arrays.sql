--! Previous: sha1:2e6f6cda4cc5d22c81bd824400b3e2fa8f07181f
--! Hash: sha1:37c00bc616109ee4bee5640538b69ae02f9bc9a2
--! Message: path closure as ancestor arrays

-- The closure of the path hierarchy is kept as an array on each node instead of a
-- table of ancestor/descendant pairs. At studio scale the pair table was the largest
-- thing kept (O(depth) rows of ~80 bytes with two index entries each, per node:
-- 667 KB per 10k-issue CL in bench:core) and most of the cost of a build that brings
-- many new paths (1.9 M rows for a first 100k-issue CL). path_node.ancestors holds
-- the ids of a node's ancestors, root first, so the ancestor at depth d is
-- ancestors[d]: roll-ups need no join at all. ledger.path_closure stays, as a view
-- over the arrays (functions/012_storage_views.sql).
drop view if exists ledger.path_closure;
drop trigger if exists _200_closure on ledger_private.path_node;
drop function if exists ledger_private.tg_path_node__closure();

alter table ledger_private.path_node add column if not exists ancestors bigint[];

do $$
begin
  if to_regclass('ledger_private.path_closure') is not null then
    update ledger_private.path_node n
       set ancestors = coalesce((select array_agg(c.ancestor_id order by c.distance desc)
                                   from ledger_private.path_closure c
                                  where c.descendant_id = n.path_node_id and c.distance > 0), '{}')
     where n.ancestors is null;
  end if;
end
$$;
-- (nodes made without the closure table, if any: from their parents, depth by depth)
do $$
declare
  v_depth int;
begin
  for v_depth in select distinct depth from ledger_private.path_node where ancestors is null order by 1 loop
    update ledger_private.path_node n
       set ancestors = case when n.parent_id is null then '{}'::bigint[] else p.ancestors || p.path_node_id end
      from ledger_private.path_node p
     where n.ancestors is null and n.depth = v_depth and p.path_node_id = coalesce(n.parent_id, n.path_node_id);
  end loop;
end
$$;

alter table ledger_private.path_node alter column ancestors set not null;
alter table ledger_private.path_node drop constraint if exists path_node_ancestors_depth;
alter table ledger_private.path_node add constraint path_node_ancestors_depth
  check (cardinality(ancestors) = depth - 1);

drop table if exists ledger_private.path_closure;
