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
set enable_mergejoin to off   -- (the top-down walk: a hash of the new paths, built once, not a sort per level)
as $$
declare
  v_depth int;
  v_seq constant regclass := pg_get_serial_sequence('ledger_private.path_node', 'path_node_id')::regclass;
  v_new bigint;
  v_inserted bigint;
begin
  /* Every prefix of every path, in one insert sorted by path (a parent sorts before its
     children), so concurrent sessions never wait on each other in a cycle. Each new
     node takes its id from the sequence before the insert, so its children's parent
     and ancestors are known without reading back what was inserted. (Its caller,
     processing, has sized the session's work memory.) */
  -- (not _bl_path_new, the table of the previous release's function: a session that
  -- created that one keeps its columns)
  create temp table if not exists _bl_path_todo (
    path text collate "C", parent text collate "C", depth int, id bigint) on commit delete rows;
  delete from _bl_path_todo;   -- (a second call in one transaction)
  -- The new paths, found bottom-up: the given paths that do not exist, then the
  -- parents of those that do not exist, and so on (an existing path has all its
  -- ancestors, so the climb stops at the first one that exists). Each new path is
  -- probed once (the UNION drops the parents already found) and every other probe
  -- finds a path that exists: the work follows the number of new paths plus the given
  -- ones, never the size of the hierarchy (the offset 0 keeps each look-up an index
  -- probe rather than a join that the planner could turn into a scan of path_node).
  insert into _bl_path_todo (path, parent, depth, id)
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
  select up.p,
         case when strpos(up.p, '/') > 0 then left(up.p, length(up.p) - strpos(reverse(up.p), '/')) end,
         octet_length(up.p) - octet_length(replace(up.p, '/', '')) + 1,
         nextval(v_seq)
    from up;
  get diagnostics v_new = row_count;
  if v_new = 0 then
    return;
  end if;
  -- Top-down from the new paths whose parent exists (or that have none): a node's
  -- ancestors are its parent's plus the parent. The one insert, in path order.
  with recursive t(path, depth, id, parent_id, ancestors) as (
    select x.path, x.depth, x.id, pr.path_node_id,
           case when x.parent is null then '{}'::bigint[] else pr.ancestors || pr.path_node_id end
      from _bl_path_todo x
      left join lateral (select pn.path_node_id, pn.ancestors from ledger_private.path_node pn
                          where pn.path = x.parent offset 0) pr on true
     where x.parent is null
        or not exists (select 1 from _bl_path_todo y where y.path = x.parent)
    union all
    select c.path, c.depth, c.id, t.id, t.ancestors || t.id
      from t join _bl_path_todo c on c.parent = t.path
  ), ins as (
    insert into ledger_private.path_node (path_node_id, path, parent_id, name, depth, ancestors)
    overriding system value
    select t.id, t.path, t.parent_id,
           case when t.depth = 1 then t.path else substr(t.path, length(t.path) - strpos(reverse(t.path), '/') + 2) end,
           t.depth, t.ancestors
      from t
     order by t.path
    on conflict (path) do nothing
    returning 1
  )
  select count(*) into v_inserted from ins;
  if v_inserted < v_new then
    -- Another session created some of these paths meanwhile (this insert waited for it
    -- and skipped them): the nodes inserted here below such a path name the id this
    -- session had taken for it. Each is re-linked to its parent as stored, depth by
    -- depth from the top (each statement sees the rows fixed at the depth above).
    for v_depth in select distinct x.depth from _bl_path_todo x order by 1 loop
      update ledger_private.path_node n
         set parent_id = p.path_node_id, ancestors = p.ancestors || p.path_node_id
        from _bl_path_todo x
        join ledger_private.path_node p on p.path = x.parent
       where x.depth = v_depth
         and n.path = x.path and n.path_node_id = x.id
         and (n.parent_id is distinct from p.path_node_id or n.ancestors is distinct from p.ancestors || p.path_node_id);
    end loop;
  end if;
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
