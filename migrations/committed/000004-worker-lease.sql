--! Previous: sha1:f3715d8cc5d1ca792d81c044fb531e7d6f00a752
--! Hash: sha1:15dca85ae26d30a67cc6ad52eb821f94122478f4
--! Message: worker-lease

-- Enter migration here
-- Which graphile-worker ids run in which worker process: the backend pid and start
-- time of a session the process keeps open. Jobs locked by a worker whose session
-- is gone (kill -9, crash) are unlocked when a worker starts (worker/index.ts).
create table if not exists ledger_private.worker_lease (
  worker_id     text primary key,
  backend_pid   integer not null,
  backend_start timestamptz not null,
  created_at    timestamptz not null default now()
);
