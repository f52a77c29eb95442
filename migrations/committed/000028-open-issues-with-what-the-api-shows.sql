--! Previous: sha1:a67f5428e377e5524cde5b5ade54534d45535cbf
--! Hash: sha1:1633472761aecbd4148e2fd1c0fdb577f2fd28fd
--! Message: open issues with what the API shows

-- The open issues of each timeline with what the API shows of them, maintained by
-- processing from the interval changes (as open_node_count is): at the head of a
-- timeline, ledger.open_issues_at and ledger.diff read one index range of these rows
-- instead of probing issue_instance once per open issue (10k probes, 20 ms, for a
-- 10k-issue CL). Bounded by what is open, not by the history: one row per open run.
-- hash, severity, category, message and path copy issue_instance's (an identity
-- migration re-key updates them with it).
create table if not exists ledger_private.open_issue (
  timeline_id int    not null,
  issue_id    bigint not null,
  start_cl    bigint not null,
  hash        bytea  not null,
  severity    text   not null,
  category    text,
  message     text   not null,
  path        text   collate "C" not null,
  primary key (timeline_id, issue_id)
);
-- (no index led by issue_id: a read of one timeline ordered by issue id was planned
-- as a walk of such an index over every timeline's rows, 120 ms instead of 4; the
-- identity migration's re-key, once, scans the table per chunk instead)
comment on table ledger_private.open_issue is
  'Per timeline, each issue with an open run (resolved_cl NULL) and the run''s start_cl, with copies of the issue''s hash, severity, category, message and path: what ledger.open_issues_at and ledger.diff show at the head without a probe per issue. Maintained by ledger_private.apply_snapshot from the interval changes; recomputed by ledger_private.rebuild_timeline; kept in step by the identity migration''s re-key.';

insert into ledger_private.open_issue (timeline_id, issue_id, start_cl, hash, severity, category, message, path)
select i.timeline_id, i.issue_id, i.start_cl, ii.hash, ii.severity, ii.category, ii.message, ii.path
  from ledger_private.presence_interval i
  join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
 where i.resolved_cl is null
 order by 1, 2
on conflict (timeline_id, issue_id) do nothing;
