-- Triage, derived (issue 12, part 4): the current state of every triaged issue, from
-- the append-only ledger_private.triage_event (functions/150_triage.sql writes it).
-- Per issue and timeline, each facet's latest event decides it: acknowledge /
-- unacknowledge, assign / unassign, suppress / unsuppress, mark_fixed / unmark_fixed;
-- notes accumulate. A suppression is in force at CL c while c is before its until_cl
-- and now() is before its until (either optional); it then expires by itself and the
-- issue counts again. An issue marked fixed at CL f is a regression when one of its
-- intervals starts after f. Suppressed issues stay in the ledger: every function here
-- shows a `suppressed` flag instead of hiding them; ledger.gate and the "my team"
-- panels leave them out of their counts.

drop view if exists ledger.issue_triage_event;
create view ledger.issue_triage_event as
select t.event_id, t.project collate "default" as project, t.stream collate "default" as stream, t.issue_id, t.action,
       t.actor, t.at, t.assignee, t.reason, t.until_cl, t.until_at, t.note, t.fixed_cl, t.client_id
  from ledger_private.triage_event t;
comment on view ledger.issue_triage_event is
  'The triage history: every triage event (who, when, what) per issue and timeline, append-only, oldest first by event_id.';

drop view if exists ledger.issue_triage;
create view ledger.issue_triage as
with latest as (
  select distinct on (t.project, t.stream, t.issue_id, f.facet) t.*, f.facet
    from ledger_private.triage_event t
   cross join lateral (select case when t.action in ('acknowledge', 'unacknowledge') then 'ack'
                                   when t.action in ('assign', 'unassign') then 'assign'
                                   when t.action in ('suppress', 'unsuppress') then 'suppress'
                                   when t.action in ('mark_fixed', 'unmark_fixed') then 'fixed'
                                   else 'note' end as facet) f
   order by t.project, t.stream, t.issue_id, f.facet, t.event_id desc
), per_issue as (
  select l.project, l.stream, l.issue_id,
         bool_or(l.action = 'acknowledge') as acknowledged,
         max(l.actor) filter (where l.action = 'acknowledge') as acknowledged_by,
         max(l.assignee) filter (where l.action = 'assign') as assignee,
         bool_or(l.action = 'suppress') as suppression,
         max(l.reason) filter (where l.action = 'suppress') as suppress_reason,
         max(l.until_cl) filter (where l.action = 'suppress') as suppressed_until_cl,
         max(l.until_at) filter (where l.action = 'suppress') as suppressed_until,
         max(l.actor) filter (where l.action = 'suppress') as suppressed_by,
         max(l.fixed_cl) filter (where l.action = 'mark_fixed') as marked_fixed_cl,
         max(l.actor) filter (where l.action = 'mark_fixed') as marked_fixed_by
    from latest l
   group by l.project, l.stream, l.issue_id
), totals as (
  select t.project, t.stream, t.issue_id, count(*) as event_count,
         count(*) filter (where t.action = 'note') as note_count,
         (array_agg(t.note order by t.event_id desc) filter (where t.action = 'note'))[1] as last_note,
         max(t.at) as last_event_at,
         (array_agg(t.actor order by t.event_id desc))[1] as last_actor
    from ledger_private.triage_event t
   group by t.project, t.stream, t.issue_id
)
select p.project collate "default" as project, p.stream collate "default" as stream, p.issue_id,
       p.acknowledged, p.acknowledged_by, p.assignee,
       p.suppression and (p.suppressed_until_cl is null or p.suppressed_until_cl > coalesce(h.head_cl, 0))
                     and (p.suppressed_until is null or p.suppressed_until > now()) as suppressed,
       case when p.suppression then p.suppress_reason end as suppress_reason,
       case when p.suppression then p.suppressed_until_cl end as suppressed_until_cl,
       case when p.suppression then p.suppressed_until end as suppressed_until,
       case when p.suppression then p.suppressed_by end as suppressed_by,
       p.marked_fixed_cl, p.marked_fixed_by,
       r.regression_cl is not null as regressed, r.regression_cl,
       t.event_count, t.note_count, t.last_note, t.last_event_at, t.last_actor
  from per_issue p
  join totals t using (project, stream, issue_id)
  left join lateral (select max(s.cl) as head_cl from ledger.snapshot s
                      where s.project = p.project and s.stream = p.stream and s.applied_seq is not null) h on true
  left join lateral (select min(i.start_cl) as regression_cl from ledger.issue_presence_interval i
                      where i.project = p.project and i.stream = p.stream and i.issue_id = p.issue_id
                        and p.marked_fixed_cl is not null and i.start_cl > p.marked_fixed_cl) r on true;
