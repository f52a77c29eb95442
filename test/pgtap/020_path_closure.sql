-- Path hierarchy: missing ancestors are created, and the closure table holds exactly
-- every ancestor-or-self pair with its distance.
begin;
select plan(10);

insert into ledger.path_node (path) values ('srv/atlas/audio/ui/click.wav');
select is((select count(*)::int from ledger.path_node where path like 'srv%'), 5,
          'inserting a depth-5 path creates its 4 missing ancestors');
select is((select count(*)::int from ledger.path_closure c join ledger.path_node d on d.path_node_id = c.descendant_id
            where d.path = 'srv/atlas/audio/ui/click.wav'), 5,
          'a depth-5 node has 5 closure rows (itself and 4 ancestors)');
select is((select array_agg(a.path order by c.distance) from ledger.path_closure c
             join ledger.path_node a on a.path_node_id = c.ancestor_id
             join ledger.path_node d on d.path_node_id = c.descendant_id
            where d.path = 'srv/atlas/audio/ui/click.wav'),
          array['srv/atlas/audio/ui/click.wav', 'srv/atlas/audio/ui', 'srv/atlas/audio', 'srv/atlas', 'srv'],
          'closure distances order the ancestors from self to root');

select ledger_private.ensure_paths(array['srv/atlas/audio/ui/hover.wav', 'srv/atlas/gfx/t.dds', 'srv/atlas/gfx/t.dds']);
select is((select count(*)::int from ledger.path_node where path like 'srv%'), 8,
          'ensure_paths adds only the missing nodes, once');

-- given paths of mixed depths, one the prefix of another (the climb from the deeper
-- one meets the shallower one, which is new too), a NULL, and a second call in the
-- same transaction (its work table starts empty)
select ledger_private.ensure_paths(array['deep/a/b/c/d/e', null, 'deep/a/b', 'deep/x']);
select ledger_private.ensure_paths(array['deep/a/b/c/d/e/f', 'deep/a/b/c/z']);
select is((select array_agg(path order by path) from ledger.path_node where path like 'deep%'),
          array['deep', 'deep/a', 'deep/a/b', 'deep/a/b/c', 'deep/a/b/c/d', 'deep/a/b/c/d/e',
                'deep/a/b/c/d/e/f', 'deep/a/b/c/z', 'deep/x'],
          'ensure_paths creates every missing prefix once, whatever the depths given');
select is((select count(*)::int from ledger_private.path_node n
            left join ledger_private.path_node p on p.path_node_id = n.parent_id
           where n.path like 'deep%'
             and (n.name <> split_part(n.path, '/', n.depth)
                  or (n.depth > 1 and (p.path is distinct from left(n.path, length(n.path) - length(n.name) - 1)
                                       or n.ancestors is distinct from p.ancestors || p.path_node_id))
                  or (n.depth = 1 and (n.parent_id is not null or n.ancestors <> '{}')))), 0,
          'each new node has its name, its parent and its ancestors (the parent''s plus the parent)');
select is((select count(*)::int from ledger.path_node where path like 'deep%' and depth = 7), 1,
          'a node seven deep has depth 7');

-- invariant over the whole table: closure = transitive closure of parent links
select is(
  (with recursive anc(a, d, dist) as (
      select path_node_id, path_node_id, 0 from ledger.path_node
      union all
      select n.parent_id, anc.d, anc.dist + 1 from anc join ledger.path_node n on n.path_node_id = anc.a
       where n.parent_id is not null)
   select count(*)::int from (select * from anc except select ancestor_id, descendant_id, distance from ledger.path_closure) x)
  + (with recursive anc(a, d, dist) as (
      select path_node_id, path_node_id, 0 from ledger.path_node
      union all
      select n.parent_id, anc.d, anc.dist + 1 from anc join ledger.path_node n on n.path_node_id = anc.a
       where n.parent_id is not null)
   select count(*)::int from (select ancestor_id, descendant_id, distance from ledger.path_closure except select * from anc) x),
  0, 'path_closure equals the transitive closure of the parent links');
select is((select depth from ledger.path_node where path = 'srv/atlas/gfx'), 3::smallint, 'depth counts segments');
select throws_ok($$insert into ledger.path_node (path) values ('a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3/4/5/6/7')$$,
                 '22023', null, 'a path with more than 32 segments is rejected with class 22');

select * from finish();
rollback;
