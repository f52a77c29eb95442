-- Path hierarchy: ledger.path_node and its closure table ledger.path_closure.
-- Invariants kept here:
--   * every node's parent exists (inserting a/b/c creates a/b and a first);
--   * path_closure holds (ancestor, descendant, distance) for every ancestor-or-self
--     pair, written once when the node is inserted: O(depth) rows per node.
-- Nodes are never renamed or deleted, so the closure never needs repair.

create or replace function ledger_private.tg_path_node__fill()
returns trigger
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_parent_path text;
  v_slash int;
begin
  /* Fills name, depth and parent_id from the normalised path, creating the parent
     (recursively, through this same trigger) when it does not exist yet. */
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
    select n.path_node_id into new.parent_id from ledger.path_node n where n.path = v_parent_path;
    if new.parent_id is null then
      insert into ledger.path_node (path) values (v_parent_path) on conflict (path) do nothing;
      select n.path_node_id into strict new.parent_id from ledger.path_node n where n.path = v_parent_path;
    end if;
  end if;
  return new;
end
$$;

create or replace function ledger_private.tg_path_node__closure()
returns trigger
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  /* The node itself plus its parent's ancestors one step further: O(depth) rows
     through the (descendant_id, distance) index. Parents are always inserted
     before their children (the fill trigger and ensure_paths guarantee it). */
  insert into ledger.path_closure (ancestor_id, descendant_id, distance)
  select new.path_node_id, new.path_node_id, 0
  union all
  select c.ancestor_id, new.path_node_id, (c.distance + 1)::smallint
    from ledger.path_closure c
   where new.parent_id is not null and c.descendant_id = new.parent_id;
  return null;
end
$$;

drop trigger if exists _100_fill on ledger.path_node;
create trigger _100_fill before insert on ledger.path_node
  for each row execute function ledger_private.tg_path_node__fill();

drop trigger if exists _200_closure on ledger.path_node;
create trigger _200_closure after insert on ledger.path_node
  for each row execute function ledger_private.tg_path_node__closure();

create or replace function ledger_private.ensure_paths(p_paths text[])
returns void
language sql volatile
set search_path to pg_catalog, pg_temp
as $$
  -- Every prefix of every path, parents first and in one global order so that
  -- concurrent sessions never wait on each other in a cycle.
  insert into ledger.path_node (path)
  select prefix
  from (select distinct array_to_string(s[1:d], '/') collate "C" as prefix
        from (select string_to_array(p, '/') as s from unnest(p_paths) p) x
        cross join lateral generate_series(1, array_length(s, 1)) d) y
  where not exists (select 1 from ledger.path_node n where n.path = y.prefix)
  order by prefix
  on conflict (path) do nothing
$$;
comment on function ledger_private.ensure_paths(text[]) is
  'Creates the path nodes (and through the triggers their closure rows) for every prefix of the given normalised paths that does not exist yet.';
