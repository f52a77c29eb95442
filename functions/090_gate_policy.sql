-- Quality gate policy per project (table ledger_private.gate_policy, migration 000007):
-- reading the effective policy (defaults where a project has none) and changing it.
-- Every change is validated whole: an unknown setting, a wrong type or a malformed
-- threshold is SQLSTATE 22023 naming the field, and nothing is stored.

create or replace function ledger.gate_policy(project text)
returns jsonb
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select jsonb_build_object(
           'project', gate_policy.project,
           'fail_on_new_errors', coalesce(g.fail_on_new_errors, true),
           'fail_on_new_warnings', coalesce(g.fail_on_new_warnings, false),
           'fail_on_regressions', coalesce(g.fail_on_regressions, true),
           'flaky_blocks', coalesce(g.flaky_blocks, false),
           'flaky_window', coalesce(g.flaky_window, 20),
           'flaky_min_score', coalesce(g.flaky_min_score, 0.3),
           'flaky_min_flips', coalesce(g.flaky_min_flips, 3),
           'thresholds', coalesce(g.thresholds, '[]'::jsonb),
           'updated_at', g.updated_at, 'updated_by', g.updated_by,
           'is_default', g.project is null)
    from (select 1) one
    left join ledger_private.gate_policy g on g.project = gate_policy.project
   where exists (select 1 from ledger.project p where p.project = gate_policy.project)
      or ledger_private.raise_22023('project', format('unknown project "%s"', gate_policy.project)) is null
$$;
comment on function ledger.gate_policy(text) is
  'The quality gate policy in force for a project, as JSON (the defaults — fail on new errors and regressions, flaky issues never block — where none was set; is_default tells which).';

create or replace function ledger.set_gate_policy(project text, policy jsonb, updated_by text default null)
returns jsonb
language plpgsql volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_key text;
  v_val jsonb;
  v_cur jsonb;
  v_t jsonb;
  v_i int := 0;
  v_thresholds jsonb := '[]';
  v_bools constant text[] := array['fail_on_new_errors', 'fail_on_new_warnings', 'fail_on_regressions', 'flaky_blocks'];
