--! Previous: sha1:edf4f269c886e4600f826cd1bf22aa6e7bdb5d7c
--! Hash: sha1:331d0fb6891d1a66eba6c677ac2f96a94b5090fc
--! Message: upload-touched-at

-- Abandoned uploads: a streamed upload whose server died mid-body stays 'receiving';
-- touched_at moves with every committed chunk, so the worker's sweep
-- (ledger_private.sweep_uploads) can tell a live upload from an abandoned one.
alter table ledger_private.upload add column if not exists touched_at timestamptz not null default now();
create index if not exists upload_receiving_idx on ledger_private.upload (touched_at) where state = 'receiving';
