-- Argument checks shared by the query functions. They are stable and take
-- constant arguments, so the planner evaluates them once per query (a one-time
-- filter) and the SQL functions that use them can still be inlined.

create or replace function ledger_private.require_timeline(p_project text, p_stream text)
returns boolean
language plpgsql stable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_project is null then
    raise exception 'project: required' using errcode = '22004';
  end if;
  if p_stream is null then
    raise exception 'stream: required' using errcode = '22004';
  end if;
  if not exists (select 1 from ledger.timeline t where t.project = p_project and t.stream = p_stream) then
    if not exists (select 1 from ledger.project p where p.project = p_project) then
      raise exception 'project: unknown project "%"', p_project using errcode = '22023';
    end if;
    raise exception 'stream: project "%" has no stream "%"', p_project, p_stream using errcode = '22023';
  end if;
  return true;
end
$$;
comment on function ledger_private.require_timeline(text, text) is
  'Raises SQLSTATE 22004 (missing) or 22023 (unknown) naming the field when the project or stream is missing or unknown; otherwise true.';

create or replace function ledger_private.require_cl(p_field text, p_cl bigint)
returns boolean
language plpgsql immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_cl is null or p_cl < 1 then
    raise exception '%: expected a positive changelist number, got %', p_field, coalesce(p_cl::text, 'NULL')
      using errcode = '22023';
  end if;
  return true;
end
$$;
comment on function ledger_private.require_cl(text, bigint) is
  'Raises SQLSTATE 22023 naming the field when a changelist argument is missing or not positive.';

create or replace function ledger_private.require_cl_order(p_from bigint, p_to bigint)
returns boolean
language plpgsql immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_from > p_to then
    raise exception 'from_cl: % is after to_cl %', p_from, p_to using errcode = '22023';
  end if;
  return true;
end
$$;
comment on function ledger_private.require_cl_order(bigint, bigint) is
  'Raises SQLSTATE 22023 when from_cl is after to_cl.';

create or replace function ledger_private.require_depth(p_depth integer)
returns boolean
language plpgsql immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_depth is null or p_depth not between 1 and 32 then
    raise exception 'depth: expected 1 to 32, got %', coalesce(p_depth::text, 'NULL') using errcode = '22023';
  end if;
  return true;
end
$$;
comment on function ledger_private.require_depth(integer) is
  'Raises SQLSTATE 22023 when a hierarchy depth is outside 1..32.';