begin
  /* Merges the given settings into the project's policy (settings not given keep their
     value) and returns the policy in force. thresholds replaces the whole list. */
  if not exists (select 1 from ledger.project p where p.project = set_gate_policy.project) then
    raise exception 'project: unknown project "%"', set_gate_policy.project using errcode = '22023';
  end if;
  if policy is null or jsonb_typeof(policy) <> 'object' then
    raise exception 'policy: expected a JSON object of settings' using errcode = '22023';
  end if;
  for v_key, v_val in select * from jsonb_each(policy) loop
    if v_key = any (v_bools) then
      if jsonb_typeof(v_val) <> 'boolean' then
        raise exception 'policy.%: expected true or false, got %', v_key, v_val using errcode = '22023';
      end if;
    elsif v_key = 'flaky_window' then
      if jsonb_typeof(v_val) <> 'number' or v_val::text !~ '^\d+$' or v_val::text::numeric not between 2 and 1000 then
        raise exception 'policy.flaky_window: expected an integer from 2 to 1000, got %', v_val using errcode = '22023';
      end if;
    elsif v_key = 'flaky_min_flips' then
      if jsonb_typeof(v_val) <> 'number' or v_val::text !~ '^\d+$' or v_val::text::numeric not between 1 and 1000 then
        raise exception 'policy.flaky_min_flips: expected an integer from 1 to 1000, got %', v_val using errcode = '22023';
      end if;
    elsif v_key = 'flaky_min_score' then
      if jsonb_typeof(v_val) <> 'number' or v_val::text::numeric <= 0 or v_val::text::numeric > 1 then
        raise exception 'policy.flaky_min_score: expected a number above 0 and at most 1, got %', v_val using errcode = '22023';
      end if;
    elsif v_key = 'thresholds' then
      if jsonb_typeof(v_val) <> 'array' then
        raise exception 'policy.thresholds: expected an array of {path_prefix, severity, max_open}' using errcode = '22023';
      end if;
      for v_t in select * from jsonb_array_elements(v_val) loop
        if jsonb_typeof(v_t) <> 'object' then
          raise exception 'policy.thresholds[%]: expected an object', v_i using errcode = '22023';
        end if;
        if exists (select 1 from jsonb_object_keys(v_t) k where k not in ('path_prefix', 'severity', 'max_open')) then
          raise exception 'policy.thresholds[%]: unknown setting "%"', v_i,
            (select k from jsonb_object_keys(v_t) k where k not in ('path_prefix', 'severity', 'max_open') limit 1)
            using errcode = '22023';
        end if;
        if jsonb_typeof(v_t->'path_prefix') is distinct from 'string' or coalesce(ledger.normalise_path(v_t->>'path_prefix'), '') = '' then
          raise exception 'policy.thresholds[%].path_prefix: expected a non-empty path', v_i using errcode = '22023';
        end if;
        if coalesce(v_t->>'severity', 'any') not in ('error', 'warning', 'info', 'any') then
          raise exception 'policy.thresholds[%].severity: expected error, warning, info or any, got %', v_i, v_t->'severity'
            using errcode = '22023';
        end if;
        if jsonb_typeof(v_t->'max_open') is distinct from 'number' or (v_t->>'max_open') !~ '^\d+$' then
          raise exception 'policy.thresholds[%].max_open: expected a non-negative integer, got %', v_i, coalesce(v_t->'max_open', 'null')
            using errcode = '22023';
        end if;
        v_thresholds := v_thresholds || jsonb_build_array(jsonb_build_object(
          'path_prefix', ledger.normalise_path(v_t->>'path_prefix'),
          'severity', coalesce(v_t->>'severity', 'any'), 'max_open', (v_t->>'max_open')::int));
        v_i := v_i + 1;
      end loop;
    else
      raise exception 'policy.%: unknown setting (expected one of fail_on_new_errors, fail_on_new_warnings, fail_on_regressions, flaky_blocks, flaky_window, flaky_min_score, flaky_min_flips, thresholds)', v_key
        using errcode = '22023';
    end if;
  end loop;
  v_cur := ledger.gate_policy(set_gate_policy.project);
  v_cur := v_cur || (policy - 'thresholds') || case when policy ? 'thresholds' then jsonb_build_object('thresholds', v_thresholds) else '{}' end;
  insert into ledger_private.gate_policy as g (project, fail_on_new_errors, fail_on_new_warnings, fail_on_regressions,
                                               flaky_blocks, flaky_window, flaky_min_score, flaky_min_flips,
                                               thresholds, updated_at, updated_by)
  values (set_gate_policy.project, (v_cur->>'fail_on_new_errors')::boolean, (v_cur->>'fail_on_new_warnings')::boolean,
          (v_cur->>'fail_on_regressions')::boolean, (v_cur->>'flaky_blocks')::boolean, (v_cur->>'flaky_window')::int,
          (v_cur->>'flaky_min_score')::numeric, (v_cur->>'flaky_min_flips')::int, v_cur->'thresholds', now(),
          set_gate_policy.updated_by)
  on conflict (project) do update
     set fail_on_new_errors = excluded.fail_on_new_errors, fail_on_new_warnings = excluded.fail_on_new_warnings,
         fail_on_regressions = excluded.fail_on_regressions, flaky_blocks = excluded.flaky_blocks,
         flaky_window = excluded.flaky_window, flaky_min_score = excluded.flaky_min_score,
         flaky_min_flips = excluded.flaky_min_flips, thresholds = excluded.thresholds,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by;
  return ledger.gate_policy(set_gate_policy.project);
end
$$;
comment on function ledger.set_gate_policy(text, jsonb, text) is
  'Changes a project''s quality gate policy: the given settings replace their current values (thresholds as a whole list), after validating all of them (SQLSTATE 22023 naming the field); returns the policy in force.';
