-- ledger.suspects: which changelists may have introduced an issue (issue 12).
-- For an interval of issue X at path P starting at CL s, the suspect range is the CLs
-- after the last CL before s whose applied snapshots covered P (X was absent there, or
-- the interval would have started earlier) up to and including s; every known CL in
-- that range is a suspect, built or not (CL metadata from reports and from POST
-- /v1/changelists). A CL that touched P or a file under it ranks 2, one that touched
-- a file in P's folder ranks 1, others 0. Computed on read, so a late build that
-- covers P inside the range narrows it at once.

drop function if exists ledger.suspects(text, bigint, bigint, text);
create function ledger.suspects(project text, issue_id bigint, start_cl bigint default null, stream text default 'main')
returns table (cl bigint, author text, description text, submitted_at timestamptz, rank integer,
               touched_files text[], range_after_cl bigint, range_to_cl bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(suspects.project, suspects.stream)
     and (suspects.issue_id is not null or ledger_private.raise_22023('issue_id', format('required, got %s', coalesce(suspects.issue_id::text, 'NULL'))) is null)
     and (suspects.start_cl is null or ledger_private.require_cl('start_cl', suspects.start_cl));
  with iv as materialized (
    select i.start_cl, ii.path, ledger_private.require_timeline(suspects.project, suspects.stream) as ok
      from ledger.issue_presence_interval i
      join ledger.issue_instance ii on ii.issue_id = i.issue_id
     where i.project = suspects.project and i.stream = suspects.stream and i.issue_id = suspects.issue_id
       and (suspects.start_cl is null or i.start_cl = suspects.start_cl)
     order by i.start_cl desc limit 1
  ), rng as materialized (
    select iv.start_cl as hi, iv.path,
           (select max(s.cl) from ledger.snapshot s
             where s.project = suspects.project and s.stream = suspects.stream and s.applied_seq is not null
               and s.cl < iv.start_cl and ledger.path_covered(iv.path, s.applied_covered_paths)) as lo
      from iv where iv.ok
  )
  select c.cl, c.author, c.description, c.submitted_at,
         case when exists (select 1 from ledger_private.changelist_file f
                            where f.timeline_id = ledger_private.timeline_id(c.project, c.stream) and f.cl = c.cl
                              and (f.path = r.path or left(f.path, length(r.path) + 1) = r.path || '/')) then 2
              when exists (select 1 from ledger_private.changelist_file f
                            where f.timeline_id = ledger_private.timeline_id(c.project, c.stream) and f.cl = c.cl
                              and position('/' in r.path) > 0
                              and left(f.path, length(regexp_replace(r.path, '/[^/]*$', '')) + 1) = regexp_replace(r.path, '/[^/]*$', '') || '/') then 1
              else 0 end,
         array(select f.path collate "default" from ledger_private.changelist_file f
                where f.timeline_id = ledger_private.timeline_id(c.project, c.stream) and f.cl = c.cl order by f.path),
         r.lo, r.hi
    from rng r
    join ledger.changelist c
      on c.project = suspects.project and c.stream = suspects.stream
     and c.cl <= r.hi and (r.lo is null or c.cl > r.lo)
   order by 5 desc, c.cl desc
$$;
comment on function ledger.suspects(text, bigint, bigint, text) is
  'Suspect changelists for an interval start of an issue (default: its latest): every known CL after the last earlier build that covered the issue''s path, up to the start; rank 2 if it touched the path or below, 1 if it touched its folder, else 0; highest rank and latest first.';
