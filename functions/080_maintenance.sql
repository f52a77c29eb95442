-- Maintenance run by every live worker on a timer (worker/index.ts): sweeping
-- abandoned streamed uploads. Idempotent and safe to run from several workers at once.

create or replace function ledger_private.sweep_uploads(p_idle interval default interval '10 minutes',
                                                        p_keep interval default interval '7 days')
returns integer
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_n integer;
begin
  /* An upload still 'receiving' whose last chunk was committed more than p_idle ago
     belongs to a server that died or a client that vanished mid-body: its lines are
     deleted and it is marked failed (never staged, so nothing half-stored reaches the
     ledger). Finished uploads (staged or failed) older than p_keep are forgotten.
     Returns how many abandoned uploads were swept. */
  if p_idle is null or p_idle < interval '0' then
    raise exception 'idle: must be a non-negative interval' using errcode = '22023';
  end if;
  with abandoned as (
    select u.upload_id from ledger_private.upload u
     where u.state = 'receiving' and u.touched_at < now() - p_idle
     for update skip locked
  ), gone as (
    delete from ledger_private.upload_issue i using abandoned a where i.upload_id = a.upload_id
  )
  update ledger_private.upload u
     set state = 'failed', finished_at = now(),
         error = format('abandoned: no data for %s (the client or the server stopped mid-upload)', p_idle)
    from abandoned a where u.upload_id = a.upload_id;
  get diagnostics v_n = row_count;
  delete from ledger_private.upload u
   where u.state <> 'receiving' and u.finished_at < now() - p_keep;
  return v_n;
end
$$;
comment on function ledger_private.sweep_uploads(interval, interval) is
  'Marks streamed uploads idle for longer than p_idle as failed and deletes their lines (abandoned mid-body), and forgets finished uploads older than p_keep; returns the number swept.';

create or replace function ledger_private.enforce_read_limits(p_limit interval default interval '15 seconds')
returns integer
language sql volatile
set search_path to pg_catalog, pg_temp
as $$
  /* Read-only roles (buildledger_reader and the logins in it, such as
     buildledger_grafana) have a statement timeout set on the role, which a session
     may lift with SET. This is the limit it cannot lift: statements of sessions
     that log in as a reader (and not as a service role or superuser) running for
     longer than p_limit are cancelled. Run by every worker's maintenance pass; the
     worker role holds pg_signal_backend for it. Returns how many were cancelled. */
  select count(*) filter (where pg_cancel_backend(a.pid))::int
    from pg_stat_activity a
    join pg_roles r on r.rolname = a.usename
   where a.state = 'active' and a.pid <> pg_backend_pid() and a.backend_type = 'client backend'
     and not r.rolsuper
     and pg_has_role(a.usename, 'buildledger_reader', 'member')
     and not pg_has_role(a.usename, 'buildledger_ingest', 'member')
     and not pg_has_role(a.usename, 'buildledger_worker', 'member')
     and a.query_start < now() - p_limit
$$;
comment on function ledger_private.enforce_read_limits(interval) is
  'Cancels statements of reader logins (Grafana) that run longer than p_limit, a limit the session cannot lift; returns how many were cancelled.';