comment on view ledger.issue_triage is
  'Current triage state per triaged issue and timeline, derived from ledger.issue_triage_event: acknowledged, assignee, suppression (in force now at the timeline''s latest built CL: reason, until CL, until time, by), marked fixed (CL, by) and regressed (an interval started after the CL it was marked fixed at), notes.';

drop function if exists ledger.suppressed_at(text, bigint, text);
create function ledger.suppressed_at(project text, cl bigint, stream text default 'main')
returns table (issue_id bigint, reason text, until_cl bigint, until_at timestamptz, suppressed_by text)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select ledger_private.require_timeline(suppressed_at.project, suppressed_at.stream)
     and ledger_private.require_cl('cl', suppressed_at.cl);
  select distinct on (t.issue_id) t.issue_id, t.reason, t.until_cl, t.until_at, t.actor
    from ledger_private.triage_event t
   where t.project = suppressed_at.project and t.stream = suppressed_at.stream
     and t.action in ('suppress', 'unsuppress')
     and t.event_id = (select max(u.event_id) from ledger_private.triage_event u
                        where u.project = t.project and u.stream = t.stream and u.issue_id = t.issue_id
                          and u.action in ('suppress', 'unsuppress'))
     and t.action = 'suppress'
     and (t.until_cl is null or suppressed_at.cl < t.until_cl)
     and (t.until_at is null or now() < t.until_at)
   order by t.issue_id
$$;
comment on function ledger.suppressed_at(text, bigint, text) is
  'The issues of a timeline whose latest suppression is in force at CL cl (before its until_cl) and now (before its until): what the gate and default counts leave out.';

drop function if exists ledger.open_issues_triaged(text, bigint, text);
create function ledger.open_issues_triaged(project text, cl bigint, stream text default 'main')
returns table (issue_id bigint, severity text, message text, path text, start_cl bigint, team text, people text[],
               suppressed boolean, acknowledged boolean, assignee text, regressed boolean, triaged boolean)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select o.issue_id, o.severity, o.message, o.path, o.start_cl, w.team, w.people,
         s.issue_id is not null, coalesce(t.acknowledged, false), t.assignee, coalesce(t.regressed, false),
         t.issue_id is not null
    from ledger.open_issues_at(open_issues_triaged.project, open_issues_triaged.cl, open_issues_triaged.stream) o
    cross join lateral ledger.owner_of(open_issues_triaged.project, o.path) w
    left join ledger.suppressed_at(open_issues_triaged.project, open_issues_triaged.cl, open_issues_triaged.stream) s
      on s.issue_id = o.issue_id
    left join ledger.issue_triage t
      on t.project = open_issues_triaged.project and t.stream = open_issues_triaged.stream and t.issue_id = o.issue_id
$$;
comment on function ledger.open_issues_triaged(text, bigint, text) is
  'The issues open at a CL with owner and triage state: suppressed (at that CL, now), acknowledged, assignee, regressed after being marked fixed, triaged (any event).';

drop function if exists ledger.triage_counts(text, bigint, text);
create function ledger.triage_counts(project text, cl bigint, stream text default 'main')
returns table (open bigint, counted bigint, suppressed bigint, untriaged bigint, acknowledged bigint, assigned bigint, regressed bigint)
language sql stable
set search_path to pg_catalog, pg_temp
as $$
  select count(*), count(*) filter (where not o.suppressed), count(*) filter (where o.suppressed),
         count(*) filter (where not o.triaged), count(*) filter (where o.acknowledged),
         count(*) filter (where o.assignee is not null), count(*) filter (where o.regressed)
    from ledger.open_issues_triaged(triage_counts.project, triage_counts.cl, triage_counts.stream) o
$$;
comment on function ledger.triage_counts(text, bigint, text) is
  'Open issues at a CL: all, counted (the default count: not suppressed), suppressed, untriaged (no event), acknowledged, assigned, regressed after marked fixed.';

comment on table ledger_private.triage_event is
  'Triage events, append-only (never updated or deleted): who did what to an issue on a timeline, when; the current state is ledger.issue_triage. client_id makes re-posts idempotent.';
