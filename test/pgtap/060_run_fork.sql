-- The fork node of closed runs (migration 000029): ledger_private.open_at, answered by
-- the fork indexes, says exactly what int8range(start_cl, resolved_cl) @> cl says.
begin;
select plan(6);

-- every run [s, r) with 1 <= s < r <= 70 against every cl in 0..72
select is(
  (select count(*)::int from generate_series(1, 69) s, generate_series(2, 70) r, generate_series(0, 72) c
    where s < r
      and ledger_private.open_at(s, r, c, ledger_private.run_forks_after(c), ledger_private.run_forks_upto(c)) is distinct from (int8range(s, r, '[)') @> c::bigint)),
  0, 'small runs: open_at equals range containment at every CL');

-- runs and CLs of every magnitude up to 2^62, near powers of two and at random
select setseed(0.42);
create temp table v as
  select x from (select (1::bigint << g) + d as x from generate_series(0, 62) g, generate_series(-1, 1) d) q where x > 0
  union select (random() * 4.6e18)::bigint + 1 from generate_series(1, 40)
  union select (random() * 2e9)::bigint + 1 from generate_series(1, 40)
  union select 9223372036854775806;
select is(
  (select count(*)::int from v a, v b, (select x from v order by random() limit 10) c(c)
    where a.x < b.x
      and ledger_private.open_at(a.x, b.x, c.c, ledger_private.run_forks_after(c.c), ledger_private.run_forks_upto(c.c)) is distinct from (int8range(a.x, b.x, '[)') @> c.c)),
  0, 'runs of any magnitude: open_at equals range containment');
select is(
  (select count(*)::int from v a, v b, lateral (select a.x - 1 union all select a.x union all select b.x - 1 union all select b.x) c(c)
    where a.x < b.x
      and ledger_private.open_at(a.x, b.x, c.c, ledger_private.run_forks_after(c.c), ledger_private.run_forks_upto(c.c)) is distinct from (int8range(a.x, b.x, '[)') @> c.c)),
  0, 'at the edges of runs of any magnitude: open_at equals range containment');

-- the fork is a CL of the run, and on the path of every CL of the run (what makes
-- the indexes find every run that holds a CL)
select is(
  (select count(*)::int from v a, v b
    where a.x < b.x
      and not (ledger_private.run_fork(a.x, b.x) between a.x and b.x - 1)),
  0, 'the fork lies in the run');
select is(
  (select count(*)::int from generate_series(1, 70) s, generate_series(2, 71) r, generate_series(1, 71) c
    where s < r and c >= s and c < r
      and not (ledger_private.run_fork(s, r) = any (ledger_private.run_forks_after(c) || ledger_private.run_forks_upto(c)))),
  0, 'the fork is on the path of every CL of the run');
select is(ledger_private.run_fork_bit(9223372036854775807), 62, 'the highest bit of 2^63 - 1 is 62');

select * from finish();
rollback;
