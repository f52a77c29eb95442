-- The service roles (cluster-wide, hence the existence checks; NOLOGIN groups):
--   buildledger_ingest  what the HTTP server does: stage reports and uploads, check
--                       tokens, read snapshot status, health and metrics, the gate;
--   buildledger_worker  what the job runner does: process snapshots, backfill chunks,
--                       job bookkeeping, leases, sweeps, and graphile-worker's queue.
--   buildledger_triage  people's triage and notification settings: record triage
--                       events, set subscriptions (the HTTP server is a member).
-- The server and worker switch to these roles for every connection (startup option
-- `-c role=…`, lib/db.ts), or log in as members of them (INGEST_DATABASE_URL,
-- WORKER_DATABASE_URL). The owner that runs migrations is used by nothing else.
-- What each may do is granted in 900_privileges.sql.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'buildledger_ingest') then
    create role buildledger_ingest nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'buildledger_worker') then
    create role buildledger_worker nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'buildledger_triage') then
    create role buildledger_triage nologin;
  end if;
end
$$;
-- graphile-worker guards its private tables with row-level security policies that
-- only its owner passes; the job runner needs to lock, complete and fail jobs there.
do $$
begin
  alter role buildledger_worker bypassrls;
exception when insufficient_privilege then
  raise warning 'buildledger_worker needs BYPASSRLS for graphile-worker''s tables: run ALTER ROLE buildledger_worker BYPASSRLS as a superuser';
end
$$;
comment on role buildledger_ingest is 'buildledger HTTP server: stages reports and uploads, checks tokens, reads status; nothing else.';
comment on role buildledger_worker is 'buildledger job runner: processes snapshots, backfills, keeps leases and graphile-worker''s queue; nothing else.';
comment on role buildledger_triage is 'buildledger triage: records triage events and sets notification subscriptions; nothing else.';
