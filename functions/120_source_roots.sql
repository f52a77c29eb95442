-- Source roots per project (table ledger_private.source_root): what the converters
-- strip from absolute paths of that project's logs and SARIF (lib/formats/paths.ts).

create or replace function ledger.source_roots(project text)
returns text[]
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select coalesce(array_agg(r.root order by length(r.root) desc, r.root), '{}')
    from ledger_private.source_root r where r.project = source_roots.project
$$;
comment on function ledger.source_roots(text) is
  'The source roots configured for a project (longest first): build roots stripped from absolute file paths of its logs and SARIF.';

create or replace function ledger.set_source_roots(project text, roots text[])
returns text[]
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_i int;
begin
  /* Replaces a project's source roots (an empty array removes them all). */
  if not exists (select 1 from ledger.project p where p.project = set_source_roots.project) then
    raise exception 'project: unknown project "%"', set_source_roots.project using errcode = '22023';
  end if;
  if roots is null then
    raise exception 'roots: expected an array of folders' using errcode = '22023';
  end if;
  for v_i in 1 .. coalesce(array_length(roots, 1), 0) loop
    if roots[v_i] is null or btrim(roots[v_i]) = '' or length(roots[v_i]) > 1024 then
      raise exception 'roots[%]: expected a folder of 1 to 1024 characters', v_i - 1 using errcode = '22023';
    end if;
  end loop;
  delete from ledger_private.source_root r where r.project = set_source_roots.project;
  insert into ledger_private.source_root (project, root)
  select distinct set_source_roots.project, btrim(x) from unnest(roots) x;
  return ledger.source_roots(set_source_roots.project);
end
$$;
comment on function ledger.set_source_roots(text, text[]) is
  'Replaces the source roots of a project (validated; 22023 naming the field); returns them.';
