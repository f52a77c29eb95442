-- Triage writes (issue 12, part 4): ledger.record_triage appends events to
-- ledger_private.triage_event; nothing is ever updated or deleted there, and the
-- current state is derived on read (sql/340_triage.sql).
-- Invariants: a batch is validated whole before anything is stored (SQLSTATE 22023,
-- message "events[i].field: ..."); an event names an issue that has a presence
-- interval on its timeline; re-posting an event with the same client id, or with the
-- same content as the issue's latest event by the same person, stores nothing new.
-- Called by buildledger_triage (and the HTTP server, which is a member of it) with the
-- actor the server took from the token's user name.

create or replace function ledger.record_triage(events jsonb, actor text)
returns jsonb
language plpgsql volatile security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_e jsonb;
  v_i int := 0;
  v_project text;
  v_stream text;
  v_issue bigint;
  v_action text;
  v_row ledger_private.triage_event;
  v_prev ledger_private.triage_event;
  v_until_at timestamptz;
  v_fixed bigint;
  v_out jsonb := '[]';
  v_ok_keys text[] := array['id', 'project', 'stream', 'issue_id', 'action', 'assignee', 'reason', 'until_cl', 'until', 'note', 'cl'];
begin
  /* Appends triage events [{id?, project, stream?, issue_id, action, assignee?, reason?,
     until_cl?, until?, note?, cl?}] by actor. Actions: acknowledge, unacknowledge,
     assign (assignee), unassign, suppress (reason, optionally until_cl and/or until, a
     timestamp), unsuppress, note (note), mark_fixed (cl: the CL believed to fix it,
     default the timeline's latest built CL), unmark_fixed. Returns
     [{event_id, duplicate}] in input order. */
  if actor is null or btrim(actor) = '' or length(actor) > 200 then
    raise exception 'actor: a triage event needs the name of who made it' using errcode = '22023';
  end if;
  if events is null or jsonb_typeof(events) not in ('array', 'object') then
    raise exception 'events: expected a triage event or an array of them' using errcode = '22023';
  end if;
  if jsonb_typeof(events) = 'object' then
    events := jsonb_build_array(events);
  end if;
  if jsonb_array_length(events) = 0 or jsonb_array_length(events) > 10000 then
    raise exception 'events: expected 1 to 10000 events' using errcode = '22023';
  end if;

  -- 1. validate everything
  for v_e in select * from jsonb_array_elements(events) loop
    if jsonb_typeof(v_e) <> 'object' then
      raise exception 'events[%]: expected an object', v_i using errcode = '22023';
    end if;
    if exists (select 1 from jsonb_object_keys(v_e) k where k <> all (v_ok_keys)) then
      raise exception 'events[%]: unknown field "%" (expected %)', v_i,
        (select k from jsonb_object_keys(v_e) k where k <> all (v_ok_keys) limit 1), array_to_string(v_ok_keys, ', ')
        using errcode = '22023';
    end if;
    v_project := v_e->>'project';
    if jsonb_typeof(v_e->'project') is distinct from 'string'
       or not exists (select 1 from ledger.project p where p.project = v_project) then
      raise exception 'events[%].project: unknown project %', v_i, coalesce(v_e->'project', 'null') using errcode = '22023';
    end if;
    v_stream := coalesce(v_e->>'stream', 'main');
    if coalesce(jsonb_typeof(v_e->'stream'), 'null') not in ('null', 'string')
       or not exists (select 1 from ledger.timeline t where t.project = v_project and t.stream = v_stream) then
      raise exception 'events[%].stream: project "%" has no stream %', v_i, v_project, coalesce(v_e->'stream', '"main"') using errcode = '22023';
    end if;
    if jsonb_typeof(v_e->'issue_id') not in ('number', 'string') or (v_e->>'issue_id') !~ '^\d{1,18}$' then
      raise exception 'events[%].issue_id: expected an issue id, got %', v_i, coalesce(v_e->'issue_id', 'null') using errcode = '22023';
    end if;
    v_issue := (v_e->>'issue_id')::bigint;
    if not exists (select 1 from ledger.issue_presence_interval i
                    where i.project = v_project and i.stream = v_stream and i.issue_id = v_issue) then
      raise exception 'events[%].issue_id: no issue % on %/%', v_i, v_issue, v_project, v_stream using errcode = '22023';
    end if;
    v_action := v_e->>'action';
    if jsonb_typeof(v_e->'action') is distinct from 'string' or v_action not in
       ('acknowledge', 'unacknowledge', 'assign', 'unassign', 'suppress', 'unsuppress', 'note', 'mark_fixed', 'unmark_fixed') then
      raise exception 'events[%].action: unknown action % (expected acknowledge, unacknowledge, assign, unassign, suppress, unsuppress, note, mark_fixed, unmark_fixed)',
        v_i, coalesce(v_e->'action', 'null') using errcode = '22023';
    end if;
    if coalesce(jsonb_typeof(v_e->'id'), 'null') not in ('null', 'string') or length(v_e->>'id') not between 1 and 200 then
      raise exception 'events[%].id: expected a client event id of 1 to 200 characters', v_i using errcode = '22023';
    end if;
    if (v_action = 'assign') <> (v_e ? 'assignee') then
      raise exception 'events[%].assignee: %', v_i,
        case when v_action = 'assign' then 'required for assign' else 'only assign takes an assignee' end using errcode = '22023';
    end if;
    if v_action = 'assign' and (jsonb_typeof(v_e->'assignee') <> 'string' or btrim(v_e->>'assignee') = '' or length(v_e->>'assignee') > 200) then
      raise exception 'events[%].assignee: expected a person''s name', v_i using errcode = '22023';
    end if;
    if (v_action = 'note') <> (v_e ? 'note') then
      raise exception 'events[%].note: %', v_i,
        case when v_action = 'note' then 'required for note' else 'only note takes a note' end using errcode = '22023';
    end if;
    if v_action = 'note' and (jsonb_typeof(v_e->'note') <> 'string' or btrim(v_e->>'note') = '' or length(v_e->>'note') > 10000) then
      raise exception 'events[%].note: expected 1 to 10000 characters', v_i using errcode = '22023';
    end if;
    if v_action <> 'suppress' and (v_e ? 'reason' or v_e ? 'until_cl' or v_e ? 'until') then
      raise exception 'events[%].%: only suppress takes it', v_i,
        case when v_e ? 'reason' then 'reason' when v_e ? 'until_cl' then 'until_cl' else 'until' end using errcode = '22023';
    end if;
    if v_action = 'suppress' then
      if jsonb_typeof(v_e->'reason') is distinct from 'string' or btrim(v_e->>'reason') = '' or length(v_e->>'reason') > 2000 then
        raise exception 'events[%].reason: a suppression needs a reason (1 to 2000 characters)', v_i using errcode = '22023';
      end if;
      if v_e ? 'until_cl' and (jsonb_typeof(v_e->'until_cl') not in ('number', 'string') or (v_e->>'until_cl') !~ '^\d{1,18}$'
                               or (v_e->>'until_cl')::bigint < 1) then
        raise exception 'events[%].until_cl: expected a positive changelist number', v_i using errcode = '22023';
      end if;
      if v_e ? 'until' then
        v_until_at := ledger_private.parse_timestamptz(format('events[%s].until', v_i), v_e->'until');
      end if;
    end if;
    if v_action <> 'mark_fixed' and v_e ? 'cl' then
      raise exception 'events[%].cl: only mark_fixed takes a CL', v_i using errcode = '22023';
    end if;
    if v_e ? 'cl' and (jsonb_typeof(v_e->'cl') not in ('number', 'string') or (v_e->>'cl') !~ '^\d{1,18}$' or (v_e->>'cl')::bigint < 1) then
      raise exception 'events[%].cl: expected a positive changelist number', v_i using errcode = '22023';
    end if;
    v_i := v_i + 1;
  end loop;

  -- 2. append (or find the event this one repeats)
  v_i := 0;
  for v_e in select * from jsonb_array_elements(events) loop
    v_project := v_e->>'project';
    v_stream := coalesce(v_e->>'stream', 'main');
    v_issue := (v_e->>'issue_id')::bigint;
    v_action := v_e->>'action';
    v_until_at := case when v_e ? 'until' then ledger_private.parse_timestamptz('until', v_e->'until') end;
    v_fixed := case when v_action <> 'mark_fixed' then null
                    when v_e ? 'cl' then (v_e->>'cl')::bigint
                    else (select max(s.cl) from ledger.snapshot s
                           where s.project = v_project and s.stream = v_stream and s.applied_seq is not null) end;
    -- one writer per timeline and client id at a time (a concurrent re-post waits, then finds the first)
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('triage:' || v_project || '/' || v_stream),
                                             pg_catalog.hashtext(coalesce(v_e->>'id', v_issue::text)));
    v_row := null;
    if v_e ? 'id' then
      select * into v_row from ledger_private.triage_event t
       where t.project = v_project and t.stream = v_stream and t.client_id = v_e->>'id';
      if found and (v_row.issue_id, v_row.action, v_row.actor, v_row.assignee, v_row.reason, v_row.until_cl, v_row.until_at, v_row.note)
                   is distinct from (v_issue, v_action, record_triage.actor, v_e->>'assignee', v_e->>'reason',
                                     (v_e->>'until_cl')::bigint, v_until_at, v_e->>'note') then
        raise exception 'events[%].id: "%" was already used for a different event (%)', v_i, v_e->>'id', v_row.event_id
          using errcode = '22023';
      end if;
    else
      select * into v_prev from ledger_private.triage_event t
       where t.project = v_project and t.stream = v_stream and t.issue_id = v_issue
       order by t.event_id desc limit 1;
      if found and (v_prev.action, v_prev.actor, v_prev.assignee, v_prev.reason, v_prev.until_cl, v_prev.until_at, v_prev.note,
                    v_prev.fixed_cl)
                   is not distinct from (v_action, record_triage.actor, v_e->>'assignee', v_e->>'reason',
                                         (v_e->>'until_cl')::bigint, v_until_at, v_e->>'note', v_fixed) then
        v_row := v_prev;
      end if;
    end if;
    if v_row.event_id is not null then
      v_out := v_out || jsonb_build_array(jsonb_build_object('event_id', v_row.event_id, 'duplicate', true));
    else
      insert into ledger_private.triage_event (project, stream, issue_id, action, actor, assignee, reason, until_cl, until_at,
                                              note, fixed_cl, client_id)
      values (v_project, v_stream, v_issue, v_action, btrim(record_triage.actor), btrim(v_e->>'assignee'), v_e->>'reason',
              (v_e->>'until_cl')::bigint, v_until_at, v_e->>'note', v_fixed, v_e->>'id')
      returning * into v_row;
      v_out := v_out || jsonb_build_array(jsonb_build_object('event_id', v_row.event_id, 'duplicate', false));
    end if;
    v_i := v_i + 1;
  end loop;
  return v_out;
end
$$;
comment on function ledger.record_triage(jsonb, text) is
  'Appends triage events (acknowledge, unacknowledge, assign, unassign, suppress with reason and optional until_cl/until, unsuppress, note, mark_fixed, unmark_fixed) by actor. Validated whole (22023 naming events[i].field; the issue must exist on the timeline); idempotent by client id or identical content. Returns [{event_id, duplicate}].';
