--! Previous: sha1:1633472761aecbd4148e2fd1c0fdb577f2fd28fd
--! Hash: sha1:3602af0a58684d2734c590239bb934f4a07d0f19
--! Message: closed runs indexed by their fork node instead of a GiST over their ranges; open runs indexed with their start

-- Closed runs indexed by their fork node (a relational interval tree) instead of a GiST
-- over their ranges.
--
-- "Which closed runs hold CL c" (start_cl <= c < resolved_cl) was answered by a GiST
-- over (timeline_id, int8range(start_cl, resolved_cl)). Each run that closes inserts
-- into it, and a GiST insert compares the new range with every entry of each page on
-- its way down: at 1,000 CLs × 10k issues, 36 µs per closed run (18 ms of a head CL's
-- 500 closings, against 3 ms early in the history), the largest part of the head
-- ingest's growth with history. Its scans were slow too: 36-50 ms for the 10k closed
-- runs that hold a CL in the middle of that history.
--
-- Now each closed run [s, r) has a fork, a node of a binary tree over the CL numbers:
-- the node at level h is the middle of an aligned block of 2^(h+1) CLs, and a run's
-- fork is the middle of the smallest such block that holds the whole run (h: the
-- highest bit where s and r - 1 differ; a one-CL run's fork is its CL). The fork lies
-- in the run, and it is on the path from the root of every CL of the run. So the runs
-- that hold c have their fork on c's path: a fork f > c holds c when s <= c (its run
-- reaches f > c), a fork f <= c when r > c (its run starts at or before f <= c). Two
-- btree indexes answer it, one probe per level of the path (63 levels):
-- (timeline_id, fork, start_cl) and (timeline_id, fork, resolved_cl). Btree inserts
-- cost a few µs whatever the size; the two indexes are a fifth of the GiST's size;
-- the 10k-run scan takes 3-4 ms.
-- ledger_private.open_at (functions/012_storage_views.sql) is written in this form.
--
-- The fork functions are fixed by the indexes that use them: they are defined here
-- only, never replaced (a change would need new names and new indexes).

create or replace function ledger_private.run_fork_bit(x bigint)
returns integer
language sql immutable parallel safe   -- (not strict: inlined, so it costs no call)
as $$
  /* The highest set bit of x > 0 (0 for 1, 62 for 2^62). The logarithm gives it to
     within one either way for the largest values; the two comparisons correct it. */
  select floor(ln(x::float8) / 0.6931471805599453)::int
         - ((floor(ln(x::float8) / 0.6931471805599453)::int > 62
             or (1::bigint << least(floor(ln(x::float8) / 0.6931471805599453)::int, 62)) > x)::int)
         + ((floor(ln(x::float8) / 0.6931471805599453)::int < 62
             and (1::bigint << (floor(ln(x::float8) / 0.6931471805599453)::int + 1)) <= x)::int)
$$;
comment on function ledger_private.run_fork_bit(bigint) is
  'The position of the highest set bit of a positive bigint. Used by ledger_private.run_fork, which indexes depend on: never replaced.';

create or replace function ledger_private.run_fork(p_start_cl bigint, p_resolved_cl bigint)
returns bigint
language sql immutable parallel safe   -- (not strict: inlined into the index expressions and queries)
as $$
  /* The fork node of the closed run [p_start_cl, p_resolved_cl): its last CL with the
     bits below the highest bit where its first and last CL differ cleared (a one-CL
     run: that CL). It lies in the run and on the path of each of its CLs in the tree
     over CL numbers. NULL for an open run. */
  select case when p_resolved_cl is null then null
              when p_start_cl = p_resolved_cl - 1 then p_start_cl
              else (p_resolved_cl - 1)
                   & -(1::bigint << ledger_private.run_fork_bit(p_start_cl # (p_resolved_cl - 1))) end
$$;
comment on function ledger_private.run_fork(bigint, bigint) is
  'The fork node of a closed run [start_cl, resolved_cl) in the binary tree over CL numbers (relational interval tree): the key of presence_interval''s closed-run indexes; see ledger_private.open_at. Indexes depend on it: never replaced.';

-- (the new indexes are built first, under a lock that lets reads go on; the steps that
-- lock the table against reads until the migration commits, the check and the drops,
-- come last)
create index if not exists presence_interval_closed_fork_start_idx on ledger_private.presence_interval
  (timeline_id, ledger_private.run_fork(start_cl, resolved_cl), start_cl) where resolved_cl is not null;
create index if not exists presence_interval_closed_fork_resolved_idx on ledger_private.presence_interval
  (timeline_id, ledger_private.run_fork(start_cl, resolved_cl), resolved_cl) where resolved_cl is not null;

-- The open runs' index gains start_cl: "open and started by cl" is then an index
-- condition like the closed runs' ones, so the planner drops the whole open-at test
-- from the rows the bitmap finds. Kept as a filter, it evaluated the fork lists per
-- row wherever cl is a parameter (a function's generic plan): treemap_at at a past
-- CL took 250 ms instead of 47.
create index if not exists presence_interval_open_start_idx on ledger_private.presence_interval
  (timeline_id, issue_id, start_cl) where resolved_cl is null;

-- The fork of a run is defined for CLs > 0 (every CL is: snapshot.cl > 0); said here
-- too, so that no run can reach the fork indexes with a start they cannot place.
alter table ledger_private.presence_interval drop constraint if exists presence_interval_start_cl_positive;
alter table ledger_private.presence_interval
  add constraint presence_interval_start_cl_positive check (start_cl > 0) not valid;
alter table ledger_private.presence_interval validate constraint presence_interval_start_cl_positive;

drop index if exists ledger_private.presence_interval_closed_range_idx;
drop index if exists ledger_private.presence_interval_open_idx;
