-- Presence semantics (SPEC section 3): intervals, order independence, re-ingest,
-- partial coverage, shards, idempotent re-posts, metrics.
begin;
select plan(16);

-- rep(stream, cl, build id, issues as 'path|message', covered paths or NULL for all)
create function pg_temp.rep(p_stream text, p_cl int, p_build text, p_issues text[], p_cov text[] default null)
returns jsonb language sql as $$
  select jsonb_build_object('project', 'atlas', 'stream', p_stream, 'changelist', p_cl,
    'build', jsonb_strip_nulls(jsonb_build_object('id', p_build, 'covered_paths', to_jsonb(p_cov))),
    'issues', coalesce((select jsonb_agg(jsonb_build_object('path', split_part(i, '|', 1), 'severity', 'error',
                                                         'message', split_part(i, '|', 2)))
                          from unnest(p_issues) i), '[]'))
$$;
create function pg_temp.iv(p_stream text, p_path text default 's/a/x')
returns setof text language sql as $$
  select format('%s..%s/%s', i.start_cl, i.last_seen_cl, coalesce(i.resolved_cl::text, 'open'))
    from ledger.issue_presence_interval i join ledger.issue_instance ii using (issue_id)
   where i.project = 'atlas' and i.stream = p_stream and ii.path = p_path
   order by i.start_cl
$$;
create function pg_temp.same_as_rebuild(p_stream text) returns boolean language sql as $$
  select not exists (
    (select issue_id, start_cl, last_seen_cl, resolved_cl from ledger.issue_presence_interval
      where project = 'atlas' and stream = p_stream
     except select * from ledger_private.expected_intervals('atlas', p_stream))
    union all
    (select * from ledger_private.expected_intervals('atlas', p_stream)
     except select issue_id, start_cl, last_seen_cl, resolved_cl from ledger.issue_presence_interval
      where project = 'atlas' and stream = p_stream))
$$;

-- the SPEC example, in order
select ledger.ingest_report(pg_temp.rep('spec', c, 'b' || c,
         case when c in (100, 101, 104) then array['s/a/x|Missing cue X'] else array['s/b/y|Other'] end))
  from unnest(array[100, 101, 103, 104, 105]) c;
select results_eq($$select * from pg_temp.iv('spec')$$, array['100..101/103', '104..104/105'],
  'SPEC example: X seen at 100, 101, 104 gives [100..101, resolved 103] and [104..104, resolved 105]');
select ledger.ingest_report(pg_temp.rep('spec', 102, 'b102', array['s/a/x|Missing cue X']));
select results_eq($$select * from pg_temp.iv('spec')$$, array['100..102/103', '104..104/105'],
  'SPEC example: a late build at 102 reporting X extends the first interval to 102');
select ok(pg_temp.same_as_rebuild('spec'), 'incremental intervals equal a from-scratch rebuild');

-- the same final content, arriving in another order
select ledger.ingest_report(pg_temp.rep('shuffled', c, 'b' || c,
         case when c in (100, 101, 102, 104) then array['s/a/x|Missing cue X'] else array['s/b/y|Other'] end))
  from unnest(array[105, 102, 100, 104, 103, 101]) c;
select results_eq($$select * from pg_temp.iv('shuffled')$$, $$select * from pg_temp.iv('spec')$$,
  'out-of-order arrival leaves exactly the intervals of in-order arrival');
select results_eq($$select cl, total, new, resolved from ledger.changelist_metrics where stream = 'shuffled' order by cl$$,
                  $$select cl, total, new, resolved from ledger.changelist_metrics where stream = 'spec' order by cl$$,
  'out-of-order arrival leaves exactly the metrics of in-order arrival');

-- re-ingesting CL 101 (same build id) with new content replaces it
select ledger.ingest_report(pg_temp.rep('spec', 101, 'b101', array['s/b/y|Other']));
select results_eq($$select * from pg_temp.iv('spec')$$, array['100..100/101', '102..102/103', '104..104/105'],
  're-ingesting CL 100-something with new content splits the interval where X disappeared');
select is((select count(*)::int from ledger.snapshot where stream = 'spec' and cl = 101), 1,
  're-ingesting the same (timeline, CL, build id) replaces the snapshot, never duplicates it');
select ok(pg_temp.same_as_rebuild('spec'), 'after re-ingest, intervals still equal a rebuild');

-- an identical re-post is a no-op
select is(ledger.ingest_report(pg_temp.rep('spec', 105, 'b105', array['s/b/y|Other'])),
          (select snapshot_id from ledger.snapshot where stream = 'spec' and cl = 105),
          'an identical re-post returns the same snapshot id');

-- partial coverage keeps issues open
select ledger.ingest_report(pg_temp.rep('partial', 200, 'f200', array['s/a/x|Missing cue X', 's/b/y|Other']));
select ledger.ingest_report(pg_temp.rep('partial', 201, 'p201', array['s/b/z|Third'], array['s/b']));
select results_eq($$select * from pg_temp.iv('partial')$$, array['200..200/open'],
  'a build that does not cover a path neither opens nor closes its issues');
select results_eq($$select * from pg_temp.iv('partial', 's/b/y')$$, array['200..200/201'],
  'a partial build resolves the issues under the paths it covers');
select is((select total from ledger.changelist_metrics where stream = 'partial' and cl = 201), 2,
  'at the partial CL the uncovered issue still counts as open');
select ledger.ingest_report(pg_temp.rep('partial', 202, 'e202', array[]::text[], array[]::text[]));
select results_eq($$select * from pg_temp.iv('partial')$$, array['200..200/open'],
  'covered_paths [] vouches for nothing: issues stay open');

-- shards: two snapshots at one CL, each covering a part; the latest covering one decides
select ledger.ingest_report(pg_temp.rep('shards', 300, 'full', array['s/a/x|Missing cue X', 's/b/y|Other']));
select ledger.ingest_report(pg_temp.rep('shards', 301, 'shard-a', array['s/a/x|Missing cue X'], array['s/a']));
select ledger.ingest_report(pg_temp.rep('shards', 301, 'shard-b', array[]::text[], array['s/b']));
select results_eq($$select * from pg_temp.iv('shards', 's/a/x') union all select * from pg_temp.iv('shards', 's/b/y')$$,
                  array['300..301/open', '300..300/301'],
  'sharded builds: each shard decides presence for its own subtree');
select ledger.ingest_report(pg_temp.rep('shards', 301, 'rerun-a', array[]::text[], array['s/a']));
select results_eq($$select * from pg_temp.iv('shards', 's/a/x')$$, array['300..300/301'],
  'a later snapshot at the same CL covering the path takes over (most recently received wins)');
select ok(pg_temp.same_as_rebuild('shards') and pg_temp.same_as_rebuild('partial'),
  'shards and partial builds: incremental equals rebuild');

select * from finish();
rollback;
