-- The API face of the storage (SPEC section 5): the tables live in ledger_private, keyed
-- by a compact timeline id (migration 000015, docs/scale-out.md); these views give
-- them the names and columns of the contract, with project and stream instead of the
-- timeline id. They are plain joins, so a filter on project/stream resolves to one
-- timeline row and then an index range of that timeline (the planner flattens them).
-- Smart tags (@primaryKey, @foreignKey) give PostGraphile the keys a view cannot carry.
-- It comes right after the normaliser (path_covered): the SQL functions after it are validated against these views.

create or replace view ledger.project as
  select p.project, p.created_at from ledger_private.project p;
comment on view ledger.project is
  E'@primaryKey project\nA game or product; every other row belongs to one. Created on the first report that names it.';

create or replace view ledger.timeline as
  select t.project, t.stream, t.created_at, t.latest_cl, g.latest_processed_cl, g.last_processed_at,
         t.last_received_at
    from ledger_private.timeline t
    left join ledger_private.timeline_progress g on g.timeline_id = t.timeline_id;
comment on view ledger.timeline is
  E'@primaryKey project,stream\n@foreignKey (project) references ledger.project (project)\nOne (project, stream): the unit of ordering. Presence, intervals and metrics are per timeline. Also holds the ingestion watermarks.';

create or replace view ledger.path_node as
  select n.path_node_id, n.path, n.parent_id, n.name, n.depth from ledger_private.path_node n;
comment on view ledger.path_node is
  E'@primaryKey path_node_id\n@unique path\n@foreignKey (parent_id) references ledger.path_node (path_node_id)\nOne row per path in the hierarchy server/project/team/.../asset; every prefix of a reported path is a node.';

