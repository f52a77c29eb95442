-- The query API: open_issues_at, diff, recurring_issues, rollup, the treemap view,
-- and what the read-only role may do.
begin;
select plan(19);

create function pg_temp.rep(p_cl int, p_issues text[]) returns jsonb language sql as $$
  select jsonb_build_object('project', 'atlas', 'changelist', p_cl,
    'issues', coalesce((select jsonb_agg(jsonb_build_object('path', split_part(i, '|', 1), 'severity', 'warning',
                                                          'message', split_part(i, '|', 2)))
                          from unnest(p_issues) i), '[]'))
$$;
-- X: 10-11, gone 12, back 13..   Y: 10..   Z: 12 only
select ledger.ingest_report(pg_temp.rep(10, array['srv/atlas/audio/a.wav|X', 'srv/atlas/gfx/t.dds|Y']));
select ledger.ingest_report(pg_temp.rep(11, array['srv/atlas/audio/a.wav|X', 'srv/atlas/gfx/t.dds|Y']));
select ledger.ingest_report(pg_temp.rep(12, array['srv/atlas/gfx/t.dds|Y', 'srv/atlas/gfx/u.dds|Z']));
select ledger.ingest_report(pg_temp.rep(13, array['srv/atlas/audio/a.wav|X', 'srv/atlas/gfx/t.dds|Y']));

select results_eq($$select message from ledger.open_issues_at('atlas', 12) order by message$$, array['Y', 'Z'],
  'open_issues_at(12) is exactly what is open at 12');
select results_eq($$select message from ledger.open_issues_at('atlas', 99) order by message$$, array['X', 'Y'],
  'open_issues_at a CL after the last build shows the last build''s state');
select results_eq($$select message || ':' || status from ledger.diff('atlas', 11, 12) order by message$$,
  array['X:resolved', 'Y:unchanged', 'Z:new'], 'diff(11, 12): X resolved, Y unchanged, Z new');
select results_eq($$select message || ':' || status from ledger.diff('atlas', 12, 13) order by message$$,
  array['X:new', 'Y:unchanged', 'Z:resolved'], 'diff(12, 13): X back, Z resolved');
select results_eq($$select message || ':' || interval_count from ledger.recurring_issues('atlas')$$,
  array['X:2'], 'recurring_issues: only X has more than one interval');
select results_eq($$select count(*)::int from ledger.recurring_issues('atlas', 'main', 0)$$,
  array[0], 'recurring_issues: top_n bounds the rows');
select results_eq($$select count(*)::int from ledger.recurring_issues('atlas', 'main', null, 'audio')$$,
  array[1], 'recurring_issues: the team of X (the third path segment) has it');
select results_eq($$select count(*)::int from ledger.recurring_issues('atlas', 'main', null, 'gfx')$$,
  array[0], 'recurring_issues: another team does not');
select results_eq($$select cl || ':' || team || ':' || new_issues from ledger.team_heatmap('atlas') where new_issues > 0 order by cl, team$$,
  array['10:audio:1', '10:gfx:1', '12:gfx:1', '13:audio:1'],
  'team_heatmap: new runs per CL and team (X and Y at 10, Z at 12, X back at 13)');
select throws_ok($$select * from ledger.recurring_issues('atlas', 'main', -1)$$, '22023',
  'top_n: expected 0 or more, got -1', 'recurring_issues: a negative top_n is refused, naming the field');
select results_eq($$select path || ':' || open_count || '/' || new_count || '/' || resolved_count
                      from ledger.rollup('atlas', 12, 3) order by path$$,
  array['srv/atlas/audio:0/0/1', 'srv/atlas/gfx:2/1/0'], 'rollup at depth 3: open/new/resolved per team folder');
select results_eq($$select path || ':' || open_count from ledger.rollup('atlas', 13, 4, 'main', 'srv/atlas/gfx') order by path$$,
  array['srv/atlas/gfx/t.dds:1', 'srv/atlas/gfx/u.dds:0'], 'rollup under a subtree only counts that subtree');
select results_eq($$select level1 || '/' || level2 || '/' || level3 || ':' || issue_count
                      from ledger.v_treemap_cl_levels8_latest where project = 'atlas' order by 1$$,
  array['srv/atlas/audio:1', 'srv/atlas/gfx:1'], 'treemap view: open issues at the latest CL by level');
select is((select count(*)::int from ledger.v_treemap_cl_levels8_latest where level5 is not null), 0,
  'treemap levels past a path''s depth are NULL');
select throws_ok($$select * from ledger.open_issues_at('nope', 1)$$, '22023', 'project: unknown project "nope"',
  'unknown project fails loudly, naming the field');
select throws_ok($$select * from ledger.diff('atlas', 13, 12)$$, '22023', null, 'diff with from_cl after to_cl is rejected');

-- the read-only role
set local role buildledger_reader;
select lives_ok($$select * from ledger.open_issues_at('atlas', 13)$$, 'the reader can query');
select throws_ok($$select ledger.ingest_report('{"project": "atlas", "changelist": 50}')$$, '42501', null,
  'the reader cannot call the ingest functions');
select throws_ok($$insert into ledger.project (project) values ('x')$$, '42501', null, 'the reader cannot insert');
reset role;

select * from finish();
rollback;
