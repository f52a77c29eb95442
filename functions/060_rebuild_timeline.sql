-- Maintenance: recompute a timeline's intervals and metrics from its applied
-- snapshots and observations, from scratch. Incremental processing must always
-- leave exactly what this leaves; tests compare the two, and operators can run it
-- after a repair (it is slow on long histories: it reads every observation).

create or replace function ledger_private.expected_intervals(p_project text, p_stream text)
returns table (issue_id bigint, start_cl bigint, last_seen_cl bigint, resolved_cl bigint)
language sql stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  with snaps as (
    select s.snapshot_id, s.cl, s.applied_seq, s.applied_covered_paths as cov
      from ledger.snapshot s
     where s.project = p_project and s.stream = p_stream and s.applied_seq is not null
  ), obs as materialized (   -- (each snapshot's observations unnested once)
    select o.snapshot_id, u.issue_id
      from snaps s
      join ledger_private.issue_observation o on o.snapshot_id = s.snapshot_id
     cross join lateral unnest(o.issue_ids) as u(issue_id)
  ), issues as (
    select distinct o.issue_id, ii.path
      from obs o join ledger_private.issue_instance ii on ii.issue_id = o.issue_id
  ), points as (     -- (X, c) for c in S(P), with the latest covering snapshot at c
    select distinct on (x.issue_id, s.cl) x.issue_id, s.cl, s.snapshot_id
      from issues x join snaps s on ledger.path_covered(x.path, s.cov)
     order by x.issue_id, s.cl, s.applied_seq desc
  ), pres as (
    select p.issue_id, p.cl, o.issue_id is not null as present
      from points p
      left join obs o on o.snapshot_id = p.snapshot_id and o.issue_id = p.issue_id
  ), seq as (
    select pres.*, lead(cl) over (partition by issue_id order by cl) as next_cl,
           row_number() over (partition by issue_id order by cl)
             - row_number() over (partition by issue_id, present order by cl) as grp
      from pres
  )
  select issue_id, min(cl), max(cl), (array_agg(next_cl order by cl desc))[1]
    from seq where present group by issue_id, grp
$$;
comment on function ledger_private.expected_intervals(text, text) is
  'The presence intervals SPEC section 3 defines for one timeline, computed from scratch from applied snapshots and observations. Reference for tests and for rebuild_timeline.';

create or replace function ledger_private.rebuild_timeline(p_project text, p_stream text default 'main')
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_tl int := ledger_private.timeline_id(p_project, p_stream);
begin
  /* Replaces the timeline's intervals and metrics with a from-scratch computation
     (open runs stored with last_seen_cl NULL, as processing stores them). */
  perform 1 from ledger_private.timeline_progress g where g.timeline_id = v_tl for update;
  if not found then
    raise exception 'project/stream: unknown timeline %/%', p_project, p_stream using errcode = '22023';
  end if;
  if (select g.retained_from_cl from ledger_private.timeline_progress g where g.timeline_id = v_tl) is not null then
    raise exception 'project/stream: retention removed observations of %/% before CL %; a rebuild from scratch would lose their history',
      p_project, p_stream, (select g.retained_from_cl from ledger_private.timeline_progress g where g.timeline_id = v_tl)
      using errcode = '22023';
  end if;
  delete from ledger_private.presence_interval i where i.timeline_id = v_tl;
  insert into ledger_private.presence_interval (timeline_id, issue_id, start_cl, last_seen_cl, resolved_cl)
  select v_tl, e.issue_id, e.start_cl, case when e.resolved_cl is not null then e.last_seen_cl end, e.resolved_cl
    from ledger_private.expected_intervals(p_project, p_stream) e;
  delete from ledger_private.issue_run_stats r where r.timeline_id = v_tl;
  insert into ledger_private.issue_run_stats
         (timeline_id, issue_id, interval_count, first_start_cl, open_start_cl, closed_last_seen, closed_span)
  select v_tl, i.issue_id, count(*), min(i.start_cl), max(i.start_cl) filter (where i.resolved_cl is null),
         max(i.last_seen_cl), coalesce(sum(i.last_seen_cl - i.start_cl + 1), 0)
    from ledger_private.presence_interval i where i.timeline_id = v_tl group by i.issue_id;
  delete from ledger_private.open_node_count o where o.timeline_id = v_tl;
  insert into ledger_private.open_node_count (timeline_id, path_node_id, path, open_count)
  select v_tl, t.path_node_id, t.path, count(*)
    from ledger_private.presence_interval i
    join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
   cross join lateral ledger_private.treemap_node(ii.path_node_id) t
   where i.timeline_id = v_tl and i.resolved_cl is null
   group by 2, 3;
  delete from ledger_private.open_issue o where o.timeline_id = v_tl;
  insert into ledger_private.open_issue (timeline_id, issue_id, start_cl, hash, severity, category, message, path, node_id)
  select v_tl, i.issue_id, i.start_cl, ii.hash, ii.severity, ii.category, ii.message, ii.path, t.path_node_id
    from ledger_private.presence_interval i
    join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
   cross join lateral ledger_private.treemap_node(ii.path_node_id) t
   where i.timeline_id = v_tl and i.resolved_cl is null
   order by i.issue_id;
  delete from ledger_private.cl_team_new t where t.timeline_id = v_tl;
  insert into ledger_private.cl_team_new (timeline_id, cl, team, new_count)
  select v_tl, i.start_cl, split_part(ii.path, '/', 3), count(*)
    from ledger_private.presence_interval i
    join ledger_private.issue_instance ii on ii.issue_id = i.issue_id
   where i.timeline_id = v_tl
   group by 2, 3;
  delete from ledger_private.changelist_metrics m where m.timeline_id = v_tl;
  insert into ledger_private.changelist_metrics (timeline_id, cl, total, new, resolved)
  select v_tl, c.cl,
         (select count(*) from ledger_private.presence_interval i
           where i.timeline_id = v_tl and ledger_private.open_at(i.start_cl, i.resolved_cl, c.cl, c.fa, c.fu)),
         (select count(*) from ledger_private.presence_interval i
           where i.timeline_id = v_tl and i.start_cl = c.cl),
         (select count(*) from ledger_private.presence_interval i
           where i.timeline_id = v_tl and i.resolved_cl = c.cl)
    from (select d.cl, ledger_private.run_forks_after(d.cl) as fa, ledger_private.run_forks_upto(d.cl) as fu
            from (select distinct s.cl from ledger_private.snapshot s
                   where s.timeline_id = v_tl and s.applied_seq is not null) d
          offset 0) c;   -- (offset 0: the fork lists once per CL, see ledger_private.open_at)
end
$$;
comment on function ledger_private.rebuild_timeline(text, text) is
  'Recomputes one timeline''s presence intervals and changelist metrics from scratch (maintenance; slow on long histories).';
