-- Staging: validate a native JSON build report (SPEC section 4) and store it as a
-- snapshot plus its input (one row of arrays, ledger_private.snapshot_input), ready
-- for ledger.process_snapshot.
-- Invariants:
--   * a report is validated completely before anything is written: bad input raises
--     SQLSTATE class 22 with a message that starts with the offending field, and
--     nothing of that report is stored;
--   * (project, stream, changelist, build id) identifies a snapshot: re-staging it
--     replaces its content and makes it the most recently received one; an identical
--     re-post of the snapshot that is already the latest at its CL is a no-op;
--   * staging never waits for processing: it locks no row that processing holds for
--     long (processing serialises on ledger_private.timeline_progress, which staging
--     only creates), and never waits for other timelines;
--   * a report for a CL whose observations retention removed (a built CL before the
--     timeline's horizon) is refused: presence at it could not be decided again.


-- signatures of earlier versions (a re-run must not leave an ambiguous overload)
drop function if exists ledger_private.stage_core(jsonb, bytea, boolean);
drop function if exists ledger_private.stage(jsonb, boolean);
drop function if exists ledger_private.issue_npath(jsonb);

create or replace function ledger_private.parse_timestamptz(p_field text, p_value jsonb)
returns timestamptz
language plpgsql stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  if p_value is null or jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_value) <> 'string' then
    raise exception '%: expected an ISO-8601 timestamp string, got %', p_field, p_value using errcode = '22007';
  end if;
  -- ISO-8601's shape only: PostgreSQL also reads 'now', 'today 12:00', 'epoch+1',
  -- 'Jan 8 1999' or a Julian day, and a relative one would silently become a time of
  -- staging
  if p_value #>> '{}' !~ '^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)? ?([Zz]|[+-]\d{2}(:?\d{2})?)?$' then
    raise exception '%: % is not an ISO-8601 timestamp (such as 2026-11-01T12:00:00Z)', p_field, p_value using errcode = '22007';
  end if;
  return replace(p_value #>> '{}', ',', '.')::timestamptz;   -- (ISO's decimal comma)
exception
  when data_exception then   -- (also an unknown time zone, 22023: the message names the field)
    raise exception '%: % is not a valid timestamp', p_field, p_value using errcode = '22007';
end
$$;

create or replace function ledger_private.optional_text(p_field text, p_value jsonb, p_max int default 10000)
returns text
language plpgsql immutable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  if p_value is null or jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_value) not in ('string', 'number') then
    raise exception '%: expected a string, got %', p_field, jsonb_typeof(p_value) using errcode = '22023';
  end if;
  if length(p_value #>> '{}') > p_max then
    raise exception '%: longer than % characters', p_field, p_max using errcode = '22001';
  end if;
  return p_value #>> '{}';
end
$$;

create or replace function ledger_private.timeline_queue(p_project text, p_stream text)
returns text
language sql immutable
set search_path to pg_catalog, pg_temp
set jit to off
as $$ select 'timeline:' || p_project || '/' || p_stream $$;
comment on function ledger_private.timeline_queue(text, text) is
  'The graphile-worker queue of a timeline: its jobs run one at a time, other timelines run in parallel.';

create or replace function ledger_private.ensure_timeline(p_project text, p_stream text)
returns int
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_tl int := ledger_private.timeline_id(p_project, p_stream);
begin
  /* The id of timeline (project, stream), created with its progress row when new.
     Locks nothing that exists already (processing's progress row is only inserted). */
  if v_tl is null then
    insert into ledger_private.timeline (project, stream) values (p_project, p_stream) on conflict do nothing;
    v_tl := ledger_private.timeline_id(p_project, p_stream);
    insert into ledger_private.timeline_progress (timeline_id) values (v_tl) on conflict do nothing;
  end if;
  return v_tl;
end
$$;
comment on function ledger_private.ensure_timeline(text, text) is
  'The compact id of a timeline, creating the timeline (and its processing progress row) when it does not exist yet.';

create or replace function ledger_private.probe_coverage_fits(p_covered text[])
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set client_min_messages to warning
as $$
begin
  /* Raises program_limit_exceeded (54000) when a coverage list does not fit an index
     row shaped like ledger_private.snapshot_applied_idx's (what processing writes),
     compression included; leaves nothing behind. Staging calls it for large lists. */
  create temp table if not exists _bl_coverage_probe (timeline_id int, cl bigint, applied_seq bigint, covered text[])
    on commit delete rows;
  create index if not exists _bl_coverage_probe_idx on _bl_coverage_probe (timeline_id, cl) include (applied_seq, covered);
  insert into _bl_coverage_probe values (0, 0, 0, p_covered);
  delete from _bl_coverage_probe;
end
$$;
comment on function ledger_private.probe_coverage_fits(text[]) is
  'Raises SQLSTATE 54000 when a coverage list is too large for the index row that records a processed snapshot''s coverage; used by staging to refuse such a list up front.';

create or replace function ledger_private.stage_core(p_report jsonb, p_hash bytea, p_enqueue boolean,
                                                    p_persist_input boolean default true)
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_project text;
  v_stream text;
  v_cl_num numeric;
  v_cl bigint;
  v_submitted_at timestamptz;
  v_author text;
  v_description text;
  v_build jsonb;
  v_build_id text;
  v_status text;
  v_covered text[];
  v_cov_set jsonb;
  v_extra jsonb;
  v_hash bytea;
  v_err record;
  v_snap ledger_private.snapshot;
  v_tl int;
  v_latest_seq bigint;
  v_count int;
begin
  /* Validates everything first, then writes. Returns the snapshot id. The issues
     are the rows of the temp table _bl_stage_issue (ord plus the columns of
     ledger_private.issue_fields), filled by the caller (ledger_private.stage from a
     JSON array, ledger_private.stage_upload from a streamed upload); p_report is the
     rest of the report. p_persist_input = false leaves the issues in _bl_stage_issue
     only, for processing in the same transaction. */
  if p_report is null or jsonb_typeof(p_report) <> 'object' then
    raise exception 'report: expected a JSON object' using errcode = '22023';
  end if;

  -- project --------------------------------------------------------------------
  if jsonb_typeof(p_report->'project') is distinct from 'string' then
    if p_report ? 'project' and jsonb_typeof(p_report->'project') <> 'null' then
      raise exception 'project: expected a string, got %', p_report->'project' using errcode = '22023';
    end if;
    raise exception 'project: required field is missing' using errcode = '22004';
  end if;
  v_project := btrim(p_report->>'project');
  if v_project !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' then
    raise exception 'project: "%" is not a valid project name (letters, digits, ".", "_", "-"; at most 63)', v_project using errcode = '22023';
  end if;

  -- stream -------------------------------------------------------------------------
  if p_report->'stream' is null or jsonb_typeof(p_report->'stream') = 'null' then
    v_stream := 'main';
  elsif jsonb_typeof(p_report->'stream') <> 'string' then
    raise exception 'stream: expected a string, got %', p_report->'stream' using errcode = '22023';
  else
    v_stream := btrim(p_report->>'stream');
    if v_stream !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,126}$' then
      raise exception 'stream: "%" is not a valid stream name', v_stream using errcode = '22023';
    end if;
  end if;

  -- changelist ---------------------------------------------------------------------
  if p_report->'changelist' is null or jsonb_typeof(p_report->'changelist') = 'null' then
    raise exception 'changelist: required field is missing' using errcode = '22004';
  elsif jsonb_typeof(p_report->'changelist') = 'number'
        or (jsonb_typeof(p_report->'changelist') = 'string' and p_report->>'changelist' ~ '^\s*-?\d{1,30}\s*$') then
    v_cl_num := (p_report->>'changelist')::numeric;
  else
    raise exception 'changelist: expected a positive integer, got %', p_report->'changelist' using errcode = '22023';
  end if;
  if v_cl_num <> trunc(v_cl_num) or v_cl_num < 1 or v_cl_num > 9223372036854775807 then
    raise exception 'changelist: expected a positive integer, got %', p_report->'changelist' using errcode = '22003';
  end if;
  v_cl := v_cl_num::bigint;

  v_submitted_at := ledger_private.parse_timestamptz('submitted_at', p_report->'submitted_at');
  v_author := ledger_private.optional_text('author', p_report->'author', 200);
  v_description := ledger_private.optional_text('description', p_report->'description');

  -- build ------------------------------------------------------------------------------
  v_build := p_report->'build';
  if v_build is not null and jsonb_typeof(v_build) = 'null' then
    v_build := null;
  end if;
  if v_build is not null and jsonb_typeof(v_build) <> 'object' then
    raise exception 'build: expected an object, got %', jsonb_typeof(v_build) using errcode = '22023';
  end if;
  v_build_id := btrim(ledger_private.optional_text('build.id', v_build->'id', 200));
  if v_build_id = '' then
    raise exception 'build.id: must not be empty' using errcode = '22023';
  end if;
  v_status := coalesce(ledger_private.optional_text('build.status', v_build->'status', 50), 'complete');
  if v_status not in ('complete', 'partial', 'failed') then
    raise exception 'build.status: unknown value "%" (expected complete, partial or failed)', v_status using errcode = '22023';
  end if;
  if v_build ? 'covered_paths' and jsonb_typeof(v_build->'covered_paths') <> 'null' then
    if jsonb_typeof(v_build->'covered_paths') <> 'array' then
      raise exception 'build.covered_paths: expected an array of path prefixes' using errcode = '22023';
    end if;
    select format('build.covered_paths[%s]: %s', ord - 1,
                  case when jsonb_typeof(e) <> 'string' then 'expected a string'
                       when ledger.normalise_path(e #>> '{}') is null then 'empty path'
                       when octet_length(ledger.normalise_path(e #>> '{}')) > 1024 then 'longer than 1024 bytes'
                       else 'more than 32 segments' end) as msg
      into v_err
      from jsonb_array_elements(v_build->'covered_paths') with ordinality as t(e, ord)
     where jsonb_typeof(e) <> 'string'
        or ledger.normalise_path(e #>> '{}') is null
        or array_length(string_to_array(ledger.normalise_path(e #>> '{}'), '/'), 1) > 32
        or octet_length(ledger.normalise_path(e #>> '{}')) > 1024
     order by ord limit 1;
    if found then
      raise exception '%', v_err.msg using errcode = '22023';
    end if;
    -- distinct, sorted, and without prefixes already implied by a shorter one (each
    -- path's parent is looked up among the prefixes as a set: linear, not one
    -- comparison per pair)
    select array_agg(distinct ledger.normalise_path(e) collate "C") into v_covered
      from jsonb_array_elements_text(v_build->'covered_paths') e;
    v_cov_set := ledger_private.prefix_set(v_covered);
    select coalesce(array_agg(p order by p), '{}') into v_covered
      from unnest(v_covered) p
     where strpos(p, '/') = 0
        or not ledger_private.path_in_prefix_set(left(p, length(p) - strpos(reverse(p), '/')), v_cov_set);
    v_cov_set := null;
    -- processing keeps the coverage in an index row (ledger_private.snapshot_applied_idx):
    -- a list too large for one is refused now, not accepted and then failed for ever
    if pg_column_size(v_covered) > 2000 then
      begin
        perform ledger_private.probe_coverage_fits(v_covered);
      exception when program_limit_exceeded then
        raise exception 'build.covered_paths: % prefixes of % bytes in all are more than a snapshot can record (list fewer, shorter prefixes: a prefix covers its whole subtree)',
          cardinality(v_covered), pg_column_size(v_covered) using errcode = '22023';
      end;
    end if;
  end if;

  -- issues (checked row by row by ledger_private.issue_fields when they were read; the
  -- coverage needs the header, so it is checked here; a long list as a set of keys) ---
  if cardinality(v_covered) > 32 then
    v_cov_set := ledger_private.prefix_set(v_covered);
  end if;
  select format('issues[%s]%s', t.ord - 1,
                coalesce(t.err, format('.path: "%s" lies outside the build''s covered_paths', t.path))) as msg
    into v_err
    from _bl_stage_issue t
   where t.err is not null
      or (v_covered is not null
          and not case when v_cov_set is null then ledger.path_covered(t.path, v_covered)
                       else ledger_private.path_in_prefix_set(t.path, v_cov_set) end)
   order by t.ord
   limit 1;
  if found then
    raise exception '%', v_err.msg using errcode = '22023';
  end if;

  -- write -------------------------------------------------------------------------------
  v_extra := p_report - array['project', 'stream', 'changelist', 'submitted_at', 'author',
                              'description', 'build', 'issues'];
  v_hash := p_hash;
  v_build_id := coalesce(v_build_id, 'content-' || left(encode(v_hash, 'hex'), 32));

  insert into ledger_private.project (project) values (v_project) on conflict do nothing;
  v_tl := ledger_private.ensure_timeline(v_project, v_stream);
  -- a CL whose observations retention removed cannot be re-decided (a CL before the
  -- horizon that was never built can: nothing of it is missing)
  if v_cl < (select g.retained_from_cl from ledger_private.timeline_progress g where g.timeline_id = v_tl)
     and exists (select 1 from ledger_private.snapshot s where s.timeline_id = v_tl and s.cl = v_cl) then
    raise exception 'changelist: CL % lies before the retention horizon of %/% (CL %): observations before it are removed, so its presence cannot be decided',
      v_cl, v_project, v_stream,
      (select g.retained_from_cl from ledger_private.timeline_progress g where g.timeline_id = v_tl) using errcode = '22023';
  end if;

  insert into ledger_private.changelist as c (timeline_id, cl, submitted_at, author, description)
  values (v_tl, v_cl, v_submitted_at, v_author, v_description)
  on conflict (timeline_id, cl) do update
     set submitted_at = coalesce(excluded.submitted_at, c.submitted_at),
         author = coalesce(excluded.author, c.author),
         description = coalesce(excluded.description, c.description)
   where (excluded.submitted_at, excluded.author, excluded.description)
         is distinct from (c.submitted_at, c.author, c.description);

  select * into v_snap from ledger_private.snapshot s
   where s.timeline_id = v_tl and s.cl = v_cl and s.build_id = v_build_id
   for update;

  if found then
    select max(s.received_seq) into v_latest_seq from ledger_private.snapshot s
     where s.timeline_id = v_tl and s.cl = v_cl;
    if v_snap.content_hash = v_hash and v_snap.received_seq = v_latest_seq and v_snap.state <> 'failed' then
      return v_snap.snapshot_id;             -- identical re-post of the latest snapshot: no-op
    end if;
    update ledger_private.snapshot s
       set build_status = v_status, covered_paths = v_covered, content_hash = v_hash,
           extra = v_extra, received_at = now(),
           received_seq = nextval('ledger_private.received_seq'),
           content_version = s.content_version + 1, state = 'queued', error = null,
           attempts = 0, processing_started_at = null
     where s.timeline_id = v_tl and s.snapshot_id = v_snap.snapshot_id
    returning * into v_snap;
  else
    insert into ledger_private.snapshot (timeline_id, cl, build_id, build_status, covered_paths, content_hash, extra)
    values (v_tl, v_cl, v_build_id, v_status, v_covered, v_hash, v_extra)
    returning * into v_snap;
  end if;

  -- the input: one row of arrays (in report order), replaced by a re-post; a report
  -- processed in this same transaction (ledger.ingest_report) is read by processing
  -- straight from _bl_stage_issue and never written here
  if p_persist_input then
    insert into ledger_private.snapshot_input as si
           (timeline_id, snapshot_id, content_version, paths, severities, categories, messages, occurrences)
    select v_tl, v_snap.snapshot_id, v_snap.content_version,
           coalesce(array_agg(t.path::text), '{}'), coalesce(array_agg(t.severity), '{}'),
           coalesce(array_agg(t.category), '{}'), coalesce(array_agg(t.message), '{}'),
           coalesce(array_agg(t.occurrences), '{}')
      from (select * from _bl_stage_issue r order by r.ord) t
    on conflict (timeline_id, snapshot_id) do update
       set content_version = excluded.content_version, paths = excluded.paths, severities = excluded.severities,
           categories = excluded.categories, messages = excluded.messages, occurrences = excluded.occurrences;
  else
    delete from ledger_private.snapshot_input si
     where si.timeline_id = v_tl and si.snapshot_id = v_snap.snapshot_id;
  end if;
  select count(*) into v_count from _bl_stage_issue;

  update ledger_private.snapshot s set raw_issue_count = v_count
   where s.timeline_id = v_tl and s.snapshot_id = v_snap.snapshot_id;
  update ledger_private.timeline t set last_received_at = now(),
         latest_cl = greatest(t.latest_cl, v_cl)
   where t.timeline_id = v_tl;

  if p_enqueue then
    perform graphile_worker.add_job('process_snapshot',
              json_build_object('snapshot_id', v_snap.snapshot_id),
              queue_name => ledger_private.timeline_queue(v_project, v_stream),
              job_key => 'process_snapshot:' || v_snap.snapshot_id,
              max_attempts => 6);
  end if;
  return v_snap.snapshot_id;
end
$$;
comment on function ledger_private.stage_core(jsonb, bytea, boolean, boolean) is
  'Validates and stages one report whose issues are in the temp table _bl_stage_issue; optionally enqueues its processing job, optionally (for processing in the same transaction) without writing its input to ledger_private.snapshot_input. Shared body of ledger_private.stage and ledger_private.stage_upload.';

create or replace function ledger_private.issue_fields(p_issue jsonb)
returns table (path text, severity text, category text, message text, occurrences int, err text)
language sql immutable parallel safe
as $$
  /* One raw issue object of a report, checked and canonicalised in one pass: err is
     NULL for a valid issue, else the field and what is wrong with it (the caller
     prefixes "issues[n]"). Not strict and a single SELECT, so the planner inlines it
     into the query that reads the report. */
  select n.path,
         ledger.canonical_severity(p_issue->>'severity'),
         nullif(btrim(p_issue->>'category'), ''),
         p_issue->>'message',
         case when jsonb_typeof(p_issue->'count') = 'number'
               and (p_issue->>'count')::numeric between 1 and 2147483647
              then (p_issue->>'count')::numeric::int else 1 end,
         case
           when jsonb_typeof(p_issue) <> 'object' then ': expected an object'
           when coalesce(jsonb_typeof(p_issue->'path'), 'null') = 'null' then '.path: required field is missing'
           when jsonb_typeof(p_issue->'path') <> 'string' then '.path: expected a string'
           when not (ascii(p_issue->>'path') between 33 and 126 and ascii(p_issue->>'path') not in (47, 92))
                and n.path is null then '.path: empty path'   -- (a visible first character that is no separator: not empty)
           -- (normalising only removes characters: the raw path's length and its number
           -- of separators bound the normalised one's, so a valid path is checked cheaply)
           when octet_length(p_issue->>'path') - octet_length(replace(replace(p_issue->>'path', '/', ''), E'\\', '')) >= 32
            and length(n.path) - length(replace(n.path, '/', '')) >= 32 then '.path: more than 32 segments'
           when octet_length(p_issue->>'path') > 1024 and octet_length(n.path) > 1024
             then format('.path: longer than 1024 bytes (%s)', octet_length(n.path))
           when coalesce(jsonb_typeof(p_issue->'severity'), 'null') = 'null' then '.severity: required field is missing'
           when jsonb_typeof(p_issue->'severity') <> 'string'
             or ledger.canonical_severity(p_issue->>'severity') is null
             then format('.severity: unknown value %s (expected error, warning or info; aliases fatal, warn, display, note)', p_issue->'severity')
           when coalesce(jsonb_typeof(p_issue->'message'), 'null') = 'null' then '.message: required field is missing'
           when jsonb_typeof(p_issue->'message') <> 'string' then '.message: expected a string'
           when not ascii(p_issue->>'message') between 33 and 126   -- (a visible first character: not empty)
                and p_issue->>'message' !~ '\S' then '.message: empty message'
           when octet_length(p_issue->>'message') > 16384 then format('.message: longer than 16384 bytes (%s)', octet_length(p_issue->>'message'))
           when coalesce(jsonb_typeof(p_issue->'category'), 'null') not in ('null', 'string') then '.category: expected a string'
           when octet_length(p_issue->>'category') > 256 then format('.category: longer than 256 bytes (%s)', octet_length(p_issue->>'category'))
           when coalesce(jsonb_typeof(p_issue->'count'), 'null') not in ('null', 'number')
             or (jsonb_typeof(p_issue->'count') = 'number'
                 and ((p_issue->>'count')::numeric < 1 or (p_issue->>'count')::numeric > 2147483647
                      or (p_issue->>'count')::numeric <> trunc((p_issue->>'count')::numeric)))
             then format('.count: expected a positive integer, got %s', p_issue->'count')
         end
    from (select case when jsonb_typeof(p_issue) = 'object' and jsonb_typeof(p_issue->'path') = 'string'
                      then ledger.normalise_path(p_issue->>'path') end collate "C" as path) n
$$;
comment on function ledger_private.issue_fields(jsonb) is
  'Checks and canonicalises one raw issue object of a report (SPEC section 4): normalised path, canonical severity, category, message, occurrences, and err naming the first invalid field (NULL when valid).';

create or replace function ledger_private.prepare_stage_issues()
returns void
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
set client_min_messages to warning
as $$
begin
  -- the issues of the report being staged, checked and canonicalised once
  -- (ledger_private.issue_fields); a delete, not a truncate, when already filled in
  -- this transaction (a truncate would rewrite the table's files on every report)
  perform ledger_private.size_work_memory();
  create temp table if not exists _bl_stage_issue (
    ord bigint, path text collate "C", severity text, category text, message text,
    occurrences int, err text) on commit delete rows;
  if exists (select 1 from _bl_stage_issue) then
    delete from _bl_stage_issue;
  end if;
end
$$;
comment on function ledger_private.prepare_stage_issues() is
  'Creates (once per session) and empties the temp table _bl_stage_issue that ledger_private.stage_core reads the issues of a report from.';

create or replace function ledger_private.check_numbers(p_doc jsonb)
returns void
language plpgsql immutable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_key text;
begin
  /* Refuses a number of absurd magnitude anywhere in a report object (22003, naming
     its top-level key): jsonb keeps 1e131000 in a few bytes, but written out (the
     content hash, every read of the field) it is 131,001 digits, so a 70 kB report
     would cost a gigabyte. */
  select e.key into v_key
    from jsonb_each(case when jsonb_typeof(p_doc) = 'object' then p_doc else jsonb_build_object('report', p_doc) end) e
   where jsonb_path_exists(e.value, 'strict $.** ? (@.type() == "number" && (@ >= 1e21 || @ <= -1e21 || (@ != 0 && @ < 1e-21 && @ > -1e-21)))')
   order by e.key limit 1;
  if found then
    raise exception '%: a number at or beyond ±1e21, or closer to zero than ±1e-21 (not accepted anywhere in a report)', v_key
      using errcode = '22003';
  end if;
end
$$;
comment on function ledger_private.check_numbers(jsonb) is
  'Raises 22003 when a report holds a number at or beyond ±1e21 or a non-zero one closer to zero than ±1e-21 (its written-out form would be unboundedly larger than the report).';

create or replace function ledger_private.stage(p_report jsonb, p_enqueue boolean,
                                               p_persist_input boolean default true)
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_issues jsonb;
  v_slow boolean;
  v_n bigint;
begin
  /* A native JSON report with its issues inline. */
  if p_report is null or jsonb_typeof(p_report) <> 'object' then
    raise exception 'report: expected a JSON object' using errcode = '22023';
  end if;
  -- (the report's own fields; an issue's count is range-checked below, before anything
  -- writes the report out, and over HTTP every number was checked when it was parsed:
  -- walking every field of every issue here would cost 15-20 ms per 10k issues)
  perform ledger_private.check_numbers(p_report - 'issues');
  v_issues := coalesce(p_report->'issues', '[]');
  if jsonb_typeof(v_issues) = 'null' then
    v_issues := '[]';
  elsif jsonb_typeof(v_issues) <> 'array' then
    raise exception 'issues: expected an array' using errcode = '22023';
  end if;
  perform ledger_private.prepare_stage_issues();
  -- The common case, a report whose every issue is valid, is read in one pass by
  -- jsonb_to_recordset once one JSON path check has seen that every field has its type
  -- (about a third of the time of checking each object field by field). Any issue that
  -- could be invalid sends the whole report through ledger_private.issue_fields, which
  -- names the first invalid field: the conditions below are a superset of its checks,
  -- and for a valid issue both give the same row.
  if jsonb_path_exists(v_issues, 'lax $[*] ? (!(@.type() == "object") || !(@.path.type() == "string")
                                              || !(@.severity.type() == "string") || !(@.message.type() == "string")
                                              || (exists(@.category) && !(@.category.type() == "string" || @.category.type() == "null"))
                                              || (exists(@.count) && !(@.count.type() == "number" || @.count.type() == "null")))') then
    v_slow := true;
  else
    insert into _bl_stage_issue (ord, path, severity, category, message, occurrences, err)
    select x.ord, x.npath, x.sev, nullif(btrim(x.category), ''), x.message,
           coalesce(x.count::int, 1), null
      from (select i.*, ledger.normalise_path(i.path) collate "C" as npath, ledger.canonical_severity(i.severity) as sev
              from rows from (jsonb_to_recordset(v_issues)
                              as (path text, severity text, category text, message text, count numeric))
                   with ordinality as i(path, severity, category, message, count, ord)
            offset 0) x
     where not coalesce(x.npath is null
                or octet_length(x.npath) > 1024
                or octet_length(x.npath) - octet_length(replace(x.npath, '/', '')) >= 32
                or x.sev is null
                or (not ascii(x.message) between 33 and 126 and x.message !~ '\S')
                or octet_length(x.message) > 16384
                or octet_length(x.category) > 256
                or x.count < 1 or x.count > 2147483647 or x.count <> trunc(x.count), false);
    -- (a missing category or count makes its terms NULL: nothing to check)
    get diagnostics v_n = row_count;
    v_slow := v_n <> jsonb_array_length(v_issues);
    if v_slow then
      delete from _bl_stage_issue;
    end if;
  end if;
  if v_slow then
    perform ledger_private.check_numbers(p_report);
    insert into _bl_stage_issue (ord, path, severity, category, message, occurrences, err)
    select t.ord, f.*
      from jsonb_array_elements(v_issues) with ordinality as t(e, ord)
     cross join lateral ledger_private.issue_fields(t.e) f;
  end if;
  return ledger_private.stage_core(p_report - 'issues', sha256(convert_to(p_report::text, 'UTF8')), p_enqueue,
                                   p_persist_input);
end
$$;
comment on function ledger_private.stage(jsonb, boolean, boolean) is
  'Validates and stages one native JSON report; optionally enqueues its processing job; p_persist_input = false keeps its issues for processing in this transaction only. Shared body of ledger.stage_report and ledger.ingest_report.';

create or replace function ledger_private.stage_upload(p_upload_id bigint, p_enqueue boolean)
returns bigint
language plpgsql volatile
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_up ledger_private.upload;
  v_id bigint;
begin
  /* A streamed upload (NDJSON): header plus the issue lines COPYed into
     ledger_private.upload_issue. Validated and staged like a JSON report; the lines
     are deleted once staged. Errors name the line as issues[n] (n = issue line,
     counted from 0 after the header). */
  select * into v_up from ledger_private.upload u where u.upload_id = p_upload_id for update;
  if not found then
    raise exception 'upload_id: no upload with id %', p_upload_id using errcode = '22023';
  end if;
  if v_up.state = 'staged' then
    return v_up.snapshot_id;
  end if;
  if v_up.state <> 'receiving' then
    raise exception 'upload_id: upload % is %', p_upload_id, v_up.state using errcode = '22023';
  end if;
  perform ledger_private.check_numbers(v_up.header);
  perform ledger_private.prepare_stage_issues();
  insert into _bl_stage_issue (ord, path, severity, category, message, occurrences, err)
  select ui.ord, f.*
    from ledger_private.upload_issue ui
   cross join lateral ledger_private.issue_fields(ui.doc) f
   where ui.upload_id = p_upload_id;
  v_id := ledger_private.stage_core(v_up.header - 'issues',
            coalesce(v_up.content_hash, sha256(convert_to(v_up.header::text, 'UTF8'))), p_enqueue);
  delete from ledger_private.upload_issue ui where ui.upload_id = p_upload_id;
  update ledger_private.upload u set state = 'staged', snapshot_id = v_id, finished_at = now()
   where u.upload_id = p_upload_id;
  return v_id;
end
$$;
comment on function ledger_private.stage_upload(bigint, boolean) is
  'Validates and stages a streamed upload (header plus COPYed issue lines) as one snapshot, in one transaction; optionally enqueues its processing job. Idempotent: an already staged upload returns its snapshot id.';

create or replace function ledger.stage_report(report jsonb)
returns bigint
language sql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$ select ledger_private.stage(report, true) $$;
comment on function ledger.stage_report(jsonb) is
  'Validates a native JSON build report (SPEC section 4), stores it as a snapshot with its input and enqueues the durable graphile-worker job process_snapshot. Returns the snapshot id. Bad input raises SQLSTATE class 22 naming the field; nothing is stored then.';

create or replace view ledger_private.staged_issue as
  select si.snapshot_id, u.ordinal::int as ordinal, u.path, u.severity, u.category, u.message, u.occurrences
    from ledger_private.snapshot_input si
   cross join lateral unnest(si.paths, si.severities, si.categories, si.messages, si.occurrences)
         with ordinality as u(path, severity, category, message, occurrences, ordinal);
comment on view ledger_private.staged_issue is
  'The staged input of snapshots not processed yet (or failed), one row per issue in report order: for operators and tests.';
