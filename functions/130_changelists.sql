-- Changelists from a version-control feed (POST /v1/changelists, `buildledger
-- changelists`): author, description, submit time and the files a CL touched, also for
-- CLs that were never built. Idempotent: posting the same batch again changes nothing.

create or replace function ledger.record_changelists(changes jsonb)
returns integer
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
#variable_conflict use_column
declare
  v_c jsonb;
  v_i int := 0;
  v_project text;
  v_stream text;
  v_cl numeric;
  v_ts timestamptz;
  v_files text[];
  v_n int := 0;
  v_tl int;
begin
  /* Validates the whole batch first (SQLSTATE 22023 naming changes[i].field; nothing
     stored on error), then upserts each CL: given fields replace stored ones, files
     (when given) replace the CL's file list. Returns the number of CLs recorded. */
  if changes is null or jsonb_typeof(changes) <> 'array' then
    raise exception 'changes: expected an array of changelists' using errcode = '22023';
  end if;
  for v_c in select * from jsonb_array_elements(changes) loop
    if jsonb_typeof(v_c) <> 'object' then
      raise exception 'changes[%]: expected an object', v_i using errcode = '22023';
    end if;
    v_project := v_c->>'project';
    if v_project is null or not exists (select 1 from ledger.project p where p.project = v_project) then
      raise exception 'changes[%].project: unknown project %', v_i, coalesce(v_c->'project', 'null') using errcode = '22023';
    end if;
    if coalesce(jsonb_typeof(v_c->'stream'), 'null') not in ('null', 'string') or coalesce(v_c->>'stream', 'main') !~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$' then
      raise exception 'changes[%].stream: not a valid stream name', v_i using errcode = '22023';
    end if;
    if coalesce(jsonb_typeof(v_c->'changelist'), 'missing') not in ('number', 'string') or (v_c->>'changelist') !~ '^\d{1,19}$'
       or (v_c->>'changelist')::numeric < 1 or (v_c->>'changelist')::numeric > 9223372036854775807 then
      raise exception 'changes[%].changelist: expected a positive changelist number, got %', v_i, coalesce(v_c->'changelist', 'null')
        using errcode = '22023';
    end if;
    if v_c ? 'submitted_at' and jsonb_typeof(v_c->'submitted_at') <> 'null' then
      perform ledger_private.parse_timestamptz(format('changes[%s].submitted_at', v_i), v_c->'submitted_at');
    end if;
    perform ledger_private.optional_text(format('changes[%s].author', v_i), v_c->'author', 200);
    perform ledger_private.optional_text(format('changes[%s].description', v_i), v_c->'description', 10000);
    if v_c ? 'files' and (jsonb_typeof(v_c->'files') <> 'array'
        or exists (select 1 from jsonb_array_elements(v_c->'files') f
                    where jsonb_typeof(f) <> 'string' or coalesce(ledger.normalise_path(f #>> '{}'), '') = ''
                       or octet_length(f #>> '{}') > 1024)) then
      raise exception 'changes[%].files: expected an array of non-empty paths of at most 1024 bytes', v_i using errcode = '22023';
    end if;
    v_i := v_i + 1;
  end loop;

  for v_c in select * from jsonb_array_elements(changes) loop
    v_project := v_c->>'project';
    v_stream := coalesce(v_c->>'stream', 'main');
    v_cl := (v_c->>'changelist')::numeric;
    v_ts := case when jsonb_typeof(v_c->'submitted_at') = 'string'
                 then ledger_private.parse_timestamptz('submitted_at', v_c->'submitted_at') end;
    v_tl := ledger_private.ensure_timeline(v_project, v_stream);
    insert into ledger_private.changelist as c (timeline_id, cl, submitted_at, author, description)
    values (v_tl, v_cl::bigint, v_ts, v_c->>'author', v_c->>'description')
    on conflict (timeline_id, cl) do update
       set submitted_at = coalesce(excluded.submitted_at, c.submitted_at),
           author = coalesce(excluded.author, c.author),
           description = coalesce(excluded.description, c.description)
     where (excluded.submitted_at, excluded.author, excluded.description)
           is distinct from (c.submitted_at, c.author, c.description);
    if v_c ? 'files' then
      select coalesce(array_agg(distinct ledger.normalise_path(f)), '{}') into v_files
        from jsonb_array_elements_text(v_c->'files') f;
      delete from ledger_private.changelist_file f
       where f.timeline_id = v_tl and f.cl = v_cl::bigint and f.path <> all (v_files);
      insert into ledger_private.changelist_file (timeline_id, cl, path)
      select v_tl, v_cl::bigint, p from unnest(v_files) p
      on conflict do nothing;
    end if;
    v_n := v_n + 1;
  end loop;
  return v_n;
end
$$;
comment on function ledger.record_changelists(jsonb) is
  'Records changelists from a version-control feed: [{project, stream?, changelist, author?, description?, submitted_at?, files?: [paths]}]. Validated whole (22023 naming changes[i].field), idempotent; CLs that were never built are known too. Returns how many.';
