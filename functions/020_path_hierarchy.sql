-- Path hierarchy: ledger_private.path_node and its closure table ledger_private.path_closure.
-- Invariants kept here:
--   * every node's parent exists (inserting a/b/c creates a/b and a first);
--   * path_closure holds (ancestor, descendant, distance) for every ancestor-or-self
--     pair, written once when the node is inserted: O(depth) rows per node.
-- Nodes are never renamed or deleted, so the closure never needs repair.

create or replace function ledger_private.tg_path_node__fill()
returns trigger
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_parent_path text;
  v_slash int;
begin
  /* Fills name, depth and parent_id from the normalised path, creating the parent
     (recursively, through this same trigger) when it does not exist yet.
     ledger_private.ensure_paths computes all three set-based and level by level;
     rows that arrive complete from it are taken as they are. */
  if new.parent_id is not null and new.depth is not null and new.name is not null then
    return new;
  end if;
  if new.path is distinct from ledger.normalise_path(new.path) or new.path is null then
    raise exception 'path: "%" is not a normalised, non-empty path', new.path using errcode = '22023';
  end if;
  new.depth := array_length(string_to_array(new.path, '/'), 1);
  if new.depth > 32 then
    raise exception 'path: "%" has % segments, at most 32 are allowed', new.path, new.depth using errcode = '22023';
  end if;
  v_slash := length(new.path) - strpos(reverse(new.path), '/') + 1;
  if new.depth = 1 then
    new.name := new.path;
    new.parent_id := null;
  else
    v_parent_path := left(new.path, v_slash - 1);
    new.name := substr(new.path, v_slash + 1);
    select n.path_node_id into new.parent_id from ledger_private.path_node n where n.path = v_parent_path;
    if new.parent_id is null then
      insert into ledger_private.path_node (path) values (v_parent_path) on conflict (path) do nothing;
      select n.path_node_id into strict new.parent_id from ledger_private.path_node n where n.path = v_parent_path;
    end if;
  end if;
  return new;
end
$$;

create or replace function ledger_private.tg_path_node__closure()
returns trigger
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_depth int;
begin
  /* Statement-level: for the new nodes, depth by depth, the node itself plus its
     parent's closure rows one step further: O(depth) rows per node through the
     (descendant_id, distance) index. */
  for v_depth in select distinct n.depth from new_nodes n order by 1 loop
    insert into ledger_private.path_closure (ancestor_id, descendant_id, distance)
    select n.path_node_id, n.path_node_id, 0 from new_nodes n where n.depth = v_depth
    union all
    select c.ancestor_id, n.path_node_id, (c.distance + 1)::smallint
      from new_nodes n
      join ledger_private.path_closure c on c.descendant_id = n.parent_id
     where n.depth = v_depth;
  end loop;
  return null;
end
$$;

drop trigger if exists _100_fill on ledger_private.path_node;
create trigger _100_fill before insert on ledger_private.path_node
  for each row when (new.parent_id is null or new.depth is null or new.name is null)
  execute function ledger_private.tg_path_node__fill();

drop trigger if exists _200_closure on ledger_private.path_node;
create trigger _200_closure after insert on ledger_private.path_node
  referencing new table as new_nodes
  for each statement execute function ledger_private.tg_path_node__closure();

create or replace function ledger_private.ensure_paths(p_paths text[])
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_new text[];
  v_depth int;
begin
  /* Every prefix of every path, one insert per depth so parents always exist
     (with their closure rows) before their children; within a depth in one global
     order, so concurrent sessions never wait on each other in a cycle. Existing
     paths are found by one index probe each (the offset 0 keeps the planner from
     turning them into a scan of path_node), so the cost follows the number of given
     paths, not the size of the hierarchy. */
  -- the prefixes of the paths that do not exist yet (an existing path has all its
  -- ancestors, so only new paths are expanded) ...
  select array_agg(distinct y.prefix) into v_new
    from (select array_to_string(x.s[1:d], '/') collate "C" as prefix
            from (select string_to_array(newp.p, '/') as s
                    from (select distinct p::text collate "C" as p from unnest(p_paths) p
                           where not exists (select 1 from ledger_private.path_node e
                                              where e.path = p::text collate "C" offset 0)) newp) x
           cross join lateral generate_series(1, array_length(x.s, 1)) d) y;
  if v_new is null then
    return;
  end if;
  -- ... minus the prefixes that exist
  select array_agg(z.p order by z.p) into v_new
    from (select p::text collate "C" as p from unnest(v_new) p
           where not exists (select 1 from ledger_private.path_node e
                              where e.path = p::text collate "C" offset 0)) z;
  for v_depth in select distinct octet_length(p) - octet_length(replace(p, '/', '')) + 1
                   from unnest(v_new) p order by 1 loop
    insert into ledger_private.path_node (path, parent_id, name, depth)
    select x.p,
           case when v_depth > 1 then
             (select pn.path_node_id from ledger_private.path_node pn
               where pn.path = left(x.p, length(x.p) - strpos(reverse(x.p), '/')) collate "C") end,
           case when v_depth = 1 then x.p else substr(x.p, length(x.p) - strpos(reverse(x.p), '/') + 2) end,
           v_depth
      from unnest(v_new) x(p)
     where octet_length(x.p) - octet_length(replace(x.p, '/', '')) + 1 = v_depth
     order by x.p collate "C"
    on conflict (path) do nothing;
  end loop;
end
$$;
comment on function ledger_private.ensure_paths(text[]) is
  'Creates the path nodes (and through the triggers their closure rows) for every prefix of the given normalised paths that does not exist yet.';

create or replace function ledger_private.treemap_node(p_path_node_id bigint)
returns table (path_node_id bigint, path text)
language sql stable
as $$
  /* The treemap node of a path node: itself at depth 8 or less, else its ancestor at
     depth 8 (the treemap shows 8 levels). One SELECT, not strict: inlined. */
  select coalesce(a.path_node_id, n.path_node_id), coalesce(a.path, n.path)
    from ledger_private.path_node n
    left join ledger_private.path_closure c
      on n.depth > 8 and c.descendant_id = n.path_node_id and c.distance = n.depth - 8
    left join ledger_private.path_node a on a.path_node_id = c.ancestor_id
   where n.path_node_id = p_path_node_id
$$;
comment on function ledger_private.treemap_node(bigint) is
  'The treemap node of a path node (itself, or its ancestor at depth 8 when deeper) with its path: the key of ledger_private.open_node_count.';
