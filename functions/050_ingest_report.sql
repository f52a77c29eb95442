-- Synchronous ingestion: stage and process one report in one transaction.

create or replace function ledger.ingest_report(report jsonb)
returns bigint
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_id bigint;
begin
  /* Either the whole report is stored and processed, or (on any error) nothing. */
  -- the issues stay in the session's staging table: processing reads them there, so
  -- they are never written to (and deleted from) ledger_private.snapshot_input
  v_id := ledger_private.stage(report, false, false);
  perform ledger_private.apply_snapshot(v_id, true);
  return v_id;
end
$$;
comment on function ledger.ingest_report(jsonb) is
  'Validates, stages and fully processes one native JSON build report (SPEC section 4) in one transaction and returns the snapshot id. Re-posting the same (project, stream, changelist, build id) replaces that snapshot instead of adding one. Bad input raises SQLSTATE class 22 naming the field; nothing is stored then.';
