-- How the storage distributes on a sharded engine (Citus): which tables are sharded by
-- timeline_id and co-located, which are small reference tables copied to every node,
-- and which stay on the coordinator. docs/scale-out.md explains it; the statements
-- come from ledger_private.citus_statements(), and test/distribution.test.ts checks
-- the catalog against this plan (every ledger_private table is classified; every
-- distributed table has timeline_id in its primary key and every unique key), so no
-- later change breaks the rules silently.

drop function if exists ledger_private.citus_statements();
drop function if exists ledger_private.distribution_plan();
create function ledger_private.distribution_plan()
returns table (ord int, table_name text, kind text, distribution_column text, why text)
language sql immutable
as $$
  select (row_number() over ())::int, v.* from (values
    -- (the statements follow this order: reference tables, then timeline_progress, with
    -- which the rest co-locate)
    -- sharded by timeline: everything a timeline's processing writes, co-located so a
    -- timeline's joins and its processing transaction stay on one node
    ('ledger_private.timeline_progress',  'distributed', 'timeline_id', 'processing watermarks; the row processing serialises on'),
    ('ledger_private.changelist',         'distributed', 'timeline_id', 'CLs of a timeline'),
    ('ledger_private.changelist_file',    'distributed', 'timeline_id', 'files a CL touched (version-control feed)'),
    ('ledger_private.snapshot',           'distributed', 'timeline_id', 'build reports of a timeline'),
    ('ledger_private.snapshot_input',     'distributed', 'timeline_id', 'staged input, until processed'),
    ('ledger_private.issue_observation',  'distributed', 'timeline_id', 'the fact table, partitioned by snapshot id ranges'),
    ('ledger_private.presence_interval',  'distributed', 'timeline_id', 'derived presence intervals'),
    ('ledger_private.changelist_metrics', 'distributed', 'timeline_id', 'per-CL totals'),
    ('ledger_private.issue_run_stats',    'distributed', 'timeline_id', 'per-issue run statistics (recurring issues)'),
    ('ledger_private.open_node_count',    'distributed', 'timeline_id', 'open issues per treemap node (the treemap)'),
    ('ledger_private.open_issue',         'distributed', 'timeline_id', 'open issues with what the API shows (open_issues_at and diff at the head)'),
    ('ledger_private.cl_team_new',        'distributed', 'timeline_id', 'new runs per CL and team (the team heatmap)'),
    -- small, read by every timeline's queries: a copy on every node
    -- (in foreign-key order: a referenced table is made a reference table first)
    ('ledger_private.project',            'reference',   null, 'projects'),
    ('ledger_private.timeline',           'reference',   null, 'timeline ids; maps (project, stream) to the distribution column'),
    ('ledger_private.path_node',          'reference',   null, 'the path hierarchy with each node''s ancestors, shared by all timelines'),
    ('ledger_private.issue_instance',     'reference',   null, 'issue identity (hash), shared by all timelines'),
    ('ledger_private.issue_hash_alias',   'reference',   null, 'old hashes of re-keyed issues'),
    ('ledger_private.owner_rule',         'reference',   null, 'ownership rules per project'),
    ('ledger_private.gate_policy',        'reference',   null, 'gate policy per project'),
    ('ledger_private.source_root',        'reference',   null, 'source roots per project'),
    ('ledger_private.retention_policy',   'reference',   null, 'retention per project'),
    ('ledger_private.normaliser_state',   'reference',   null, 'the normaliser version in force'),
    -- looked up by its own key only: sharded by it, not co-located
    ('ledger_private.raw_identity',       'distributed', 'raw_key', 'raw text to issue hash cache'),
    -- coordinator bookkeeping: small, touched by the service and the worker, never joined with shards in hot paths
    ('ledger_private.team_daily',         'local',       null, 'daily team metrics (keyed by project, stream; to be keyed by timeline_id)'),
    ('ledger_private.team_daily_dirty',   'local',       null, 'queue of days to refresh'),
    ('ledger_private.ingest_token',       'local',       null, 'ingest tokens (hashes)'),
    ('ledger_private.upload',             'local',       null, 'streamed uploads in flight'),
    ('ledger_private.upload_issue',       'local',       null, 'lines of streamed uploads in flight'),
    ('ledger_private.backfill',           'local',       null, 'backfill progress'),
    ('ledger_private.renormalise_run',    'local',       null, 'identity migration progress'),
    ('ledger_private.renormalise_timeline', 'local',     null, 'timelines an identity migration rebuilds'),
    ('ledger_private.worker_lease',       'local',       null, 'worker liveness'),
    ('ledger_private.triage_event',       'local',       null, 'triage history (people''s writes; keyed by project, stream, issue)'),
    ('ledger_private.subscription',       'local',       null, 'notification subscriptions'),
    ('ledger_private.notification_outbox', 'local',      null, 'notifications to deliver, one per subscription and snapshot'),
    ('ledger_private.notification_event', 'local',       null, 'events already notified (exactly once)'),
    ('ledger_private.notification_attempt', 'local',     null, 'delivery attempts and their errors'),
    ('ledger_private.sql_state',          'local',       null, 'checksum of functions/ and sql/')
  ) v
$$;
comment on function ledger_private.distribution_plan() is
  'How each ledger_private table distributes on Citus: distributed (sharded by the column; by timeline_id = co-located), reference (copied to every node) or local (coordinator). Checked against the catalog by the test suite.';

create or replace function ledger_private.citus_statements()
returns setof text
language sql immutable
as $$
  select stmt from (
    select 1 as o, null::int as k, 'create extension if not exists citus;' as stmt
    union all
    select 2, ord, format('select create_reference_table(%L);', table_name)
      from ledger_private.distribution_plan() where kind = 'reference'
    union all
    -- timeline_progress first: the others co-locate with it
    select 3, ord,
           format('select create_distributed_table(%L, %L%s);', table_name, distribution_column,
                  case when table_name = 'ledger_private.timeline_progress' then ', shard_count => 32'
                       else ', colocate_with => ''ledger_private.timeline_progress''' end)
      from ledger_private.distribution_plan() where kind = 'distributed' and distribution_column = 'timeline_id'
    union all
    select 4, ord,
           format('select create_distributed_table(%L, %L, colocate_with => ''none'');', table_name, distribution_column)
      from ledger_private.distribution_plan() where kind = 'distributed' and distribution_column <> 'timeline_id'
  ) x order by o, k
$$;
comment on function ledger_private.citus_statements() is
  'The statements that distribute the storage on Citus, in order (docs/scale-out.md lists them; a test checks the two agree).';
