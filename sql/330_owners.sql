-- Who owns a path, and the owners of the issues open at a CL (issue 12).

drop function if exists ledger.owner_of(text, text);
create function ledger.owner_of(project text, path text)
returns table (team text, people text[], pattern text)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select coalesce(r.team, nullif(split_part(owner_of.path, '/', 3), '')) collate "default",
         coalesce(r.people, '{}'), r.pattern
    from (select 1) one
    left join lateral (
      select o.team, o.people, o.pattern
        from ledger_private.owner_rule o
       where o.project = owner_of.project
         and owner_of.path ~ ledger_private.owner_pattern_regex(o.pattern)
       order by length(replace(o.pattern, '*', '')) desc, o.rule_id desc
       limit 1) r on true
$$;
comment on function ledger.owner_of(text, text) is
  'The owner of a path in a project: the most specific matching ownership rule (most literal characters, then newest), else the path''s team segment and nobody.';

drop function if exists ledger.issue_owners(text, bigint, text);
create function ledger.issue_owners(project text, cl bigint, stream text default 'main')
returns table (issue_id bigint, severity text, message text, path text, team text, people text[], pattern text, start_cl bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select o.issue_id, o.severity, o.message, o.path, w.team, w.people, w.pattern, o.start_cl
    from ledger.open_issues_at(issue_owners.project, issue_owners.cl, issue_owners.stream) o
    cross join lateral ledger.owner_of(issue_owners.project, o.path) w
$$;
comment on function ledger.issue_owners(text, bigint, text) is
  'The issues open at a CL with their owners (team, people and the rule that decided).';

drop view if exists ledger.owner_rules;
create view ledger.owner_rules as
select r.project collate "default" as project, r.pattern, r.team, r.people, r.created_at
  from ledger_private.owner_rule r;
comment on view ledger.owner_rules is 'Ownership rules per project: path pattern → team and people (most specific wins).';
