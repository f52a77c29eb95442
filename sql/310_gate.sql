-- ledger.gate: the quality gate for one CL of a timeline, as JSON, for CI.
--
-- Judged from the presence intervals, so partial and sharded builds are judged right:
-- an issue is new at CL c when one of its intervals starts at c, i.e. it is present
-- in the latest applied build at c that covers its path and was absent from the
-- previous build that covered that path (SPEC section 3). Against the policy
-- (ledger.gate_policy): new errors, new warnings, regressions (new at c after an
-- earlier interval) and per-path thresholds of open issues fail the gate; flaky
-- issues (ledger.flaky_issues) are listed but never fail it unless flaky_blocks.
-- Suppressed issues (ledger.suppressed_at: triage, sql/340_triage.sql) are listed with
-- suppressed = true and counted under 'suppressed', never in the other counts, never
-- blocking, and not in the thresholds' open counts; when the suppression expires they
-- count again.
-- Not ready while no build reported c, or any snapshot at or before c is still
-- unprocessed or failed (its content could change what is new at c).

drop function if exists ledger.gate(text, bigint, text);
create function ledger.gate(project text, cl bigint, stream text default 'main')
returns jsonb
language plpgsql stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_policy jsonb;
  v_builds int;
  v_pending int;
  v_failed text;
  v_reasons text[] := '{}';
  v_issues jsonb;
  v_counts jsonb;
  v_breaches jsonb;
  v_blocking int;
  v_suppressed bigint[];
