--! Previous: sha1:3602af0a58684d2734c590239bb934f4a07d0f19
--! Hash: sha1:639490e5e2bd74621149a135101dc38771367104
--! Message: open issues carry their treemap node

-- Each open issue carries its treemap node (its path node, or that node's ancestor at
-- depth 8: the key of ledger_private.open_node_count), so processing closes an open
-- run with what its open_issue row holds: the run's issue, its path and its node
-- leave with the row, instead of a probe of issue_instance and one of path_node per
-- closed run (rows of old issues, spread over the history: the probes that grew the
-- head ingest's time with the history). Filled here for the open issues there are
-- (written out: functions/, where ledger_private.treemap_node is, comes after the
-- migrations on a new database).
alter table ledger_private.open_issue add column if not exists node_id bigint;

update ledger_private.open_issue o
   set node_id = coalesce(a.path_node_id, n.path_node_id)
  from ledger_private.issue_instance ii
  join ledger_private.path_node n on n.path_node_id = ii.path_node_id
  left join ledger_private.path_node a on n.depth > 8 and a.path_node_id = n.ancestors[8]
 where ii.issue_id = o.issue_id and o.node_id is null;

alter table ledger_private.open_issue alter column node_id set not null;

-- A row written without its node gets it here. Processing and rebuild_timeline give
-- it; this is for the processing code of the release before, which still runs between
-- this migration's commit and that of the functions (npm run db:migrate applies
-- functions/ after the migrations, in a transaction of its own): without it, a build
-- processed in that moment failed on the NOT NULL (and a synchronous upload saw a
-- client error). Defined here only, with the column it serves.
create or replace function ledger_private.tg_open_issue__node()
returns trigger
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  -- (ledger_private.treemap_node, which every release has, resolved when a row comes)
  select t.path_node_id into new.node_id
    from ledger_private.issue_instance ii
   cross join lateral ledger_private.treemap_node(ii.path_node_id) t
   where ii.issue_id = new.issue_id;
  return new;
end
$$;
comment on function ledger_private.tg_open_issue__node() is
  'Fills open_issue.node_id (the issue''s treemap node) for a row written without it.';
drop trigger if exists _100_node on ledger_private.open_issue;
create trigger _100_node before insert on ledger_private.open_issue
  for each row when (new.node_id is null)
  execute function ledger_private.tg_open_issue__node();

comment on column ledger_private.open_issue.node_id is
  'The issue''s treemap node: its path node, or that node''s ancestor at depth 8 (ledger_private.treemap_node); the node whose open_node_count the open run counts in.';

comment on table ledger_private.open_issue is
  'Per timeline, each issue with an open run (resolved_cl NULL) and the run''s start_cl, with copies of the issue''s hash, severity, category, message and path and its treemap node: what ledger.open_issues_at and ledger.diff show at the head without a probe per issue, and what processing needs of a run it closes. Maintained by ledger_private.apply_snapshot from the interval changes; recomputed by ledger_private.rebuild_timeline; kept in step by the identity migration''s re-key.';
