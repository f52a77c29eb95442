--! Previous: sha1:457fe06c34b6909350d9884484b795e68f4af027
--! Hash: sha1:a67f5428e377e5524cde5b5ade54534d45535cbf
--! Message: comment on the observation table

-- Prose for the reshaped observation table (000025).
comment on table ledger_private.issue_observation is
  'Observations, one row per processed snapshot: the sorted ids of the issues it reported (issue_ids) and their occurrences, in the same order. Partitioned by snapshot id ranges (ledger_private.observation_block); ledger.issue_observation shows one row per (snapshot, issue).';
