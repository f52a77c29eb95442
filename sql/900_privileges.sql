-- Exposure is a decision: nothing is executable by PUBLIC; buildledger_reader may
-- read the API and call the read-only query functions, nothing that writes.
-- Applied last, after every function and view exists.

revoke all on schema ledger_private from public;
revoke execute on all functions in schema ledger from public;
revoke execute on all functions in schema ledger_private from public;

grant usage on schema ledger to buildledger_reader;
grant usage on schema ledger_private to buildledger_reader;
grant select on all tables in schema ledger to buildledger_reader;
revoke select on ledger.issues_raw from buildledger_reader;
grant execute on function
  ledger.open_issues_at(text, bigint, text),
  ledger.diff(text, bigint, bigint, text),
  ledger.recurring_issues(text, text),
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
  ledger_private.require_cl(text, bigint),
  ledger_private.require_cl_order(bigint, bigint),
  ledger_private.require_depth(integer),
  ledger_private.raise_22023(text, text),
  ledger.flaky_issues(text, text, bigint, integer, integer),
  ledger.gate(text, bigint, text),
  ledger.gate_policy(text)
to buildledger_reader;
-- the gate policy is not secret: readers (Grafana, GraphQL) see what the gate applies
grant select on ledger_private.gate_policy to buildledger_reader;
