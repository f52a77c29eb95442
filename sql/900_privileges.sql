-- Exposure is a decision: nothing is executable by PUBLIC; buildledger_reader may
-- read the API and call the read-only query functions, nothing that writes; the
-- service roles (890_roles.sql) get exactly what the server and the worker call.
-- Applied last, after every function and view exists.

revoke all on schema ledger_private from public;
revoke execute on all functions in schema ledger from public;
revoke execute on all functions in schema ledger_private from public;
-- (a function a later migration creates is PUBLIC until this file runs again, which
-- every migrate does: PostgreSQL adds per-schema default privileges to the global ones
-- and cannot take PUBLIC's EXECUTE away per schema, so the "alter default privileges
-- in schema … revoke execute … from public" this file used to run did nothing)

-- Nothing outside the ledger's own grants may write: no temporary tables, no large
-- objects, no advisory locks (the migration lock is the owner's) for other roles.
-- (database-level: TEMPORARY is revoked from PUBLIC by lib/migrate.ts on every run,
-- since a database made from a template does not inherit its template's ACL)
revoke execute on function
  pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer), pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid),
  pg_catalog.lo_export(oid, text), pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_put(oid, bigint, bytea),
  pg_catalog.lo_unlink(oid), pg_catalog.lo_truncate(integer, integer), pg_catalog.lowrite(integer, bytea),
  pg_catalog.lo_open(oid, integer),
  pg_catalog.pg_advisory_lock(bigint), pg_catalog.pg_advisory_lock(integer, integer),
  pg_catalog.pg_advisory_xact_lock(bigint), pg_catalog.pg_advisory_xact_lock(integer, integer),
  pg_catalog.pg_try_advisory_lock(bigint), pg_catalog.pg_try_advisory_lock(integer, integer),
  pg_catalog.pg_try_advisory_xact_lock(bigint), pg_catalog.pg_try_advisory_xact_lock(integer, integer),
  pg_catalog.pg_advisory_lock_shared(bigint), pg_catalog.pg_advisory_xact_lock_shared(bigint),
  pg_catalog.pg_try_advisory_lock_shared(bigint), pg_catalog.pg_try_advisory_xact_lock_shared(bigint),
  pg_catalog.pg_sleep(double precision), pg_catalog.pg_sleep_for(interval), pg_catalog.pg_sleep_until(timestamptz)
from public;

-- readers ------------------------------------------------------------------------------
grant usage on schema ledger to buildledger_reader;
grant usage on schema ledger_private to buildledger_reader;
grant select on all tables in schema ledger to buildledger_reader;
-- the storage behind the API views, read-only, for query functions that read it
-- directly (filters on timeline_id; docs/scale-out.md); the staged input is not API
grant select on ledger_private.project, ledger_private.timeline, ledger_private.timeline_progress,
  ledger_private.path_node, ledger_private.changelist, ledger_private.snapshot,
  ledger_private.issue_instance, ledger_private.issue_observation, ledger_private.presence_interval, ledger_private.issue_run_stats,
  ledger_private.changelist_metrics, ledger_private.open_node_count, ledger_private.open_issue, ledger_private.cl_team_new to buildledger_reader;
grant execute on function
  ledger.issue_instance_observations(ledger.issue_instance),
  ledger.open_issues_at(text, bigint, text),
  ledger.diff(text, bigint, bigint, text),
  ledger.recurring_issues(text, text, integer, text),
  ledger.rollup(text, bigint, integer, text, text),
  ledger.treemap_at(text, bigint, text, text),
  ledger.presence_timeline(text, text, text, text, integer),
  ledger.team_heatmap(text, text, integer),
  ledger.cl_trend(text, text, integer),
  ledger_private.cl_time(text, text, bigint),
  ledger.normalise_path(text),
  ledger.normalise_message(text),
  ledger.issue_hash(text, text),
  ledger.canonical_severity(text),
  ledger.path_covered(text, text[]),
  ledger_private.require_timeline(text, text),
  ledger_private.timeline_id(text, text),
  ledger_private.timeline_intervals(text, text),
  ledger_private.timeline_head(text, text),
  ledger_private.open_at(bigint, bigint, bigint, bigint[], bigint[]),
  -- (the fork is in presence_interval's index expressions: a role that reads the table
  -- must be able to execute it, or its session plans them without inlining them and
  -- can no longer match the fork indexes; every role that reads is a reader)
  ledger_private.run_fork(bigint, bigint),
  ledger_private.run_fork_bit(bigint),
  ledger_private.run_forks_after(bigint),
  ledger_private.run_forks_upto(bigint),
  ledger_private.ancestor_at(bigint, integer),
  ledger_private.issue_node_under(bigint, text),
  ledger_private.require_cl(text, bigint),
  ledger_private.require_cl_order(bigint, bigint),
  ledger_private.require_depth(integer),
  ledger_private.raise_22023(text, text),
  ledger.flaky_issues(text, text, bigint, integer, integer),
  ledger_private.flaky_scores(text, text, bigint, integer, integer, bigint[]),
  ledger.gate(text, bigint, text),
  ledger.gate_policy(text),
  ledger.team_trends(text, text, integer, date),
  ledger.normalise_message_v2(text),
  ledger.issue_hash_v2(text, text),
  ledger.normalise_message_as(text, smallint),
  ledger.issue_hash_as(text, text, smallint),
  ledger.issue_hash_normalised_as(text, text, smallint),
  ledger.source_roots(text),
  ledger.suspects(text, bigint, bigint, text),
  ledger.owner_of(text, text),
  ledger.issue_owners(text, bigint, text),
  ledger_private.owner_pattern_regex(text),
  ledger.suppressed_at(text, bigint, text),
  ledger.open_issues_triaged(text, bigint, text),
  ledger.triage_counts(text, bigint, text),
  ledger.my_team_open_by_owner(text, text, text),
  ledger.my_team_new_with_suspects(text, text, integer, text),
  ledger.my_team_regressions(text, text, integer, text),
  ledger.my_team_untriaged(text, text, text),
  ledger_private.head_cl(text, text)
to buildledger_reader;
-- triage state is derived from the event log, which readers may see (subscriptions
-- and the outbox hold secrets: readers get them only through ledger.webhook_subscriptions and
-- ledger.notification_log, which leave the secret, the URL's path and the body out)
grant select on ledger_private.triage_event to buildledger_reader;
grant select on ledger_private.issue_hash_alias, ledger_private.source_root, ledger_private.changelist_file,
  ledger_private.owner_rule to buildledger_reader;
-- the gate policy is not secret: readers (Grafana, GraphQL) see what the gate applies
grant select on ledger_private.gate_policy, ledger_private.team_daily to buildledger_reader;

-- the entry points that write run as their owner, with a fixed search_path --------------
alter function ledger_private.stage_upload(bigint, boolean) security definer;
alter function ledger_private.mark_processing(bigint, integer) security definer;
alter function ledger_private.record_failure(bigint, integer, integer, text) security definer;
alter function ledger_private.backfill_chunk(bigint, bigint, bigint) security definer;
alter function ledger_private.sweep_uploads(interval, interval) security definer;
alter function ledger.set_gate_policy(text, jsonb, text) security definer;
alter function ledger_private.refresh_dirty_team_days(text, text) security definer;
alter function ledger_private.renormalise_rekey(bigint, bigint, bigint) security definer;
alter function ledger_private.renormalise_plan_rebuilds(bigint) security definer;
alter function ledger_private.renormalise_rebuild(bigint, text, text) security definer;
alter function ledger_private.storage_maintenance() security definer;
-- (triage and notification entry points are declared security definer in their files)

-- triage: people's writes ------------------------------------------------------------
grant usage on schema ledger to buildledger_triage;
grant buildledger_reader to buildledger_triage;
grant execute on function
  ledger.record_triage(jsonb, text),
  ledger.set_subscription(text, jsonb, text)
to buildledger_triage;

-- the HTTP server ------------------------------------------------------------------------
grant buildledger_reader to buildledger_ingest;           -- GraphQL runs as the reader anyway
grant buildledger_triage to buildledger_ingest;           -- POST /v1/triage, PUT /v1/subscriptions (tokens with a user)
grant usage on schema graphile_worker, graphile_migrate to buildledger_ingest;
grant execute on function
  ledger.stage_report(jsonb),
  ledger_private.stage_upload(bigint, boolean),
  ledger.set_gate_policy(text, jsonb, text),
  ledger.set_source_roots(text, text[]),
  ledger.record_changelists(jsonb),
  ledger.set_owner_rules(text, jsonb, boolean),
  ledger.load_codeowners(text, text, text)
to buildledger_ingest;
grant select, insert, update on ledger_private.upload to buildledger_ingest;
grant select, insert, delete on ledger_private.upload_issue to buildledger_ingest;
grant select, update (last_used_at) on ledger_private.ingest_token to buildledger_ingest;
grant select on ledger_private.sql_state, graphile_migrate.migrations, graphile_worker.jobs to buildledger_ingest;

-- the job runner -------------------------------------------------------------------------
grant buildledger_reader to buildledger_worker;
grant execute on function
  ledger.process_snapshot(bigint),
  ledger_private.mark_processing(bigint, integer),
  ledger_private.record_failure(bigint, integer, integer, text),
  ledger_private.backfill_chunk(bigint, bigint, bigint),
  ledger_private.sweep_uploads(interval, interval),
  ledger_private.enforce_read_limits(interval),
  ledger.refresh_team_daily(text, text, date, date),
  ledger_private.refresh_dirty_team_days(text, text),
  ledger_private.renormalise_rekey(bigint, bigint, bigint),
  ledger_private.renormalise_plan_rebuilds(bigint),
  ledger_private.renormalise_rebuild(bigint, text, text),
  ledger_private.storage_maintenance(),
  ledger_private.enqueue_notify(bigint),
  ledger_private.notify_snapshot(bigint),
  ledger_private.delivery_get(bigint),
  ledger_private.delivery_record(bigint, integer, integer, integer, text)
to buildledger_worker;
grant select, insert, update, delete on ledger_private.worker_lease to buildledger_worker;
-- graphile-worker's own queue (its run() locks, completes and fails jobs with SQL)
grant usage on schema graphile_worker to buildledger_worker;
grant select, insert, update, delete on all tables in schema graphile_worker to buildledger_worker;
grant usage, select on all sequences in schema graphile_worker to buildledger_worker;
grant execute on all functions in schema graphile_worker to buildledger_worker;
grant execute on function
  pg_catalog.pg_advisory_lock(bigint), pg_catalog.pg_advisory_lock(integer, integer),
  pg_catalog.pg_advisory_xact_lock(bigint), pg_catalog.pg_advisory_xact_lock(integer, integer),
  pg_catalog.pg_try_advisory_lock(bigint), pg_catalog.pg_try_advisory_lock(integer, integer),
  pg_catalog.pg_try_advisory_xact_lock(bigint), pg_catalog.pg_try_advisory_xact_lock(integer, integer)
to buildledger_worker;
-- reads' time limits are enforced by the worker's maintenance (it cancels statements of
-- reader sessions past their limit), which a reader session cannot switch off
grant pg_signal_backend to buildledger_worker;
-- leases name sessions by pid and start time, which pg_stat_activity shows a role only
-- for its own login's sessions unless it may read all statistics
grant pg_read_all_stats to buildledger_worker;
