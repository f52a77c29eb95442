--! Previous: sha1:19a0c1f58b40dabc751d952565bb49127d25afcc
--! Hash: sha1:f3715d8cc5d1ca792d81c044fb531e7d6f00a752
--! Message: ingest-service-tokens-uploads-backfill

-- Ingest service: per-project ingest tokens, streamed NDJSON uploads, backfill runs.

-- Ingest tokens: only the SHA-256 of a token is stored; the clear text is shown once
-- by `buildledger token create`. A revoked token stays for the audit trail.
create table if not exists ledger_private.ingest_token (
  token_id     bigint generated always as identity primary key,
  project      text collate "C" not null,
  name         text not null,
  token_hash   bytea not null unique check (length(token_hash) = 32),
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,
  last_used_at timestamptz
);
create index if not exists ingest_token_project_idx on ledger_private.ingest_token (project);

-- Streamed uploads (NDJSON): the issue lines are COPYed here in committed chunks,
-- so a 500k-issue report needs bounded memory and progress is visible while it
-- arrives; ledger_private.stage_upload then validates and stages it in one
-- transaction, exactly like a JSON report, and deletes the lines.
create table if not exists ledger_private.upload (
  upload_id    bigint generated always as identity primary key,
  header       jsonb not null,
  state        text not null default 'receiving' check (state in ('receiving', 'staged', 'failed')),
  lines        bigint not null default 0,
  content_hash bytea,
  snapshot_id  bigint,
  error        text,
  created_at   timestamptz not null default now(),
  finished_at  timestamptz
);
create table if not exists ledger_private.upload_issue (
  upload_id bigint not null references ledger_private.upload on delete cascade,
  ord       integer not null,
  doc       jsonb not null,
  primary key (upload_id, ord)
);

-- Backfill runs: a CL range of one timeline reprocessed in chunks as jobs.
create table if not exists ledger_private.backfill (
  backfill_id  bigint generated always as identity primary key,
  project      text collate "C" not null,
  stream       text collate "C" not null,
  from_cl      bigint not null,
  to_cl        bigint not null check (to_cl >= from_cl),
  chunks_total integer not null,
  chunks_done  integer not null default 0,
  snapshots_done integer not null default 0,
  created_at   timestamptz not null default now(),
  finished_at  timestamptz
);
