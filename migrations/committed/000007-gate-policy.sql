--! Previous: sha1:331d0fb6891d1a66eba6c677ac2f96a94b5090fc
--! Hash: sha1:32eceab24733c8b12fce10edda1b134d485c48c2
--! Message: gate-policy

-- Quality gate policy per project (ledger.gate, `buildledger gate`, GET /v1/gate).
-- A project without a row gets the defaults below ("no new errors, no regressions").
create table if not exists ledger_private.gate_policy (
  project              text collate "C" primary key,
  fail_on_new_errors   boolean not null default true,
  fail_on_new_warnings boolean not null default false,
  fail_on_regressions  boolean not null default true,
  -- flaky issues (ledger.flaky_issues) do not fail the gate unless this is true
  flaky_blocks         boolean not null default false,
  flaky_window         integer not null default 20 check (flaky_window between 2 and 1000),
  flaky_min_score      numeric not null default 0.3 check (flaky_min_score > 0 and flaky_min_score <= 1),
  flaky_min_flips      integer not null default 3 check (flaky_min_flips >= 1),
  -- [{"path_prefix": "srv/atlas/audio", "severity": "error"|"warning"|"any", "max_open": 10}, ...]
  thresholds           jsonb not null default '[]' check (jsonb_typeof(thresholds) = 'array'),
  updated_at           timestamptz not null default now(),
  updated_by           text
);
