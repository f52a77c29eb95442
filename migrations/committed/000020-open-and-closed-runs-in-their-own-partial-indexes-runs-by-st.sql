--! Previous: sha1:37c00bc616109ee4bee5640538b69ae02f9bc9a2
--! Hash: sha1:91d5d93b6075dce1e97be6303b6059fb525f2b35
--! Message: open and closed runs in their own partial indexes, runs by start indexed by CL first, run stats by interval count

-- Reads at the head of a timeline follow what is open, not the history:
--   * "open at cl" is answered from two partial indexes: the open runs (the btree
--     presence_interval_open_idx, resolved_cl is null) and the closed runs by range
--     (GiST, resolved_cl is not null). The GiST over every run found the open ones
--     too, and at the latest CL of a long timeline it walked pages of closed runs to
--     find them (88 ms for open_issues_at at 1,000 CLs); the query helper
--     ledger_private.open_at spells the condition so the planner ORs the two indexes.
--   * issue_run_stats is indexed by interval count, so the most recurring issues are
--     read first (ledger.recurring_issues with top_n).
drop index if exists ledger_private.presence_interval_range_idx;
create index if not exists presence_interval_closed_range_idx on ledger_private.presence_interval
  using gist (timeline_id, int8range(start_cl, resolved_cl, '[)')) where resolved_cl is not null;
-- (the open runs keep their index by (timeline_id, issue_id): a per-issue probe of a
-- timeline finds exactly its rows in it, even when the statistics predate the
-- timeline; an index of open runs by start was tried, and chosen for such probes)
--   * runs by start are indexed by CL first: led by timeline_id, the index served any
--     per-issue probe of a timeline whose statistics predate it (one row estimated
--     for the timeline, a smaller index than the primary key), and read every run of
--     the timeline per issue: minutes for the first 100k-issue CL of a new project.
drop index if exists ledger_private.presence_interval_start_idx;
create index if not exists presence_interval_start_cl_idx on ledger_private.presence_interval
  (start_cl, timeline_id);

drop index if exists ledger_private.issue_run_stats_recurring_idx;
create index if not exists issue_run_stats_recurring_by_count_idx on ledger_private.issue_run_stats
  (timeline_id, interval_count desc) where interval_count > 1;
