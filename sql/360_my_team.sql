-- The "my team" dashboard's SQL (issue 12, part 6; grafana/dashboards.ts): one team's
-- open issues by owner, what is new this week with its suspects, regressions, and how
-- much is still untriaged, at the timeline's latest built CL. A team of NULL means
-- every team. "This week" is the 7 days (or p_days) up to the latest built CL's time,
-- so a replayed or synthetic history shows its own last week, not the wall clock's.
-- Suppressed issues are shown with a flag and left out of the counts.

drop function if exists ledger.my_team_open_by_owner(text, text, text);
create function ledger.my_team_open_by_owner(project text, team text default null, stream text default 'main')
returns table (owner text, team text, open bigint, errors bigint, warnings bigint, untriaged bigint, suppressed bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select coalesce(o.assignee, nullif(array_to_string(o.people, ', '), ''), '(team ' || o.team || ')') as owner, o.team,
         count(*) filter (where not o.suppressed), count(*) filter (where not o.suppressed and o.severity = 'error'),
         count(*) filter (where not o.suppressed and o.severity = 'warning'),
         count(*) filter (where not o.suppressed and not o.triaged), count(*) filter (where o.suppressed)
    from ledger.open_issues_triaged(my_team_open_by_owner.project,
           coalesce(ledger_private.head_cl(my_team_open_by_owner.project, my_team_open_by_owner.stream), 1),
           my_team_open_by_owner.stream) o
   where my_team_open_by_owner.team is null or o.team = my_team_open_by_owner.team
   group by 1, 2
   order by 3 desc, 1
$$;
comment on function ledger.my_team_open_by_owner(text, text, text) is
  'Open issues at the latest built CL per owner (the assignee, else the ownership rule''s people, else the team) of one team (NULL: all): open (not suppressed), errors, warnings, untriaged, suppressed.';

drop function if exists ledger.my_team_new_with_suspects(text, text, integer, text);
create function ledger.my_team_new_with_suspects(project text, team text default null, days integer default 7, stream text default 'main')
returns table (start_cl bigint, started_at timestamptz, severity text, message text, path text, team text,
               suspect_cl bigint, suspect_author text, suspect_rank integer, suspects bigint, assignee text, suppressed boolean)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(my_team_new_with_suspects.project, my_team_new_with_suspects.stream)
     and (my_team_new_with_suspects.days between 1 and 3660
          or ledger_private.raise_22023('days', format('expected 1 to 3660, got %s', coalesce(my_team_new_with_suspects.days::text, 'NULL'))) is null);
  with head as (
    select ledger_private.head_cl(my_team_new_with_suspects.project, my_team_new_with_suspects.stream) as cl
  ), anchor as (
    select h.cl, ledger_private.cl_time(my_team_new_with_suspects.project, my_team_new_with_suspects.stream, h.cl) as at from head h
  ), fresh as (
    select o.*, ledger_private.cl_time(my_team_new_with_suspects.project, my_team_new_with_suspects.stream, o.start_cl) as started_at
      from anchor a
      cross join lateral ledger.open_issues_triaged(my_team_new_with_suspects.project, a.cl, my_team_new_with_suspects.stream) o
     where (my_team_new_with_suspects.team is null or o.team = my_team_new_with_suspects.team)
  )
  select f.start_cl, f.started_at, f.severity, f.message, f.path, f.team, s.cl, s.author, s.rank, s.n, f.assignee, f.suppressed
    from fresh f
    cross join anchor a
    left join lateral (
      select x.cl, x.author, x.rank, count(*) over () as n
        from ledger.suspects(my_team_new_with_suspects.project, f.issue_id, f.start_cl, my_team_new_with_suspects.stream) x
       order by x.rank desc, x.cl desc limit 1) s on true
   where f.started_at > a.at - make_interval(days => my_team_new_with_suspects.days)
   order by f.suppressed, f.start_cl desc, f.severity, f.path
   limit 200
$$;
comment on function ledger.my_team_new_with_suspects(text, text, integer, text) is
  'Issues of a team (NULL: all) still open at the latest built CL whose interval started in the last `days` days before that CL''s time, with the top suspect changelist (rank, author) and how many suspects there are; suppressed ones last, flagged.';

drop function if exists ledger.my_team_regressions(text, text, integer, text);
create function ledger.my_team_regressions(project text, team text default null, days integer default 30, stream text default 'main')
returns table (start_cl bigint, started_at timestamptz, severity text, message text, path text, team text,
               previous_resolved_cl bigint, marked_fixed_cl bigint, is_open boolean, suppressed boolean)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(my_team_regressions.project, my_team_regressions.stream)
     and (my_team_regressions.days between 1 and 3660
          or ledger_private.raise_22023('days', format('expected 1 to 3660, got %s', coalesce(my_team_regressions.days::text, 'NULL'))) is null);
  with anchor as (
    select ledger_private.cl_time(my_team_regressions.project, my_team_regressions.stream,
             ledger_private.head_cl(my_team_regressions.project, my_team_regressions.stream)) as at,
           ledger_private.head_cl(my_team_regressions.project, my_team_regressions.stream) as cl
  ), starts as (
    select i.issue_id, i.start_cl, i.resolved_cl,
           (select max(e.resolved_cl) from ledger.issue_presence_interval e
             where e.project = i.project and e.stream = i.stream and e.issue_id = i.issue_id and e.start_cl < i.start_cl) as prev_resolved
      from ledger.issue_presence_interval i, anchor a
     where i.project = my_team_regressions.project and i.stream = my_team_regressions.stream
       and i.start_cl in (select c.cl from ledger.changelist c
                           where c.project = my_team_regressions.project and c.stream = my_team_regressions.stream
                             and ledger_private.cl_time(c.project, c.stream, c.cl) > a.at - make_interval(days => my_team_regressions.days))
  )
  select s.start_cl, ledger_private.cl_time(my_team_regressions.project, my_team_regressions.stream, s.start_cl),
         ii.severity, ii.message, ii.path collate "default", w.team, s.prev_resolved, t.marked_fixed_cl,
         s.resolved_cl is null, coalesce(t.suppressed, false)
    from starts s
    join ledger.issue_instance ii on ii.issue_id = s.issue_id
    cross join lateral ledger.owner_of(my_team_regressions.project, ii.path) w
    left join ledger.issue_triage t
      on t.project = my_team_regressions.project and t.stream = my_team_regressions.stream and t.issue_id = s.issue_id
   where s.prev_resolved is not null
     and (my_team_regressions.team is null or w.team = my_team_regressions.team)
   order by (t.marked_fixed_cl is not null and s.start_cl > t.marked_fixed_cl) desc, s.start_cl desc, ii.path
   limit 200
$$;
comment on function ledger.my_team_regressions(text, text, integer, text) is
  'Regressions of a team (NULL: all) in the last `days` days before the latest built CL''s time: an interval started after an earlier one was resolved; those that came back after being marked fixed first.';

drop function if exists ledger.my_team_untriaged(text, text, text);
create function ledger.my_team_untriaged(project text, team text default null, stream text default 'main')
returns table (open bigint, untriaged bigint, acknowledged bigint, assigned bigint, suppressed bigint, regressed bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select count(*) filter (where not o.suppressed), count(*) filter (where not o.suppressed and not o.triaged),
         count(*) filter (where not o.suppressed and o.acknowledged), count(*) filter (where not o.suppressed and o.assignee is not null),
         count(*) filter (where o.suppressed), count(*) filter (where o.regressed)
    from ledger.open_issues_triaged(my_team_untriaged.project,
           coalesce(ledger_private.head_cl(my_team_untriaged.project, my_team_untriaged.stream), 1), my_team_untriaged.stream) o
   where my_team_untriaged.team is null or o.team = my_team_untriaged.team
$$;
comment on function ledger.my_team_untriaged(text, text, text) is
  'A team''s (NULL: all) open issues at the latest built CL: open (not suppressed), untriaged (no triage event), acknowledged, assigned, suppressed, regressed after being marked fixed.';
