-- ledger_private.size_work_memory: the memory a processing session works in.
-- Processing keeps its per-report work in session temp tables and sorts and hashes
-- them. With the server's defaults (temp_buffers 8 MB, work_mem 4 MB) a 100k-issue
-- report spills both: temp tables are written out to files and read back, and its
-- sorts become external merges (measured: 20 MB of sort files for one 100k-issue
-- report, and the staging table alone is 20 MB). The functions that create the work
-- tables call this first; it only ever raises the two settings, never lowers what an
-- administrator has configured.

create or replace function ledger_private.size_work_memory()
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  /* temp_buffers: a session setting that PostgreSQL fixes at the session's first use
     of a temp table; raised for the session while it can be (the buffers are taken
     as they are used, so a session of small reports never holds them). A session that
     already used temp tables keeps its size: processing is then slower, never wrong. */
  if pg_catalog.pg_size_bytes(pg_catalog.current_setting('temp_buffers')) < 128 * 1024 * 1024
     and pg_catalog.current_setting('buildledger.temp_buffers_fixed', true) is distinct from 'on' then
    begin
      perform pg_catalog.set_config('temp_buffers', '128MB', false);
    exception when invalid_parameter_value then
      -- (remembered, so later reports of the session do not try again)
      perform pg_catalog.set_config('buildledger.temp_buffers_fixed', 'on', false);
    end;
  end if;
  /* work_mem: for this transaction only (the report's processing). */
  if pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) < 64 * 1024 * 1024 then
    perform pg_catalog.set_config('work_mem', '64MB', true);
  end if;
end
$$;
comment on function ledger_private.size_work_memory() is
  'Raises temp_buffers (for the session, while it has used no temp table yet) to 128 MB and work_mem (for the transaction) to 64 MB, when lower: the memory processing''s work tables, sorts and hashes need for reports of 100k issues and more. Never lowers a configured value.';
revoke all on function ledger_private.size_work_memory() from public;