begin
  perform ledger_private.require_timeline(gate.project, gate.stream);
  perform ledger_private.require_cl('cl', gate.cl);
  v_policy := ledger.gate_policy(gate.project);

  select count(*) filter (where s.cl = gate.cl),
         count(*) filter (where s.state in ('queued', 'processing') or s.processed_version <> s.content_version),
         string_agg(format('snapshot %s (CL %s, build %s) failed: %s', s.snapshot_id, s.cl, s.build_id, s.error), '; ')
           filter (where s.state = 'failed')
    into v_builds, v_pending, v_failed
    from ledger.snapshot s
   where s.project = gate.project and s.stream = gate.stream and s.cl <= gate.cl;
  if v_builds = 0 or v_pending > 0 or v_failed is not null then
    return jsonb_build_object('project', gate.project, 'stream', gate.stream, 'cl', gate.cl, 'status', 'not_ready',
      'reasons', to_jsonb(array_remove(array[
        case when v_builds = 0 then format('no build has reported CL %s yet', gate.cl) end,
        case when v_pending > 0 then format('%s snapshot(s) at or before CL %s are not processed yet', v_pending, gate.cl) end,
        v_failed], null)),
      'policy', v_policy);
  end if;

  v_suppressed := array(select s.issue_id from ledger.suppressed_at(gate.project, gate.cl, gate.stream) s);
  with new_at as materialized (
    select i.issue_id, ii.hash, ii.severity, ii.category, ii.message, ii.path,
           exists (select 1 from ledger.issue_presence_interval e
                    where e.issue_id = i.issue_id and e.project = gate.project and e.stream = gate.stream
                      and e.start_cl < gate.cl) as regression,
           i.issue_id = any(v_suppressed) as suppressed
      from ledger.issue_presence_interval i
      -- (one probe per new issue, not a hash over every issue ever seen)
     cross join lateral (select ii.* from ledger_private.issue_instance ii where ii.issue_id = i.issue_id offset 0) ii
     where i.project = gate.project and i.stream = gate.stream and i.start_cl = gate.cl
       and ii.severity in ('error', 'warning')
  ),
  flaky as materialized (
    select f.issue_id, f.score from ledger_private.flaky_scores(gate.project, gate.stream, gate.cl,
             (v_policy->>'flaky_window')::int, (v_policy->>'flaky_min_flips')::int,
             array(select n.issue_id from new_at n where not n.suppressed)) f
     where f.score >= (v_policy->>'flaky_min_score')::numeric
  ),
  judged as (
    select n.*, f.score as flaky_score,
           ((n.severity = 'error' and (v_policy->>'fail_on_new_errors')::boolean)
            or (n.severity = 'warning' and (v_policy->>'fail_on_new_warnings')::boolean)
            or (n.regression and (v_policy->>'fail_on_regressions')::boolean))
           and (f.issue_id is null or (v_policy->>'flaky_blocks')::boolean) and not n.suppressed as blocking
      from new_at n left join flaky f on f.issue_id = n.issue_id
  )
  select jsonb_build_object(
           'new_errors', count(*) filter (where j.severity = 'error' and not j.suppressed),
           'new_warnings', count(*) filter (where j.severity = 'warning' and not j.suppressed),
           'regressions', count(*) filter (where j.regression and not j.suppressed),
           'flaky', count(*) filter (where j.flaky_score is not null),
           'blocking', count(*) filter (where j.blocking),
           'suppressed', count(*) filter (where j.suppressed)),
         coalesce(jsonb_agg(jsonb_build_object(
           'issue_id', j.issue_id, 'hash', encode(j.hash, 'hex'), 'severity', j.severity, 'category', j.category,
           'path', j.path, 'message', j.message, 'kind', case when j.regression then 'regression' else 'new' end,
           'flaky', j.flaky_score is not null, 'flaky_score', j.flaky_score, 'blocking', j.blocking,
           'suppressed', j.suppressed)
           order by j.blocking desc, j.severity, j.path, j.issue_id) filter (where j.blocking or j.flaky_score is not null
                                                                              or j.regression or j.severity = 'error' or j.suppressed), '[]'),
         count(*) filter (where j.blocking)
    into v_counts, v_issues, v_blocking
    from judged j;

  if (v_counts->>'new_errors')::int > 0 and (v_policy->>'fail_on_new_errors')::boolean then
    v_reasons := v_reasons || format('%s new error(s) at CL %s', v_counts->>'new_errors', gate.cl);
  end if;
  if (v_counts->>'new_warnings')::int > 0 and (v_policy->>'fail_on_new_warnings')::boolean then
    v_reasons := v_reasons || format('%s new warning(s) at CL %s', v_counts->>'new_warnings', gate.cl);
  end if;
  if (v_counts->>'regressions')::int > 0 and (v_policy->>'fail_on_regressions')::boolean then
    v_reasons := v_reasons || format('%s regression(s): issues that were resolved before came back at CL %s', v_counts->>'regressions', gate.cl);
  end if;
  if v_blocking = 0 then
    v_reasons := '{}'; -- what was new is flaky (and flaky issues do not block under this policy)
  elsif (v_counts->>'flaky')::int > 0 and not (v_policy->>'flaky_blocks')::boolean then
    v_reasons := v_reasons || format('(%s flaky issue(s) not counted)', v_counts->>'flaky');
  end if;

  -- thresholds: open issues at c under a path prefix
  select coalesce(jsonb_agg(jsonb_build_object('path_prefix', t->>'path_prefix', 'severity', t->>'severity',
                                               'max_open', (t->>'max_open')::int, 'open', o.n)), '[]')
    into v_breaches
    from jsonb_array_elements(v_policy->'thresholds') t
    cross join lateral (
      select count(*)::int as n
        from ledger.issue_presence_interval i
        join ledger.issue_instance ii on ii.issue_id = i.issue_id
       where i.project = gate.project and i.stream = gate.stream
         and i.start_cl <= gate.cl and (i.resolved_cl is null or i.resolved_cl > gate.cl)
         and ledger.path_covered(ii.path, array[t->>'path_prefix'])
         and not i.issue_id = any(v_suppressed)
         and (t->>'severity' = 'any' or ii.severity = t->>'severity')) o
   where o.n > (t->>'max_open')::int;
  select v_reasons || coalesce(array_agg(format('%s open %s issue(s) under %s (at most %s allowed)',
                                                b->>'open', case when b->>'severity' = 'any' then 'open' else b->>'severity' end,
                                                b->>'path_prefix', b->>'max_open')), '{}')
    into v_reasons
    from jsonb_array_elements(v_breaches) b;

  return jsonb_build_object(
    'project', gate.project, 'stream', gate.stream, 'cl', gate.cl,
    'status', case when v_blocking > 0 or jsonb_array_length(v_breaches) > 0 then 'fail' else 'pass' end,
    'reasons', to_jsonb(v_reasons), 'counts', v_counts, 'threshold_breaches', v_breaches,
    'issues', v_issues, 'policy', v_policy);
end
$$;
comment on function ledger.gate(text, bigint, text) is
  'The quality gate for CL cl of (project, stream) as JSON: status pass, fail or not_ready, the reasons, counts of new errors, new warnings, regressions and flaky issues, threshold breaches and the offending issues (suppressed ones flagged and counted apart, never blocking), judged against ledger.gate_policy(project). Not ready while CL cl has no build or a snapshot at or before it is unprocessed or failed.';
