-- Ownership rules (table ledger_private.owner_rule): a pattern over ledger paths maps
-- to a team and people. A pattern is a path prefix (whole segments: a/b owns a/b/c) or
-- a glob (* within a segment, ** across segments). The most specific matching rule
-- wins: the one with the most literal characters, then the newest. An issue without a
-- matching rule is owned by its team segment (the third path segment) and nobody.

create or replace function ledger_private.owner_pattern_regex(p_pattern text)
returns text
language sql immutable strict parallel safe
as $$
  select '^' || replace(replace(replace(replace(replace(
           regexp_replace(btrim(p_pattern, '/'), '([.+?^$()\[\]{}|\\])', '\\\1', 'g'),
           '**/', E'\x02'), '**', E'\x01'), '*', '[^/]*'), E'\x01', '.*'), E'\x02', '(.*/)?')
         || case when position('*' in p_pattern) > 0 then '$' else '(/.*)?$' end
$$;
comment on function ledger_private.owner_pattern_regex(text) is
  'The regular expression of an ownership pattern: a prefix owns its subtree; * matches within a segment, ** across segments.';

create or replace function ledger.set_owner_rules(project text, rules jsonb, replace_all boolean default true)
returns integer
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_r jsonb;
  v_i int := 0;
begin
  /* Sets ownership rules [{pattern, team?, people?: [..]}] (all of them when
     replace_all; else added or updated by pattern). Validated whole; returns the
     number of rules the project has. */
  if not exists (select 1 from ledger.project p where p.project = set_owner_rules.project) then
    raise exception 'project: unknown project "%"', set_owner_rules.project using errcode = '22023';
  end if;
  if rules is null or jsonb_typeof(rules) <> 'array' then
    raise exception 'rules: expected an array of {pattern, team, people}' using errcode = '22023';
  end if;
  for v_r in select * from jsonb_array_elements(rules) loop
    if jsonb_typeof(v_r) <> 'object' or jsonb_typeof(v_r->'pattern') is distinct from 'string'
       or btrim(v_r->>'pattern', ' /') = '' or length(v_r->>'pattern') > 1024 then
      raise exception 'rules[%].pattern: expected a non-empty path pattern', v_i using errcode = '22023';
    end if;
    if exists (select 1 from jsonb_object_keys(v_r) k where k not in ('pattern', 'team', 'people')) then
      raise exception 'rules[%]: unknown field (expected pattern, team, people)', v_i using errcode = '22023';
    end if;
    if coalesce(jsonb_typeof(v_r->'team'), 'null') not in ('null', 'string') or length(v_r->>'team') > 200 or v_r->>'team' = '' then
      raise exception 'rules[%].team: expected a team name', v_i using errcode = '22023';
    end if;
    if coalesce(jsonb_typeof(v_r->'people'), 'null') not in ('null', 'array')
       or exists (select 1 from jsonb_array_elements(coalesce(v_r->'people', '[]')) p where jsonb_typeof(p) <> 'string' or p #>> '{}' = '') then
      raise exception 'rules[%].people: expected an array of names', v_i using errcode = '22023';
    end if;
    if v_r->'team' is null and jsonb_array_length(coalesce(v_r->'people', '[]')) = 0 then
      raise exception 'rules[%]: a rule needs a team or people', v_i using errcode = '22023';
    end if;
    v_i := v_i + 1;
  end loop;
  if replace_all then
    delete from ledger_private.owner_rule r where r.project = set_owner_rules.project;
  end if;
  insert into ledger_private.owner_rule as o (project, pattern, team, people)
  select set_owner_rules.project, btrim(x->>'pattern', ' '), x->>'team',
         coalesce(array(select jsonb_array_elements_text(x->'people')), '{}')
    from jsonb_array_elements(rules) x
  on conflict (project, pattern) do update set team = excluded.team, people = excluded.people;
  return (select count(*) from ledger_private.owner_rule r where r.project = set_owner_rules.project);
end
$$;
comment on function ledger.set_owner_rules(text, jsonb, boolean) is
  'Sets a project''s ownership rules [{pattern, team, people}] (replacing all, or adding/updating by pattern); validated whole, 22023 naming rules[i].field.';

create or replace function ledger.load_codeowners(project text, codeowners text, path_prefix text default '')
returns integer
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_rules jsonb := '[]';
  v_line text;
  v_parts text[];
  v_n int := 0;
begin
  /* Replaces a project's rules with those of a CODEOWNERS-style file: "pattern owner
     ...", # comments. An owner "@org/team" names the team, "@user" or an e-mail a
     person. Patterns are relative to path_prefix (e.g. "eu-build-01/atlas"). */
  for v_line in select btrim(l) from regexp_split_to_table(coalesce(codeowners, ''), E'\r?\n') l loop
    v_n := v_n + 1;
    continue when v_line = '' or left(v_line, 1) = '#';
    v_parts := regexp_split_to_array(v_line, '\s+');
    if array_length(v_parts, 1) < 2 then
      raise exception 'codeowners: line %: expected "pattern owner ..."', v_n using errcode = '22023';
    end if;
    v_rules := v_rules || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
      -- a pattern without a slash (*.uasset) applies in every folder, as in CODEOWNERS
      'pattern', nullif(btrim(coalesce(path_prefix, ''), '/'), '') || '/'
                 || case when position('/' in btrim(v_parts[1], '/')) = 0 and position('*' in v_parts[1]) > 0
                         then '**/' else '' end || btrim(v_parts[1], '/'),
      'team', (select regexp_replace(o, '^@[^/]+/', '') from unnest(v_parts[2:]) o where o ~ '^@[^/]+/.' limit 1),
      'people', (select jsonb_agg(regexp_replace(o, '^@', '')) from unnest(v_parts[2:]) o where o !~ '^@[^/]+/.'))));
  end loop;
  -- a pattern without a prefix starts with '/': strip it
  select coalesce(jsonb_agg(jsonb_set(r, '{pattern}', to_jsonb(btrim(r->>'pattern', '/')))), '[]') into v_rules
    from jsonb_array_elements(v_rules) r;
  return ledger.set_owner_rules(load_codeowners.project, v_rules, true);
end
$$;
comment on function ledger.load_codeowners(text, text, text) is
  'Replaces a project''s ownership rules with a CODEOWNERS-style file (pattern, then owners: @org/team is the team, @user or e-mail a person); returns the number of rules.';
