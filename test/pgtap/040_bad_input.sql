-- Bad input: SQLSTATE class 22, a message that names the field, nothing stored.
begin;
select plan(39);

create function pg_temp.err(p_report text) returns text language plpgsql as $$
begin
  perform ledger.ingest_report(p_report::jsonb);
  return 'no error';
exception when others then
  return sqlstate || ' ' || sqlerrm;
end
$$;
create function pg_temp.stored() returns bigint language sql as $$
  select (select count(*) from ledger.snapshot) + (select count(*) from ledger_private.staged_issue)
       + (select count(*) from ledger.issue_instance) + (select count(*) from ledger.changelist)
       + (select count(*) from ledger.project)
$$;

create temp table cases (name text, report text, field text);
insert into cases values
  ('missing project', '{"changelist": 1, "issues": []}', 'project:'),
  ('missing changelist', '{"project": "atlas", "issues": []}', 'changelist:'),
  ('zero changelist', '{"project": "atlas", "changelist": 0}', 'changelist:'),
  ('negative changelist', '{"project": "atlas", "changelist": -5}', 'changelist:'),
  ('fractional changelist', '{"project": "atlas", "changelist": 1.5}', 'changelist:'),
  ('unknown severity', '{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "critical", "message": "m"}]}', 'issues[0].severity:'),
  ('missing issue path', '{"project": "atlas", "changelist": 1, "issues": [{"severity": "error", "message": "m"}]}', 'issues[0].path:'),
  ('empty path', '{"project": "atlas", "changelist": 1, "issues": [{"path": " // ", "severity": "error", "message": "m"}]}', 'issues[0].path:'),
  ('missing message', '{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "error"}]}', 'issues[0].message:'),
  ('missing severity', '{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "message": "m"}]}', 'issues[0].severity:'),
  ('issue outside coverage', '{"project": "atlas", "changelist": 1, "build": {"covered_paths": ["a/b"]}, "issues": [{"path": "a/bc/d", "severity": "error", "message": "m"}]}', 'issues[0].path:'),
  ('one bad issue among good ones', '{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "error", "message": "m"}, {"path": "a/c", "severity": "warning", "message": "n"}, {"path": "a/d", "severity": "loud", "message": "o"}]}', 'issues[2].severity:'),
  ('bad count', '{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "error", "message": "m", "count": 0}]}', 'issues[0].count:'),
  ('bad build status', '{"project": "atlas", "changelist": 1, "build": {"status": "exploded"}}', 'build.status:'),
  ('bad submitted_at', '{"project": "atlas", "changelist": 1, "submitted_at": "yesterday-ish"}', 'submitted_at:');
-- sizes processing could never index: refused at staging, never a worker failure
insert into cases values
  ('path over 1024 bytes', format('{"project": "atlas", "changelist": 1, "issues": [{"path": "a/%s", "severity": "error", "message": "m"}]}', repeat('x', 3000)), 'issues[0].path:'),
  ('message over 16 KB', format('{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "error", "message": "%s"}]}', repeat('m', 17000)), 'issues[0].message:'),
  ('category over 256 bytes', format('{"project": "atlas", "changelist": 1, "issues": [{"path": "a/b", "severity": "error", "message": "m", "category": "%s"}]}', repeat('c', 300)), 'issues[0].category:'),
  ('covered path over 1024 bytes', format('{"project": "atlas", "changelist": 1, "build": {"covered_paths": ["%s"]}}', repeat('p', 1100)), 'build.covered_paths[0]:');

select ok(left(pg_temp.err(report), 2) = '22', name || ': SQLSTATE class 22') from cases order by name;
select ok(split_part(pg_temp.err(report), ' ', 2) = field, name || ': the message names ' || field) from cases order by name;

select is(pg_temp.stored(), 0::bigint, 'nothing of any rejected report was stored');

select * from finish();
rollback;
