--! Previous: sha1:6a3eae50f359cd37bacd30b25506485b1274cd3a
--! Hash: sha1:58a2029108ea6677be32e4ec7dac7de584553a5f
--! Message: ingest speed: closure without FKs, cached issue ids

-- Path closure without foreign keys: its rows are written only by the statement
-- trigger on ledger_private.path_node (ledger_private.tg_path_node__closure), from
-- nodes inserted in the same statement and their parents' closure rows, and nodes
-- are never deleted; the two per-row checks cost more than the rest of creating a
-- path (docs/decisions.md, speed choices).
alter table ledger_private.path_closure drop constraint if exists path_closure_ancestor_id_fkey;
alter table ledger_private.path_closure drop constraint if exists path_closure_descendant_id_fkey;
-- likewise a node's parent: ledger_private.ensure_paths inserts parents first (depth by
-- depth) and the fill trigger creates the parent of a node inserted on its own
alter table ledger_private.path_node drop constraint if exists path_node_parent_id_fkey;

-- Staged input lives from staging to processing only: stored uncompressed, so a large
-- report is not compressed once only to be read and deleted a moment later.
alter table ledger_private.snapshot_input alter column paths set storage external;
alter table ledger_private.snapshot_input alter column messages set storage external;
alter table ledger_private.snapshot_input alter column categories set storage external;
alter table ledger_private.snapshot_input alter column severities set storage external;
alter table ledger_private.snapshot_input alter column occurrences set storage external;

-- The raw identity cache also knows the issue id of a text seen before, so processing
-- skips the issue_instance lookup for it. Issue ids never change while a cache row
-- exists: ledger_private.renormalise, the only code that merges issues, empties the
-- cache first. Rows cached before this column have NULL and are looked up as before.
alter table ledger_private.raw_identity add column if not exists issue_id bigint;
comment on column ledger_private.raw_identity.issue_id is
  'The issue_instance the text belongs to (NULL for rows cached before this column existed: looked up by hash).';
