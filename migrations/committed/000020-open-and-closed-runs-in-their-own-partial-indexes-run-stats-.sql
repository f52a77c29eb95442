--! Previous: sha1:37c00bc616109ee4bee5640538b69ae02f9bc9a2
--! Hash: sha1:42c4fa087c356c3bfc6c12201b6ef848f9182c7e
--! Message: open and closed runs in their own partial indexes, run stats by interval count

-- Reads at the head of a timeline follow what is open, not the history:
--   * "open at cl" is answered from two partial indexes: the open runs by start
--     (btree, resolved_cl is null) and the closed runs by range (GiST, resolved_cl is
--     not null). The GiST over every run found the open ones too, and at the latest
--     CL of a long timeline it walked pages of closed runs to find them (88 ms for
--     open_issues_at at 1,000 CLs); the query helper ledger_private.open_at spells the
--     condition so the planner ORs the two indexes.
--   * issue_run_stats is indexed by interval count, so the most recurring issues are
--     read first (ledger.recurring_issues with top_n).
drop index if exists ledger_private.presence_interval_range_idx;
create index if not exists presence_interval_closed_range_idx on ledger_private.presence_interval
  using gist (timeline_id, int8range(start_cl, resolved_cl, '[)')) where resolved_cl is not null;
drop index if exists ledger_private.presence_interval_open_idx;
create index if not exists presence_interval_open_start_idx on ledger_private.presence_interval
  (timeline_id, start_cl) where resolved_cl is null;

drop index if exists ledger_private.issue_run_stats_recurring_idx;
create index if not exists issue_run_stats_recurring_by_count_idx on ledger_private.issue_run_stats
  (timeline_id, interval_count desc) where interval_count > 1;
