-- Processing: turn one staged snapshot into observations, presence intervals and
-- metrics (SPEC section 3), incrementally.
--
-- Model. For a timeline T, an issue X at path P and S(P) = the CLs whose applied
-- snapshots cover P, the intervals of X are the maximal runs of S(P) at which X is
-- present. Applying snapshot s at CL c can only change presence at c and whether c
-- belongs to S(P); with p / n = the neighbours of c in S(P) \ {c}, only the runs that
-- touch p, c or n can change. So for each affected issue we
--   1. read its intervals that intersect [p, n] (at most two runs),
--   2. rebuild the runs over the points p, c, n from those intervals (which encode
--      presence at p and n) and the new presence at c,
--   3. write the difference, and turn it into +/- events on changelist_metrics.
-- Affected issues, in general: those reported at c (any snapshot at c), those open
-- across c and those whose interval was resolved at c, restricted to paths the
-- snapshots at c cover (now or before), found through the GiST index on the interval
-- ranges. The common case (a full build, the first applied at c, between full
-- neighbours p and n) narrows this to the issues whose presence at c differs from that
-- at p or at n (step 3): at the head, those that appeared or disappeared. The work
-- never depends on the length of the history.
--
-- Order independence: the result depends only on the set of applied snapshots
-- (snapshot.applied_seq / applied_covered_paths), never on arrival order.
-- Writes follow the changes: an open run stores last_seen_cl NULL (the API view
-- derives it), so an issue still present at a new head CL writes nothing; only the
-- issues that appeared or disappeared write an interval row.
-- Concurrency: the row of ledger_private.timeline_progress serialises processing
-- within a timeline; staging never locks it, so an upload never waits for processing.
-- The snapshot row is only read until the final bookkeeping update; a re-post staged
-- meanwhile bumps content_version, and this run then leaves the snapshot queued for
-- its next job. Other timelines never wait, except on an identical new path or issue
-- hash (one sorted path insert per snapshot, issue inserts sorted by hash).

create or replace function ledger_private.only_build_ids(p_timeline int, p_cl bigint)
returns bigint[]
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  /* The issues present at CL p_cl when one applied snapshot there decides every path:
     the sorted ids of its observation row. NULL when p_cl is NULL, has no applied
     snapshot or more than one (presence then depends on the path), or its row is gone
     (retention). */
  select o.issue_ids
    from ledger_private.snapshot s
    join ledger_private.issue_observation o on o.timeline_id = s.timeline_id and o.snapshot_id = s.snapshot_id
   where s.timeline_id = p_timeline and s.cl = p_cl and s.applied_seq is not null
     and s.applied_covered_paths is null
     and not exists (select 1 from ledger_private.snapshot s2
                      where s2.timeline_id = p_timeline and s2.cl = p_cl and s2.applied_seq is not null
                        and s2.snapshot_id <> s.snapshot_id)
$$;
comment on function ledger_private.only_build_ids(int, bigint) is
  'Processing: the sorted ids of the issues present at a CL whose only applied snapshot is a full build (its observation row), else NULL.';

create or replace function ledger_private.apply_snapshot(p_snapshot_id bigint, p_staged_here boolean)
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
set client_min_messages to warning
as $$
declare
  v_forks bigint[];   -- (fork lists of a CL, for ledger_private.open_at: computed once, never per row)
  v_forks_upto bigint[];
  v_id constant bigint := p_snapshot_id;
  v_t0 constant timestamptz := clock_timestamp();
  v_s ledger_private.snapshot;
  v_tl int;
  v_c bigint;
  v_ver int;
  v_old_cov text[];
  v_was_applied boolean;
  v_filter_all boolean;
  v_filter text[];
  v_set jsonb;
  v_head boolean;
  v_nsnaps int;
  v_only_this boolean;      -- this snapshot is the only applied one at c that covers anything
  v_p_full bigint;
  v_n_full bigint;
  v_partial_neighbours boolean;
  v_version smallint;
  v_day int := ledger_private.cache_day();
  v_stale int := v_day - ledger_private.cache_restamp_days() + 1;   -- (a stamp before it is old: stamp again)
  v_nrows int;
  v_merge boolean;          -- (step 1 reads the raw identity cache whole, in one join, not by probes)
  v_fast boolean;
  v_p_ids bigint[];
  v_n_ids bigint[];
  v_hashjoin text := current_setting('enable_hashjoin');
  v_n bigint;
  v_mergejoin text := current_setting('enable_mergejoin');
  v_seqscan text := current_setting('enable_seqscan');
  v_nestloop text := current_setting('enable_nestloop');