-- (the closure is stored as each node's array of ancestors, migration 000019. The two
-- conditions below each say "a is n or an ancestor of n", one by n's ancestors, one by
-- path prefix ('0' follows '/' in the "C" order); both are given so that a filter on
-- either side is index probes: the descendant's ancestors by primary key, or the
-- ancestor's descendants by a range of the path index.)
create or replace view ledger.path_closure as
  select a.path_node_id as ancestor_id, n.path_node_id as descendant_id, (n.depth - a.depth)::smallint as distance
    from ledger_private.path_node a
    join ledger_private.path_node n
      on (a.path_node_id = n.path_node_id or a.path_node_id = any (n.ancestors))
     and (n.path_node_id = a.path_node_id or (n.path >= a.path || '/' and n.path < a.path || '0'));
comment on view ledger.path_closure is
  E'@primaryKey ancestor_id,descendant_id\n@foreignKey (ancestor_id) references ledger.path_node (path_node_id)\n@foreignKey (descendant_id) references ledger.path_node (path_node_id)\nEvery ancestor-or-self / descendant pair of path nodes with its distance, read off each node''s stored list of ancestors: no recursion, and a filter on either column is index probes.';

create or replace view ledger.changelist as
  select t.project, t.stream, c.cl, c.submitted_at, c.author, c.description
    from ledger_private.changelist c join ledger_private.timeline t on t.timeline_id = c.timeline_id;
comment on view ledger.changelist is
  E'@primaryKey project,stream,cl\n@foreignKey (project,stream) references ledger.timeline (project,stream)\nA changelist of a timeline that has at least one build report, with its optional metadata.';

create or replace view ledger.snapshot as
  select s.snapshot_id, t.project, t.stream, s.cl, s.build_id, s.build_status, s.covered_paths,
         s.received_at, s.received_seq, s.content_hash, s.content_version, s.processed_version, s.state,
         s.applied_seq, s.applied_covered_paths, s.attempts, s.raw_issue_count, s.issue_count,
         s.occurrence_count, s.extra, s.error, s.processing_started_at, s.processed_at, s.processing_ms
    from ledger_private.snapshot s join ledger_private.timeline t on t.timeline_id = s.timeline_id;
comment on view ledger.snapshot is
  E'@primaryKey snapshot_id\n@unique project,stream,cl,build_id\n@foreignKey (project,stream,cl) references ledger.changelist (project,stream,cl)\nOne ingested build report: (timeline, CL, build id). Re-ingesting the same triple replaces its content and makes it the most recently received one.';

create or replace view ledger.issue_instance as
  select i.issue_id, i.hash, i.normaliser_version, i.message, i.path, i.path_node_id, i.severity,
         i.category, i.example_message, i.first_seen_at
    from ledger_private.issue_instance i;
comment on view ledger.issue_instance is
  E'@primaryKey issue_id\n@unique hash\n@foreignKey (path_node_id) references ledger.path_node (path_node_id)\nIssue identity: one row per SHA-256 of (normaliser version, normalised message, normalised path). Same hash = same issue in any CL.';

create or replace view ledger.issue_observation as
  select o.snapshot_id, u.issue_id, u.occurrences, t.project, t.stream, o.cl
    from ledger_private.issue_observation o
    join ledger_private.timeline t on t.timeline_id = o.timeline_id
   cross join lateral unnest(o.issue_ids, o.occurrences) as u(issue_id, occurrences);
comment on view ledger.issue_observation is
  E'@primaryKey snapshot_id,issue_id\n@foreignKey (snapshot_id) references ledger.snapshot (snapshot_id)\nFact table: issue X was reported in snapshot S, with its number of occurrences. Stored as one row per snapshot (its sorted issue ids and their occurrences); read one snapshot''s, or one issue''s through issue_instance_observations.';

create or replace function ledger.issue_instance_observations(issue ledger.issue_instance)
returns setof ledger.issue_observation
language sql stable
as $$
  /* A build that reported the issue made it present at its CL, unless a later build
     at the same CL replaced it. So the candidates are the snapshots of each timeline
     from the issue's first presence in it on (one probe per timeline for that CL), and
     the builds that share their CL with another; each candidate's ids are read once. */
  with cand as (
    select o.timeline_id, o.snapshot_id
      from ledger_private.timeline t
     cross join lateral (select min(i.start_cl) as first_cl from ledger_private.presence_interval i
                          where i.timeline_id = t.timeline_id and i.issue_id = issue.issue_id) f
      join ledger_private.issue_observation o on o.timeline_id = t.timeline_id and o.cl >= f.first_cl
    union
    select s.timeline_id, s.snapshot_id
      from ledger_private.snapshot s
     where exists (select 1 from ledger_private.snapshot s2
                    where s2.timeline_id = s.timeline_id and s2.cl = s.cl and s2.snapshot_id <> s.snapshot_id)
  )
  select o.snapshot_id, issue.issue_id, o.occurrences[array_position(o.issue_ids, issue.issue_id)],
         t.project, t.stream, o.cl
    from cand c
    join ledger_private.issue_observation o on o.timeline_id = c.timeline_id and o.snapshot_id = c.snapshot_id
    join ledger_private.timeline t on t.timeline_id = o.timeline_id
   where issue.issue_id = any (o.issue_ids)
   order by o.snapshot_id
$$;
comment on function ledger.issue_instance_observations(ledger.issue_instance) is
  'The observations of one issue (the snapshots that reported it, with their occurrences), oldest snapshot first: found through its presence intervals (it reads the snapshots of the timelines and CLs where the issue was present, and builds that share their CL with another).';

-- last_seen_cl of an open run is the last CL whose applied snapshots cover the issue's
-- path (SPEC 3.3): stored NULL so that a head CL does not rewrite every open interval,
-- derived here (one backward index probe per open row, only when the column is read).
create or replace view ledger.issue_presence_interval as
  select t.project, t.stream, i.issue_id, i.start_cl,
         coalesce(i.last_seen_cl,
                  (select max(s.cl) from ledger_private.snapshot s
                    where s.timeline_id = i.timeline_id and s.applied_seq is not null and s.cl >= i.start_cl
                      and ledger.path_covered((select ii.path from ledger_private.issue_instance ii
                                                where ii.issue_id = i.issue_id), s.applied_covered_paths))) as last_seen_cl,
         i.resolved_cl,
         int8range(i.start_cl, i.resolved_cl, '[)') as presence
    from ledger_private.presence_interval i join ledger_private.timeline t on t.timeline_id = i.timeline_id;
comment on view ledger.issue_presence_interval is
  E'@primaryKey project,stream,issue_id,start_cl\n@foreignKey (issue_id) references ledger.issue_instance (issue_id)\n@foreignKey (project,stream) references ledger.timeline (project,stream)\nDerived: maximal runs of consecutive relevant CLs in which an issue is present (SPEC section 3). resolved_cl NULL = still open.';

create or replace view ledger.changelist_metrics as
  select t.project, t.stream, m.cl, m.total, m.new, m.resolved, m.refreshed_at
    from ledger_private.changelist_metrics m join ledger_private.timeline t on t.timeline_id = m.timeline_id;
comment on view ledger.changelist_metrics is
  E'@primaryKey project,stream,cl\n@foreignKey (project,stream,cl) references ledger.changelist (project,stream,cl)\nPer timeline and CL with a snapshot: issues open (total), intervals starting (new) and ending (resolved) there. Maintained incrementally.';

create or replace function ledger_private.timeline_id(p_project text, p_stream text)
returns int
language sql stable parallel safe
as $$ select t.timeline_id from ledger_private.timeline t where t.project = p_project and t.stream = p_stream $$;
comment on function ledger_private.timeline_id(text, text) is
  'The compact id of timeline (project, stream), or NULL when it does not exist.';

create or replace function ledger_private.head_cl(p_project text, p_stream text)
returns bigint
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select max(s.cl) from ledger_private.snapshot s
   where s.timeline_id = ledger_private.timeline_id(p_project, p_stream) and s.applied_seq is not null
$$;
comment on function ledger_private.head_cl(text, text) is 'The latest CL of a timeline with an applied (processed) snapshot.';

-- What the derived last_seen_cl of open runs needs, once per query: the timeline id,
-- its latest applied full build (lf), and whether no partial build was applied after
-- it (simple: then every open run was last seen at lf).
create or replace function ledger_private.timeline_head(p_project text, p_stream text)
returns table (timeline_id int, lf bigint, simple boolean)
language sql stable
as $$
  with tl as materialized (
    select t.timeline_id,
           (select max(s.cl) from ledger_private.snapshot s
             where s.timeline_id = t.timeline_id and s.applied_seq is not null and s.applied_covered_paths is null) as lf
      from ledger_private.timeline t where t.project = p_project and t.stream = p_stream
  )
  select tl.timeline_id, tl.lf,
         tl.lf is not null
         and not exists (select 1 from ledger_private.snapshot s
                          where s.timeline_id = tl.timeline_id and s.applied_seq is not null
                            and cardinality(s.applied_covered_paths) > 0 and s.cl > tl.lf)
    from tl
$$;
comment on function ledger_private.timeline_head(text, text) is
  'A timeline''s id, latest applied full-coverage CL and whether no partial build was applied after it: what deriving last_seen_cl of open runs needs once per query.';

-- (helpers of an earlier draft of the fork lists, and the open_at that computed them
-- itself: inlined, their 63-element arrays cost 15 ms of planning per query)
drop function if exists ledger_private.run_forks_on_side(bigint, boolean);
drop function if exists ledger_private.run_fork_on_side(bigint, integer, boolean);
drop function if exists ledger_private.run_fork_after_at(bigint, integer);
drop function if exists ledger_private.run_fork_upto_at(bigint, integer);
drop function if exists ledger_private.run_fork_node(bigint, integer);
drop function if exists ledger_private.open_at(bigint, bigint, bigint);

create or replace function ledger_private.run_forks_after(p_cl bigint)
returns bigint[]
language sql immutable parallel safe strict
as $$
  /* The nodes above p_cl on its path from the root of the binary tree over CL numbers
     (ledger_private.run_fork): the middle of each aligned block of 2^(h+1) CLs that
     holds p_cl, where it is greater than p_cl. A closed run whose fork is one of them
     holds p_cl when it starts at or before p_cl. None for p_cl <= 0 (no run holds it).
     Computed once per query by the callers of ledger_private.open_at (not inlined: a
     query that evaluates it per row is a bug). */
  select coalesce(array_agg(f.f order by f.f), '{}')
    from (select ((p_cl >> (h + 1)) << (h + 1)) + (1::bigint << h) as f
            from generate_series(0, 62) h where p_cl > 0) f
   where f.f > p_cl
$$;
comment on function ledger_private.run_forks_after(bigint) is
  'The fork nodes greater than a CL on its path in the binary tree over CL numbers: closed runs forked there hold the CL when they start at or before it (ledger_private.open_at).';

create or replace function ledger_private.run_forks_upto(p_cl bigint)
returns bigint[]
language sql immutable parallel safe strict
as $$
  /* The nodes at or below p_cl on its path from the root (p_cl itself among them): a
     closed run whose fork is one of them holds p_cl when it is resolved after p_cl. */
  select coalesce(array_agg(f.f order by f.f), '{}')
    from (select ((p_cl >> (h + 1)) << (h + 1)) + (1::bigint << h) as f
            from generate_series(0, 62) h where p_cl > 0) f
   where f.f <= p_cl
$$;
comment on function ledger_private.run_forks_upto(bigint) is
  'The fork nodes at or below a CL on its path in the binary tree over CL numbers: closed runs forked there hold the CL when they are resolved after it (ledger_private.open_at).';

create or replace function ledger_private.open_at(p_start_cl bigint, p_resolved_cl bigint, p_cl bigint,
                                                  p_forks_after bigint[], p_forks_upto bigint[])
returns boolean
language sql immutable parallel safe   -- (not strict: inlined into the caller)
as $$
  /* A run [start_cl, resolved_cl) holds cl, said as "open and started by cl, or closed
     and containing cl", so that the planner reads the open runs from their partial
     btree index and only the closed ones from their fork indexes (migration 000029):
     at the head of a timeline, no walk of its history. A closed run holds cl exactly
     when its fork is on cl's path in the tree over CL numbers and, for a fork after
     cl, it starts by cl, for one at or before cl, it is resolved after cl.
     p_forks_after and p_forks_upto are ledger_private.run_forks_after(p_cl) and
     run_forks_upto(p_cl), computed once by the caller (a parameter, a materialized
     CTE's column, a variable), never per row. */
  select (p_resolved_cl is null and p_start_cl <= p_cl)
      or (p_resolved_cl is not null
          and ledger_private.run_fork(p_start_cl, p_resolved_cl) = any (p_forks_after)
          and p_start_cl <= p_cl)
      or (p_resolved_cl is not null
          and ledger_private.run_fork(p_start_cl, p_resolved_cl) = any (p_forks_upto)
          and p_resolved_cl > p_cl)
$$;
comment on function ledger_private.open_at(bigint, bigint, bigint, bigint[], bigint[]) is
  'Whether the run [p_start_cl, p_resolved_cl) holds CL p_cl (resolved_cl NULL: still open), given the CL''s fork lists (ledger_private.run_forks_after and run_forks_upto), in the form the partial indexes of presence_interval answer: open runs by their btree, closed ones by their fork (ledger_private.run_fork).';

-- The intervals of one timeline with last_seen_cl derived for open runs, for the query
-- functions: when no partial build was applied after the latest full one (the usual
-- case), every open run was last seen at that full build, found once per query;
-- otherwise one backward index probe per open run. Inlined into its callers (one
-- SELECT, no SET clause), so their filters reach the indexes.
create or replace function ledger_private.timeline_intervals(p_project text, p_stream text)
returns table (timeline_id int, issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint)
language sql stable
as $$
  with c as materialized (select * from ledger_private.timeline_head(p_project, p_stream))
  select i.timeline_id, i.issue_id, i.start_cl,
         case when i.resolved_cl is not null then i.last_seen_cl
              when c.simple then c.lf
              else (select max(s.cl) from ledger_private.snapshot s
                     where s.timeline_id = i.timeline_id and s.applied_seq is not null and s.cl >= i.start_cl
                       and ledger.path_covered((select ii.path from ledger_private.issue_instance ii
                                                 where ii.issue_id = i.issue_id), s.applied_covered_paths)) end,
         i.resolved_cl
    from c join ledger_private.presence_interval i
      -- (the id as a parameter of the scan, so a caller's filter on the interval range
      -- reaches the (timeline_id, range) index instead of scanning the timeline)
      on i.timeline_id = (select c2.timeline_id from c c2)
$$;
comment on function ledger_private.timeline_intervals(text, text) is
  'The presence intervals of one timeline, last_seen_cl derived for open runs (once per query in the usual case); the query functions read intervals through it.';
