-- ledger_private.size_work_memory: the memory a processing session works in.
-- Processing keeps its per-report work in session temp tables and sorts and hashes
-- them. With the server's defaults (temp_buffers 8 MB, work_mem 4 MB) a 100k-issue
-- report spills both: temp tables are written out to files and read back, and its
-- sorts become external merges (measured: 20 MB of sort files for one 100k-issue
-- report, and the staging table alone is 20 MB). The functions that create the work
-- tables call this first. The sizes are the operator's: the settings
-- buildledger.temp_buffers (default 32MB) and buildledger.work_mem (default 64MB),
-- set with ALTER ROLE or ALTER DATABASE; 0 leaves PostgreSQL's own setting alone. A
-- value is only ever raised to them, never lowered.

create or replace function ledger_private.size_work_memory()
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_tb text := coalesce(nullif(pg_catalog.current_setting('buildledger.temp_buffers', true), ''), '32MB');
  v_wm text := coalesce(nullif(pg_catalog.current_setting('buildledger.work_mem', true), ''), '64MB');
begin
  /* temp_buffers: a session setting that PostgreSQL fixes at the session's first use
     of a temp table, so it is raised for the session while it can be. A session
     that already used temp tables keeps its size: processing is then slower, never
     wrong. The buffers stay with the connection once used (a pooled connection that
     processes reports ends up holding all of them), hence the modest default. */
  if pg_catalog.pg_size_bytes(pg_catalog.current_setting('temp_buffers')) < pg_catalog.pg_size_bytes(v_tb)
     and pg_catalog.current_setting('buildledger.temp_buffers_fixed', true) is distinct from 'on' then
    begin
      perform pg_catalog.set_config('temp_buffers', v_tb, false);
    exception when invalid_parameter_value then
      -- (remembered, so later reports of the session do not try again)
      perform pg_catalog.set_config('buildledger.temp_buffers_fixed', 'on', false);
    end;
  end if;
  /* work_mem: for this transaction only (the report's processing). */
  if pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) < pg_catalog.pg_size_bytes(v_wm) then
    perform pg_catalog.set_config('work_mem', v_wm, true);
  end if;
end
$$;
comment on function ledger_private.size_work_memory() is
  'Raises temp_buffers (for the session, while it has used no temp table yet) to the setting buildledger.temp_buffers (default 32MB) and work_mem (for the transaction) to buildledger.work_mem (default 64MB), when lower: the memory processing''s work tables, sorts and hashes need for reports of 100k issues and more. 0 leaves a setting alone; never lowers a value. A connection keeps the temp buffers it has used.';
revoke all on function ledger_private.size_work_memory() from public;
