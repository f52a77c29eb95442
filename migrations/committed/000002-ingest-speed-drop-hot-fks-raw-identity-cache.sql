--! Previous: sha1:a38800093737758204247a8118fef1aeeb953ef1
--! Hash: sha1:19a0c1f58b40dabc751d952565bb49127d25afcc
--! Message: ingest speed: drop hot FKs, raw identity cache

-- Ingest speed: per-row foreign-key checks on the two hottest tables cost more than
-- the rest of a 10k-issue ingest. Only ledger.stage_report / process_snapshot write
-- them, inside the snapshot's own transaction, so the pipeline keeps them
-- consistent (docs/decisions.md).
alter table ledger.issues_raw drop constraint if exists issues_raw_snapshot_id_fkey;
alter table ledger.issue_observation drop constraint if exists issue_observation_snapshot_id_fkey;
alter table ledger.issue_observation drop constraint if exists issue_observation_issue_id_fkey;

-- Raw identity cache: sha256(raw message 0x1f normalised path) -> issue hash, so an
-- issue reported again with the same text skips the regular expressions of the
-- normaliser. Valid for normaliser v1 only; a new normaliser version truncates it.
create table if not exists ledger_private.raw_identity (
  raw_key bytea primary key,
  hash    bytea not null
);
