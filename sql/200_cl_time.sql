-- When a CL happened, for time axes: its submit time, else when its first build
-- report arrived.

create or replace function ledger_private.cl_time(p_project text, p_stream text, p_cl bigint)
returns timestamptz
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select coalesce(
    (select c.submitted_at from ledger.changelist c where c.project = p_project and c.stream = p_stream and c.cl = p_cl),
    (select min(s.received_at) from ledger.snapshot s where s.project = p_project and s.stream = p_stream and s.cl = p_cl))
$$;
comment on function ledger_private.cl_time(text, text, bigint) is
  'The time of a CL for time axes: its submitted_at, else when its first report arrived.';
