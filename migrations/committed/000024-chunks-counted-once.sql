--! Previous: sha1:b662e7d0767a204f1db5b7c53c129d3e9298c1ae
--! Hash: sha1:e9d8f68b07fbae52ddfbbff65f8ce8843b58ab67
--! Message: chunks counted once

-- Chunks counted once. A chunk job (backfill, identity migration) whose transaction
-- committed may run again: its worker can die between the commit and graphile-worker
-- marking the job complete, and the dead-worker sweep then frees the job. Its second
-- run must leave the same state, so each run row keeps the chunks that are done (by
-- the chunk's first CL or first issue id) and a chunk that is done is skipped: before,
-- it was re-processed and counted again (chunks_done reached chunks_total early and
-- the run showed as finished while chunks were still queued).
alter table ledger_private.backfill add column if not exists done_chunks bigint[] not null default '{}';
alter table ledger_private.renormalise_run add column if not exists done_chunks bigint[] not null default '{}';
comment on column ledger_private.backfill.done_chunks is
  'The first CLs of the chunks already re-processed: a chunk job that runs again (its worker died after the commit) is skipped.';
comment on column ledger_private.renormalise_run.done_chunks is
  'The first issue ids of the chunks already re-keyed: a chunk job that runs again is skipped.';
