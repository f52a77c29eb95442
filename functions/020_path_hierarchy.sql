-- Path hierarchy: ledger_private.path_node, each node with its closure.
-- Invariants kept here:
--   * every node's parent exists (inserting a/b/c creates a/b and a first);
--   * path_node.ancestors holds the ids of the node's ancestors, root first, written
--     once when the node is inserted (its parent's ancestors plus the parent): the
--     ancestor at depth d is ancestors[d], and ledger.path_closure is a view of it.
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
  /* Fills name, depth, parent_id and ancestors from the normalised path, creating
     the parent (recursively, through this same trigger) when it does not exist yet.
     ledger_private.ensure_paths computes all four set-based and level by level;
     rows that arrive complete from it are taken as they are. */
  if new.depth is not null and new.name is not null and new.ancestors is not null
     and (new.parent_id is not null or new.depth = 1) then
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
    new.ancestors := '{}';
  else
    v_parent_path := left(new.path, v_slash - 1);
    new.name := substr(new.path, v_slash + 1);
    select n.path_node_id, n.ancestors || n.path_node_id into new.parent_id, new.ancestors
      from ledger_private.path_node n where n.path = v_parent_path;
    if new.parent_id is null then
      insert into ledger_private.path_node (path) values (v_parent_path) on conflict (path) do nothing;
      select n.path_node_id, n.ancestors || n.path_node_id into strict new.parent_id, new.ancestors
        from ledger_private.path_node n where n.path = v_parent_path;
    end if;
  end if;
  return new;
end
$$;

drop trigger if exists _200_closure on ledger_private.path_node;
drop function if exists ledger_private.tg_path_node__closure();

drop trigger if exists _100_fill on ledger_private.path_node;
create trigger _100_fill before insert on ledger_private.path_node
  for each row when (new.parent_id is null or new.depth is null or new.name is null or new.ancestors is null)
  execute function ledger_private.tg_path_node__fill();

create or replace function ledger_private.ensure_paths(p_paths text[])
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
set client_min_messages to warning
as $$
declare
  v_depth int;
begin
  /* Every prefix of every path, one insert per depth so parents always exist
     (with their ancestors) before their children; within a depth in one global
     order, so concurrent sessions never wait on each other in a cycle. */
  create temp table if not exists _bl_path_new (depth int, path text collate "C") on commit delete rows;
  delete from _bl_path_new;   -- (a second call in one transaction)
  -- The new paths, found bottom-up: the given paths that do not exist, then the
  -- parents of those that do not exist, and so on (an existing path has all its
  -- ancestors, so the climb stops at the first one that exists). Each new path is
  -- probed once (the UNION drops the parents already found) and every other probe
  -- finds a path that exists: the work follows the number of new paths plus the given
  -- ones, never the size of the hierarchy (the offset 0 keeps each look-up an index
  -- probe rather than a join that the planner could turn into a scan of path_node).
  insert into _bl_path_new (depth, path)
  with recursive up(p) as (
    select distinct g::text collate "C"
      from unnest(p_paths) g
     where g <> ''   -- (nor NULL)
       and not exists (select 1 from ledger_private.path_node e where e.path = g::text collate "C" offset 0)
    union
    select x.pp
      from (select left(u.p, length(u.p) - strpos(reverse(u.p), '/')) collate "C" as pp
              from up u where strpos(u.p, '/') > 0) x
     where not exists (select 1 from ledger_private.path_node e where e.path = x.pp offset 0)
  )
  select octet_length(up.p) - octet_length(replace(up.p, '/', '')) + 1, up.p from up;
  for v_depth in select distinct n.depth from _bl_path_new n order by 1 loop
    insert into ledger_private.path_node (path, parent_id, name, depth, ancestors)
    select x.path, pr.path_node_id,
           case when v_depth = 1 then x.path else substr(x.path, length(x.path) - strpos(reverse(x.path), '/') + 2) end,
           v_depth,
           case when v_depth = 1 then '{}'::bigint[] else pr.ancestors || pr.path_node_id end
      from _bl_path_new x
      left join lateral (select pn.path_node_id, pn.ancestors from ledger_private.path_node pn
                          where v_depth > 1
                            and pn.path = left(x.path, length(x.path) - strpos(reverse(x.path), '/')) collate "C"
                         offset 0) pr on true
     where x.depth = v_depth
     order by x.path
    on conflict (path) do nothing;
  end loop;
end
$$;
comment on function ledger_private.ensure_paths(text[]) is
  'Creates the path nodes (each with its ancestors) for every prefix of the given normalised paths that does not exist yet.';

create or replace function ledger_private.treemap_node(p_path_node_id bigint)
returns table (path_node_id bigint, path text)
language sql stable
as $$
  /* The treemap node of a path node: itself at depth 8 or less, else its ancestor at
     depth 8 (the treemap shows 8 levels). One SELECT, not strict: inlined. */
  select coalesce(a.path_node_id, n.path_node_id), coalesce(a.path, n.path)
    from ledger_private.path_node n
    left join ledger_private.path_node a on n.depth > 8 and a.path_node_id = n.ancestors[8]
   where n.path_node_id = p_path_node_id
$$;
comment on function ledger_private.treemap_node(bigint) is
  'The treemap node of a path node (itself, or its ancestor at depth 8 when deeper) with its path: the key of ledger_private.open_node_count.';