begin
  /* Guarantees: idempotent (a second call for the same content version is a no-op);
     leaves intervals and metrics equal to a from-scratch rebuild of the applied
     snapshots (ledger_private.rebuild_timeline); raises rather than skips. */
  select s.timeline_id into v_tl from ledger_private.snapshot s where s.snapshot_id = v_id;
  if not found then
    raise exception 'snapshot_id: no snapshot with id %', v_id using errcode = '22023';
  end if;
  perform 1 from ledger_private.timeline_progress g where g.timeline_id = v_tl for update;
  select * into v_s from ledger_private.snapshot s where s.timeline_id = v_tl and s.snapshot_id = v_id;
  if v_s.processed_version = v_s.content_version then
    return;
  end if;
  v_c := v_s.cl;
  v_ver := v_s.content_version;
  v_was_applied := v_s.applied_seq is not null;
  v_old_cov := v_s.applied_covered_paths;

  -- session work tables, emptied at commit; a second call in one transaction (backfill
  -- chunks, tests) empties them with a cheap delete instead of a truncate (in the
  -- memory ledger_private.size_work_memory gives them)
  perform ledger_private.size_work_memory();
  create temp table if not exists _bl_row (
    rk bytea, hash bytea, cached boolean, used_day int, path text collate "C", severity text,
    category text, message text, nmessage text) on commit delete rows;
  -- (_bl_found without an index: its 10k inserts in id order cost more than the
  -- hash joins that read it; its ids are unique by construction)
  create temp table if not exists _bl_found (
    issue_id bigint, occurrences bigint, nrows int) on commit delete rows;
  create temp table if not exists _bl_hash (
    hash bytea primary key, issue_id bigint, occurrences bigint, nrows int) on commit delete rows;
  create temp table if not exists _bl_snaps (
    snapshot_id bigint, seq bigint, covered text[]) on commit delete rows;
  create temp table if not exists _bl_aff (
    issue_id bigint primary key, path text collate "C", c_in boolean, pres_c boolean,
    p bigint, n bigint) on commit delete rows;
  create temp table if not exists _bl_win (
    issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint) on commit delete rows;
  create temp table if not exists _bl_win_tid (
    issue_id bigint, start_cl bigint, tid tid) on commit delete rows;
  create temp table if not exists _bl_new (
    issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint) on commit delete rows;
  create temp table if not exists _bl_del (tid tid) on commit delete rows;
  create temp table if not exists _bl_upd (
    tid tid, last_seen_cl bigint, resolved_cl bigint) on commit delete rows;
  create temp table if not exists _bl_old_chg (
    issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint) on commit delete rows;
  create temp table if not exists _bl_new_chg (
    issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint) on commit delete rows;
  create temp table if not exists _bl_snap_obs (
    snapshot_id bigint, issue_id bigint, primary key (issue_id, snapshot_id)) on commit delete rows;
  create temp table if not exists _bl_new_issue (
    hash bytea, path text collate "C", severity text, category text, example text, nmessage text)
    on commit delete rows;
  create temp table if not exists _bl_node_delta (
    path_node_id bigint, path text collate "C", delta int) on commit delete rows;
  create temp table if not exists _bl_chg_issue (
    issue_id bigint primary key, hash bytea, severity text, category text, message text,
    path text collate "C", node_id bigint, node_path text collate "C") on commit delete rows;
  if current_setting('buildledger.process_xact', true) is not distinct from txid_current()::text then
    delete from _bl_row; delete from _bl_found; delete from _bl_hash; delete from _bl_snaps; delete from _bl_aff;
    delete from _bl_win; delete from _bl_new; delete from _bl_old_chg; delete from _bl_new_chg;
    delete from _bl_node_delta; delete from _bl_new_issue; delete from _bl_win_tid;
    delete from _bl_del; delete from _bl_upd; delete from _bl_snap_obs; delete from _bl_chg_issue;
  end if;
  perform set_config('buildledger.process_xact', txid_current()::text, true);

  -- 1. observations: normalise, hash, register paths and issues -------------------
  -- Raw texts seen before take their hash from ledger_private.raw_identity; only new
  -- ones go through the normaliser's regular expressions. The cache key carries the
  -- normaliser version: a raw text's identity differs by version.
  -- (shared with every other processing, exclusive for renormalise_start: a move to a
  -- new normaliser version waits for the processing in flight, and processing that
  -- starts later reads the new version, so no issue of the old version is created after
  -- the migration has counted them)
  perform pg_advisory_xact_lock_shared(hashtext('buildledger:normaliser_version'));
  v_version := ledger_private.normaliser_version();
  if not p_staged_here then
    -- staged earlier (a job): its input row of arrays becomes the session's staging
    -- table, which a report processed in its own transaction (ledger.ingest_report)
    -- fills directly and never writes to snapshot_input
    if not exists (select 1 from ledger_private.snapshot_input si
                    where si.timeline_id = v_tl and si.snapshot_id = v_id and si.content_version = v_ver) then
      raise exception 'snapshot %: staged issues are missing (expected %)', v_id, v_s.raw_issue_count
        using errcode = 'XX001';
    end if;
    perform ledger_private.prepare_stage_issues();
    insert into _bl_stage_issue (ord, path, severity, category, message, occurrences)
    select u.ord, u.path, u.severity, u.category, u.message, u.occurrences
      from ledger_private.snapshot_input si
     cross join lateral unnest(si.paths, si.severities, si.categories, si.messages, si.occurrences)
           with ordinality as u(path, severity, category, message, occurrences, ord)
     where si.timeline_id = v_tl and si.snapshot_id = v_id and si.content_version = v_ver;
  end if;
  -- one pass over the rows: the identity of each (the cache, else the normaliser),
  -- grouped into issues: those the cache knows by id (_bl_found), the others by hash
  -- (_bl_hash, ids looked up or created below); the rows the cache does not know (or
  -- must stamp today) are kept aside, with what a new issue is created from. The pass
  -- itself carries only the key and the row's address: the texts are read back (by
  -- address) for the few rows kept aside, not copied for all of them
  -- The cache is read one of two ways. Usually one probe per row of its index, which
  -- holds the id and day: whatever the size of the cache, never a scan of it, and
  -- never its table; in key order, so consecutive probes share the index pages. But a
  -- probe costs about as much as reading ten of the index's pages in order, so for a
  -- large report (50k rows or more) whose cache index has fewer pages than a tenth of
  -- its rows, the cache is read once beside the sorted keys (a merge or hash join, as
  -- the planner prefers): the second 100k-issue CL of bench:core took 2.9-3.0 s so
  -- against 4.0-4.2 s by probes. (At 10k rows the scan measured slower: not used.)
  -- (the session setting buildledger.cache_read = probe or scan forces one way: tests)
  v_merge := case current_setting('buildledger.cache_read', true)
               when 'probe' then false when 'scan' then true
               else coalesce(v_s.raw_issue_count, 0) >= 50000
                    and pg_relation_size('ledger_private.raw_identity_pkey') < v_s.raw_issue_count / 10 * 8192::bigint end;
  if v_merge then
    perform set_config('enable_nestloop', 'off', true);
  end if;
  with x as materialized (
    -- (materialized: the key is hashed once per row, not once per use)
    select t.ctid as tid, t.occurrences,
           substr(sha256(convert_to(case when v_version = 1 then '' else 'v' || v_version || E'\x1f' end
                                    || t.message || E'\x1f' || t.path, 'UTF8')), 1, 16) as rk
      from _bl_stage_issue t
     order by rk
  ), r as materialized (
    select x.tid, x.rk, ri.issue_id as known_id, ri.used_day, x.occurrences
      from x
      left join lateral (select c.issue_id, c.used_day from ledger_private.raw_identity c
                          where c.raw_key = x.rk offset 0) ri on true
     where not v_merge
    union all
    select x.tid, x.rk, c.issue_id, c.used_day, x.occurrences
      from x
      left join ledger_private.raw_identity c on c.raw_key = x.rk
     where v_merge
  ), aside as (
    insert into _bl_row (rk, hash, cached, used_day, path, severity, category, message, nmessage)
    select k.rk, case when not k.cached then ledger.issue_hash_normalised_as(k.nm, k.path, v_version) end,
           k.cached, k.used_day, k.path, k.severity, k.category, k.message, k.nm
      from (select r.rk, r.known_id is not null as cached, r.used_day, t.path, t.severity, t.category, t.message,
                   -- (only a text the cache does not know goes through the normaliser)
                   case when r.known_id is null then ledger.normalise_message_as(t.message, v_version) end as nm
              from r join _bl_stage_issue t on t.ctid = r.tid
             where r.known_id is null or r.used_day < v_stale
            offset 0) k   -- (offset 0: normalised once per row)
    returning rk, hash, cached
  ), found as (
    insert into _bl_found (issue_id, occurrences, nrows)
    select r.known_id, sum(r.occurrences), count(*) from r where r.known_id is not null group by r.known_id
  )
  insert into _bl_hash (hash, issue_id, occurrences, nrows)
  select a.hash, (select i.issue_id from ledger_private.issue_instance i where i.hash = a.hash),
         sum(r.occurrences), count(*)
    from r
    join (select distinct on (a.rk) a.rk, a.hash from aside a where not a.cached) a on a.rk = r.rk
   where r.known_id is null
   group by a.hash;
  if v_merge then
    perform set_config('enable_nestloop', v_nestloop, true);
  end if;

  -- new issues: their texts are all new to the cache (a cached text's issue exists),
  -- so what they are created from is in _bl_row (severity: the highest reported)
  insert into _bl_new_issue
  select x.hash, min(x.path),
         (array['info', 'warning', 'error'])[max(array_position(array['info', 'warning', 'error'], x.severity))],
         min(x.category), min(x.message), min(x.nmessage)
    from _bl_row x
   where not x.cached and x.hash in (select h.hash from _bl_hash h where h.issue_id is null)
   group by x.hash;

  -- every new path prefix of the report and of its coverage, in one sorted insert (an
  -- issue that exists has its path node: only the paths of new issues can be new)
  perform ledger_private.ensure_paths(array(select distinct r.path from _bl_new_issue r)
                                      || coalesce(v_s.covered_paths, '{}'));

  -- new identities (sorted by hash, so concurrent sessions cannot wait in a cycle);
  -- their ids come back from the insert (those known by hash came with _bl_hash), and
  -- the ids of those another session created meanwhile are looked up after it
  with ins as (
  insert into ledger_private.issue_instance (hash, normaliser_version, message, path, path_node_id, severity, category, example_message)
  -- (look-ups of the big tables are one index probe per row, correlated: a join could
  -- be planned as a hash over all of path_node or issue_instance)
  select r.hash, v_version, coalesce(r.nmessage, ledger.normalise_message_as(r.example, v_version)), r.path,
         (select n.path_node_id from ledger_private.path_node n where n.path = r.path),
         r.severity, r.category, r.example
    from _bl_new_issue r
   order by r.hash
  on conflict (hash) do nothing
  returning hash, issue_id)
  update _bl_hash r set issue_id = ins.issue_id from ins where r.hash = ins.hash and r.issue_id is null;
  update _bl_hash r
     set issue_id = (select i.issue_id from ledger_private.issue_instance i where i.hash = r.hash)
   where r.issue_id is null;
  if exists (select 1 from _bl_hash r where r.issue_id is null) then
    raise exception 'snapshot %: an issue of it has no identity (the raw identity cache names an issue that does not exist)', v_id
      using errcode = 'XX001';
  end if;

  -- the cache: new raw texts are added; a text seen again is stamped with today once its
  -- stamp is ledger_private.cache_restamp_days() old, so ledger_private.prune_raw_identity
  -- can drop what is no longer reported
  insert into ledger_private.raw_identity (raw_key, issue_id, used_day)
  select distinct on (x.rk) x.rk, r.issue_id, v_day
    from _bl_row x join _bl_hash r on r.hash = x.hash
   where not x.cached order by x.rk
  on conflict do nothing;

  -- the issues of texts new to the cache join those it knew (a new text of a known
  -- issue adds its rows and occurrences), and every row is counted once
  -- (the known ones are updated and dropped from _bl_hash, then the rest inserted: an
  -- insert that probed _bl_found for its own rows rescanned what it had written so far,
  -- a minute for a new project's first 100k-issue build)
  analyze _bl_found;
  analyze _bl_hash;
  perform set_config('enable_nestloop', 'off', true);
  with m as (
    update _bl_found f set occurrences = f.occurrences + h.occurrences, nrows = f.nrows + h.nrows
      from _bl_hash h where h.issue_id = f.issue_id
    returning h.hash)
  delete from _bl_hash h using m where h.hash = m.hash;
  perform set_config('enable_nestloop', v_nestloop, true);
  insert into _bl_found (issue_id, occurrences, nrows)
  select h.issue_id, h.occurrences, h.nrows from _bl_hash h;
  select coalesce(sum(r.nrows), 0) into v_nrows from _bl_found r;
  if v_nrows <> v_s.raw_issue_count then
    raise exception 'snapshot %: staged issues are missing (expected %, found %)', v_id, v_s.raw_issue_count, v_nrows
      using errcode = 'XX001';
  end if;
  analyze _bl_found;
  -- (rows another session is stamping are skipped: it stamps the same day, and waiting
  -- for it could close a lock cycle between two timelines reporting the same texts)
  update ledger_private.raw_identity ri set used_day = v_day
   where ri.raw_key in (select r.raw_key
                          from _bl_row x
                         cross join lateral (select c.raw_key from ledger_private.raw_identity c
                                              where c.raw_key = x.rk and c.used_day < v_stale
                                              for update skip locked) r
                         where x.cached and x.used_day < v_stale);

  -- (only a snapshot processed before has observations: processing is one transaction.
  -- No existence probe for a new one: with a generic plan it can become a scan)
  if v_s.processed_version is not null then
    delete from ledger_private.issue_observation o where o.timeline_id = v_tl and o.snapshot_id = v_id;
  end if;
  -- (one row: the snapshot's issue ids in order, and their occurrences)
  insert into ledger_private.issue_observation (timeline_id, snapshot_id, cl, issue_ids, occurrences)
  select v_tl, v_id, v_c, coalesce(array_agg(r.issue_id), '{}'), coalesce(array_agg(r.occ), '{}')
    from (select r.issue_id, least(r.occurrences, 2147483647)::int as occ from _bl_found r
           order by r.issue_id) r;   -- (sorted once: both arrays follow this order)

  -- 2. apply the snapshot: it is now the latest received at its CL. Its row is written
  --    only by the last statement (so a re-post staged meanwhile never waits for this
  --    run); until then the applied snapshots at c are read with this one as applied.
  insert into _bl_snaps
  select s.snapshot_id, s.applied_seq, s.applied_covered_paths
    from ledger_private.snapshot s
   where s.timeline_id = v_tl and s.cl = v_c and s.snapshot_id <> v_id
     and s.applied_seq is not null
     and (s.applied_covered_paths is null or cardinality(s.applied_covered_paths) > 0)
  union all
  select v_id, v_s.received_seq, v_s.covered_paths
   where v_s.covered_paths is null or cardinality(v_s.covered_paths) > 0;
  get diagnostics v_nsnaps = row_count;
  v_only_this := v_nsnaps = 1 and exists (select 1 from _bl_snaps where _bl_snaps.snapshot_id = v_id);

  -- paths whose state at c can have changed: covered by a snapshot at c now, or by
  -- this snapshot before
  v_filter_all := exists (select 1 from _bl_snaps where covered is null)
                  or (v_was_applied and v_old_cov is null);
  if not v_filter_all then
    select coalesce(array_agg(distinct p), '{}') into v_filter
      from (select unnest(covered) p from _bl_snaps
            union all select unnest(coalesce(v_old_cov, '{}'))) x;
  end if;

  v_head := not exists (select 1 from ledger_private.snapshot s
                         where s.timeline_id = v_tl and s.cl > v_c and s.applied_seq is not null);

  -- neighbours of c in S(P) \ {c}: the nearest applied snapshots that cover everything,
  -- and whether a partial one lies between them (then they depend on the path)
  select max(s.cl) into v_p_full from ledger_private.snapshot s
   where s.timeline_id = v_tl and s.cl < v_c
     and s.applied_seq is not null and s.applied_covered_paths is null;
  select min(s.cl) into v_n_full from ledger_private.snapshot s
   where s.timeline_id = v_tl and s.cl > v_c
     and s.applied_seq is not null and s.applied_covered_paths is null;
  v_partial_neighbours := exists (
    select 1 from ledger_private.snapshot s
     where s.timeline_id = v_tl
       and s.applied_seq is not null and cardinality(s.applied_covered_paths) > 0
       and s.cl > coalesce(v_p_full, 0) and s.cl < coalesce(v_n_full, 9223372036854775807)
       and s.cl <> v_c);

  -- 3. affected issues ------------------------------------------------------------------
  -- The common case: this full snapshot is the first one applied at c and its
  -- neighbours p and n cover everything too. An issue's runs then change only when its
  -- presence at c differs from that at p, or (with n) from that at n; presence at p
  -- and n is read off the intervals that contain them (p and n are in S(P) for every
  -- P). So the affected issues are (P xor C) plus (P and C and not N): at the head of
  -- a timeline, the issues that appeared or disappeared.
  v_fast := v_only_this and v_s.covered_paths is null and not v_was_applied and not v_partial_neighbours;
  if v_fast then
    -- presence at p and at n: the observation row of the CL's only applied snapshot
    -- (the full build), sorted ids in one fetch; else (the CL has other builds, or
    -- retention removed its row) the runs that hold the CL
    v_forks := ledger_private.run_forks_after(v_p_full);
    v_forks_upto := ledger_private.run_forks_upto(v_p_full);
    v_p_ids := coalesce(ledger_private.only_build_ids(v_tl, v_p_full),
                        array(select i.issue_id from ledger_private.presence_interval i
                               where v_p_full is not null and i.timeline_id = v_tl
                                 and ledger_private.open_at(i.start_cl, i.resolved_cl, v_p_full, v_forks, v_forks_upto)));
    if v_n_full is not null then
      v_forks := ledger_private.run_forks_after(v_n_full);
      v_forks_upto := ledger_private.run_forks_upto(v_n_full);
      v_n_ids := coalesce(ledger_private.only_build_ids(v_tl, v_n_full),
                          array(select i.issue_id from ledger_private.presence_interval i
                                 where i.timeline_id = v_tl
                                   and ledger_private.open_at(i.start_cl, i.resolved_cl, v_n_full, v_forks, v_forks_upto)));
    end if;
  end if;
  if v_fast and v_n_full is null then
    insert into _bl_aff (issue_id, c_in, pres_c, p, n)
    select coalesce(r.issue_id, q.issue_id), true, r.issue_id is not null, v_p_full, null
      from _bl_found r
      full join unnest(v_p_ids) as q(issue_id) on q.issue_id = r.issue_id
     where r.issue_id is null or q.issue_id is null;
  elsif v_fast then
    -- (set operations: hashed or sorted whatever the estimates, never a nested loop)
    insert into _bl_aff (issue_id, c_in, pres_c, p, n)
    select x.issue_id, true, x.pres_c, v_p_full, v_n_full from (
      (select r.issue_id, true as pres_c from _bl_found r
       except select q.issue_id, true from unnest(v_p_ids) as q(issue_id))
      union all
      (select q.issue_id, false from unnest(v_p_ids) as q(issue_id)
       except select r.issue_id, false from _bl_found r)
      union all
      ((select r.issue_id, true from _bl_found r
        intersect select q.issue_id, true from unnest(v_p_ids) as q(issue_id))
       except select m.issue_id, true from unnest(v_n_ids) as m(issue_id))) x;
  else
    -- the observations of the applied snapshots at c (this one included), unnested once
    insert into _bl_snap_obs (snapshot_id, issue_id)
    select s.snapshot_id, u.issue_id
      from _bl_snaps s
      join ledger_private.issue_observation o on o.timeline_id = v_tl and o.snapshot_id = s.snapshot_id
     cross join lateral unnest(o.issue_ids) as u(issue_id);
    analyze _bl_snap_obs;
    v_forks := ledger_private.run_forks_after(v_c);
    v_forks_upto := ledger_private.run_forks_upto(v_c);
    insert into _bl_aff (issue_id, path)
    select a.issue_id, (select ii.path from ledger_private.issue_instance ii where ii.issue_id = a.issue_id) from (
    select o.issue_id from _bl_snap_obs o
    union
    select i.issue_id from ledger_private.presence_interval i
     where v_head and i.timeline_id = v_tl and i.resolved_cl is null
    union
    select i.issue_id from ledger_private.presence_interval i
     where not v_head and i.timeline_id = v_tl
       and ledger_private.open_at(i.start_cl, i.resolved_cl, v_c, v_forks, v_forks_upto)
    union
    select i.issue_id from ledger_private.presence_interval i
     where i.timeline_id = v_tl and i.resolved_cl = v_c) a;
    if not v_filter_all and cardinality(v_filter) > 32 then
      -- (a long list as a set of keys: each path looked up by its ancestors)
      v_set := ledger_private.prefix_set(v_filter);
      delete from _bl_aff a where not ledger_private.path_in_prefix_set(a.path, v_set);
    elsif not v_filter_all then
      delete from _bl_aff a where not ledger.path_covered(a.path, v_filter);
    end if;
  end if;
  analyze _bl_aff;

  -- presence at c: the latest applied snapshot at c that covers the path decides
  if v_fast then
    null;   -- set above
  elsif v_nsnaps = 0 then
    update _bl_aff set c_in = false, pres_c = false;
  elsif v_only_this then
    -- the only snapshot at c that covers anything is this one: its issues are in _bl_found
    v_set := case when cardinality(v_s.covered_paths) > 32 then ledger_private.prefix_set(v_s.covered_paths) end;
    update _bl_aff a
       set c_in = s.covered is null
                  or case when v_set is null then ledger.path_covered(a.path, s.covered)
                          else ledger_private.path_in_prefix_set(a.path, v_set) end,
           pres_c = false, p = v_p_full, n = v_n_full
      from _bl_snaps s;
    -- (by a join: a subquery per row would scan _bl_found for each affected issue)
    update _bl_aff a set pres_c = true from _bl_found r where r.issue_id = a.issue_id;
  else
    update _bl_aff a
       set c_in = e.snapshot_id is not null,
           pres_c = e.snapshot_id is not null
                    and exists (select 1 from _bl_snap_obs o
                                 where o.snapshot_id = e.snapshot_id and o.issue_id = a.issue_id)
      from _bl_aff a2
      left join lateral (select s.snapshot_id from _bl_snaps s
                          where ledger.path_covered(a2.path, s.covered)
                          order by s.seq desc limit 1) e on true
     where a2.issue_id = a.issue_id;
  end if;

  if v_fast then
    null;
  elsif not v_partial_neighbours then
    if not v_only_this then
      update _bl_aff set p = v_p_full, n = v_n_full;   -- (else the branch above set them)
    end if;
  else
    with paths as (select distinct a.path from _bl_aff a),
    nb as (
      select x.path,
             (select s.cl from ledger_private.snapshot s
               where s.timeline_id = v_tl
                 and s.cl < v_c and s.cl >= coalesce(v_p_full, 0) and s.applied_seq is not null
                 and ledger.path_covered(x.path, s.applied_covered_paths)
               order by s.cl desc limit 1) as p,
             (select s.cl from ledger_private.snapshot s
               where s.timeline_id = v_tl
                 and s.cl > v_c and s.cl <= coalesce(v_n_full, 9223372036854775807)
                 and s.applied_seq is not null
                 and ledger.path_covered(x.path, s.applied_covered_paths)
               order by s.cl limit 1) as n
        from paths x)
    update _bl_aff a set p = nb.p, n = nb.n from nb where nb.path = a.path;
  end if;

  -- 4. the intervals that touch [p, n], and the runs rebuilt over p, c, n ------------
  -- (an open run, last_seen_cl NULL, holds every CL of S(P) from its start on)
  -- (per affected issue, its own intervals by key: never a hash over the timeline's)
  -- (with each row's tid: the writes of step 5 reach the rows they change directly)
  with w as (
    select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl, i.ctid as tid
      from _bl_aff a
     cross join lateral (
       select i.issue_id, i.start_cl, i.last_seen_cl, i.resolved_cl, i.ctid
         from ledger_private.presence_interval i
        where i.timeline_id = v_tl and i.issue_id = a.issue_id
          and i.start_cl <= coalesce(a.n, 9223372036854775807)
          and coalesce(i.last_seen_cl, 9223372036854775807) >= coalesce(a.p, 0)
       offset 0) i
  ), t as (
    insert into _bl_win_tid select w.issue_id, w.start_cl, w.tid from w
  )
  insert into _bl_win select w.issue_id, w.start_cl, w.last_seen_cl, w.resolved_cl from w;
  analyze _bl_win;

  insert into _bl_new
  with pts as (
    select a.issue_id, a.p as cl, (w.issue_id is not null) as present,
           w.start_cl as start_o, null::bigint as last_o, null::bigint as res_o, false as is_n
      from _bl_aff a
      left join _bl_win w on w.issue_id = a.issue_id and w.start_cl <= a.p
                         and coalesce(w.last_seen_cl, 9223372036854775807) >= a.p
     where a.p is not null
    union all
    select a.issue_id, v_c, a.pres_c, null, null, null, false
      from _bl_aff a where a.c_in
    union all
    select a.issue_id, a.n, (w.issue_id is not null), null, w.last_seen_cl, w.resolved_cl, true
      from _bl_aff a
      left join _bl_win w on w.issue_id = a.issue_id and w.start_cl <= a.n
                         and coalesce(w.last_seen_cl, 9223372036854775807) >= a.n
     where a.n is not null
  ), seq as (
    select pts.*,
           lead(cl) over (partition by issue_id order by cl) as next_cl,
           row_number() over (partition by issue_id order by cl)
             - row_number() over (partition by issue_id, present order by cl) as grp
      from pts
  ), runs as (
    select issue_id,
           coalesce(min(start_o), min(cl)) as start_cl,
           coalesce(max(last_o), max(cl)) as last_cl,
           case when bool_or(is_n) then max(res_o)
                else (array_agg(next_cl order by cl desc))[1] end as resolved_cl
      from seq
     where present
     group by issue_id, grp
  )
  select issue_id, start_cl, case when resolved_cl is not null then last_cl end, resolved_cl
    from runs;

  -- 5. write the difference -------------------------------------------------------------
  insert into _bl_old_chg select * from _bl_win except select * from _bl_new;
  insert into _bl_new_chg select * from _bl_new except select * from _bl_win;
  -- (their sizes, so the writes below probe the intervals by key instead of hashing them)
  analyze _bl_old_chg;
  analyze _bl_new_chg;

  -- The rows that go and the rows that change, by the tid read in step 4: each write is
  -- one tid fetch per changed row, never a scan of the timeline's intervals. (Joined
  -- by key, the planner read the intervals of the timeline in full: by hash when it
  -- knew their number, by a nested loop over all of them when their statistics were
  -- older than the timeline, 15 s for the second 100k-issue CL of a new project.) The
  -- timeline lock (step 1) keeps the rows where step 4 found them; the counts are
  -- checked, so a moved row fails loudly instead of being missed.
  insert into _bl_del
  select t.tid
    from _bl_win_tid t
    join (select o.issue_id, o.start_cl from _bl_old_chg o
          except select n.issue_id, n.start_cl from _bl_new_chg n) d
      on d.issue_id = t.issue_id and d.start_cl = t.start_cl;
  insert into _bl_upd
  select t.tid, n.last_seen_cl, n.resolved_cl
    from _bl_new_chg n
    join _bl_win_tid t on t.issue_id = n.issue_id and t.start_cl = n.start_cl;
  analyze _bl_del;
  analyze _bl_upd;
  perform set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
          set_config('enable_seqscan', 'off', true);
  -- (no sequential scan either: while the statistics of presence_interval are those of
  -- a young table (a few thousand rows), the planner read all of it once per changed
  -- row instead of fetching each by its tid, 300 ms for 333 rows at the 20th CL)
  -- (the tid is the only index condition: with "timeline_id = v_tl" as one too, a
  -- timeline whose statistics predate it (one row estimated) made the planner drive
  -- the join from the timeline's rows, each against all of _bl_upd: 26 s for 5k rows;
  -- the timeline is checked as a plain filter)
  -- (the rows removed and the rows changed are disjoint: one statement, one check)
  with removed as (
    delete from ledger_private.presence_interval i
     using _bl_del d
     where i.ctid = d.tid and i.timeline_id + 0 = v_tl
    returning 1
  ), changed as (
    update ledger_private.presence_interval i
       set last_seen_cl = u.last_seen_cl, resolved_cl = u.resolved_cl
      from _bl_upd u
     where i.ctid = u.tid and i.timeline_id + 0 = v_tl
    returning 1
  )
  select (select count(*) from removed) + (select count(*) from changed) into v_n;
  if v_n <> (select count(*) from _bl_del) + (select count(*) from _bl_upd) then
    raise exception 'snapshot %: % of the intervals to remove or change were not where they were read', v_id,
      (select count(*) from _bl_del) + (select count(*) from _bl_upd) - v_n using errcode = 'XX001';
  end if;
  perform set_config('enable_hashjoin', v_hashjoin, true), set_config('enable_mergejoin', v_mergejoin, true),
          set_config('enable_seqscan', v_seqscan, true);

  insert into ledger_private.presence_interval (timeline_id, issue_id, start_cl, last_seen_cl, resolved_cl)
  select v_tl, n.issue_id, n.start_cl, n.last_seen_cl, n.resolved_cl
    from _bl_new_chg n
    join (select k.issue_id, k.start_cl from _bl_new_chg k
          except select o.issue_id, o.start_cl from _bl_old_chg o) x
      on x.issue_id = n.issue_id and x.start_cl = n.start_cl;

  -- 5b. run statistics of the issues whose runs changed (ledger.recurring_issues reads
  --     them instead of scanning the timeline's intervals): the issue's row, minus the
  --     runs replaced, plus the runs written. Counts and spans add up; the first start
  --     and the latest last-seen CL are recounted from the issue's intervals only when a
  --     run replaced held them and no run written reaches them (a late build that
  --     shortens a first or last run; at the head a run closed keeps its start and only
  --     pushes the last-seen CL forward). An issue with runs replaced but no row is
  --     recounted too. (Read from all of an issue's intervals every time, the
  --     statistics of the old issues a head build closes were a probe of the history's
  --     rows each, a cost that grew with it.)
  with od as (
    select o.issue_id, count(*)::int as n, coalesce(sum(o.last_seen_cl - o.start_cl + 1), 0) as sp,
           min(o.start_cl) as f, max(o.last_seen_cl) as cls, bool_or(o.resolved_cl is null) as had_open
      from _bl_old_chg o group by o.issue_id
  ), nd as (
    select n.issue_id, count(*)::int as n, coalesce(sum(n.last_seen_cl - n.start_cl + 1), 0) as sp,
           min(n.start_cl) as f, max(n.last_seen_cl) as cls,
           max(n.start_cl) filter (where n.resolved_cl is null) as os
      from _bl_new_chg n group by n.issue_id
  ), inc as (
    select x.issue_id,
           (od.issue_id is not null and r.issue_id is null)
           or coalesce(od.f = r.first_start_cl and coalesce(nd.f, 9223372036854775807) > r.first_start_cl, false)
           or coalesce(od.cls = r.closed_last_seen and coalesce(nd.cls, -1) < r.closed_last_seen, false) as recount,
           coalesce(r.interval_count, 0) - coalesce(od.n, 0) + coalesce(nd.n, 0) as n,
           least(r.first_start_cl, nd.f) as f,
           case when nd.os is not null then nd.os when od.had_open then null else r.open_start_cl end as os,
           greatest(r.closed_last_seen, nd.cls) as cls,
           coalesce(r.closed_span, 0) - coalesce(od.sp, 0) + coalesce(nd.sp, 0) as sp
      from (select od.issue_id from od union select nd.issue_id from nd) x
      left join od on od.issue_id = x.issue_id
      left join nd on nd.issue_id = x.issue_id
      left join lateral (select r.issue_id, r.interval_count, r.first_start_cl, r.open_start_cl,
                                r.closed_last_seen, r.closed_span
                           from ledger_private.issue_run_stats r
                          where r.timeline_id = v_tl and r.issue_id = x.issue_id offset 0) r on true
  ), agg as (
    select c.issue_id, c.n, c.f, c.os, c.cls, c.sp from inc c where not c.recount
    union all
    select c.issue_id, count(i.issue_id)::int, min(i.start_cl),
           max(i.start_cl) filter (where i.resolved_cl is null), max(i.last_seen_cl),
           coalesce(sum(i.last_seen_cl - i.start_cl + 1), 0)
      from inc c
      left join lateral (select i.* from ledger_private.presence_interval i
                          where i.timeline_id = v_tl and i.issue_id = c.issue_id offset 0) i on true
     where c.recount
     group by c.issue_id
  ), gone as (
    -- (by key, as an array: joined to agg, a timeline whose statistics predate it made
    -- the planner read the timeline's rows once per issue)
    delete from ledger_private.issue_run_stats r
     where r.timeline_id = v_tl and r.issue_id = any (array(select agg.issue_id from agg where agg.n = 0))
  )
  insert into ledger_private.issue_run_stats as r
         (timeline_id, issue_id, interval_count, first_start_cl, open_start_cl, closed_last_seen, closed_span)
  select v_tl, a.issue_id, a.n, a.f, a.os, a.cls, a.sp from agg a where a.n > 0 order by a.issue_id
  on conflict (timeline_id, issue_id) do update
     set interval_count = excluded.interval_count, first_start_cl = excluded.first_start_cl,
         open_start_cl = excluded.open_start_cl, closed_last_seen = excluded.closed_last_seen,
         closed_span = excluded.closed_span
   where (r.interval_count, r.first_start_cl, r.open_start_cl, r.closed_last_seen, r.closed_span)
         is distinct from (excluded.interval_count, excluded.first_start_cl, excluded.open_start_cl,
                           excluded.closed_last_seen, excluded.closed_span);

  -- 5c. what the writes below need of each issue whose runs changed, read once per
  --     issue. An open run replaced hands over its open_issue row, which goes (an issue
  --     has at most one open run; a run written open gets a row again below): at the
  --     head these are the runs a build closes, of issues from anywhere in the history,
  --     and no probe of issue_instance or path_node goes to them. The other issues (new
  --     or reopened ones, and the closed runs a late build moves) are probed in
  --     issue_instance, with their treemap node.
  perform set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
          set_config('enable_seqscan', 'off', true);
  -- (by key, one probe each, then removed by tid: for a new timeline, a filter
  -- "= any(array)" was planned as a scan of its rows, a join as a loop over them: 1.2 s
  -- and 32 s for the 5k runs a 100k-issue CL closes)
  with d as materialized (
    select o.tid
      from _bl_old_chg x
     cross join lateral (select o.ctid as tid from ledger_private.open_issue o
                          where o.timeline_id = v_tl and o.issue_id = x.issue_id offset 0) o
     where x.resolved_cl is null
  ), gone as (
    delete from ledger_private.open_issue o using d where o.ctid = d.tid
    returning o.issue_id, o.hash, o.severity, o.category, o.message, o.path, o.node_id
  )
  insert into _bl_chg_issue (issue_id, hash, severity, category, message, path, node_id)
  select g.issue_id, g.hash, g.severity, g.category, g.message, g.path, g.node_id from gone g;
  get diagnostics v_nrows = row_count;
  perform set_config('enable_hashjoin', v_hashjoin, true), set_config('enable_mergejoin', v_mergejoin, true),
          set_config('enable_seqscan', v_seqscan, true);
  if v_nrows <> (select count(*) from _bl_old_chg x where x.resolved_cl is null) then
    raise exception 'timeline %: open issues disagree with the intervals (rebuild the timeline)', v_tl
      using errcode = 'XX001';
  end if;
  insert into _bl_chg_issue (issue_id, hash, severity, category, message, path, node_id, node_path)
  select c.issue_id, ii.hash, ii.severity, ii.category, ii.message, ii.path, t.path_node_id, t.path
    from (select x.issue_id from _bl_old_chg x
          union select n.issue_id from _bl_new_chg n
          except select k.issue_id from _bl_chg_issue k) c
   cross join lateral (select ii.hash, ii.severity, ii.category, ii.message, ii.path, ii.path_node_id
                         from ledger_private.issue_instance ii where ii.issue_id = c.issue_id offset 0) ii
   cross join lateral ledger_private.treemap_node(ii.path_node_id) t;   -- (probes per issue)

  -- 5c'. open issues per treemap node (the issue's path node, or its depth-8 ancestor):
  --     +1 for a run that is open now, -1 for one that was; ledger.v_treemap_cl_levels8_latest
  --     reads these counts instead of every open interval
  -- (a node's path comes with the issues probed above: a node whose count rises has
  -- one, an issue opened, which had no open run to hand its row over)
  insert into _bl_node_delta
  select k.node_id, max(k.node_path), sum(d.delta)::int
    from (select x.issue_id, sum(x.sgn)::int as delta
            from (select n.issue_id, 1 as sgn from _bl_new_chg n where n.resolved_cl is null
                  union all
                  select o.issue_id, -1 from _bl_old_chg o where o.resolved_cl is null) x
           group by x.issue_id having sum(x.sgn) <> 0) d
    join _bl_chg_issue k on k.issue_id = d.issue_id
   group by k.node_id;
  -- (a node that loses open issues has its row: the counts are the open runs; a count
  -- never goes below 0, and a node at 0 loses its row)
  -- (each row written once: lowered, or removed when it reaches 0; by key, one probe
  -- each, as for the intervals)
  perform set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
          set_config('enable_seqscan', 'off', true);
  -- (the rows found by key, one probe each, then written by tid: see step 5)
  with d as materialized (
    select d.delta, o.tid, o.open_count
      from _bl_node_delta d
     cross join lateral (select o.ctid as tid, o.open_count from ledger_private.open_node_count o
                          where o.timeline_id = v_tl and o.path_node_id = d.path_node_id offset 0) o
     where d.delta < 0
  ), lowered as (
    update ledger_private.open_node_count o set open_count = o.open_count + d.delta
      from d
     where o.ctid = d.tid and d.open_count + d.delta > 0
    returning 1
  ), removed as (
    delete from ledger_private.open_node_count o
     using d
     where o.ctid = d.tid and d.open_count + d.delta = 0
    returning 1
  )
  select (select count(*) from lowered) + (select count(*) from removed) into v_nrows;
  perform set_config('enable_hashjoin', v_hashjoin, true), set_config('enable_mergejoin', v_mergejoin, true),
          set_config('enable_seqscan', v_seqscan, true);
  if v_nrows <> (select count(*) from _bl_node_delta d where d.delta < 0) then
    raise exception 'timeline %: open issue counts per node disagree with the intervals (rebuild the timeline)', v_tl
      using errcode = 'XX001';
  end if;
  insert into ledger_private.open_node_count as o (timeline_id, path_node_id, path, open_count)
  select v_tl, d.path_node_id, d.path, d.delta from _bl_node_delta d where d.delta > 0
   order by d.path_node_id
  on conflict (timeline_id, path_node_id) do update set open_count = o.open_count + excluded.open_count;

  -- 5c''. the open issues with what the API shows of them (ledger.open_issues_at and
  --      ledger.diff at the head): a run written open gets a row (its issue's old row
  --      went in 5c)
  insert into ledger_private.open_issue (timeline_id, issue_id, start_cl, hash, severity, category, message, path, node_id)
  select v_tl, n.issue_id, n.start_cl, k.hash, k.severity, k.category, k.message, k.path, k.node_id
    from _bl_new_chg n
    join _bl_chg_issue k on k.issue_id = n.issue_id
   where n.resolved_cl is null
   order by n.issue_id;

  -- 5d. new runs per CL and team (ledger.team_heatmap): +1 at the start of a run
  --     written, -1 at the start of a run replaced; rows at 0 go
  with d as (
    select x.start_cl, split_part(ii.path, '/', 3) as team, sum(x.sgn)::int as delta
      from (select n.issue_id, n.start_cl, 1 as sgn from _bl_new_chg n
            union all
            select o.issue_id, o.start_cl, -1 from _bl_old_chg o) x
      join _bl_chg_issue ii on ii.issue_id = x.issue_id
     group by 1, 2
    having sum(x.sgn) <> 0
  )
  insert into ledger_private.cl_team_new as t (timeline_id, cl, team, new_count)
  select v_tl, d.start_cl, d.team, d.delta from d order by 2, 3
  on conflict (timeline_id, cl, team) do update set new_count = t.new_count + excluded.new_count;
  delete from ledger_private.cl_team_new t
   where t.timeline_id = v_tl and t.new_count = 0
     and t.cl = any (array(select n.start_cl from _bl_new_chg n union select o.start_cl from _bl_old_chg o));
  if exists (select 1 from ledger_private.cl_team_new t
              where t.timeline_id = v_tl and t.new_count < 0
                and t.cl = any (array(select o.start_cl from _bl_old_chg o))) then
    raise exception 'timeline %: new runs per CL and team disagree with the intervals (rebuild the timeline)', v_tl
      using errcode = 'XX001';
  end if;

  -- 6. metrics: a row for c (carried over from the previous CL), then the deltas -----
  insert into ledger_private.changelist_metrics (timeline_id, cl, total, new, resolved)
  select v_tl, v_c,
         coalesce((select m.total from ledger_private.changelist_metrics m
                    where m.timeline_id = v_tl and m.cl < v_c
                    order by m.cl desc limit 1), 0), 0, 0
  on conflict do nothing;

  with ev(cl, d_total, d_new, d_res) as (
    select start_cl, -1, -1, 0 from _bl_old_chg
    union all select resolved_cl, 1, 0, -1 from _bl_old_chg where resolved_cl is not null
    union all select start_cl, 1, 1, 0 from _bl_new_chg
    union all select resolved_cl, -1, 0, 1 from _bl_new_chg where resolved_cl is not null
  ), agg as (
    select cl, sum(d_total) as dt, sum(d_new) as dn, sum(d_res) as dr from ev group by cl
  ), rng as materialized (
    select cl as lo, lead(cl) over (order by cl) as hi, sum(dt) over (order by cl) as cum, dn, dr from agg
  ), delta as materialized (
    select m.cl, sum(case when m.cl >= r.lo and (r.hi is null or m.cl < r.hi) then r.cum else 0 end) as dt,
           sum(case when m.cl = r.lo then r.dn else 0 end) as dn,
           sum(case when m.cl = r.lo then r.dr else 0 end) as dr
      from rng r
      join ledger_private.changelist_metrics m
        on m.timeline_id = v_tl and m.cl >= r.lo
       and (r.hi is null or m.cl < r.hi)
       and (r.cum <> 0 or (m.cl = r.lo and (r.dn <> 0 or r.dr <> 0)))
     group by m.cl
  )
  update ledger_private.changelist_metrics m
     set total = m.total + d.dt, new = m.new + d.dn, resolved = m.resolved + d.dr,
         refreshed_at = now()
    from delta d
   where m.timeline_id = v_tl and m.cl = d.cl
     and (d.dt <> 0 or d.dn <> 0 or d.dr <> 0);

  -- 8. daily team metrics: mark the days whose CLs the changed intervals touch, and
  --    the days of the later starts of the changed issues (whether a start is a
  --    regression depends on the issue's earlier intervals); a debounced job
  --    (ledger_private.refresh_dirty_team_days) recomputes them ------------------------
  perform ledger_private.mark_team_days(v_s_project, v_s_stream,
            ledger_private.team_days_of_cls(v_s_project, v_s_stream, least(v_c, r.lo), greatest(v_c, r.hi, r.later)))
     from (select t.project as v_s_project, t.stream as v_s_stream
             from ledger_private.timeline t where t.timeline_id = v_tl) tl,
          (select min(x) as lo, max(x) as hi,
                  -- (at the head no run starts after c: no look-up. Each one is a probe of
                  -- an old issue's intervals, anywhere in the history)
                  case when not v_head then
                  (select max(m.start_cl)
                     from (select issue_id from _bl_old_chg union select issue_id from _bl_new_chg) c
                    -- (the latest start by the primary key's order: as max(), the planner may
                    -- walk the timeline's start index backwards until it meets the issue,
                    -- which for a new timeline with older statistics is every interval per issue)
                    cross join lateral (select i.start_cl from ledger_private.presence_interval i
                                         where i.timeline_id = v_tl and i.issue_id = c.issue_id
                                         order by i.timeline_id desc, i.issue_id desc, i.start_cl desc
                                         limit 1) m) end as later
             from (select start_cl from _bl_old_chg union all select resolved_cl from _bl_old_chg
                   union all select start_cl from _bl_new_chg union all select resolved_cl from _bl_new_chg) e(x)) r;

  -- 9. bookkeeping, last (the only write of the snapshot row): the input of this
  --    version goes; a version staged meanwhile keeps the snapshot queued for its job.
  --    The snapshot row first, then its input: the order staging takes them in (a
  --    re-post locks the row, then replaces the input). The other way round, a re-post
  --    arriving between the two deadlocked with this run, and one of them failed.
  update ledger_private.snapshot s
     set applied_seq = v_s.received_seq, applied_covered_paths = v_s.covered_paths,
         processed_version = v_ver,
         state = case when s.content_version = v_ver then 'done' else s.state end,
         error = case when s.content_version = v_ver then null else s.error end,
         issue_count = (select count(*) from _bl_found),
         occurrence_count = (select coalesce(sum(occurrences), 0) from _bl_found),
         processed_at = now(),
         processing_ms = round(extract(epoch from clock_timestamp() - v_t0)::numeric * 1000, 2)
   where s.timeline_id = v_tl and s.snapshot_id = v_id;
  delete from ledger_private.snapshot_input si
   where si.timeline_id = v_tl and si.snapshot_id = v_id and si.content_version = v_ver;
  update ledger_private.timeline_progress g
     set latest_processed_cl = greatest(g.latest_processed_cl, v_c), last_processed_at = now()
   where g.timeline_id = v_tl;
end
$$;
comment on function ledger_private.apply_snapshot(bigint, boolean) is
  'Body of ledger.process_snapshot: applies one staged snapshot. p_staged_here = true reads the issues from the session''s _bl_stage_issue (staged in this transaction by ledger.ingest_report) instead of ledger_private.snapshot_input.';

create or replace function ledger.process_snapshot(snapshot_id bigint)
returns void
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  perform ledger_private.apply_snapshot(snapshot_id, false);
end
$$;
comment on function ledger.process_snapshot(bigint) is
  'Job body: turns a staged snapshot into observations and incrementally updates the presence intervals and changelist metrics of its timeline (SPEC section 3). Idempotent: a second call for the same content is a no-op. Serialised per timeline by a row lock on ledger_private.timeline_progress, which staging never takes.';
